// blockspec/operator/counted.hpp — count the products an algorithm asks for.
//
// counted(op) forwards every product to op and counts it: one per apply, k per
// apply_block on k columns. The counter is atomic, so a thread-safe operator
// stays thread-safe. The wrapped operator is held by reference when passed as an
// lvalue, moved in otherwise.
#pragma once

#include <blockspec/operator/concepts.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace blockspec {

template <class Op>
class CountedOperator {
  using Inner = std::remove_reference_t<Op>;

 public:
  using Scalar = typename std::remove_cvref_t<Op>::Scalar;
  static constexpr bool thread_safe = is_thread_safe_v<Op>;

  template <class O>
  explicit CountedOperator(O&& op) : op_(std::forward<O>(op)) {}
  CountedOperator(const CountedOperator& other) : op_(other.op_), count_(other.count()) {}
  CountedOperator(CountedOperator&& other) noexcept(std::is_nothrow_move_constructible_v<Op>)
      : op_(std::forward<Op>(other.op_)), count_(other.count()) {}

  Eigen::Index rows() const { return op_.rows(); }
  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) {
    count_.fetch_add(1, std::memory_order_relaxed);
    detail::apply(op_, x, y);
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y)
    requires BatchedLinearOperator<Inner>
  {
    count_.fetch_add(X.cols(), std::memory_order_relaxed);
    op_.apply_block(X, Y);
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y, Executor& executor)
    requires ExecutorAwareOperator<Inner>
  {
    count_.fetch_add(X.cols(), std::memory_order_relaxed);
    op_.apply_block(X, Y, executor);
  }

  /// Products so far (a block of k columns counts k).
  std::int64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  void reset() noexcept { count_.store(0, std::memory_order_relaxed); }
  Inner& base() noexcept { return op_; }

 private:
  Op op_;
  std::atomic<std::int64_t> count_{0};
};

/// Wraps op so that `.count()` tells how many products were taken.
/// Example: `auto c = blockspec::counted(H); lanczos(c, v); c.count();`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
auto counted(Op&& op) {
  return CountedOperator<detail::stored_t<Op>>(std::forward<Op>(op));
}

}  // namespace blockspec
