// blockspec/optim/runner.hpp — run an optimizer on a problem and trace it; detect divergence.
//
// Method: w_0 = options.initial_point (else problem.initial_point(), else 0);
// optimizer.reset(problem); then for t = 1..max_steps: lr_t = lr *
// schedule.factor(t - 1); optimizer.step(w, g, t, lr_t) with g the gradient
// at w (or a stochastic gradient drawn with (seed, t - 1) when
// options.stochastic); then the loss gap f(w_t) - f* (problem.loss_gap when
// it has one, else value - optimal value) and the gradient are evaluated.
// Recorded at t = 0, every record_every steps and at the last step: the loss
// gap, the relative gap (gap / initial gap), the true gradient norm and the
// per-block gradient norms (when the problem has a partition).
// The run stops when the relative gap first reaches `target` (status
// reached_target; steps_to_target is that t), at max_steps (step_limit: "not
// reached"), when it diverges (the gap or w becomes non-finite, or the gap
// exceeds divergence_factor * initial gap; status diverged, and no NaN is ever
// recorded), or when the progress callback returns false (cancelled).
// Cost: max_steps gradient and loss-gap evaluations. Deterministic given the seeds.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/schedule.hpp>
#include <blockspec/types.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// How a run ended.
enum class RunStatus {
  reached_target,  ///< the relative loss gap reached options.target
  step_limit,      ///< max_steps were taken without reaching the target ("not reached")
  diverged,        ///< the loss gap blew up or became non-finite; the run stopped before it
  cancelled        ///< the progress callback returned false
};

