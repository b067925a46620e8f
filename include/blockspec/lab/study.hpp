// blockspec/lab/study.hpp — the paper's optimizer comparison on one quadratic problem.
//
// Lab component (blockspec::lab): a fixed experiment with results looked up by method name,
// built only from core pieces (optim/runner.hpp, optim/tune.hpp, optim/step_size.hpp).
//
// Method: on a problem with a partition and a Hessian operator, run
//   gd             GD with its optimal constant step 2/(lambda_max + lambda_min),
//                  both from extreme_eigenpairs on problem.hessian() (gd_optimal_step)
//   adam           Adam (beta1 = 0.9, beta2 = 0.999), rate tuned on a log grid
//   adam_frozen_v  Adam with beta1 = 0, beta2 = 1 (the theory's variant), rate tuned
//   blockwise_gd   one optimal step per block, from extreme_eigenpairs on each H_ll (lr = 1)
//   adam_mini      Adam-mini (one second moment per block), rate tuned
// and report the steps each needs to reach the target relative loss gap, with
// a step cap ("not reached" otherwise). Tuning picks the rate with the fewest
// steps (optim/tune.hpp), as the paper tunes Adam.
// Cost: one run each for gd and blockwise_gd, one per grid point for the tuned
// ones (pruned at the best step count so far).
// Reference: Zhang et al., "Why Transformers Need Adam: A Hessian
// Perspective", NeurIPS 2024, sec. 4 and its quadratic figures.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/optim/adam.hpp>
#include <blockspec/optim/adam_mini.hpp>
#include <blockspec/optim/agd.hpp>
#include <blockspec/optim/blockwise_gd.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/muon.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/prodigy.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace blockspec::lab {

/// Options of quadratic_study.
struct QuadraticStudyOptions {
  double target = 1e-6;         ///< relative loss gap to reach
  int max_steps = 100000;       ///< step cap of every run
  double lr_min = 1e-4;         ///< tuning grid for the adaptive methods
  double lr_max = 10.0;
  int points_per_decade = 4;
  int record_every = 1;         ///< trace resolution of the reported runs
  EigsOptions eigs{};           ///< eigensolver for gd's optimal step and blockwise_gd's block steps
  /// Called with the name of each method before it runs (progress display).
  std::function<void(const std::string&)> on_method{};

  void validate() const {
    const std::string where = "quadratic_study";
    detail::require(std::isfinite(target) && target > 0.0, where,
                    "target must be finite and > 0, got " + detail::format_double(target));
    detail::require(max_steps > 0, where, "max_steps must be positive, got " + std::to_string(max_steps));
    detail::require(record_every > 0, where, "record_every must be positive, got " + std::to_string(record_every));
    // lr_min, lr_max, points_per_decade are checked by TuneOptions::validate when tuning starts.
  }
};

/// One method of the study.
struct StudyEntry {
  std::string method{};  ///< gd, adam, adam_frozen_v, blockwise_gd, adam_mini
  double lr = 0.0;       ///< the rate used (GD's optimal step, blockwise_gd's multiplier 1, or the tuned rate;
                         ///< 0 for a tuned method when no rate reached the target: steps is then -1)
  bool tuned = false;
  int steps = -1;        ///< steps to the target; -1: not reached within max_steps (or diverged at every rate)
  RunTrace trace{};      ///< the reported run (for tuned methods: at the best rate; empty when none reached)
  std::string message{}; ///< how it ended: the run's message, or the tuner's (names the grid when none converged)
};

/// The result of quadratic_study, in the order gd, adam, adam_frozen_v, blockwise_gd, adam_mini.
struct QuadraticStudy {
  std::vector<StudyEntry> entries{};

  const StudyEntry& at(const std::string& method) const {
    for (const auto& e : entries)
      if (e.method == method) return e;
    throw invalid_argument("QuadraticStudy::at: no method '" + method + "'");
  }
};

/// Runs the paper's five methods on `problem` (see the file comment).
/// Example: `auto s = blockspec::lab::quadratic_study(blockspec::paper_case(3));  s.at("gd").steps;`
template <class P>
  requires Problem<P> && HasPartition<P> && HasHessian<P>
