// blockspec/optim/nag_gs.hpp — NAG-GS: Nesterov accelerated gradient flow with Gauss–Seidel splitting.
//
// Method: a semi-implicit (Gauss–Seidel) discretization of an accelerated
// Nesterov-like flow with state (x, v, gamma), v_0 = x_0 = w_0, gamma_0 = gamma.
// With alpha = lr and g the gradient at x, each step does
//   b     = alpha mu / (alpha mu + gamma)
//   v     <- (1 - b) v + b x - (b / mu) g
//   gamma <- (alpha mu + gamma) / (1 + alpha)
//   a     = alpha / (1 + alpha)
//   x     <- (1 - a) x + a v
// (the authors' reference implementation, in which the gradient is taken at
// the current x). mu plays the role of the strong-convexity constant.
// Cost: O(n) per step, one extra vector. Caveat: stability needs alpha small
// enough relative to gamma/L; see the paper's spectral-radius analysis.
// Reference: V. Leplat, D. Merkulov, A. Katrutsa, D. Bershatsky, O. Tsymbalov
// and I. Oseledets, "NAG-GS: Semi-implicit, accelerated and robust stochastic
// optimizer", arXiv:2209.14937 (2022).
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <cmath>
#include <string>

namespace blockspec {

/// Options of NagGs.
struct NagGsOptions {
  double mu = 1.0;     ///< > 0
  double gamma = 1.0;  ///< initial gamma, > 0

  void validate(const std::string& where) const {
    detail::require(std::isfinite(mu) && mu > 0.0, where, "mu must be finite and > 0, got " + detail::format_double(mu));
    detail::require(std::isfinite(gamma) && gamma > 0.0, where, "gamma must be finite and > 0, got " + detail::format_double(gamma));
  }
};

/// NAG-GS (lr is the paper's alpha).
class NagGs : public detail::OptimizerBase<NagGs> {
 public:
  explicit NagGs(NagGsOptions o = {}) : o_(o) { o_.validate("nag_gs"); }
  std::string name() const { return "nag_gs"; }
  void init(Eigen::Index, const BlockPartition*) {
    v_.resize(0);
    gamma_ = o_.gamma;
  }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    const Eigen::VectorXd x = w.template cast<double>();
    if (v_.size() == 0) v_ = x;  // v_0 = x_0
    const double b = lr * o_.mu / (lr * o_.mu + gamma_);
    v_ = (1.0 - b) * v_ + b * x - (b / o_.mu) * g.template cast<double>();
    gamma_ = (lr * o_.mu + gamma_) / (1.0 + lr);
    const double a = lr / (1.0 + lr);
    w = ((1.0 - a) * x + a * v_).template cast<S>();
  }
  double gamma() const noexcept { return gamma_; }

 private:
  NagGsOptions o_;
  Eigen::VectorXd v_;
  double gamma_ = 1.0;
};

}  // namespace blockspec
