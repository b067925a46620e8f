// blockspec/operator/finite_difference.hpp — a Hessian-vector product from a gradient.
//
// hvp_from_gradient(grad, w, h) is the operator x -> [g(w + t x) - g(w - t x)] / (2 t),
// t = h / |x|, a central difference of the user's gradient g along x: two
// gradient evaluations per product. Its error is O(t^2 |x|^3 |f'''|) from
// truncation plus O(eps |g| / t) from rounding; balancing the two gives the
// default step h = cbrt(eps) * max(1, |w|) (about 6e-6 relative in double,
// 5e-3 in float). The result is exactly symmetric only for quadratic f; check
// your own with symmetry_error().
// grad may be g(Ref<const VectorX<S>> w, Ref<VectorX<S>> out) or out = g(w).
// Reference: Nocedal & Wright, Numerical Optimization (2nd ed.), section 8.1.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/concepts.hpp>

#include <cmath>
#include <limits>
#include <utility>

namespace blockspec {

template <Scalar S, class G, class W>
class FiniteDifferenceHvp {
 public:
  using Scalar = S;

  template <class GG, class WW>
  FiniteDifferenceHvp(GG&& grad, WW&& w, double h) : grad_(std::forward<GG>(grad)), w_(std::forward<WW>(w)) {
    detail::require(w_.size() > 0, "hvp_from_gradient", "the point w must be non-empty");
    detail::require(w_.allFinite(), "hvp_from_gradient", "the point w must be finite");
    detail::require(std::isfinite(h) && h >= 0.0, "hvp_from_gradient", "step h must be finite and >= 0 (0 = automatic), got " + detail::format_double(h));
    h_ = h > 0.0 ? h
                 : std::cbrt(static_cast<double>(std::numeric_limits<S>::epsilon())) *
                       std::max(1.0, static_cast<double>(w_.norm()));
  }

  Eigen::Index rows() const noexcept { return w_.size(); }
  double step() const noexcept { return h_; }

  void apply(Eigen::Ref<const VectorX<S>> x, Eigen::Ref<VectorX<S>> y) {
    const double xnorm = static_cast<double>(x.norm());
    if (xnorm == 0.0) {
      y.setZero();
      return;
    }
    const S t = static_cast<S>(h_ / xnorm);
    wp_ = w_ + t * x;
    gradient(wp_, gp_);
    wp_ = w_ - t * x;
    gradient(wp_, gm_);
    y = (gp_ - gm_) / (2 * t);
  }

 private:
  void gradient(const VectorX<S>& at, VectorX<S>& out) {
    out.resize(at.size());
    if constexpr (std::is_invocable_v<G&, Eigen::Ref<const VectorX<S>>, Eigen::Ref<VectorX<S>>>)
      grad_(Eigen::Ref<const VectorX<S>>(at), Eigen::Ref<VectorX<S>>(out));
    else
      out = grad_(Eigen::Ref<const VectorX<S>>(at));
  }

  G grad_;
  W w_;
  double h_ = 0.0;
  VectorX<S> wp_, gp_, gm_;
};

/// The Hessian operator of f at w from its gradient, by central differences.
/// \param grad g(w, out) or out = g(w)
/// \param w    the point (held by reference when an lvalue, moved in otherwise; never modified)
/// \param h    the step along a unit direction; 0 chooses cbrt(eps) * max(1, |w|)
/// Example: `auto H = blockspec::hvp_from_gradient(grad, w);`
template <class G, class W>
auto hvp_from_gradient(G&& grad, W&& w, double h = 0.0) {
  using Vec = std::remove_cvref_t<W>;
  using S = typename Vec::Scalar;
  static_assert(std::is_same_v<Vec, VectorX<S>> && Scalar<S>,
                "hvp_from_gradient: w must be an Eigen::VectorXd or Eigen::VectorXf");
  using GG = std::remove_reference_t<G>;
  static_assert(std::is_invocable_v<GG&, Eigen::Ref<const VectorX<S>>, Eigen::Ref<VectorX<S>>> ||
                    std::is_invocable_v<GG&, Eigen::Ref<const VectorX<S>>>,
                "hvp_from_gradient: grad must be callable as g(Ref<const VectorX<S>> w, Ref<VectorX<S>> out) "
                "or as out = g(w)");
  return FiniteDifferenceHvp<S, detail::stored_t<G>, detail::stored_t<W>>(std::forward<G>(grad), std::forward<W>(w), h);
}

}  // namespace blockspec
