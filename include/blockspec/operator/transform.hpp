// blockspec/operator/transform.hpp — affine transforms of an operator.
//
// shifted(op, sigma) is H + sigma I; scaled(op, c) is c H. Each costs one
// product with H plus one vector update. Batched when the wrapped operator is;
// thread-safe when it is. The wrapped operator is held by reference when passed
// as an lvalue, moved in otherwise.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/concepts.hpp>

#include <cmath>
#include <utility>

namespace blockspec {

/// H + shift * I.
template <class Op>
class ShiftedOperator {
  using Inner = std::remove_reference_t<Op>;

 public:
  using Scalar = typename std::remove_cvref_t<Op>::Scalar;
  static constexpr bool thread_safe = is_thread_safe_v<Op>;

  template <class O>
  ShiftedOperator(O&& op, double shift) : op_(std::forward<O>(op)), shift_(shift) {
    detail::require(std::isfinite(shift), "shifted", "sigma must be finite, got " + detail::format_double(shift));
  }
  Eigen::Index rows() const { return op_.rows(); }
  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) {
    detail::apply(op_, x, y);
    y += static_cast<Scalar>(shift_) * x;
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y)
    requires BatchedLinearOperator<Inner>
  {
    op_.apply_block(X, Y);
    Y += static_cast<Scalar>(shift_) * X;
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y, Executor& executor)
    requires ExecutorAwareOperator<Inner>
  {
    op_.apply_block(X, Y, executor);
    Y += static_cast<Scalar>(shift_) * X;
  }
  double shift() const noexcept { return shift_; }

 private:
  Op op_;
  double shift_;
};

/// factor * H.
template <class Op>
class ScaledOperator {
  using Inner = std::remove_reference_t<Op>;

 public:
  using Scalar = typename std::remove_cvref_t<Op>::Scalar;
  static constexpr bool thread_safe = is_thread_safe_v<Op>;

  template <class O>
  ScaledOperator(O&& op, double factor) : op_(std::forward<O>(op)), factor_(factor) {
    detail::require(std::isfinite(factor), "scaled", "c must be finite, got " + detail::format_double(factor));
  }
  Eigen::Index rows() const { return op_.rows(); }
  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) {
    detail::apply(op_, x, y);
    y *= static_cast<Scalar>(factor_);
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y)
    requires BatchedLinearOperator<Inner>
  {
    op_.apply_block(X, Y);
    Y *= static_cast<Scalar>(factor_);
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y, Executor& executor)
    requires ExecutorAwareOperator<Inner>
  {
    op_.apply_block(X, Y, executor);
    Y *= static_cast<Scalar>(factor_);
  }
  double factor() const noexcept { return factor_; }

 private:
  Op op_;
  double factor_;
};

/// The operator H + sigma I. Example: `auto Hs = blockspec::shifted(H, 1e-3);`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
auto shifted(Op&& op, double sigma) {
  return ShiftedOperator<detail::stored_t<Op>>(std::forward<Op>(op), sigma);
}

/// The operator c H. Example: `auto minusH = blockspec::scaled(H, -1.0);`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
auto scaled(Op&& op, double c) {
  return ScaledOperator<detail::stored_t<Op>>(std::forward<Op>(op), c);
}

}  // namespace blockspec
