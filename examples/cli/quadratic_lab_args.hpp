// examples/cli/quadratic_lab_args.hpp — quadratic_lab's command line, factored out of
// examples/quadratic_lab.cpp so that the example and tests/fuzz/fuzz_cli.cpp parse the same
// options. The spec strings of --block are parsed by cli/quadratic_lab_specs.hpp (fuzzed on their
// own by fuzz_quadratic_lab_specs, since a valid spec may ask for 10^7 eigenvalues).
//
// validate() does every check that needs no file and allocates nothing large: one problem source;
// --map is two finite numbers with 0 < LO < HI; --lr is NAME=VALUE with a known optimizer and a
// positive finite rate; the step options, schedule and tuning grid are checked by the library's own
// RunOptions / Schedule / TuneOptions validation, so the messages are the library's. Sizes are
// bounded (--steps <= 10^8, --seeds <= 1000) so that a typo cannot ask for days of work.
#pragma once

#include "quadratic_lab_specs.hpp"

#include <blockspec/error.hpp>
#include <blockspec/lab/any_optimizer.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/schedule.hpp>
#include <blockspec/optim/tune.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace quadratic_lab_cli {

struct Settings {
  int paper_case = 0;
  std::vector<std::string> blocks, measured;
  std::vector<double> map_range;
  long block_size = 25;
  std::vector<std::string> optimizers{"gd", "adam", "blockwise_gd"};
  std::vector<std::string> lrs;
  bool tune_all = false;
  double lr_min = 1e-5, lr_max = 10.0;
  int ppd = 4;
  std::string noise = "none";
  double noise_scale = 0.0, dof = 3.0;
  int steps = 20000;
  double target = 1e-6;
  std::string schedule = "constant";
  int warmup = 0, stable = 0, decay = 0;
  double final_factor = 0.0;
  std::uint64_t seed = 0;
  int record_every = 1;
  std::string out = "lab_out", plot_script;
  bool progress = false, no_plot = false, single = false;
  bool fair = false;  ///< print the fair table (lab::fair_study) over --seeds seeds instead of the runs
  int seeds = 2, refine = 0;
};

inline void add_options(CLI::App& app, Settings& s) {
  // One of these three (validate() checks it). Not a CLI11 option group: with one, CLI11 2.1.2 loops
  // forever on an empty argument followed by an option (quadratic_lab "" --steps 5; found by fuzz_cli,
  // corpus/cli/crash-empty-argument-loop).
  app.add_option("--case", s.paper_case, "the paper's case 1-4")->check(CLI::Range(1, 4))->group("problem");
  app.add_option("--block", s.blocks, "[NAME=]KIND:ARGS, one per block (see the source's header)")->group("problem");
  app.add_option("--measured", s.measured, "1-D .npy files of measured eigenvalues / Ritz nodes, one per block")
      ->check(CLI::ExistingFile)->group("problem");
  app.add_option("--map", s.map_range, "pooled affine map of all eigenvalues into [LO, HI]")->expected(2);
  app.add_option("--block-size", s.block_size, "eigenvalues per block for --measured")
      ->check(CLI::Range(1L, static_cast<long>(max_block_size)))->capture_default_str();
  app.add_option("--optimizer", s.optimizers, "optimizers to run")
      ->check(CLI::IsMember(blockspec::lab::optimizer_names()))->capture_default_str();
  app.add_option("--lr", s.lrs, "NAME=VALUE: a fixed learning rate for an optimizer");
  app.add_flag("--tune", s.tune_all, "tune every optimizer's rate (fewest steps to the target)");
  app.add_option("--lr-min", s.lr_min, "tuning grid: smallest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-max", s.lr_max, "tuning grid: largest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--points-per-decade", s.ppd, "tuning grid density")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--noise", s.noise, "gradient noise")->check(CLI::IsMember({"none", "gaussian", "student_t"}))
      ->capture_default_str();
  app.add_option("--noise-scale", s.noise_scale, "noise standard deviation / scale")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--dof", s.dof, "Student-t degrees of freedom")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--steps", s.steps, "step cap of every run")->check(CLI::Range(1, 100'000'000))->capture_default_str();
  app.add_option("--target", s.target, "relative loss gap to reach")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--schedule", s.schedule, "learning-rate schedule")
      ->check(CLI::IsMember({"constant", "warmup", "cosine", "wsd"}))->capture_default_str();
  app.add_option("--warmup", s.warmup, "warmup steps")->check(CLI::NonNegativeNumber);
  app.add_option("--stable", s.stable, "stable steps (wsd)")->check(CLI::NonNegativeNumber);
  app.add_option("--decay", s.decay, "decay steps (cosine: default --steps; wsd)")->check(CLI::NonNegativeNumber);
  app.add_option("--final-factor", s.final_factor, "final lr factor of cosine / wsd")->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", s.seed, "seed of spectra, rotations, w* and noise")->capture_default_str();
  app.add_option("--record-every", s.record_every, "record every k-th step")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--plot-script", s.plot_script, "path of plot_quadratic.py");
  app.add_flag("--progress", s.progress, "show the progress bar even when stderr is not a terminal");
  app.add_flag("--no-plot", s.no_plot, "do not run the plotting script");
  app.add_flag("--float", s.single, "run in single precision");
  app.add_flag("--fair", s.fair, "print the fair table: every method of lab::fair_study tuned by one procedure, "
               "over --seeds seeds (--seed, --seed + 1, ...)");
  app.add_option("--seeds", s.seeds, "--fair: number of seeds")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--refine", s.refine, "--fair: refinement rates on each side of the best grid rate (0: none)")
      ->check(CLI::Range(0, 1000))->capture_default_str();
}

