// blockspec/quadratic/block_quadratic.hpp — block-diagonal quadratic problems f(w) = 1/2 w'Hw - h'w.
//
// Method: H = diag(H_1, ..., H_L) with H_l = Q_l diag(lambda_l) Q_l', Q_l
// Haar-random (quadratic/haar.hpp), formed in double, symmetrized and stored
// densely in the scalar S. The minimizer w* is a seeded standard normal vector
// and h = H w*, so the optimal value is f* = -1/2 w*'H w*. The loss gap is
// computed as 1/2 (w - w*)'H(w - w*), not as f(w) - f*, so that it keeps full
// relative accuracy down to rounding (f(w) - f* would cancel).
// BlockQuadratic models BatchedLinearOperator (it is H: const, thread-safe),
// so every spectral tool runs on it, and provides principal_block(block), a
// dense copy of H_ll, cheaper than zero-padding. It is also an optim Problem
// (dimension, value, gradient, partition, hessian, stochastic_gradient,
// loss_gap, optimal_value, initial_point = 0).
// Stochastic gradients: the exact gradient plus scale * xi with xi i.i.d.
// standard normal or Student-t of `dof` degrees (heavy-tailed), drawn from
// Rng(seed, step): reproducible and independent of call order.
// Cost: sum_l n_l^2 per product; O(sum_l n_l^3) to build.
// Reference: Zhang et al., "Why Transformers Need Adam: A Hessian
// Perspective", NeurIPS 2024, sec. 4.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/detail/symmetric_eigen.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/quadratic/haar.hpp>
#include <blockspec/quadratic/spectrum.hpp>
#include <blockspec/random.hpp>
#include <blockspec/types.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace blockspec {

namespace detail {
struct known_spectrum_t {};
}  // namespace detail

/// The noise added by stochastic_gradient().
enum class NoiseKind { none, gaussian, student_t };

inline const char* to_string(NoiseKind k) noexcept {
  switch (k) {
    case NoiseKind::none: return "none";
    case NoiseKind::gaussian: return "gaussian";
    case NoiseKind::student_t: return "student_t";
  }
  return "unknown";
}

/// Additive gradient noise: scale * xi, xi i.i.d. N(0, 1) or Student-t(dof).
struct GradientNoise {
  NoiseKind kind = NoiseKind::none;
  double scale = 0.0;  ///< standard deviation (gaussian) or scale (student_t)
  double dof = 3.0;    ///< Student-t degrees of freedom (> 0; <= 2 has infinite variance)

  void validate(const std::string& where = "GradientNoise") const {
    detail::require(std::isfinite(scale) && scale >= 0.0, where,
                    "scale must be finite and >= 0, got " + detail::format_double(scale));
    detail::require(std::isfinite(dof) && dof > 0.0, where, "dof must be positive, got " + detail::format_double(dof));
  }
};

/// f(w) = 1/2 w'Hw - h'w with a dense block-diagonal, positive definite H.
template <Scalar S = double>
class BlockQuadratic {
 public:
  using Scalar = S;
  static constexpr bool thread_safe = true;

