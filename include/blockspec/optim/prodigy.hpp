// blockspec/optim/prodigy.hpp — Prodigy: Adam with a D-adaptation estimate of the distance to the solution.
//
// Method (the paper's Adam version; x_0 the initial point, d_0 small, lr = gamma_k a multiplier,
// beta3 = sqrt(beta2)):
//   m <- beta1 m + (1 - beta1) d g
//   v <- beta2 v + (1 - beta2) d^2 g^2
//   r <- beta3 r + (1 - beta3) lr d^2 <g, x_0 - x>
//   s <- beta3 s + (1 - beta3) lr d^2 g
//   d <- max(d, r / |s|_1)              (d_hat = r/|s|_1; d never decreases)
//   x <- x - lr d_old m / (sqrt(v) + d_old eps)   (d_old: d before this step's update)
// No bias correction (the reference implementation's default). lr = 1 is the
// intended setting: Prodigy estimates the step size itself.
// Cost: O(n) per step, four vectors. Caveat: d grows only while the iterates
// move away from x_0 in a consistent direction; on a badly conditioned
// quadratic its estimate is conservative.
// Reference: K. Mishchenko and A. Defazio, "Prodigy: An expeditiously adaptive
// parameter-free learner", ICML 2024, arXiv:2306.06101, Algorithm 3.
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace blockspec {

/// Options of Prodigy.
struct ProdigyOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double d0 = 1e-6;  ///< initial distance estimate, > 0

  void validate(const std::string& where) const {
    detail::require_in(beta1, 0.0, 0.999999999, where, "beta1");
    detail::require_in(beta2, 0.0, 0.999999999, where, "beta2");
    detail::require(std::isfinite(eps) && eps >= 0.0, where, "eps must be finite and >= 0, got " + detail::format_double(eps));
    detail::require(std::isfinite(d0) && d0 > 0.0, where, "d0 must be finite and > 0, got " + detail::format_double(d0));
  }
};

/// Prodigy (lr is the multiplier gamma_k; 1 by design).
class Prodigy : public detail::OptimizerBase<Prodigy> {
 public:
  explicit Prodigy(ProdigyOptions o = {}) : o_(o) { o_.validate("prodigy"); }
  std::string name() const { return "prodigy"; }
  void init(Eigen::Index n, const BlockPartition*) {
    m_ = Eigen::VectorXd::Zero(n);
    v_ = Eigen::VectorXd::Zero(n);
    s_ = Eigen::VectorXd::Zero(n);
    x0_.resize(0);
    r_ = 0.0;
    d_ = o_.d0;
  }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    const Eigen::VectorXd x = w.template cast<double>();
    const Eigen::VectorXd gd = g.template cast<double>();
    if (x0_.size() == 0) x0_ = x;
    const double beta3 = std::sqrt(o_.beta2);
    const double d = d_;
    m_ = o_.beta1 * m_ + (1.0 - o_.beta1) * d * gd;
    v_ = o_.beta2 * v_ + ((1.0 - o_.beta2) * d * d) * gd.array().square().matrix();
    r_ = beta3 * r_ + (1.0 - beta3) * lr * d * d * gd.dot(x0_ - x);
    s_ = beta3 * s_ + ((1.0 - beta3) * lr * d * d) * gd;
    const double s1 = s_.lpNorm<1>();
    if (s1 > 0.0) d_ = std::max(d_, r_ / s1);
    w = (x.array() - lr * d * m_.array() / (v_.array().sqrt() + d * o_.eps)).matrix().template cast<S>();
  }
  /// The current distance estimate d.
  double d() const noexcept { return d_; }

 private:
  ProdigyOptions o_;
  Eigen::VectorXd m_, v_, s_, x0_;
  double r_ = 0.0, d_ = 1e-6;
};

}  // namespace blockspec
