// quadratic_lab: a command-line workbench for optimizer experiments on block-diagonal quadratics.
//
//   quadratic_lab --case 3 --optimizer gd adam blockwise_gd --tune
//   quadratic_lab --block attn=loguniform:50:1:10 --block mlp=powerlaw:50:1:1000:1.5 --map 1 5000
//                 --optimizer adam adam_mini --lr adam=0.01 adam_mini=0.01 --noise student_t --noise-scale 0.1
//   quadratic_lab --measured q.npy k.npy mlp.npy --block-size 25 --optimizer gd blockwise_gd adam --tune
//
// Problem (one of):
//   --case N             the paper's case 1-4 (quadratic/presets.hpp)
//   --block [NAME=]SPEC  a block per use; SPEC is one of
//                          explicit:v1,v2,...        uniform:N:LO:HI        loguniform:N:LO:HI
//                          powerlaw:N:LO:HI:EXPONENT bulk:N:LO:HI:OUT1,OUT2,...
//   --measured FILE.npy  a block per file: measured eigenvalues or Ritz nodes (1-D .npy), summarized
//                        by --block-size quantiles and mapped with ONE pooled map into --map LO HI
//   --map LO HI          pooled affine map of all blocks' eigenvalues into [LO, HI] (--block, --measured)
// Optimizers: --optimizer NAME... (gd heavy_ball nesterov adam adam_frozen_v adamw rmsprop adagrad
// blockwise_gd adam_mini prodigy nag_gs sign_descent); --lr NAME=VALUE... fixes a rate; otherwise gd
// uses its optimal step 2/(lambda_max + lambda_min) (Lanczos), blockwise_gd and prodigy use 1, and the
// others are tuned (fewest steps to --target on a log grid --lr-min..--lr-max); --tune tunes all.
// Noise: --noise gaussian|student_t --noise-scale S [--dof D] (stochastic gradients, seeded).
// Schedule: --schedule constant|warmup|cosine|wsd with --warmup, --stable, --decay, --final-factor.
// Output (--out DIR, default lab_out): trace_<optimizer>.csv and .npy (step, loss gap, relative gap,
// gradient norm, per-block gradient norms), summary.csv, eigenvalues.csv, and loss.png through
// examples/plot_quadratic.py when python3 with matplotlib is available. A progress bar goes to stderr
// when it is a terminal (or with --progress).
#include "cli/quadratic_lab_args.hpp"
#include "quadratic_output.hpp"

#include <blockspec/io/csv.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/lab/any_optimizer.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>
#include <blockspec/quadratic/presets.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using quadratic_lab_cli::parse_block;
using quadratic_lab_cli::to_double;

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
};

blockspec::Schedule make_schedule(const Settings& s) {
  if (s.schedule == "constant") return blockspec::Schedule::constant();
  if (s.schedule == "warmup") return blockspec::Schedule::linear_warmup(s.warmup);
  if (s.schedule == "cosine") return blockspec::Schedule::cosine(s.decay > 0 ? s.decay : s.steps, s.final_factor, s.warmup);
  return blockspec::Schedule::warmup_stable_decay(s.warmup, s.stable, s.decay, s.final_factor);
}

std::vector<blockspec::BlockSpectrum> make_spectra(const Settings& s) {
  const int sources = (s.paper_case > 0) + !s.blocks.empty() + !s.measured.empty();
  if (sources != 1) throw blockspec::invalid_argument("give exactly one of --case, --block, --measured");
  if (s.paper_case > 0) return blockspec::paper_case_spectra(s.paper_case, s.seed);
  const double lo = s.map_range.empty() ? 1.0 : s.map_range[0];
  const double hi = s.map_range.empty() ? blockspec::paper_condition_number : s.map_range[1];
  if (!s.measured.empty()) {
    const auto m = quadratic_lab_cli::load_measured(s.measured);
    return blockspec::measured_block_spectra(m, {.block_size = s.block_size, .lo = lo, .hi = hi});
  }
  std::vector<blockspec::BlockSpectrum> out;
  for (std::size_t i = 0; i < s.blocks.size(); ++i) out.push_back(parse_block(s.blocks[i], i, s.seed));
  if (!s.map_range.empty()) out = blockspec::map_pooled(std::move(out), lo, hi);
  return out;
}