  /// From explicit blocks: blocks[l] is H_ll (symmetric positive definite, partition[l].size square);
  /// `minimizer` is w* (h = H w*). The block eigenvalues are computed (LAPACK-style, in double).
  BlockQuadratic(BlockPartition partition, std::vector<MatrixX<S>> blocks, VectorX<S> minimizer,
                 GradientNoise noise = {})
      : partition_(std::move(partition)), blocks_(std::move(blocks)), wstar_(std::move(minimizer)), noise_(noise) {
    const std::string where = "BlockQuadratic";
    detail::require(!partition_.empty(), where, "the partition is empty");
    detail::require(partition_.covers(), where, "the partition must cover every index of the dimension");
    detail::require(blocks_.size() == partition_.size(), where,
                    "got " + std::to_string(blocks_.size()) + " blocks for a partition of " +
                        std::to_string(partition_.size()));
    detail::require(wstar_.size() == partition_.dimension(), where,
                    "minimizer has length " + std::to_string(wstar_.size()) + " but the partition's dimension is " +
                        std::to_string(partition_.dimension()));
    noise_.validate(where);
    eigenvalues_.resize(blocks_.size());
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      const Block& b = partition_[l];
      detail::require(blocks_[l].rows() == b.size && blocks_[l].cols() == b.size, where,
                      "block " + std::to_string(l) + " ('" + b.name + "') is " + std::to_string(blocks_[l].rows()) +
                          "x" + std::to_string(blocks_[l].cols()) + " but the partition says " +
                          std::to_string(b.size));
      detail::require(blocks_[l].allFinite(), where, "block '" + b.name + "' has a non-finite entry");
      Eigen::MatrixXd hd = blocks_[l].template cast<double>();
      hd = 0.5 * (hd + hd.transpose()).eval();
      Eigen::VectorXd ev = detail::symmetric_eigen(std::move(hd), false).values;
      detail::require(ev.minCoeff() > 0.0, where,
                      "block '" + b.name + "' is not positive definite (smallest eigenvalue " +
                          detail::format_double(ev.minCoeff()) + ")");
      eigenvalues_[l] = std::move(ev);
    }
    finish();
  }

  Eigen::Index rows() const noexcept { return partition_.dimension(); }
  Eigen::Index dimension() const noexcept { return partition_.dimension(); }
  const BlockPartition& partition() const noexcept { return partition_; }
  /// H itself (this object is the operator).
  const BlockQuadratic& hessian() const noexcept { return *this; }
  /// H_ll of the partition's block l.
  const MatrixX<S>& block_matrix(std::size_t l) const { return blocks_.at(l); }
  /// The exact eigenvalues of block l, ascending (as requested or computed).
  const Eigen::VectorXd& block_eigenvalues(std::size_t l) const { return eigenvalues_.at(l); }
  const std::vector<Eigen::VectorXd>& eigenvalues() const noexcept { return eigenvalues_; }
  /// All eigenvalues of H, ascending.
  Eigen::VectorXd all_eigenvalues() const {
    Eigen::VectorXd v(rows());
    Eigen::Index k = 0;
    for (const auto& e : eigenvalues_) {
      v.segment(k, e.size()) = e;
      k += e.size();
    }
    std::sort(v.data(), v.data() + v.size());
    return v;
  }
  const VectorX<S>& linear_term() const noexcept { return h_; }
  const VectorX<S>& minimizer() const noexcept { return wstar_; }
  double optimal_value() const noexcept { return fstar_; }
  const GradientNoise& noise() const noexcept { return noise_; }
  /// A copy with another gradient noise.
  BlockQuadratic with_noise(const GradientNoise& noise) const {
    noise.validate("BlockQuadratic::with_noise");
    BlockQuadratic q = *this;
    q.noise_ = noise;
    return q;
  }
  /// The starting point of runs: zero (so the initial error is -w*).
  VectorX<S> initial_point() const { return VectorX<S>::Zero(rows()); }

  void apply(Eigen::Ref<const VectorX<S>> x, Eigen::Ref<VectorX<S>> y) const {
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      const Block& b = partition_[l];
      y.segment(b.offset, b.size).noalias() = blocks_[l] * x.segment(b.offset, b.size);
    }
  }
  void apply_block(Eigen::Ref<const MatrixX<S>> X, Eigen::Ref<MatrixX<S>> Y) const {
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      const Block& b = partition_[l];
      Y.middleRows(b.offset, b.size).noalias() = blocks_[l] * X.middleRows(b.offset, b.size);
    }
  }
  /// H_ll for any block inside [0, n) as a dense operator owning a copy (block.size^2 entries).
  /// Example: `auto Hl = blockspec::principal_block(q, q.partition()[0]);`
  DenseOperator<MatrixX<S>> principal_block(const Block& block) const {
    detail::require(block.inside(rows()), "BlockQuadratic::principal_block",
                    "block '" + block.name + "' offset " + std::to_string(block.offset) + " + size " +
                        std::to_string(block.size) + " is empty or outside [0, " + std::to_string(rows()) + ")");
    MatrixX<S> m = MatrixX<S>::Zero(block.size, block.size);
    for (std::size_t l = 0; l < blocks_.size(); ++l) {
      const Block& b = partition_[l];
      const Eigen::Index lo = std::max(b.offset, block.offset), hi = std::min(b.end(), block.end());
      if (lo >= hi) continue;
      m.block(lo - block.offset, lo - block.offset, hi - lo, hi - lo) =
          blocks_[l].block(lo - b.offset, lo - b.offset, hi - lo, hi - lo);
    }
    return DenseOperator<MatrixX<S>>(std::move(m));
  }

  /// f(w) = 1/2 w'Hw - h'w (accumulated in double).
  double value(const VectorX<S>& w) const {
    check_length(w, "value");
    VectorX<S> hw(rows());
    apply(w, hw);
    return 0.5 * w.template cast<double>().dot(hw.template cast<double>()) -
           h_.template cast<double>().dot(w.template cast<double>());
  }
  /// grad f(w) = H w - h.
  VectorX<S> gradient(const VectorX<S>& w) const {
    check_length(w, "gradient");
    VectorX<S> g(rows());
    apply(w, g);
    g -= h_;
    return g;
  }
  /// f(w) - f* = 1/2 (w - w*)'H(w - w*), accurate to rounding.
  double loss_gap(const VectorX<S>& w) const {
    check_length(w, "loss_gap");
    const VectorX<S> e = w - wstar_;
    VectorX<S> he(rows());
    apply(e, he);
    return 0.5 * e.template cast<double>().dot(he.template cast<double>());
  }
  /// gradient(w) + noise, the noise drawn from Rng(seed, step).
  VectorX<S> stochastic_gradient(const VectorX<S>& w, std::uint64_t seed, std::int64_t step) const {
    VectorX<S> g = gradient(w);
    if (noise_.kind == NoiseKind::none || noise_.scale == 0.0) return g;
    Rng rng(seed, static_cast<std::uint64_t>(step));
    for (Eigen::Index i = 0; i < g.size(); ++i) {
      const double xi = noise_.kind == NoiseKind::gaussian ? rng.normal() : rng.student_t(noise_.dof);
      g[i] += static_cast<S>(noise_.scale * xi);
    }
    return g;
  }

  /// Internal (used by make_block_quadratic): blocks whose eigenvalues are known by construction.
  BlockQuadratic(detail::known_spectrum_t, BlockPartition partition, std::vector<MatrixX<S>> blocks, std::vector<Eigen::VectorXd> ev,
                 VectorX<S> minimizer, GradientNoise noise)
      : partition_(std::move(partition)),
        blocks_(std::move(blocks)),
        eigenvalues_(std::move(ev)),
        wstar_(std::move(minimizer)),
        noise_(noise) {
    finish();
  }

 private:
  void finish() {
    h_.resize(rows());
    apply(wstar_, h_);
    fstar_ = -0.5 * wstar_.template cast<double>().dot(h_.template cast<double>());
  }
  void check_length(const VectorX<S>& w, const char* what) const {
    detail::require(w.size() == rows(), std::string("BlockQuadratic::") + what,
                    "w has length " + std::to_string(w.size()) + " but the dimension is " + std::to_string(rows()));
  }

  BlockPartition partition_;
  std::vector<MatrixX<S>> blocks_;
  std::vector<Eigen::VectorXd> eigenvalues_;
  VectorX<S> wstar_, h_;
  double fstar_ = 0.0;
  GradientNoise noise_{};
};

