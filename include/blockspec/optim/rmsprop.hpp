// blockspec/optim/rmsprop.hpp — RMSProp and Adagrad.
//
// Method (coordinate-wise):
//   RMSProp: v <- alpha v + (1 - alpha) g^2;  w <- w - lr g / (sqrt(v) + eps)   (PyTorch form, v_0 = 0)
//   Adagrad: G <- G + g^2;                    w <- w - lr g / (sqrt(G) + eps)
// Cost: O(n) per step. Caveat: Adagrad's rates only decrease; RMSProp has no
// bias correction, so its first steps are larger than Adam's by 1/sqrt(1 - alpha).
// References: T. Tieleman and G. Hinton, Lecture 6.5 "rmsprop", COURSERA:
// Neural Networks for Machine Learning (2012); J. Duchi, E. Hazan and Y.
// Singer, "Adaptive subgradient methods for online learning and stochastic
// optimization", JMLR 12 (2011).
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <cmath>
#include <string>

namespace blockspec {

/// Options of RMSProp.
struct RmsPropOptions {
  double alpha = 0.99;  ///< smoothing constant in [0, 1)
  double eps = 1e-8;

  void validate(const std::string& where) const {
    detail::require_in(alpha, 0.0, 0.999999999, where, "alpha");
    detail::require(std::isfinite(eps) && eps >= 0.0, where, "eps must be finite and >= 0, got " + detail::format_double(eps));
  }
};

/// RMSProp: v <- alpha v + (1 - alpha) g^2; w <- w - lr g / (sqrt(v) + eps).
class RmsProp : public detail::OptimizerBase<RmsProp> {
 public:
  explicit RmsProp(RmsPropOptions o = {}) : o_(o) { o_.validate("rmsprop"); }
  std::string name() const { return "rmsprop"; }
  void init(Eigen::Index n, const BlockPartition*) { v_ = Eigen::VectorXd::Zero(n); }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    const Eigen::ArrayXd gd = g.template cast<double>().array();
    v_.array() = o_.alpha * v_.array() + (1.0 - o_.alpha) * gd.square();
    w -= (lr * gd / (v_.array().sqrt() + o_.eps)).matrix().template cast<S>();
  }

 private:
  RmsPropOptions o_;
  Eigen::VectorXd v_;
};

/// Options of Adagrad.
struct AdagradOptions {
  double eps = 1e-10;

  void validate(const std::string& where) const {
    detail::require(std::isfinite(eps) && eps >= 0.0, where, "eps must be finite and >= 0, got " + detail::format_double(eps));
  }
};

/// Adagrad: G <- G + g^2; w <- w - lr g / (sqrt(G) + eps).
class Adagrad : public detail::OptimizerBase<Adagrad> {
 public:
  explicit Adagrad(AdagradOptions o = {}) : o_(o) { o_.validate("adagrad"); }
  std::string name() const { return "adagrad"; }
  void init(Eigen::Index n, const BlockPartition*) { g2_ = Eigen::VectorXd::Zero(n); }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    const Eigen::ArrayXd gd = g.template cast<double>().array();
    g2_.array() += gd.square();
    w -= (lr * gd / (g2_.array().sqrt() + o_.eps)).matrix().template cast<S>();
  }

 private:
  AdagradOptions o_;
  Eigen::VectorXd g2_;
};

}  // namespace blockspec
