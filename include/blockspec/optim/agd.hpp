// blockspec/optim/agd.hpp — Automatic Gradient Descent: layer-wise normalized steps, no learning rate.
//
// Method (Bernstein et al. 2023, Algorithm 1), for L layers W_k of shape d_k x d_{k-1}
// (the blocks of the problem's partition, Block::shape {d_k, d_{k-1}}):
//   G   = (1/L) Σ_k sqrt(d_k / d_{k-1}) ‖∇_k f‖_F                (the gradient summary)
//   η   = log((1 + sqrt(1 + 4 G)) / 2)                           (the automatic rate)
//   W_k <- W_k − gain (η / L) sqrt(d_k / d_{k-1}) ∇_k f / ‖∇_k f‖_F
// with the orthogonal initialization W_k = sqrt(d_k / d_{k-1}) x (a semi-orthogonal
// matrix); DeepLinearNetwork::initial_point() (optim/deep_linear.hpp) draws it. The
// derivation assumes a deep linear or ReLU network of L layers under square loss, with
// inputs of norm sqrt(d_0) and targets of norm sqrt(d_L); DeepLinearNetwork is built that way.
// Caveats:
// - AGD has no learning rate. The runner's lr multiplies the step (as the gain does): run it at
//   lr = 1, which lab::fair_study does; tuning it is no longer AGD.
// - L defaults to the number of blocks, right for a network whose blocks are its layers. On a
//   problem whose blocks are not the layers of one network (the per-block quadratic cases, block
//   least squares) AGD runs outside its theory: its rate is still defined, but no longer derived.
// - A block without a shape is a column (d_k = size, d_{k-1} = 1), so it gets a scale of
//   sqrt(size): outside the method's intended use. A block whose gradient is exactly 0 is not
//   moved. A non-finite gradient makes w non-finite (the runner reports divergence).
// Cost per step: O(n) flops, no state beyond the block shapes.
// Reference: J. Bernstein, C. Mingard, K. Huang, N. Azizan and Y. Yue, "Automatic Gradient
// Descent: Deep Learning without Hyperparameters" (2023), arXiv:2304.05187.
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace blockspec {

/// Options of Agd.
struct AgdOptions {
  double gain = 1.0;  ///< multiplies every step; 1 is the method as published; > 0
  int depth = 0;      ///< L; 0 means the number of blocks of the problem's partition

  void validate(const std::string& where) const {
    detail::require(std::isfinite(gain) && gain > 0.0, where, "gain must be finite and > 0, got " + detail::format_double(gain));
    detail::require(depth >= 0, where, "depth must be >= 0 (0: the number of blocks), got " + std::to_string(depth));
  }
};

/// AGD's automatic rate η = log((1 + sqrt(1 + 4 G)) / 2) for a gradient summary G >= 0.
inline double agd_rate(double gradient_summary) {
  detail::require(gradient_summary >= 0.0, "agd_rate",
                  "the gradient summary G must be >= 0, got " + detail::format_double(gradient_summary));
  return std::log(0.5 * (1.0 + std::sqrt(1.0 + 4.0 * gradient_summary)));
}

/// Automatic Gradient Descent (see the header comment). Blocks come from the problem's
/// partition; a problem without one is a single column block.
class Agd : public detail::OptimizerBase<Agd> {
 public:
  explicit Agd(AgdOptions o = {}) : o_(o) { o_.validate("agd"); }
  std::string name() const { return "agd"; }
  const AgdOptions& options() const noexcept { return o_; }
  /// G and η of the last step (NaN before the first).
  double last_gradient_summary() const noexcept { return last_g_; }
  double last_rate() const noexcept { return last_eta_; }

  void init(Eigen::Index n, const BlockPartition* part) {
    layers_.clear();
    if (part) {
      detail::require(part->covers(), "agd::reset", "the problem's partition must cover every coordinate");
      for (const Block& b : *part)
        layers_.push_back({b.offset, b.size,
                           std::sqrt(static_cast<double>(b.matrix_rows()) / static_cast<double>(b.matrix_cols()))});
    } else {
      layers_.push_back({0, n, std::sqrt(static_cast<double>(n))});
    }
    last_g_ = last_eta_ = std::numeric_limits<double>::quiet_NaN();
  }

  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    const double depth = o_.depth > 0 ? o_.depth : static_cast<double>(layers_.size());
    norms_.resize(layers_.size());
    double summary = 0.0;
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      norms_[k] = g.segment(layers_[k].offset, layers_[k].size).template cast<double>().norm();
      summary += layers_[k].scale * norms_[k];
    }
    summary /= depth;
    last_g_ = summary;
    if (!std::isfinite(summary)) {  // an overflowed gradient: w turns non-finite, the runner reports divergence
      w.array() += static_cast<S>(summary);
      last_eta_ = summary;
      return;
    }
    last_eta_ = agd_rate(summary);
    for (std::size_t k = 0; k < layers_.size(); ++k) {
      if (norms_[k] == 0.0) continue;
      const double step = lr * o_.gain * last_eta_ / depth * layers_[k].scale / norms_[k];
      w.segment(layers_[k].offset, layers_[k].size) -=
          (step * g.segment(layers_[k].offset, layers_[k].size).template cast<double>()).template cast<S>();
    }
  }

 private:
  struct Layer {
    Eigen::Index offset, size;
    double scale;  // sqrt(d_k / d_{k-1})
  };
  AgdOptions o_;
  std::vector<Layer> layers_;
  std::vector<double> norms_;
  double last_g_ = std::numeric_limits<double>::quiet_NaN(), last_eta_ = last_g_;
};

}  // namespace blockspec
