// Fuzz target: quadratic_lab's spec strings (examples/cli/quadratic_lab_specs.hpp). First byte
// even: the rest is '\n'-separated `--block` specs, parsed and pooled-mapped into [1, 1000].
// Odd: the rest is a measured-spectrum .npy file, summarized with block_size 1 + byte % 32.
#include "fuzz_common.hpp"

#include "cli/quadratic_lab_specs.hpp"

#include <blockspec/quadratic/presets.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  blockspec::fuzz::expect_clean([&] {
    if (data[0] % 2 == 0) {
      std::vector<blockspec::BlockSpectrum> blocks;
      const auto specs = quadratic_lab_cli::split(rest, '\n');
      for (std::size_t i = 0; i < specs.size() && i < 8; ++i)
        blocks.push_back(quadratic_lab_cli::parse_block(specs[i], i, 7));
      if (!blocks.empty()) blocks = blockspec::map_pooled(std::move(blocks), 1.0, 1000.0);
    } else {
      const auto& file = blockspec::fuzz::write_scratch(rest, ".npy");
      const auto m = quadratic_lab_cli::load_measured({file.string()});
      const Eigen::Index block_size = 1 + (data[0] >> 1) % 32;
      (void)blockspec::measured_block_spectra(m, {.block_size = block_size, .lo = 1.0, .hi = 1000.0});
    }
  });
  return 0;
}