template <class S>
int run_lab(const Settings& s) {
  const auto spectra = make_spectra(s);
  blockspec::GradientNoise noise;
  if (s.noise == "gaussian") noise = {.kind = blockspec::NoiseKind::gaussian, .scale = s.noise_scale};
  if (s.noise == "student_t") noise = {.kind = blockspec::NoiseKind::student_t, .scale = s.noise_scale, .dof = s.dof};
  const auto q = blockspec::make_block_quadratic<S>(spectra, s.seed, noise);
  const Eigen::VectorXd ev = q.all_eigenvalues();
  std::printf("problem: %ld dimensions, %zu blocks, eigenvalues in [%g, %g] (condition number %g), noise %s\n",
              static_cast<long>(q.dimension()), q.partition().size(), ev.minCoeff(), ev.maxCoeff(),
              ev.maxCoeff() / ev.minCoeff(), blockspec::to_string(noise.kind));
  for (std::size_t l = 0; l < q.partition().size(); ++l) {
    const auto& e = q.block_eigenvalues(l);
    std::printf("  %-12s size %4ld  eigenvalues [%g, %g]  condition number %g\n", q.partition()[l].name.c_str(),
                static_cast<long>(e.size()), e.minCoeff(), e.maxCoeff(), e.maxCoeff() / e.minCoeff());
  }

  std::map<std::string, double> fixed;
  for (const auto& kv : s.lrs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw blockspec::invalid_argument("--lr '" + kv + "': expected NAME=VALUE");
    fixed[kv.substr(0, eq)] = to_double(kv.substr(eq + 1), "lr");
  }

  const std::filesystem::path dir(s.out);
  std::filesystem::create_directories(dir);
  example::ProgressBar bar(s.progress);
  blockspec::RunOptions base{.lr = 1.0,
                             .max_steps = s.steps,
                             .target = s.target,
                             .schedule = make_schedule(s),
                             .record_every = s.record_every,
                             .stochastic = noise.kind != blockspec::NoiseKind::none,
                             .seed = s.seed};
  base.validate("quadratic_lab");

  std::vector<std::string> names, how, statuses;
  std::vector<double> rates, finals;
  std::vector<std::int64_t> steps_to, steps_taken;
  std::printf("\n%-14s %-12s %-9s %-16s %-12s %s\n", "optimizer", "lr", "", "status", "steps", "final rel. gap");
  for (const auto& name : s.optimizers) {
    (void)blockspec::lab::make_optimizer(name);  // validates the name early
    double lr = 0.0;
    std::string source;
    if (fixed.count(name)) {
      lr = fixed[name];
      source = "given";
    } else if (!s.tune_all && name == "gd") {
      lr = blockspec::gd_optimal_step(q);
      source = "optimal";
    } else if (!s.tune_all && (name == "blockwise_gd" || name == "prodigy")) {
      lr = 1.0;
      source = "default";
    } else {
      source = "tuned";
    }
    blockspec::RunTrace trace;
    if (source == "tuned") {
      blockspec::TuneOptions to{.lr_min = s.lr_min, .lr_max = s.lr_max, .points_per_decade = s.ppd, .run = base};
      const auto grid = to.grid();
      int k = 0;
      const auto r = blockspec::tune_learning_rate(
          q, [&] {
            bar.update("tuning " + name, ++k, static_cast<long>(grid.size()));
            return blockspec::lab::make_optimizer(name);
          },
          to);
      bar.finish();
      if (r.reached()) {
        lr = *r.best_lr;
        trace = r.best;
      } else {
        // Nothing reached the target: report the run at the rate with the smallest final gap instead.
        double best_gap = INFINITY;
        for (double cand : grid) {
          auto o = blockspec::lab::make_optimizer(name);
          auto ro = base;
          ro.lr = cand;
          auto t = blockspec::run(q, o, ro);
          if (t.status != blockspec::RunStatus::diverged && t.final_relative_gap < best_gap) {
            best_gap = t.final_relative_gap;
            lr = cand;
            trace = std::move(t);
          }
        }
        source = "tuned*";
      }
    } else {
      auto o = blockspec::lab::make_optimizer(name);
      auto ro = base;
      ro.lr = lr;
      ro.progress = [&](int t) {
        bar.update(name, t, s.steps);
        return true;
      };
      trace = blockspec::run(q, o, ro);
      bar.finish();
    }
    const std::string status = trace.record_step.empty() ? "diverged at every rate" : blockspec::to_string(trace.status);
    char lrbuf[32];
    std::snprintf(lrbuf, sizeof lrbuf, "%.4g", lr);
    std::printf("%-14s %-12s %-9s %-16s %-12s %.3e\n", name.c_str(), lrbuf, source.c_str(), status.c_str(),
                trace.steps_to_target >= 0 ? std::to_string(trace.steps_to_target).c_str() : "not reached",
                trace.final_relative_gap);
    if (!trace.record_step.empty()) example::write_trace(dir, "trace_" + name, trace);
    names.push_back(name);
    how.push_back(source);
    statuses.push_back(status);
    rates.push_back(lr);
    finals.push_back(trace.final_relative_gap);
    steps_to.push_back(trace.steps_to_target);
    steps_taken.push_back(trace.steps);
  }

  blockspec::CsvTable summary;
  summary.add_column("optimizer", names);
  summary.add_column("lr", rates);
  summary.add_column("lr_source", how);
  summary.add_column("status", statuses);
  summary.add_column("steps_to_target", steps_to);
  summary.add_column("steps", steps_taken);
  summary.add_column("final_relative_gap", finals);
  blockspec::write_csv(dir / "summary.csv", summary);
  blockspec::CsvTable eig;
  std::vector<std::string> bn;
  std::vector<double> values;
  for (std::size_t l = 0; l < q.partition().size(); ++l)
    for (Eigen::Index i = 0; i < q.block_eigenvalues(l).size(); ++i) {
      bn.push_back(q.partition()[l].name);
      values.push_back(q.block_eigenvalues(l)[i]);
    }
  eig.add_column("block", bn);
  eig.add_column("eigenvalue", values);
  blockspec::write_csv(dir / "eigenvalues.csv", eig);
  std::printf("\nwrote %s/ (summary.csv, eigenvalues.csv, trace_<optimizer>.csv and .npy)\n", s.out.c_str());
  if (!s.no_plot) {
    const auto script = example::first_existing(
        {s.plot_script, std::filesystem::path(__FILE__).parent_path() / "plot_quadratic.py", "examples/plot_quadratic.py"});
    std::printf("%s\n", example::run_plot_script(script, example::shell_quote(dir.string())).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Optimizer experiments on block-diagonal quadratics (blockspec)"};
  Settings s;
  auto* source = app.add_option_group("problem", "the quadratic: one of --case, --block, --measured");
  source->add_option("--case", s.paper_case, "the paper's case 1-4")->check(CLI::Range(1, 4));
  source->add_option("--block", s.blocks, "[NAME=]KIND:ARGS, one per block (see the source's header)");
  source->add_option("--measured", s.measured, "1-D .npy files of measured eigenvalues / Ritz nodes, one per block")
      ->check(CLI::ExistingFile);
  source->require_option(1);
  app.add_option("--map", s.map_range, "pooled affine map of all eigenvalues into [LO, HI]")->expected(2);
  app.add_option("--block-size", s.block_size, "eigenvalues per block for --measured")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--optimizer", s.optimizers, "optimizers to run")
      ->check(CLI::IsMember(blockspec::lab::optimizer_names()))->capture_default_str();
  app.add_option("--lr", s.lrs, "NAME=VALUE: a fixed learning rate for an optimizer");
  app.add_flag("--tune", s.tune_all, "tune every optimizer's rate (fewest steps to the target)");
  app.add_option("--lr-min", s.lr_min, "tuning grid: smallest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-max", s.lr_max, "tuning grid: largest rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--points-per-decade", s.ppd, "tuning grid density")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--noise", s.noise, "gradient noise")->check(CLI::IsMember({"none", "gaussian", "student_t"}))
      ->capture_default_str();
  app.add_option("--noise-scale", s.noise_scale, "noise standard deviation / scale")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--dof", s.dof, "Student-t degrees of freedom")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--steps", s.steps, "step cap of every run")->check(CLI::PositiveNumber)->capture_default_str();
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
  CLI11_PARSE(app, argc, argv);
  try {
    return s.single ? run_lab<float>(s) : run_lab<double>(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
