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
#include <blockspec/optim/blockwise_gd.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>

#include <functional>
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
    s.entries.push_back(std::move(e));
  };
  fixed("gd", Gd{}, gd_optimal_step(problem, options.eigs));
  tuned("adam", [] { return Adam(); });
  tuned("adam_frozen_v", [] { return Adam(AdamOptions::frozen_preconditioner()); });
  fixed("blockwise_gd", BlockwiseGd({.eigs = options.eigs}), 1.0);
  tuned("adam_mini", [] { return AdamMini(); });
  return s;
}

}  // namespace blockspec::lab
