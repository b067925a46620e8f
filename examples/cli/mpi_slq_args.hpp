// examples/cli/mpi_slq_args.hpp — mpi_slq's command line, factored out of examples/mpi/mpi_slq.cpp
// (which links MPI) so that tests/fuzz/fuzz_cli.cpp can parse the same options without MPI.
// --grid <= 20000: the example indexes the g^2 grid points with int, and g = 20000 is already a
// 4e8-row Laplacian (about 24 GB in all); --probes <= 100000, --steps <= 10000.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

namespace mpi_slq_cli {

struct Args {
  int grid = 60, probes = 16, steps = 60;
  std::uint64_t seed = 1;
};

inline void add_options(CLI::App& app, Args& a) {
  app.add_option("--grid", a.grid, "grid width g (n = g^2)")->check(CLI::Range(2, 20000));
  app.add_option("--probes", a.probes, "probe vectors")->check(CLI::Range(1, 100000));
  app.add_option("--steps", a.steps, "Lanczos steps per probe")->check(CLI::Range(1, 10000));
  app.add_option("--seed", a.seed, "seed of the probes");
}

/// Cross-field checks after parsing (none needed: every option is checked on its own).
inline void validate(const Args&) {}

}  // namespace mpi_slq_cli