/// The learning-rate schedule the settings ask for (validated by the caller).
inline blockspec::Schedule make_schedule(const Settings& s) {
  if (s.schedule == "constant") return blockspec::Schedule::constant();
  if (s.schedule == "warmup") return blockspec::Schedule::linear_warmup(s.warmup);
  if (s.schedule == "cosine") return blockspec::Schedule::cosine(s.decay > 0 ? s.decay : s.steps, s.final_factor, s.warmup);
  return blockspec::Schedule::warmup_stable_decay(s.warmup, s.stable, s.decay, s.final_factor);
}

/// The run options every optimizer shares (lr 1: each run sets its own), validated.
inline blockspec::RunOptions base_run_options(const Settings& s) {
  blockspec::RunOptions base{.lr = 1.0,
                             .max_steps = s.steps,
                             .target = s.target,
                             .schedule = make_schedule(s),
                             .record_every = s.record_every,
                             .stochastic = s.noise != "none",
                             .seed = s.seed};
  base.validate("quadratic_lab");
  return base;
}

/// --lr NAME=VALUE pairs as a map, else invalid_argument naming the pair.
inline std::map<std::string, double> fixed_rates(const Settings& s) {
  const auto known = blockspec::lab::optimizer_names();
  std::map<std::string, double> fixed;
  for (const auto& kv : s.lrs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw blockspec::invalid_argument("--lr '" + kv + "': expected NAME=VALUE");
    const std::string name = kv.substr(0, eq);
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw blockspec::invalid_argument("--lr '" + kv + "': unknown optimizer '" + name + "'");
    const double lr = to_double(kv.substr(eq + 1), "lr");
    if (!(lr > 0.0)) throw blockspec::invalid_argument("--lr '" + kv + "': the rate must be positive");
    fixed[name] = lr;
  }
  return fixed;
}

/// Cross-field checks after parsing (see the file comment); throws blockspec::invalid_argument.
inline void validate(const Settings& s) {
  const int sources = (s.paper_case > 0) + !s.blocks.empty() + !s.measured.empty();
  if (sources != 1) throw blockspec::invalid_argument("give exactly one of --case, --block, --measured");
  if (!s.map_range.empty()) {
    if (s.paper_case > 0) throw blockspec::invalid_argument("--map applies to --block and --measured, not --case");
    const double lo = s.map_range[0], hi = s.map_range[1];
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0.0 && lo < hi))
      throw blockspec::invalid_argument("--map LO HI needs finite 0 < LO < HI, got " +
                                        blockspec::detail::format_double(lo) + " " +
                                        blockspec::detail::format_double(hi));
  }
  (void)fixed_rates(s);
  const auto base = base_run_options(s);
  blockspec::TuneOptions{.lr_min = s.lr_min, .lr_max = s.lr_max, .points_per_decade = s.ppd,
                         .refine_points = s.refine, .run = base}
      .validate();
  if (s.fair && !(s.target > 0.0))
    throw blockspec::invalid_argument("--fair needs a positive --target, got " + blockspec::detail::format_double(s.target));
  if (s.fair && s.single) throw blockspec::invalid_argument("--fair runs in double precision: drop --float");
  if (s.fair && s.noise != "none") throw blockspec::invalid_argument("--fair compares deterministic runs: drop --noise");
}

}  // namespace quadratic_lab_cli