inline const char* to_string(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::reached_target: return "reached_target";
    case RunStatus::step_limit: return "step_limit";
    case RunStatus::diverged: return "diverged";
    case RunStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

/// Options of run(); validated once, errors name the field.
struct RunOptions {
  double lr = 0.0;             ///< base learning rate (> 0, finite): required
  int max_steps = 10000;       ///< step cap (> 0)
  double target = 1e-6;        ///< relative loss gap to reach (>= 0; 0: never stop early)
  bool stop_at_target = true;  ///< stop at the first step reaching the target
  Schedule schedule{};         ///< lr_t = lr * schedule.factor(t - 1)
  int record_every = 1;        ///< record every k-th step (plus t = 0 and the last step)
  bool stochastic = false;     ///< use problem.stochastic_gradient(w, seed, t - 1)
  std::uint64_t seed = 0;      ///< seed of the stochastic gradients
  double divergence_factor = 1e8;   ///< diverged when gap > factor * initial gap (> 1)
  Eigen::VectorXd initial_point{};  ///< empty: problem.initial_point() if any, else 0
  double optimal_value = std::numeric_limits<double>::quiet_NaN();  ///< f*, when the problem does not know it
  std::function<bool(int)> progress{};  ///< called after each step with the steps done; false cancels

  void validate(const std::string& where = "run") const {
    detail::require_learning_rate(lr, where);
    detail::require(max_steps > 0, where, "max_steps must be positive, got " + std::to_string(max_steps));
    detail::require(std::isfinite(target) && target >= 0.0, where, "target must be finite and >= 0, got " + detail::format_double(target));
    detail::require(record_every > 0, where, "record_every must be positive, got " + std::to_string(record_every));
    detail::require(std::isfinite(divergence_factor) && divergence_factor > 1.0, where,
                    "divergence_factor must be finite and > 1, got " + detail::format_double(divergence_factor));
    detail::require_finite_entries(initial_point, where, "initial_point");
    schedule.validate(where + ": schedule");
  }
};

/// The record of one run.
struct RunTrace {
  std::string optimizer{};
  double lr = 0.0;
  RunStatus status = RunStatus::step_limit;
  std::string message{};      ///< a one-line account of how the run ended
  int steps = 0;              ///< steps taken
  int steps_to_target = -1;   ///< first t with relative gap <= target; -1: not reached
  double initial_gap = 0.0;   ///< f(w_0) - f*
  double final_relative_gap = 1.0;
  std::vector<int> record_step{};       ///< t of each record
  std::vector<double> loss_gap{};       ///< f(w_t) - f*
  std::vector<double> relative_gap{};   ///< loss_gap / initial_gap
  std::vector<double> gradient_norm{};  ///< |grad f(w_t)|
  Eigen::MatrixXd block_gradient_norms{};  ///< records x blocks (empty without a partition)
  std::vector<std::string> block_names{};
  Eigen::VectorXd final_point{};
  std::int64_t gradient_evaluations = 0;

  bool reached() const noexcept { return steps_to_target >= 0; }
};

namespace detail {

template <class P>
double optimal_value_of(const P& p, const RunOptions& o, const std::string& where) {
  if constexpr (HasLossGap<P>) {
    return 0.0;  // unused
  } else {
    if (std::isfinite(o.optimal_value)) return o.optimal_value;
    if constexpr (HasOptimalValue<P>) {
      const double f = p.optimal_value();
      if (std::isfinite(f)) return f;
    }
    throw invalid_argument(where + ": the optimal value f* is unknown: the problem has no loss_gap() or finite "
                                   "optimal_value(); set RunOptions::optimal_value");
  }
}

template <class P, class S>
double loss_gap_of(const P& p, const VectorX<S>& w, double fstar) {
  if constexpr (HasLossGap<P>)
    return static_cast<double>(p.loss_gap(w));
  else
    return static_cast<double>(p.value(w)) - fstar;
}

}  // namespace detail

/// Runs `optimizer` on `problem` (see the file comment); never throws on divergence.
/// Example:
///   blockspec::Adam adam;
///   auto trace = blockspec::run(q, adam, {.lr = 1e-2, .max_steps = 5000});
template <class P, class O>
  requires Problem<std::remove_cvref_t<P>>
RunTrace run(P&& problem, O& optimizer, const RunOptions& options) {
  using Pr = std::remove_cvref_t<P>;
  using S = typename Pr::Scalar;
  static_assert(OptimizerFor<O, Pr>, "run: the optimizer must provide reset(problem), step(w, g, t, lr) and name()");
  const std::string where = "run";
  options.validate(where);
  const Pr& p = problem;
  const Eigen::Index n = p.dimension();
  detail::require(n > 0, where, "the problem's dimension must be positive");
  const BlockPartition* part = detail::problem_partition(p, where);
  if (options.stochastic) {
    if constexpr (!HasStochasticGradient<Pr>)
      throw invalid_argument(where + ": stochastic = true but the problem has no stochastic_gradient(w, seed, step)");
  }
  const double fstar = detail::optimal_value_of(p, options, where);

  VectorX<S> w;
  if (options.initial_point.size() > 0) {
    detail::require(options.initial_point.size() == n, where,
                    "initial_point has length " + std::to_string(options.initial_point.size()) +
                        " but the problem's dimension is " + std::to_string(n));
    w = options.initial_point.template cast<S>();
  } else if constexpr (HasInitialPoint<Pr>) {
    w = p.initial_point();
    detail::require(w.size() == n, where, "problem.initial_point() has the wrong length");
  } else {
    w = VectorX<S>::Zero(n);
  }

  optimizer.reset(p);

  RunTrace tr;
  tr.optimizer = optimizer.name();
  tr.lr = options.lr;
  if (part) tr.block_names = part->names();
  const Eigen::Index nb = part ? static_cast<Eigen::Index>(part->size()) : 0;
  std::vector<double> bnorms;

  VectorX<S> g = p.gradient(w);
  ++tr.gradient_evaluations;
  detail::require(g.size() == n, where, "the gradient has length " + std::to_string(g.size()) + ", expected " +
                                            std::to_string(n));
  if (!g.allFinite()) throw numerical_error(where + ": the gradient at the initial point is not finite");
  const double gap0 = detail::loss_gap_of(p, w, fstar);
  if (!std::isfinite(gap0)) throw numerical_error(where + ": the loss gap at the initial point is not finite");
  detail::require(gap0 >= 0.0, where,
                  "the initial loss gap is negative (" + detail::format_double(gap0) + "): the optimal value is wrong");
  tr.initial_gap = gap0;

  auto record = [&](int t, double gap, const VectorX<S>& grad) {
    tr.record_step.push_back(t);
    tr.loss_gap.push_back(gap);
    tr.relative_gap.push_back(gap0 > 0.0 ? gap / gap0 : 0.0);
    tr.gradient_norm.push_back(grad.template cast<double>().norm());
    if (part)
      for (const Block& b : *part) bnorms.push_back(grad.segment(b.offset, b.size).template cast<double>().norm());
  };
  record(0, gap0, g);
  double rel = gap0 > 0.0 ? 1.0 : 0.0;
  if (rel <= options.target) tr.steps_to_target = 0;

  tr.status = RunStatus::step_limit;
  int t = 0;
  bool last_recorded = true;
  if (!(tr.steps_to_target == 0 && options.stop_at_target)) {
    VectorX<S> gs;
    for (t = 1; t <= options.max_steps; ++t) {
      const double lr_t = options.lr * options.schedule.factor(t - 1);
      if (options.stochastic) {
        if constexpr (HasStochasticGradient<Pr>) {
          gs = p.stochastic_gradient(w, options.seed, static_cast<std::int64_t>(t - 1));
          ++tr.gradient_evaluations;
          if (!gs.allFinite())
            throw numerical_error(where + ": the stochastic gradient is not finite at step " + std::to_string(t));
        }
        optimizer.step(Eigen::Ref<VectorX<S>>(w), Eigen::Ref<const VectorX<S>>(gs), t, lr_t);
      } else {
        optimizer.step(Eigen::Ref<VectorX<S>>(w), Eigen::Ref<const VectorX<S>>(g), t, lr_t);
      }
      const double gap = w.allFinite() ? detail::loss_gap_of(p, w, fstar) : std::numeric_limits<double>::infinity();
      if (!std::isfinite(gap) || gap > options.divergence_factor * gap0) {
        tr.status = RunStatus::diverged;
        std::ostringstream os;
        os << "diverged at step " << t << ": the loss gap " << (std::isfinite(gap) ? detail::format_double(gap) : "is not finite")
           << " (initial " << gap0 << ", limit " << options.divergence_factor << " x initial); lr = " << options.lr;
        tr.message = os.str();
        --t;  // the diverging step is not counted; w_t below is the last finite iterate
        break;
      }
      g = p.gradient(w);
      ++tr.gradient_evaluations;
      if (!g.allFinite())
        throw numerical_error(where + ": the gradient is not finite at step " + std::to_string(t) +
                              " although the iterate and the loss are");
      rel = gap0 > 0.0 ? gap / gap0 : 0.0;
      const bool hit = rel <= options.target && tr.steps_to_target < 0;
      if (hit) tr.steps_to_target = t;
      const bool stop = hit && options.stop_at_target;
      last_recorded = false;
      if (t % options.record_every == 0 || stop || t == options.max_steps) {
        record(t, gap, g);
        last_recorded = true;
      }
      if (stop) {
        tr.status = RunStatus::reached_target;
        break;
      }
      if (options.progress && !options.progress(t)) {
        if (!last_recorded) record(t, gap, g);
        last_recorded = true;
        tr.status = RunStatus::cancelled;
        tr.message = "cancelled by the progress callback at step " + std::to_string(t);
        break;
      }
    }
    if (t > options.max_steps) t = options.max_steps;
  } else {
    tr.status = RunStatus::reached_target;
  }
  tr.steps = t;
  if (tr.status == RunStatus::diverged) {
    // w may hold the diverged iterate: keep the trace finite and honest.
    tr.final_relative_gap = tr.relative_gap.back();
  } else {
    tr.final_relative_gap = rel;
  }
  if (tr.status == RunStatus::step_limit && tr.steps_to_target >= 0) tr.status = RunStatus::reached_target;
  if (tr.message.empty()) {
    std::ostringstream os;
    if (tr.steps_to_target >= 0)
      os << "reached relative loss gap " << options.target << " at step " << tr.steps_to_target;
    else
      os << "not reached: relative loss gap " << rel << " after " << t << " steps (target " << options.target << ")";
    tr.message = os.str();
  }
  if (w.allFinite()) tr.final_point = w.template cast<double>();
  if (nb > 0)
    tr.block_gradient_norms = Eigen::Map<const Eigen::MatrixXd>(bnorms.data(), nb,
                                                                static_cast<Eigen::Index>(tr.record_step.size()))
                                  .transpose();
  return tr;
}

}  // namespace blockspec
