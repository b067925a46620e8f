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
#include "fair_table.hpp"
#include "quadratic_output.hpp"

#include <blockspec/io/atomic_file.hpp>
#include <blockspec/io/csv.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/lab/any_optimizer.hpp>
#include <blockspec/lab/study.hpp>
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

using quadratic_lab_cli::Settings;

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

  auto fixed = quadratic_lab_cli::fixed_rates(s);
  const auto base = quadratic_lab_cli::base_run_options(s);

  const std::filesystem::path dir(s.out);
  std::filesystem::create_directories(dir);
  example::ProgressBar bar(s.progress);

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

// --fair: lab::fair_study on the problem of each seed (--seed, --seed + 1, ...: spectra, rotations
// and w* redrawn), as one column of median [min-max] steps; also written to DIR/fair.md.
int fair_table(const Settings& s) {
  const blockspec::lab::FairStudyOptions fo{.target = s.target, .max_steps = s.steps, .lr_min = s.lr_min,
                                            .lr_max = s.lr_max, .points_per_decade = s.ppd, .refine_points = s.refine};
  example::FairTable ft;
  ft.add_column(s.paper_case > 0 ? "case " + std::to_string(s.paper_case) : std::string("this problem"));
  example::ProgressBar bar(s.progress);
  for (int k = 0; k < s.seeds; ++k) {
    Settings sk = s;
    sk.seed = s.seed + static_cast<std::uint64_t>(k);
    const auto q = blockspec::make_block_quadratic<double>(make_spectra(sk), sk.seed);
    auto o = fo;
    o.on_method = [&](const std::string& m) { bar.update("fair: seed " + std::to_string(sk.seed) + ": " + m, k, s.seeds); };
    ft.add(blockspec::lab::fair_study(q, o), "seed " + std::to_string(sk.seed));
  }
  bar.finish();
  const std::string md = example::fair_markdown(ft, s.seeds, fo);
  std::printf("Fair baselines (every method tuned by one procedure and budget; theory-set ones as they are)\n%s", md.c_str());
  for (const auto& f : ft.failures()) std::printf("  not reached: %s\n", f.c_str());
  const std::filesystem::path dir(s.out);
  std::filesystem::create_directories(dir);
  blockspec::write_file_atomically(dir / "fair.md", [&](std::ostream& os) { os << "# Fair baselines\n\n" << md; });
  std::printf("\nwrote %s/fair.md\n", s.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Optimizer experiments on block-diagonal quadratics (blockspec)"};
  Settings s;
  quadratic_lab_cli::add_options(app, s);
  CLI11_PARSE(app, argc, argv);
  try {
    quadratic_lab_cli::validate(s);
    if (s.fair) return fair_table(s);
    return s.single ? run_lab<float>(s) : run_lab<double>(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