/// Builds H_l = Q_l diag(lambda_l) Q_l' (Q_l Haar, seeded per block) with exactly the
/// requested block eigenvalues (all > 0), and w* ~ N(0, I). Deterministic given `seed`.
/// Example:
///   auto q = blockspec::make_block_quadratic({{"a", ev_a}, {"b", ev_b}}, 42);
///   auto g = q.gradient(q.initial_point());
template <Scalar S = double>
BlockQuadratic<S> make_block_quadratic(const std::vector<BlockSpectrum>& spectra, std::uint64_t seed,
                                       GradientNoise noise = {}) {
  const std::string where = "make_block_quadratic";
  detail::require(!spectra.empty(), where, "no blocks given");
  noise.validate(where);
  std::vector<std::pair<std::string, Eigen::Index>> sizes;
  std::vector<MatrixX<S>> blocks;
  std::vector<Eigen::VectorXd> evs;
  for (std::size_t l = 0; l < spectra.size(); ++l) {
    const auto& sp = spectra[l];
    const std::string name = sp.name.empty() ? "block" + std::to_string(l) : sp.name;
    detail::require(sp.eigenvalues.size() > 0, where, "block " + std::to_string(l) + " ('" + name + "') is empty");
    detail::require(sp.eigenvalues.allFinite(), where, "block '" + name + "' has a non-finite eigenvalue");
    detail::require(sp.eigenvalues.minCoeff() > 0.0, where,
                    "block '" + name + "' has a non-positive eigenvalue " +
                        detail::format_double(sp.eigenvalues.minCoeff()) + " (H must be positive definite)");
    const Eigen::Index n = sp.eigenvalues.size();
    Rng block_seed(seed, 1 + l);
    const Eigen::MatrixXd q = haar_orthogonal(n, block_seed());
    Eigen::MatrixXd h = q * sp.eigenvalues.asDiagonal() * q.transpose();
    h = 0.5 * (h + h.transpose()).eval();
    blocks.push_back(h.template cast<S>());
    evs.push_back(detail::sorted(sp.eigenvalues));
    sizes.emplace_back(name, n);
  }
  BlockPartition partition = BlockPartition::from_sizes(sizes);
  Rng rng(seed, 0);
  VectorX<S> wstar(partition.dimension());
  for (Eigen::Index i = 0; i < wstar.size(); ++i) wstar[i] = static_cast<S>(rng.normal());
  return BlockQuadratic<S>(detail::known_spectrum_t{}, std::move(partition), std::move(blocks),
                           std::move(evs), std::move(wstar), noise);
}

}  // namespace blockspec