QuadraticStudy quadratic_study(const P& problem, const QuadraticStudyOptions& options = {}) {
  options.validate();
  QuadraticStudy s;
  const RunOptions base{.lr = 1.0, .max_steps = options.max_steps, .target = options.target,
                        .record_every = options.record_every};
  auto announce = [&](const std::string& m) {
    if (options.on_method) options.on_method(m);
  };
  auto fixed = [&](const std::string& method, auto optimizer, double lr) {
    announce(method);
    RunOptions ro = base;
    ro.lr = lr;
    StudyEntry e{.method = method, .lr = lr, .tuned = false};
    e.trace = run(problem, optimizer, ro);
    e.steps = e.trace.steps_to_target;
    e.message = e.trace.message;
    s.entries.push_back(std::move(e));
  };
  auto tuned = [&](const std::string& method, auto factory) {
    announce(method);
    const TuneResult r = tune_learning_rate(problem, factory,
                                            {.lr_min = options.lr_min,
                                             .lr_max = options.lr_max,
                                             .points_per_decade = options.points_per_decade,
                                             .run = base});
    StudyEntry e{.method = method, .lr = r.best_lr.value_or(0.0), .tuned = true, .steps = r.best_steps};
    e.trace = r.best;
    e.message = r.message();
    s.entries.push_back(std::move(e));
  };
  fixed("gd", Gd{}, gd_optimal_step(problem, options.eigs));
  tuned("adam", [] { return Adam(); });
  tuned("adam_frozen_v", [] { return Adam(AdamOptions::frozen_preconditioner()); });
  fixed("blockwise_gd", BlockwiseGd({.eigs = options.eigs}), 1.0);
  tuned("adam_mini", [] { return AdamMini(); });
  return s;
}

// ---------------------------------------------------------------------------------------------
// The fair study: every optimizer tuned by the same procedure and budget, next to the
// theory-set baselines.
//
// Methods (L, mu: the extreme eigenvalues of problem.hessian() by Lanczos; kappa = L/mu):
//   gd_theory          GD at 2/(L + mu)
//   gd_tuned           GD, lr tuned
//   heavy_ball_polyak  heavy ball at Polyak's optimum: lr = 4/(sqrt L + sqrt mu)^2,
//                      beta = ((sqrt kappa - 1)/(sqrt kappa + 1))^2
//   heavy_ball_tuned   heavy ball, (lr, beta) tuned
//   nesterov_theory    Nesterov at lr = 1/L, beta = (sqrt kappa - 1)/(sqrt kappa + 1)
//   nesterov_tuned     Nesterov, (lr, beta) tuned
//   adam               Adam (beta2 = 0.999), (lr, beta1) tuned
//   adam_frozen_v      Adam with beta1 = 0, beta2 = 1, lr tuned
//   adam_mini          Adam-mini, lr tuned
//   prodigy            Prodigy (its distance estimate scales lr), lr tuned
//   muon               Muon, lr tuned (the paper's blocks are vectors: each is an n x 1 matrix,
//                      so Muon is normalized momentum here, outside its intended use)
//   agd                Automatic Gradient Descent at lr = 1 (it has no learning rate; the
//                      blocks here are not the layers of a network, so outside its theory)
//   blockwise_gd       one optimal step per block (theory-set, lr = 1)
// "Tuned" is one procedure for all (optim/tune.hpp): the log grid [lr_min, lr_max] at
// points_per_decade, then refine_points rates on each side of the best; for the momentum
// methods the same search for each beta of `betas`; every run pruned at the best step count
// so far. The heavy-ball form b <- beta b + g, w <- w - lr b is Polyak's
// w+ = w - lr g + beta (w - w-), so his parameters apply as they are.
// Reference: B. T. Polyak, "Introduction to Optimization" (1987), sec. 3.2.1; Y. Nesterov,
// "Introductory Lectures on Convex Optimization" (2004), sec. 2.2.

/// Options of fair_study.
struct FairStudyOptions {
  double target = 1e-6;      ///< relative loss gap to reach
  int max_steps = 100000;    ///< step cap of every run
  double lr_min = 1e-5;      ///< the one lr grid of every tuned method
  double lr_max = 10.0;
  int points_per_decade = 4;
  int refine_points = 3;     ///< 0: no refinement (the CI demo)
  std::vector<double> betas{0.5, 0.9, 0.95, 0.97, 0.99};  ///< the beta grid of the momentum methods
  EigsOptions eigs{};
  std::function<void(const std::string&)> on_method{};

  void validate() const {
    const std::string where = "fair_study";
    detail::require(std::isfinite(target) && target > 0.0, where,
                    "target must be finite and > 0, got " + detail::format_double(target));
    detail::require(max_steps > 0, where, "max_steps must be positive, got " + std::to_string(max_steps));
    detail::require(!betas.empty(), where, "betas (the momentum grid) is empty");
  }
};

/// One method of the fair study (no trace is kept: the study runs many seeds).
struct FairEntry {
  std::string method{};
  bool tuned = false;
  double lr = std::numeric_limits<double>::quiet_NaN();    ///< NaN only when tuned and nothing converged
  std::optional<double> beta{};                            ///< the momentum used, for momentum methods
  int steps = -1;                                          ///< -1: not reached (see message)
  std::string message{};
};

