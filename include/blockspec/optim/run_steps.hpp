// blockspec/optim/run_steps.hpp — run an optimizer on ANY Problem for a number of steps; f* optional.
//
// Method: w_0 = options.initial_point (else problem.initial_point(), else 0);
// optimizer.reset(problem); then for t = 1..max_steps: lr_t = lr *
// schedule.factor(t - 1) (as run() in runner.hpp); optimizer.step(w, g, t,
// lr_t) with g the gradient at w_{t-1}; then f(w_t) and the gradient at w_t.
// The run stops at max_steps (step_limit), at the first t with |grad f(w_t)| <=
// gradient_tolerance (gradient_tolerance; 0: off), when the progress callback
// returns false (cancelled), when time_budget_seconds of steady_clock time have
// passed since the call began (time_budget; checked after each step; 0: off),
// or when w_t or f(w_t) is not finite (diverged: that step is not counted and
// nothing of it is recorded, so no record holds NaN; final_point is w_{t-1}).
// Recorded at t = 0, every record_every steps and at the last step: f(w_t),
// |grad f(w_t)|, |w_t - w_{t-1}|, lr_t (0 at t = 0: no step), and, when the
// problem has a partition, the per-block gradient and update norms
// (records x blocks). f* is optional: when the problem has loss_gap() or a
// finite optimal_value(), or options.optimal_value is finite, the loss gap and
// the relative gap (gap / initial gap) are recorded too and steps_to_target is
// the first t with relative gap <= target (the run does not stop there);
// otherwise steps_to_target stays -1.
// Cost: max_steps gradient and value evaluations (plus loss_gap ones when the
// problem has it) and O(n) per step for the norms. Caveat: divergence is only
// detected as non-finite values, since without f* there is no gap to compare.
// A gradient that is not finite at a finite iterate with a finite loss is the
// user's function failing: numerical_error, as in run().
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/schedule.hpp>
#include <blockspec/types.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// How run_steps() ended.
enum class StepStatus {
  step_limit,          ///< max_steps were taken
  gradient_tolerance,  ///< the gradient norm dropped to options.gradient_tolerance
  time_budget,         ///< options.time_budget_seconds ran out
  diverged,            ///< w or f(w) became non-finite; the run stopped before that step
  cancelled            ///< the progress callback returned false
};

