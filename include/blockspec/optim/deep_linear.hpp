// blockspec/optim/deep_linear.hpp — a deep linear network: a non-convex problem whose blocks are matrices.
//
// Problem: f(W_1, ..., W_L) = ‖W_L ⋯ W_1 X − Y‖_F² / (2 N d_L), with inputs X (d_0 x N) and
// targets Y = T X from a linear teacher T (d_L x d_0), so the optimum is f* = 0 whenever the
// network is at least as wide as rank(T) (every hidden width >= min(d_0, d_L)). Block k is
// W_k, of shape {d_k, d_{k-1}}, stored row-major in w (Block::shape) and named "W1".."WL".
// Data: every column of X is Gaussian rescaled to norm sqrt(d_0), and T = U diag(s) Vᵀ with
// Haar U, V and singular values s geometric from 1 down to 1 / teacher_condition, scaled so
// that Σ s² = d_L: then ‖T x‖ ≈ sqrt(d_L), the input and output normalization under which
// Automatic Gradient Descent's theory holds (optim/agd.hpp). teacher_condition is the knob
// for the problem's conditioning.
// initial_point() is AGD's initialization (its Algorithm 1): each W_k a Haar-random
// semi-orthogonal matrix scaled by sqrt(d_k / d_{k-1}).
// hessian_at(w) is the quadratic view: the exact Hessian at w as a LinearOperator (by the
// directional derivative of back-propagation, not by finite differences), for lanczos, slq,
// blockwise spectra. The Hessian is indefinite away from the optimum; at a global minimum it
// is positive semi-definite with a null space (the network's rescaling symmetries).
// value and gradient at a non-finite w return non-finite results (the runner reports divergence).
// Cost: value 2 N Σ d_k d_{k-1} flops; gradient twice that; a Hessian product four times.
// Memory: X, Y and the N x d_k activations of one pass. Reference (the problem and its
// normalization): J. Bernstein, C. Mingard, K. Huang, N. Azizan and Y. Yue, "Automatic
// Gradient Descent: Deep Learning without Hyperparameters" (2023), arXiv:2304.05187.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/lambda.hpp>
#include <blockspec/quadratic/haar.hpp>
#include <blockspec/random.hpp>
#include <blockspec/types.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace blockspec {

/// Options of DeepLinearNetwork.
struct DeepLinearOptions {
  std::vector<Eigen::Index> widths{64, 64, 64, 64};  ///< d_0, ..., d_L: L = widths.size() - 1 >= 1 layers
  Eigen::Index samples = 256;                        ///< N, the number of inputs
  double teacher_condition = 1.0;                    ///< s_max / s_min of the teacher T, >= 1
  std::uint64_t seed = 0;                            ///< data, teacher and initial point

  void validate(const std::string& where) const {
    detail::require(widths.size() >= 2, where,
                    "widths must list d_0, ..., d_L with L >= 1, got " + std::to_string(widths.size()) + " width(s)");
    for (std::size_t k = 0; k < widths.size(); ++k)
      detail::require(widths[k] > 0 && widths[k] <= 1 << 14, where,
                      "widths[" + std::to_string(k) + "] must be in [1, 16384], got " + std::to_string(widths[k]));
    detail::require(samples > 0 && samples <= 1 << 22, where,
                    "samples must be in [1, 4194304], got " + std::to_string(samples));
    detail::require(std::isfinite(teacher_condition) && teacher_condition >= 1.0, where,
                    "teacher_condition must be finite and >= 1, got " + detail::format_double(teacher_condition));
  }
};

