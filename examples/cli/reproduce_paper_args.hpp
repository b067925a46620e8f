// examples/cli/reproduce_paper_args.hpp — reproduce_paper's command line, factored out of
// examples/reproduce_paper.cpp so that the example and tests/fuzz/fuzz_cli.cpp parse the same
// options. Every size is bounded so that a typo cannot ask for days of work or gigabytes:
// --probes <= 100000, --slq-steps <= 10000, --max-steps <= 10^8, --seeds <= 1000, --refine <= 1000;
// validate() checks the tuning grid with the library's own TuneOptions validation.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/optim/tune.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace reproduce_paper_cli {

struct Args {
  std::string out = "paper_out", plot_script, figure, fair_out;
  std::uint64_t seed = 0;
  int probes = 100, slq_steps = 100, max_steps = 100000, ppd = 4;
  double lr_min = 1e-4, lr_max = 10.0;
  bool no_plot = false, progress = false;
  int seeds = 2, refine = 0;
  std::vector<int> cases{1, 2, 3, 4};
};

inline void add_options(CLI::App& app, Args& a) {
  app.add_option("--out", a.out, "output directory")->capture_default_str();
  app.add_option("--seed", a.seed, "seed of the presets (Haar rotations, w*, cases 1-2 eigenvalues) and of SLQ")
      ->capture_default_str();
  app.add_option("--cases", a.cases, "which cases to run (1-4)")->check(CLI::Range(1, 4))->capture_default_str();
  app.add_option("--probes", a.probes, "SLQ probes per block (the paper: 10; see the file comment for why 100 here)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--slq-steps", a.slq_steps, "Lanczos steps per probe (clamped to the block size)")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--max-steps", a.max_steps, "step cap of every optimizer run")->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  app.add_option("--lr-min", a.lr_min, "tuning grid: smallest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-max", a.lr_max, "tuning grid: largest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--points-per-decade", a.ppd, "tuning grid density")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--seeds", a.seeds, "fair table: seeds 0..N-1 (Haar rotations, w*, case 1-2 eigenvalues); "
                 "the committed table uses 5")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--refine", a.refine, "fair table: refinement rates on each side of the best grid rate (0: none, "
                 "the CI demo; the committed table uses 3)")->check(CLI::Range(0, 1000))->capture_default_str();
  app.add_option("--fair-out", a.fair_out, "also write the fair table (markdown) to this file");
  app.add_flag("--no-plot", a.no_plot, "do not run the plotting script");
  app.add_option("--plot-script", a.plot_script, "path of plot_paper.py (default: next to this source, or ./examples)");
  app.add_option("--figure", a.figure, "also write the loss-curve figure to this PNG path");
  app.add_flag("--progress", a.progress, "show progress on stderr even when it is not a terminal");
}

/// Cross-field checks after parsing; throws blockspec::invalid_argument.
inline void validate(const Args& a) {
  if (a.cases.empty()) throw blockspec::invalid_argument("--cases: give at least one case");
  auto sorted = a.cases;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw blockspec::invalid_argument("--cases: a case is named twice");
  blockspec::TuneOptions{.lr_min = a.lr_min, .lr_max = a.lr_max, .points_per_decade = a.ppd, .refine_points = a.refine}
      .validate();
}

}  // namespace reproduce_paper_cli
