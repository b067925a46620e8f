// examples/cli/blockwise_heterogeneity_args.hpp — blockwise_heterogeneity's command line, factored
// out of examples/blockwise_heterogeneity.cpp so that the example and tests/fuzz/fuzz_cli.cpp parse
// the same options. --size <= 5000 eigenvalues per block (four dense 5000 x 5000 blocks, 0.8 GB),
// --probes <= 100000, --steps <= 10000.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace blockwise_cli {

struct Args {
  int size = 200, probes = 20, steps = 80;
  std::uint64_t seed = 0;
  std::string out = "out/blockwise";
};

inline void add_options(CLI::App& app, Args& a) {
  app.add_option("--size", a.size, "eigenvalues per block")->check(CLI::Range(8, 5000));
  app.add_option("--probes", a.probes, "SLQ probes per block")->check(CLI::Range(1, 100000));
  app.add_option("--steps", a.steps, "Lanczos steps per probe")->check(CLI::Range(1, 10000));
  app.add_option("--seed", a.seed, "random seed (rotations and probes)");
  app.add_option("--out", a.out, "output directory (created; out/ is git-ignored)");
}

/// Cross-field checks after parsing (none needed: every option is checked on its own).
inline void validate(const Args&) {}

}  // namespace blockwise_cli