/// The deep linear network problem (see the file comment). A Problem in double.
class DeepLinearNetwork {
 public:
  using Scalar = double;
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  explicit DeepLinearNetwork(DeepLinearOptions o = {}) : d_(std::make_shared<Data>()) {
    o.validate("DeepLinearNetwork");
    d_->o = o;
    const auto& dims = o.widths;
    const Eigen::Index d0 = dims.front(), dl = dims.back(), n = o.samples;
    std::vector<Block> blocks;
    Eigen::Index offset = 0;
    for (std::size_t k = 1; k < dims.size(); ++k) {
      blocks.push_back(Block{"W" + std::to_string(k), offset, dims[k] * dims[k - 1], {dims[k], dims[k - 1]}});
      offset += dims[k] * dims[k - 1];
    }
    d_->part = BlockPartition(std::move(blocks), offset);
    Rng rng(o.seed, 1);
    d_->x.resize(d0, n);
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = 0; i < d0; ++i) d_->x(i, j) = rng.normal();
      d_->x.col(j) *= std::sqrt(static_cast<double>(d0)) / d_->x.col(j).norm();
    }
    const Eigen::Index r = std::min(d0, dl);
    Eigen::VectorXd s(r);
    for (Eigen::Index i = 0; i < r; ++i)
      s(i) = r == 1 ? 1.0 : std::pow(o.teacher_condition, -static_cast<double>(i) / static_cast<double>(r - 1));
    s *= std::sqrt(static_cast<double>(dl)) / s.norm();
    const Eigen::MatrixXd u = haar_orthogonal(dl, counter_bits(o.seed, 2, 0)).leftCols(r);
    const Eigen::MatrixXd v = haar_orthogonal(d0, counter_bits(o.seed, 2, 1)).leftCols(r);
    d_->teacher = u * s.asDiagonal() * v.transpose();
    d_->y = d_->teacher * d_->x;
  }

  Eigen::Index dimension() const noexcept { return d_->part.dimension(); }
  const BlockPartition& partition() const noexcept { return d_->part; }
  const DeepLinearOptions& options() const noexcept { return d_->o; }
  /// L, the number of layers.
  int depth() const noexcept { return static_cast<int>(d_->o.widths.size()) - 1; }
  const Eigen::MatrixXd& inputs() const noexcept { return d_->x; }
  const Eigen::MatrixXd& targets() const noexcept { return d_->y; }
  const Eigen::MatrixXd& teacher() const noexcept { return d_->teacher; }
  /// f* = 0 (the teacher is realizable; see the file comment for when).
  double optimal_value() const noexcept { return 0.0; }

  /// W_k (k = 1..L) of the point w, as a row-major view into w.
  Eigen::Map<const RowMajor> layer(const Eigen::VectorXd& w, int k) const {
    check(w, "DeepLinearNetwork::layer");
    detail::require(k >= 1 && k <= depth(), "DeepLinearNetwork::layer",
                    "k must be in [1, " + std::to_string(depth()) + "], got " + std::to_string(k));
    return map(w, k);
  }

  /// AGD's initialization: W_k = sqrt(d_k / d_{k-1}) times a Haar semi-orthogonal matrix.
  Eigen::VectorXd initial_point() const {
    Eigen::VectorXd w(dimension());
    for (int k = 1; k <= depth(); ++k) {
      const Block& b = d_->part[static_cast<std::size_t>(k - 1)];
      const Eigen::Index rows = b.shape[0], cols = b.shape[1];
      const Eigen::MatrixXd q =
          haar_orthogonal(std::max(rows, cols), counter_bits(d_->o.seed, 3, static_cast<std::uint64_t>(k)));
      Eigen::Map<RowMajor>(w.data() + b.offset, rows, cols) =
          std::sqrt(static_cast<double>(rows) / static_cast<double>(cols)) * q.topLeftCorner(rows, cols);
    }
    return w;
  }

  double value(const Eigen::VectorXd& w) const {
    check(w, "DeepLinearNetwork::value");
    const Eigen::MatrixXd r = forward(w).back() - d_->y;
    return r.squaredNorm() / (2.0 * scale());
  }

  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const {
    check(w, "DeepLinearNetwork::gradient");
    const auto h = forward(w);
    Eigen::MatrixXd delta = (h.back() - d_->y) / scale();
    Eigen::VectorXd g(dimension());
    for (int k = depth(); k >= 1; --k) {
      out(g, k).noalias() = delta * h[static_cast<std::size_t>(k - 1)].transpose();
      if (k > 1) delta = (map(w, k).transpose() * delta).eval();
    }
    return g;
  }

  /// The exact Hessian at w as a LinearOperator (w is copied; the operator shares the data).
  auto hessian_at(const Eigen::VectorXd& w) const {
    check(w, "DeepLinearNetwork::hessian_at");
    detail::require(w.allFinite(), "DeepLinearNetwork::hessian_at", "w has a non-finite entry");
    return make_operator(dimension(), [self = *this, w](Eigen::Ref<const Eigen::VectorXd> v,
                                                        Eigen::Ref<Eigen::VectorXd> hv) { self.hvp(w, v, hv); });
  }

  /// hv = H(w) v, the directional derivative of the gradient along v (forward over reverse by hand).
  void hvp(const Eigen::VectorXd& w, Eigen::Ref<const Eigen::VectorXd> v, Eigen::Ref<Eigen::VectorXd> hv) const {
    check(w, "DeepLinearNetwork::hvp");
    detail::require(v.size() == dimension() && hv.size() == dimension(), "DeepLinearNetwork::hvp",
                    "v and hv must have the problem's dimension " + std::to_string(dimension()));
    const int L = depth();
    const auto h = forward(w);
    // Tangents of the activations: dh_k = V_k h_{k-1} + W_k dh_{k-1}, dh_0 = 0.
    std::vector<Eigen::MatrixXd> dh(h.size());
    dh[0] = Eigen::MatrixXd::Zero(h[0].rows(), h[0].cols());
    for (int k = 1; k <= L; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      dh[ku].noalias() = map(v, k) * h[ku - 1];
      dh[ku].noalias() += map(w, k) * dh[ku - 1];
    }
    // Back-propagation and its tangent: delta_{k-1} = W_kᵀ delta_k, ddelta_{k-1} = V_kᵀ delta_k + W_kᵀ ddelta_k.
    Eigen::MatrixXd delta = (h.back() - d_->y) / scale(), ddelta = dh.back() / scale();
    for (int k = L; k >= 1; --k) {
      const auto ku = static_cast<std::size_t>(k);
      auto o = Eigen::Map<RowMajor>(hv.data() + d_->part[ku - 1].offset, d_->part[ku - 1].shape[0],
                                    d_->part[ku - 1].shape[1]);
      o.noalias() = ddelta * h[ku - 1].transpose();
      o.noalias() += delta * dh[ku - 1].transpose();
      if (k > 1) {
        Eigen::MatrixXd next = map(v, k).transpose() * delta;
        next.noalias() += map(w, k).transpose() * ddelta;
        ddelta = std::move(next);
        delta = (map(w, k).transpose() * delta).eval();
      }
    }
  }

 private:
  struct Data {
    DeepLinearOptions o;
    BlockPartition part;
    Eigen::MatrixXd x, y, teacher;
  };
  std::shared_ptr<Data> d_;

  double scale() const noexcept {
    return static_cast<double>(d_->o.samples) * static_cast<double>(d_->o.widths.back());
  }
  template <class V>
  Eigen::Map<const RowMajor> map(const V& w, int k) const {
    const Block& b = d_->part[static_cast<std::size_t>(k - 1)];
    return Eigen::Map<const RowMajor>(w.data() + b.offset, b.shape[0], b.shape[1]);
  }
  Eigen::Map<RowMajor> out(Eigen::VectorXd& g, int k) const {
    const Block& b = d_->part[static_cast<std::size_t>(k - 1)];
    return Eigen::Map<RowMajor>(g.data() + b.offset, b.shape[0], b.shape[1]);
  }
  // h_0 = X, h_k = W_k h_{k-1}.
  std::vector<Eigen::MatrixXd> forward(const Eigen::VectorXd& w) const {
    std::vector<Eigen::MatrixXd> h;
    h.reserve(static_cast<std::size_t>(depth()) + 1);
    h.push_back(d_->x);
    for (int k = 1; k <= depth(); ++k) h.push_back(map(w, k) * h.back());
    return h;
  }
  void check(const Eigen::VectorXd& w, const char* where) const {
    detail::require(w.size() == dimension(), where,
                    "w must have the problem's dimension " + std::to_string(dimension()) + ", got " +
                        std::to_string(w.size()));
  }
};

}  // namespace blockspec
