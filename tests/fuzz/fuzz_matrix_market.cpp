// Fuzz target: the Matrix Market reader (io/matrix_market.hpp) on arbitrary text, with
// max_dimension lowered to 2^20 so the fuzzer explores parsing rather than the index arrays.
#include "fuzz_common.hpp"

#include <blockspec/io/matrix_market.hpp>

#include <cstdlib>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  blockspec::fuzz::expect_clean([&] {
    const auto A = blockspec::read_matrix_market(in, "fuzz.mtx", {.max_dimension = 1 << 20});
    if (A.rows() < 1 || A.cols() < 1 || A.rows() > (1 << 20) || A.cols() > (1 << 20)) std::abort();
  });
  return 0;
}
