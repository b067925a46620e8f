// The core alone: an SLQ trace estimate of a diagonal operator, with nothing but
// <blockspec/blockspec.hpp>, Eigen and the standard library.
#include <blockspec/blockspec.hpp>

#include <Eigen/Core>

#include <cmath>
#include <iostream>

#if defined(XTENSOR_VERSION_MAJOR)
#error "<blockspec/blockspec.hpp> pulled in xtensor: the core must not need it"
#endif
#if defined(BOOST_VERSION)
#error "<blockspec/blockspec.hpp> pulled in Boost: the core must not need it"
#endif

int main() {
  const Eigen::VectorXd d = Eigen::VectorXd::LinSpaced(200, 1.0, 200.0);
  auto H = blockspec::make_operator(d.size(), [&](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    y = d.cwiseProduct(x);
  });
  const auto q = blockspec::slq(H, {.probes = 4, .steps = 10, .probe = blockspec::Probe::rademacher, .seed = 3});
  const auto t = blockspec::trace_of(q);
  // For a diagonal H and a Rademacher probe z, z'Hz = sum d_i exactly, and Gauss quadrature is
  // exact for f(x) = x: every sample is tr H = 20100 up to rounding (~1e-13 relative).
  const double exact = d.sum();
  std::cout << "tr H ~ " << t.value << " (exact " << exact << ")\n";
  return std::abs(t.value - exact) <= 1e-10 * exact ? 0 : 1;
}
