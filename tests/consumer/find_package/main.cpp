// Consumer of an installed blockspec with its components: only <blockspec/...> and what
// the targets bring along (C++20, Eigen, xtensor) are used.
#include <blockspec/blockspec.hpp>
#include <blockspec/io/io.hpp>
#include <blockspec/lab/lab.hpp>
#include <blockspec/operator/xtensor.hpp>

#include <Eigen/Core>

#include <iostream>
#include <string_view>

static_assert(__cplusplus >= 202002L, "blockspec::blockspec must request C++20");
static_assert(blockspec::version == CONSUMER_EXPECTED_VERSION,
              "version.hpp and blockspecConfigVersion.cmake disagree");

int main() {
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(4, 1.0, 4.0);
  std::cout << "blockspec " << blockspec::version << ", |x|^2 = " << x.squaredNorm() << '\n';
  // The io component: a round trip through a .npy file is bit-exact.
  blockspec::write_npy("consumer_x.npy", x);
  const Eigen::VectorXd back = blockspec::read_npy_vector("consumer_x.npy");
  return x.squaredNorm() == 30.0 && back == x ? 0 : 1;
}
