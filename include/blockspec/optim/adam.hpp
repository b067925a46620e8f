// blockspec/optim/adam.hpp — Adam, its beta2 = 1 "frozen preconditioner" variant, and AdamW.
//
// Method (t = 1, 2, ...; all operations coordinate-wise):
//   g <- g + weight_decay w                         (Adam only: coupled L2, as PyTorch)
//   m <- beta1 m + (1 - beta1) g
//   v <- beta2 v + (1 - beta2) g^2
//   w <- w - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m/(1 - beta1^t), v_hat = v/(1 - beta2^t)
// AdamW replaces the coupled term by decoupled decay: w <- w - lr wd w before the update.
// beta2 = 1 is the variant the theory uses: v is frozen at the square of the
// FIRST gradient, v = g_1^2, and not bias-corrected (the usual formula would
// divide by 1 - beta2^t = 0). With beta1 = 0 this is preconditioned GD with
// the fixed diagonal preconditioner diag(1/(|g_1| + eps)).
// `bias_correction = false` drops both corrections.
// Cost: O(n) per step. Caveat: with beta2 < 1 and a constant rate Adam may
// settle into limit cycles on a quadratic instead of converging.
// References: D. P. Kingma and J. Ba, "Adam: A method for stochastic
// optimization", ICLR 2015; I. Loshchilov and F. Hutter, "Decoupled weight
// decay regularization", ICLR 2019; Zhang et al., "Why Transformers Need Adam:
// A Hessian Perspective", NeurIPS 2024 (the beta1 = 0, beta2 = 1 analysis).
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <cmath>
#include <string>

namespace blockspec {

/// Options of Adam and AdamW.
struct AdamOptions {
  double beta1 = 0.9;     ///< in [0, 1)
  double beta2 = 0.999;   ///< in [0, 1]; 1 freezes v at the first gradient squared (no bias correction)
  double eps = 1e-8;      ///< >= 0
  double weight_decay = 0.0;  ///< >= 0; coupled (Adam) or decoupled (AdamW)
  bool bias_correction = true;

  /// The theory's variant: beta1 = 0, beta2 = 1.
  static AdamOptions frozen_preconditioner() { return {.beta1 = 0.0, .beta2 = 1.0}; }

  void validate(const std::string& where) const {
    detail::require_in(beta1, 0.0, 0.999999999, where, "beta1");
    detail::require_in(beta2, 0.0, 1.0, where, "beta2");
    detail::require(std::isfinite(eps) && eps >= 0.0, where, "eps must be finite and >= 0, got " + detail::format_double(eps));
    detail::require(std::isfinite(weight_decay) && weight_decay >= 0.0, where, "weight_decay must be finite and >= 0, got " + detail::format_double(weight_decay));
  }
};

namespace detail {

template <bool Decoupled, class Derived>
class AdamFamily : public OptimizerBase<Derived> {
 public:
  explicit AdamFamily(AdamOptions o) : o_(o) {}
  const AdamOptions& options() const noexcept { return o_; }
  void init(Eigen::Index n, const BlockPartition*) {
    m_ = Eigen::VectorXd::Zero(n);
    v_ = Eigen::VectorXd::Zero(n);
    frozen_set_ = false;
  }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t t, double lr) {
    Eigen::VectorXd gd = g.template cast<double>();
    if (o_.weight_decay > 0.0) {
      if constexpr (Decoupled)
        w *= static_cast<S>(1.0 - lr * o_.weight_decay);
      else
        gd += o_.weight_decay * w.template cast<double>();
    }
    m_ = o_.beta1 * m_ + (1.0 - o_.beta1) * gd;
    const double td = static_cast<double>(t);
    const double c1 = o_.bias_correction ? 1.0 - std::pow(o_.beta1, td) : 1.0;
    double c2 = 1.0;
    if (o_.beta2 == 1.0) {
      if (!frozen_set_) {
        v_ = gd.array().square().matrix();
        frozen_set_ = true;
      }
    } else {
      v_ = o_.beta2 * v_ + (1.0 - o_.beta2) * gd.array().square().matrix();
      if (o_.bias_correction) c2 = 1.0 - std::pow(o_.beta2, td);
    }
    const Eigen::ArrayXd upd = (m_.array() / c1) / ((v_.array() / c2).sqrt() + o_.eps);
    w -= (lr * upd).matrix().template cast<S>();
  }

 private:
  AdamOptions o_;
  Eigen::VectorXd m_, v_;
  bool frozen_set_ = false;
};

}  // namespace detail

/// Adam (coupled L2 weight decay). beta2 = 1 gives the frozen-preconditioner variant.
/// Example: `blockspec::Adam adam({.beta1 = 0.9, .beta2 = 0.999});`
class Adam : public detail::AdamFamily<false, Adam> {
 public:
  explicit Adam(AdamOptions o = {}) : AdamFamily(o) { o.validate("adam"); }
  std::string name() const { return options().beta2 == 1.0 ? "adam_frozen_v" : "adam"; }
};

/// AdamW: Adam with decoupled weight decay w <- (1 - lr wd) w.
class AdamW : public detail::AdamFamily<true, AdamW> {
 public:
  explicit AdamW(AdamOptions o = {.weight_decay = 0.01}) : AdamFamily(o) { o.validate("adamw"); }
  std::string name() const { return "adamw"; }
};

}  // namespace blockspec
