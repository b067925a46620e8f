// blockspec/optim/problem.hpp — the Problem concept the optimizers and the runner are written against.
//
// Notation: `p` a const Problem, S = P::Scalar (float or double), w a VectorX<S>
// of length n = p.dimension().
// Valid expressions (Problem):
//   typename P::Scalar        float or double
//   p.dimension()             n > 0
//   p.value(w)                f(w), convertible to double
//   p.gradient(w)             grad f(w), convertible to VectorX<S>
// Optional members, detected, never required:
//   p.partition()             a BlockPartition (blockwise optimizers, per-block gradient norms)
//   p.hessian()               a LinearOperator for H (blockwise GD, gd_optimal_step)
//   p.stochastic_gradient(w, seed, step)   a noisy gradient (RunOptions::stochastic)
//   p.loss_gap(w)             f(w) - f*, accurately (else value(w) - optimal_value())
//   p.optimal_value()         f*
//   p.initial_point()         the default starting point (else zero)
// FunctionProblem wraps callables into a Problem, so users run the optimizers
// on their own objectives, not only on BlockQuadratic.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/types.hpp>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace blockspec {

/// An objective with a gradient: `Scalar`, `dimension()`, `value(w)`, `gradient(w)`.
template <class P>
concept Problem = requires { typename P::Scalar; } && Scalar<typename P::Scalar> &&
                  requires(const P& p, const VectorX<typename P::Scalar>& w) {
                    { p.dimension() } -> std::convertible_to<Eigen::Index>;
                    { p.value(w) } -> std::convertible_to<double>;
                    { p.gradient(w) } -> std::convertible_to<VectorX<typename P::Scalar>>;
                  };

/// The problem's scalar, for a problem passed by forwarding reference.
template <class P>
using problem_scalar_t = typename std::remove_cvref_t<P>::Scalar;

/// Has `partition()` returning a BlockPartition.
template <class P>
concept HasPartition = requires(const P& p) {
  { p.partition() } -> std::convertible_to<const BlockPartition&>;
};

/// Has `hessian()` returning a LinearOperator.
template <class P>
concept HasHessian = requires(const P& p) { p.hessian(); } &&
                     LinearOperator<std::remove_reference_t<decltype(std::declval<const P&>().hessian())>>;

/// Has `stochastic_gradient(w, seed, step)`.
template <class P>
concept HasStochasticGradient = requires(const P& p, const VectorX<typename P::Scalar>& w, std::uint64_t seed,
                                         std::int64_t step) {
  { p.stochastic_gradient(w, seed, step) } -> std::convertible_to<VectorX<typename P::Scalar>>;
};

/// Has `loss_gap(w)` (f(w) - f*, computed accurately).
template <class P>
concept HasLossGap = requires(const P& p, const VectorX<typename P::Scalar>& w) {
  { p.loss_gap(w) } -> std::convertible_to<double>;
};

/// Has `optimal_value()`.
template <class P>
concept HasOptimalValue = requires(const P& p) {
  { p.optimal_value() } -> std::convertible_to<double>;
};

/// Has `initial_point()`.
template <class P>
concept HasInitialPoint = requires(const P& p) {
  { p.initial_point() } -> std::convertible_to<VectorX<typename P::Scalar>>;
};

/// A Problem from callables: value(w) -> double, gradient(w) -> VectorX<S>, an optional partition.
template <Scalar S = double>
class FunctionProblem {
 public:
  using Scalar = S;
  using Value = std::function<double(const VectorX<S>&)>;
  using Gradient = std::function<VectorX<S>(const VectorX<S>&)>;

  /// Example:
  ///   blockspec::FunctionProblem<> p(2, [](const Eigen::VectorXd& w) { return w.squaredNorm(); },
  ///                                  [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2 * w; });
  FunctionProblem(Eigen::Index n, Value value, Gradient gradient, std::optional<BlockPartition> partition = {},
                  std::optional<double> optimal_value = {})
      : n_(n), value_(std::move(value)), gradient_(std::move(gradient)), partition_(std::move(partition)),
        fstar_(optimal_value) {
    detail::require(n_ > 0, "FunctionProblem", "dimension must be positive, got " + std::to_string(n_));
    detail::require(static_cast<bool>(value_) && static_cast<bool>(gradient_), "FunctionProblem",
                    "value and gradient must be callable");
    if (partition_)
      detail::require(partition_->dimension() == n_, "FunctionProblem",
                      "the partition's dimension " + std::to_string(partition_->dimension()) +
                          " disagrees with the problem's dimension " + std::to_string(n_));
  }

  Eigen::Index dimension() const noexcept { return n_; }
  double value(const VectorX<S>& w) const { return value_(w); }
  VectorX<S> gradient(const VectorX<S>& w) const { return gradient_(w); }
  /// The partition given at construction (invalid_argument when none was given).
  const BlockPartition& partition() const {
    detail::require(partition_.has_value(), "FunctionProblem::partition", "this problem has no partition");
    return *partition_;
  }
  bool has_partition() const noexcept { return partition_.has_value(); }
  /// f* when it was given, else NaN.
  double optimal_value() const noexcept { return fstar_ ? *fstar_ : std::numeric_limits<double>::quiet_NaN(); }

 private:
  Eigen::Index n_;
  Value value_;
  Gradient gradient_;
  std::optional<BlockPartition> partition_;
  std::optional<double> fstar_;
};

namespace detail {

/// The problem's partition, or nullptr when it has none (checked against the dimension).
template <class P>
const BlockPartition* problem_partition(const P& p, const std::string& where) {
  const BlockPartition* part = nullptr;
  if constexpr (HasPartition<P>) {
    if constexpr (requires { p.has_partition(); }) {
      if (!p.has_partition()) return nullptr;
    }
    part = &static_cast<const BlockPartition&>(p.partition());
    require(part->dimension() == static_cast<Eigen::Index>(p.dimension()), where,
            "the problem's partition has dimension " + std::to_string(part->dimension()) +
                " but the problem's dimension is " + std::to_string(static_cast<Eigen::Index>(p.dimension())));
  }
  return part;
}

/// Learning rates must be finite and positive.
inline void require_learning_rate(double lr, const std::string& where) {
  require(std::isfinite(lr) && lr > 0.0, where, "learning rate (lr) must be finite and > 0, got " + detail::format_double(lr));
}

}  // namespace detail
}  // namespace blockspec
