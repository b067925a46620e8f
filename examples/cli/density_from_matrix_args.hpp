// examples/cli/density_from_matrix_args.hpp — density_from_matrix's command line, factored out of
// examples/density_from_matrix.cpp so that the example and tests/fuzz/fuzz_cli.cpp parse the same
// options. Every size is bounded here, so that a typo cannot ask for gigabytes: --side <= 3000
// (n = 9e6, about 0.5 GB of sparse matrix), --probes <= 100000, --steps <= 10000.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace density_cli {

struct Args {
  std::string file;  ///< Matrix Market file; empty: the 2-D Laplacian + I of side x side
  int side = 100, probes = 30, steps = 40;
  std::uint64_t seed = 0;
  std::string out = ".";
  bool exact = false;
};

inline void add_options(CLI::App& app, Args& a) {
  app.add_option("matrix", a.file, "Matrix Market file (default: 2-D Laplacian + I)")->check(CLI::ExistingFile);
  app.add_option("--side", a.side, "grid side of the generated Laplacian (n = side^2)")->check(CLI::Range(2, 3000));
  app.add_option("--probes", a.probes, "number of SLQ probes")->check(CLI::Range(1, 100000));
  app.add_option("--steps", a.steps, "Lanczos steps per probe")->check(CLI::Range(1, 10000));
  app.add_option("--seed", a.seed, "random seed");
  app.add_option("--out", a.out, "output directory for density.npy and grid.npy");
  app.add_flag("--exact", a.exact, "also compute log det by sparse Cholesky");
}

/// Cross-field checks after parsing (none needed: every option is checked on its own).
inline void validate(const Args&) {}

}  // namespace density_cli