/// The result of fair_study, in the order of fair_methods().
struct FairStudy {
  std::vector<FairEntry> entries{};
  double lambda_min = 0.0, lambda_max = 0.0;

  const FairEntry& at(const std::string& method) const {
    for (const auto& e : entries)
      if (e.method == method) return e;
    throw invalid_argument("FairStudy::at: no method '" + method + "'");
  }
};

/// The methods of fair_study, in order.
inline std::vector<std::string> fair_methods() {
  return {"gd_theory",       "gd_tuned",       "heavy_ball_polyak", "heavy_ball_tuned", "nesterov_theory",
          "nesterov_tuned",  "adam",           "adam_frozen_v",     "adam_mini",        "prodigy",
          "muon",            "agd",            "blockwise_gd"};
}

/// Runs the fair study on `problem` (see the comment above FairStudyOptions).
/// Example: `auto s = blockspec::lab::fair_study(blockspec::paper_case(3, seed));  s.at("gd_tuned").steps;`
template <class P>
  requires Problem<P> && HasPartition<P> && HasHessian<P>
FairStudy fair_study(const P& problem, const FairStudyOptions& options = {}) {
  options.validate();
  FairStudy s;
  const auto ev = detail::extreme_eigenvalues(problem.hessian(), options.eigs);
  detail::require(ev.lambda_min > 0.0, "fair_study",
                  "the Hessian must be positive definite, lambda_min = " + detail::format_double(ev.lambda_min));
  s.lambda_min = ev.lambda_min;
  s.lambda_max = ev.lambda_max;
  const double L = ev.lambda_max, mu = ev.lambda_min, rk = std::sqrt(L / mu);
  const RunOptions base{.lr = 1.0, .max_steps = options.max_steps, .target = options.target,
                        .record_every = options.max_steps};
  const TuneOptions tune{.lr_min = options.lr_min, .lr_max = options.lr_max,
                         .points_per_decade = options.points_per_decade, .refine_points = options.refine_points,
                         .run = base};
  auto announce = [&](const std::string& m) {
    if (options.on_method) options.on_method(m);
  };
  auto fixed = [&](const std::string& method, auto optimizer, double lr, std::optional<double> beta) {
    announce(method);
    RunOptions ro = base;
    ro.lr = lr;
    const RunTrace tr = run(problem, optimizer, ro);
    s.entries.push_back({.method = method, .tuned = false, .lr = lr, .beta = beta, .steps = tr.steps_to_target,
                         .message = tr.message});
  };
  auto record = [&](const std::string& method, const TuneResult& r) {
    s.entries.push_back({.method = method, .tuned = true,
                         .lr = r.best_lr.value_or(std::numeric_limits<double>::quiet_NaN()), .beta = r.best_beta,
                         .steps = r.best_steps, .message = r.message()});
  };
  auto tuned = [&](const std::string& method, auto factory) {
    announce(method);
    record(method, tune_learning_rate(problem, factory, tune));
  };
  auto tuned_beta = [&](const std::string& method, auto factory) {
    announce(method);
    record(method, tune_momentum(problem, factory, options.betas, tune));
  };
  fixed("gd_theory", Gd{}, 2.0 / (L + mu), std::nullopt);
  tuned("gd_tuned", [] { return Gd(); });
  const double hb_beta = std::pow((rk - 1.0) / (rk + 1.0), 2.0);
  fixed("heavy_ball_polyak", HeavyBall({.momentum = hb_beta}), 4.0 / std::pow(std::sqrt(L) + std::sqrt(mu), 2.0),
        hb_beta);
  tuned_beta("heavy_ball_tuned", [](double b) { return HeavyBall({.momentum = b}); });
  const double nag_beta = (rk - 1.0) / (rk + 1.0);
  fixed("nesterov_theory", Nesterov({.momentum = nag_beta}), 1.0 / L, nag_beta);
  tuned_beta("nesterov_tuned", [](double b) { return Nesterov({.momentum = b}); });
  tuned_beta("adam", [](double b) { return Adam({.beta1 = b}); });
  tuned("adam_frozen_v", [] { return Adam(AdamOptions::frozen_preconditioner()); });
  tuned("adam_mini", [] { return AdamMini(); });
  tuned("prodigy", [] { return Prodigy(); });
  tuned("muon", [] { return Muon(); });
  fixed("agd", Agd(), 1.0, std::nullopt);
  fixed("blockwise_gd", BlockwiseGd({.eigs = options.eigs}), 1.0, std::nullopt);
  return s;
}

}  // namespace blockspec::lab
