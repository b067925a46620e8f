// Fuzz target: the .npy reader (io/npy.hpp): header validation, then the Eigen vector and
// matrix readers, on arbitrary bytes written to a scratch file.
#include "fuzz_common.hpp"

#include <blockspec/io/npy.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& file = blockspec::fuzz::write_scratch({reinterpret_cast<const char*>(data), size}, ".npy");
  blockspec::fuzz::expect_clean([&] {
    const blockspec::NpyHeader h = blockspec::read_npy_header(file);
    // A header that passed validation promises exactly elements() * word_size payload bytes.
    if (h.data_offset + h.elements() * h.word_size != size) std::abort();
    if (h.shape.size() == 1) {
      const Eigen::VectorXd v = blockspec::read_npy_vector(file);
      if (static_cast<std::size_t>(v.size()) != h.shape[0]) std::abort();
    } else if (h.shape.size() == 2) {
      const Eigen::MatrixXd m = blockspec::read_npy_matrix(file);
      if (static_cast<std::size_t>(m.rows()) != h.shape[0] || static_cast<std::size_t>(m.cols()) != h.shape[1])
        std::abort();
    }
  });
  return 0;
}
