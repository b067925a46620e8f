// blockspec/operator/xtensor.hpp — an operator whose user function works on xtensor arrays.
//
// xtensor_operator<S>(n, f) calls f(x, y) with x an xtensor view of the input
// (xtensor_const_vector<S>) and y a writable view of the output
// (xtensor_vector<S>), both adapted in place onto blockspec's buffers: no copy
// of the vector data is made. f must write y = H x. Thread-safe only when
// created with declare_thread_safe. The callable is held by reference when
// passed as an lvalue, moved in otherwise.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/lambda.hpp>
#include <blockspec/detail/xtensor.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace blockspec {

/// The read-only 1-D view an xtensor operator's function receives (exactly what xt::adapt returns).
template <class S>
using xtensor_const_vector = decltype(xt::adapt(std::declval<const S*>(), std::size_t{}, xt::no_ownership(),
                                                std::declval<const std::array<std::size_t, 1>&>()));
/// The writable 1-D view an xtensor operator's function receives.
template <class S>
using xtensor_vector = decltype(xt::adapt(std::declval<S*>(), std::size_t{}, xt::no_ownership(),
                                          std::declval<const std::array<std::size_t, 1>&>()));

template <Scalar S, class F, bool ThreadSafe = false>
class XtensorOperator {
 public:
  using Scalar = S;
  static constexpr bool thread_safe = ThreadSafe;

  template <class G>
  XtensorOperator(Eigen::Index n, G&& f) : n_(n), f_(std::forward<G>(f)) {
    detail::require(n > 0, "xtensor_operator", "dimension n must be positive, got " + std::to_string(n));
  }
  Eigen::Index rows() const noexcept { return n_; }
  void apply(Eigen::Ref<const VectorX<S>> x, Eigen::Ref<VectorX<S>> y) {
    const std::array<std::size_t, 1> shape{static_cast<std::size_t>(n_)};
    const xtensor_const_vector<S> xv = xt::adapt(x.data(), static_cast<std::size_t>(n_), xt::no_ownership(), shape);
    xtensor_vector<S> yv = xt::adapt(y.data(), static_cast<std::size_t>(n_), xt::no_ownership(), shape);
    f_(xv, yv);
  }

 private:
  Eigen::Index n_;
  F f_;
};

/// An operator from f(const xtensor_const_vector<S>& x, xtensor_vector<S>& y).
/// Example: `auto H = blockspec::xtensor_operator(n, [](const auto& x, auto& y) { y = 2.0 * x; });`
template <Scalar S = double, class F>
auto xtensor_operator(Eigen::Index n, F&& f) {
  static_assert(std::is_invocable_v<std::remove_reference_t<F>&, const xtensor_const_vector<S>&, xtensor_vector<S>&>,
                "blockspec::xtensor_operator: f must be callable as "
                "f(const xtensor_const_vector<S>& x, xtensor_vector<S>& y)");
  return XtensorOperator<S, detail::stored_t<F>, false>(n, std::forward<F>(f));
}

/// As above, for a function that may be called from several threads at once.
template <Scalar S = double, class F>
auto xtensor_operator(Eigen::Index n, F&& f, declare_thread_safe_t) {
  static_assert(std::is_invocable_v<std::remove_reference_t<F>&, const xtensor_const_vector<S>&, xtensor_vector<S>&>,
                "blockspec::xtensor_operator: f must be callable as "
                "f(const xtensor_const_vector<S>& x, xtensor_vector<S>& y)");
  return XtensorOperator<S, detail::stored_t<F>, true>(n, std::forward<F>(f));
}

}  // namespace blockspec