inline const char* to_string(StepStatus s) noexcept {
  switch (s) {
    case StepStatus::step_limit: return "step_limit";
    case StepStatus::gradient_tolerance: return "gradient_tolerance";
    case StepStatus::time_budget: return "time_budget";
    case StepStatus::diverged: return "diverged";
    case StepStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

/// Options of run_steps(); validated once, errors name the field.
struct StepRunOptions {
  double lr = 0.0;                   ///< base learning rate (> 0, finite): required
  int max_steps = 1000;              ///< step cap (> 0)
  double gradient_tolerance = 0.0;   ///< stop when |grad f| <= this (>= 0; 0: off)
  double time_budget_seconds = 0.0;  ///< stop after this much steady_clock time (>= 0; 0: off)
  Schedule schedule{};               ///< lr_t = lr * schedule.factor(t - 1)
  int record_every = 1;              ///< record every k-th step (plus t = 0 and the last step)
  double target = 1e-6;              ///< relative loss gap for steps_to_target (>= 0; used when f* is known)
  double optimal_value = std::numeric_limits<double>::quiet_NaN();  ///< f*, when the problem does not know it
  Eigen::VectorXd initial_point{};   ///< empty: problem.initial_point() if any, else 0
  std::function<bool(int)> progress{};  ///< called after each step with the steps done; false cancels

  void validate(const std::string& where = "run_steps") const {
    detail::require_learning_rate(lr, where);
    detail::require(max_steps > 0, where, "max_steps must be positive, got " + std::to_string(max_steps));
    detail::require(std::isfinite(gradient_tolerance) && gradient_tolerance >= 0.0, where,
                    "gradient_tolerance must be finite and >= 0, got " + detail::format_double(gradient_tolerance));
    detail::require(std::isfinite(time_budget_seconds) && time_budget_seconds >= 0.0, where,
                    "time_budget_seconds must be finite and >= 0, got " + detail::format_double(time_budget_seconds));
    detail::require(record_every > 0, where, "record_every must be positive, got " + std::to_string(record_every));
    detail::require(std::isfinite(target) && target >= 0.0, where,
                    "target must be finite and >= 0, got " + detail::format_double(target));
    detail::require(!std::isinf(optimal_value), where,
                    "optimal_value must be finite (or NaN: unknown), got " + detail::format_double(optimal_value));
    detail::require_finite_entries(initial_point, where, "initial_point");
    schedule.validate(where + ": schedule");
  }
};

/// The record of one run_steps() call.
struct StepTrace {
  std::string optimizer{};
  double lr = 0.0;
  StepStatus status = StepStatus::step_limit;
  std::string message{};               ///< a one-line account of how the run ended
  int steps = 0;                       ///< steps taken
  bool has_optimal_value = false;      ///< f* was known: loss_gap, relative_gap, steps_to_target are filled
  int steps_to_target = -1;            ///< first t with relative gap <= target; -1: not reached or f* unknown
  std::vector<int> record_step{};      ///< t of each record
  std::vector<double> loss{};          ///< f(w_t)
  std::vector<double> loss_gap{};      ///< f(w_t) - f* (empty when f* is unknown)
  std::vector<double> relative_gap{};  ///< loss_gap / initial gap (empty when f* is unknown)
  std::vector<double> gradient_norm{};     ///< |grad f(w_t)|
  std::vector<double> update_norm{};       ///< |w_t - w_{t-1}| (0 at t = 0)
  std::vector<double> learning_rate{};     ///< lr_t of the step that made w_t (0 at t = 0)
  Eigen::MatrixXd block_gradient_norms{};  ///< records x blocks (empty without a partition)
  Eigen::MatrixXd block_update_norms{};    ///< records x blocks: |w_t - w_{t-1}| on each block
  std::vector<std::string> block_names{};
  Eigen::VectorXd final_point{};           ///< the last finite iterate
  std::int64_t gradient_evaluations = 0;
  double elapsed_seconds = 0.0;

  bool reached() const noexcept { return steps_to_target >= 0; }
};

namespace detail {

/// f* handling of run_steps: loss_gap() when the problem has it, else value - f* when f* is known.
template <class P>
class StepGap {
 public:
  StepGap(const P& p, const StepRunOptions& o) : p_(p) {
    if constexpr (HasLossGap<P>) {
      known_ = true;
    } else {
      if (std::isfinite(o.optimal_value)) {
        fstar_ = o.optimal_value;
      } else if constexpr (HasOptimalValue<P>) {
        const double f = static_cast<double>(p.optimal_value());
        if (std::isfinite(f)) fstar_ = f;
      }
      known_ = fstar_.has_value();
    }
  }
  bool known() const noexcept { return known_; }
  template <class S>
  double operator()(const VectorX<S>& w, double value) const {
    if constexpr (HasLossGap<P>)
      return static_cast<double>(p_.loss_gap(w));
    else
      return fstar_ ? value - *fstar_ : 0.0;
  }

 private:
  const P& p_;
  std::optional<double> fstar_{};
  bool known_ = false;
};

/// w_0 of run_steps: options.initial_point, else problem.initial_point(), else 0.
template <class P>
VectorX<typename P::Scalar> step_initial_point(const P& p, const StepRunOptions& o, const std::string& where) {
  using S = typename P::Scalar;
  const Eigen::Index n = p.dimension();
  if (o.initial_point.size() > 0) {
    require(o.initial_point.size() == n, where,
            "initial_point has length " + std::to_string(o.initial_point.size()) +
                " but the problem's dimension is " + std::to_string(n));
    return o.initial_point.template cast<S>();
  }
  if constexpr (HasInitialPoint<P>) {
    VectorX<S> w = p.initial_point();
    require(w.size() == n, where, "problem.initial_point() has the wrong length");
    return w;
  } else {
    return VectorX<S>::Zero(n);
  }
}

/// One row of a StepTrace, computed after every step (O(n)) and kept until it is recorded or replaced.
struct StepRow {
  int t = 0;
  double loss = 0.0, gap = 0.0, gradient_norm = 0.0, update_norm = 0.0, lr = 0.0;
  std::vector<double> block_gradient, block_update;
};

template <class S>
StepRow make_step_row(int t, double loss, double gap, double lr, const VectorX<S>& g, const Eigen::VectorXd& dw,
                      const BlockPartition* part) {
  StepRow r{t, loss, gap, g.template cast<double>().norm(), dw.norm(), lr, {}, {}};
  if (part)
    for (const Block& b : *part) {
      r.block_gradient.push_back(g.segment(b.offset, b.size).template cast<double>().norm());
      r.block_update.push_back(dw.segment(b.offset, b.size).norm());
    }
  return r;
}

/// Appends `r` to the trace (relative gap against gap0 when f* is known).
inline void push_step_row(StepTrace& tr, const StepRow& r, double gap0, std::vector<double>& bg,
                          std::vector<double>& bu) {
  tr.record_step.push_back(r.t);
  tr.loss.push_back(r.loss);
  if (tr.has_optimal_value) {
    tr.loss_gap.push_back(r.gap);
    tr.relative_gap.push_back(gap0 > 0.0 ? r.gap / gap0 : 0.0);
  }
  tr.gradient_norm.push_back(r.gradient_norm);
  tr.update_norm.push_back(r.update_norm);
  tr.learning_rate.push_back(r.lr);
  bg.insert(bg.end(), r.block_gradient.begin(), r.block_gradient.end());
  bu.insert(bu.end(), r.block_update.begin(), r.block_update.end());
}

/// The stop of step t other than divergence, in the order tolerance, callback, time, step cap.
inline std::optional<StepStatus> step_stop(const StepRunOptions& o, int t, double gnorm,
                                           std::chrono::steady_clock::time_point start) {
  if (o.gradient_tolerance > 0.0 && gnorm <= o.gradient_tolerance) return StepStatus::gradient_tolerance;
  if (t == 0) return std::nullopt;
  if (o.progress && !o.progress(t)) return StepStatus::cancelled;
  if (o.time_budget_seconds > 0.0 &&
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= o.time_budget_seconds)
    return StepStatus::time_budget;
  if (t == o.max_steps) return StepStatus::step_limit;
  return std::nullopt;
}

/// The one-line message of a finished run.
inline std::string step_message(const StepTrace& tr, const StepRunOptions& o, const StepRow& last) {
  std::ostringstream os;
  switch (tr.status) {
    case StepStatus::step_limit: os << "step limit " << o.max_steps << " reached"; break;
    case StepStatus::gradient_tolerance:
      os << "gradient norm " << format_double(last.gradient_norm) << " <= gradient_tolerance "
         << format_double(o.gradient_tolerance) << " at step " << tr.steps;
      break;
    case StepStatus::time_budget:
      os << "time budget of " << format_double(o.time_budget_seconds) << " s ran out after step " << tr.steps;
      break;
    case StepStatus::diverged:
      os << "diverged at step " << tr.steps + 1 << ": the iterate or the loss is not finite; lr = "
         << format_double(o.lr);
      break;
    case StepStatus::cancelled: os << "cancelled by the progress callback at step " << tr.steps; break;
  }
  os << "; loss " << format_double(last.loss) << ", gradient norm " << format_double(last.gradient_norm);
  if (tr.has_optimal_value) {
    if (tr.reached())
      os << "; reached relative loss gap " << format_double(o.target) << " at step " << tr.steps_to_target;
    else
      os << "; relative loss gap " << format_double(tr.relative_gap.back()) << " (target "
         << format_double(o.target) << " not reached)";
  }
  return os.str();
}

/// The gradient at w, checked for length and finiteness.
template <class P, class S>
VectorX<S> step_gradient(const P& p, const VectorX<S>& w, int t, const std::string& where) {
  VectorX<S> g = p.gradient(w);
  require(g.size() == w.size(), where,
          "the gradient has length " + std::to_string(g.size()) + ", expected " + std::to_string(w.size()));
  if (!g.allFinite())
    throw numerical_error(where + ": the gradient is not finite at step " + std::to_string(t) +
                          " although the iterate and the loss are");
  return g;
}

/// The records x blocks matrix from row-by-row values.
inline Eigen::MatrixXd step_block_matrix(const std::vector<double>& v, Eigen::Index blocks, std::size_t records) {
  if (blocks == 0) return {};
  return Eigen::Map<const Eigen::MatrixXd>(v.data(), blocks, static_cast<Eigen::Index>(records)).transpose();
}

}  // namespace detail

/// Runs `optimizer` on `problem` for up to options.max_steps steps (see the file comment); f* is optional.
/// Example:
///   blockspec::Adam adam;
///   auto trace = blockspec::run_steps(problem, adam, {.lr = 1e-3, .max_steps = 500, .gradient_tolerance = 1e-8});
template <class P, class O>
  requires Problem<std::remove_cvref_t<P>>
StepTrace run_steps(P&& problem, O& optimizer, const StepRunOptions& options) {
  using Pr = std::remove_cvref_t<P>;
  using S = typename Pr::Scalar;
  static_assert(OptimizerFor<O, Pr>, "run_steps: the optimizer must provide reset(problem), step(w, g, t, lr) and name()");
  const std::string where = "run_steps";
  const auto start = std::chrono::steady_clock::now();
  options.validate(where);
  const Pr& p = problem;
  detail::require(p.dimension() > 0, where, "the problem's dimension must be positive");
  const BlockPartition* part = detail::problem_partition(p, where);
  const detail::StepGap<Pr> gap_of(p, options);
  VectorX<S> w = detail::step_initial_point(p, options, where), w_prev;
  optimizer.reset(p);

  StepTrace tr;
  tr.optimizer = optimizer.name();
  tr.lr = options.lr;
  tr.has_optimal_value = gap_of.known();
  if (part) tr.block_names = part->names();
  std::vector<double> bg, bu;

  const double loss0 = static_cast<double>(p.value(w));
  if (!std::isfinite(loss0)) throw numerical_error(where + ": the loss at the initial point is not finite");
  VectorX<S> g = detail::step_gradient(p, w, 0, where);
  ++tr.gradient_evaluations;
  const double gap0 = gap_of(w, loss0);
  if (tr.has_optimal_value) {
    if (!std::isfinite(gap0)) throw numerical_error(where + ": the loss gap at the initial point is not finite");
    detail::require(gap0 >= 0.0, where,
                    "the initial loss gap is negative (" + detail::format_double(gap0) + "): the optimal value is wrong");
    if (gap0 <= 0.0 || 1.0 <= options.target) tr.steps_to_target = 0;
  }
  detail::StepRow row = detail::make_step_row(0, loss0, gap0, 0.0, g, Eigen::VectorXd::Zero(w.size()), part);
  detail::push_step_row(tr, row, gap0, bg, bu);
  bool recorded = true;
  std::optional<StepStatus> stop = detail::step_stop(options, 0, row.gradient_norm, start);
  int t = 0;
  while (!stop) {
    ++t;
    const double lr_t = options.lr * options.schedule.factor(t - 1);
    w_prev = w;
    optimizer.step(Eigen::Ref<VectorX<S>>(w), Eigen::Ref<const VectorX<S>>(g), t, lr_t);
    const double loss = w.allFinite() ? static_cast<double>(p.value(w)) : std::numeric_limits<double>::infinity();
    const double gap = std::isfinite(loss) ? gap_of(w, loss) : 0.0;
    if (!std::isfinite(loss) || !std::isfinite(gap)) {
      stop = StepStatus::diverged;
      --t;  // the diverging step is not counted; w_prev is the last finite iterate
      w = w_prev;
      break;
    }
    g = detail::step_gradient(p, w, t, where);
    ++tr.gradient_evaluations;
    row = detail::make_step_row(t, loss, gap, lr_t, g,
                                Eigen::VectorXd(w.template cast<double>() - w_prev.template cast<double>()), part);
    if (tr.has_optimal_value && tr.steps_to_target < 0 && (gap0 > 0.0 ? gap / gap0 : 0.0) <= options.target)
      tr.steps_to_target = t;
    stop = detail::step_stop(options, t, row.gradient_norm, start);
    recorded = stop || t % options.record_every == 0;
    if (recorded) detail::push_step_row(tr, row, gap0, bg, bu);
  }
  if (!recorded) detail::push_step_row(tr, row, gap0, bg, bu);  // a diverged run: its last finite step
  tr.status = *stop;
  tr.steps = t;
  tr.message = detail::step_message(tr, options, row);
  tr.final_point = w.template cast<double>();
  const auto nb = part ? static_cast<Eigen::Index>(part->size()) : Eigen::Index{0};
  tr.block_gradient_norms = detail::step_block_matrix(bg, nb, tr.record_step.size());
  tr.block_update_norms = detail::step_block_matrix(bu, nb, tr.record_step.size());
  tr.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return tr;
}

}  // namespace blockspec
