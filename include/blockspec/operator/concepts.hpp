// blockspec/operator/concepts.hpp — the one contract every algorithm is written against.
//
// Notation: `op` an lvalue of type Op, S = Op::Scalar (float or double),
// n = op.rows(), x and y Eigen::Ref vectors of length n, X and Y n-by-k column
// blocks.
//
// Valid expressions (LinearOperator):
//   typename Op::Scalar       float or double
//   op.rows()                 convertible to Eigen::Index; the dimension n > 0
//   op.apply(x, y)            writes y = H x; x is Ref<const VectorX<S>>,
//                             y is Ref<VectorX<S>>; may be non-const (an HVP
//                             has state); must not alias x and y
// Refinement (BatchedLinearOperator):
//   op.apply_block(X, Y)      writes Y = H X for an n-by-k block, k >= 1
// Optional members, detected, never required (nobody specializes a trait):
//   static constexpr bool thread_safe   apply may run concurrently on one object
//   op.principal_block(block)           an operator for H_ll cheaper than
//                                       zero-pad / apply / restrict
//   op.apply_block(X, Y, executor)      a block product that may split itself
//                                       over the calling algorithm's Executor
//                                       (executor.hpp); its result must not
//                                       depend on the executor's width
// Semantics: H is symmetric; blockspec checks that only when asked
// (symmetry_error). Algorithms take operators by forwarding reference.
#pragma once

#include <blockspec/executor.hpp>
#include <blockspec/types.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace blockspec {

namespace detail {
template <class Op>
concept has_scalar_type = requires { typename Op::Scalar; } && Scalar<typename Op::Scalar>;
}  // namespace detail

/// A symmetric linear map you can only multiply by: `Scalar`, `rows()`, `apply(x, y)`.
template <class Op>
concept LinearOperator =
    detail::has_scalar_type<Op> &&
    requires(Op& op, Eigen::Ref<const VectorX<typename Op::Scalar>> x, Eigen::Ref<VectorX<typename Op::Scalar>> y) {
      { op.rows() } -> std::convertible_to<Eigen::Index>;
      op.apply(x, y);
    };

/// A LinearOperator that also applies itself to an n-by-k block in one call.
template <class Op>
concept BatchedLinearOperator =
    LinearOperator<Op> &&
    requires(Op& op, Eigen::Ref<const MatrixX<typename Op::Scalar>> X, Eigen::Ref<MatrixX<typename Op::Scalar>> Y) {
      op.apply_block(X, Y);
    };

/// A BatchedLinearOperator whose block product can use the calling algorithm's Executor.
template <class Op>
concept ExecutorAwareOperator =
    BatchedLinearOperator<Op> && requires(Op& op, Eigen::Ref<const MatrixX<typename Op::Scalar>> X,
                                          Eigen::Ref<MatrixX<typename Op::Scalar>> Y, Executor& ex) {
      op.apply_block(X, Y, ex);
    };

/// The scalar of an operator passed by forwarding reference.
template <class Op>
using operator_scalar_t = typename std::remove_cvref_t<Op>::Scalar;

/// True when Op declares `static constexpr bool thread_safe = true`.
template <class Op>
inline constexpr bool is_thread_safe_v = [] {
  using O = std::remove_cvref_t<Op>;
  if constexpr (requires { O::thread_safe; })
    return static_cast<bool>(O::thread_safe);
  else
    return false;
}();

namespace detail {

/// How an adapter keeps what it wraps: an lvalue by reference, an rvalue by value.
/// Given `template <class T> f(T&& t)`, store a member of type `stored_t<T>`.
template <class T>
using stored_t = std::conditional_t<std::is_lvalue_reference_v<T>, T, std::remove_cvref_t<T>>;

/// y = H x through Eigen::Ref views (accepts vectors, columns, segments).
template <class Op, class X, class Y>
void apply(Op& op, const X& x, Y&& y) {
  using S = typename std::remove_cvref_t<Op>::Scalar;
  op.apply(Eigen::Ref<const VectorX<S>>(x), Eigen::Ref<VectorX<S>>(y));
}

/// Y = H X, column by column when Op has no apply_block.
template <class Op, class X, class Y>
void apply_block(Op& op, const X& Xin, Y&& Yout) {
  using S = typename std::remove_cvref_t<Op>::Scalar;
  if constexpr (BatchedLinearOperator<std::remove_reference_t<Op>>) {
    op.apply_block(Eigen::Ref<const MatrixX<S>>(Xin), Eigen::Ref<MatrixX<S>>(Yout));
  } else {
    for (Eigen::Index c = 0; c < Xin.cols(); ++c) apply(op, Xin.col(c), Yout.col(c));
  }
}

/// Y = H X, handing the executor to an operator that can use it (ExecutorAwareOperator).
template <class Op, class X, class Y>
void apply_block(Op& op, const X& Xin, Y&& Yout, Executor& executor) {
  using S = typename std::remove_cvref_t<Op>::Scalar;
  if constexpr (ExecutorAwareOperator<std::remove_reference_t<Op>>)
    op.apply_block(Eigen::Ref<const MatrixX<S>>(Xin), Eigen::Ref<MatrixX<S>>(Yout), executor);
  else
    apply_block(op, Xin, std::forward<Y>(Yout));
}

}  // namespace detail
}  // namespace blockspec
