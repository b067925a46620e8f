// blockspec/optim/muon.hpp — Muon: momentum, then an orthogonalized update per matrix block.
//
// Method, per block b of the problem's partition viewed as a matrix G (Block::shape
// {rows, cols}, row-major; a block without a shape is a column, rows = size, cols = 1):
//   m <- beta m + (1 - beta) g                               (momentum buffer)
//   u <- (1 - beta) g + beta m    (nesterov)   or   u <- m   (plain momentum)
//   O <- NewtonSchulz5(U)                     (approximately the polar factor U (UᵀU)^(-1/2))
//   w <- (1 - lr weight_decay) w - lr sqrt(max(1, rows/cols)) O
// NewtonSchulz5 scales X = U / (‖U‖_F + eps), works on the wide orientation
// (transposes when rows > cols), then repeats X <- a X + (b A + c A²) X with A = X Xᵀ,
// using the quintic coefficients of the reference implementation:
//   a = 3.4445, b = -4.7750, c = 2.0315.
// These do not converge to the polar factor: they push every singular value of X,
// however small, quickly into roughly [0.7, 1.2] (for a 64 x 256 Gaussian matrix, all in
// [0.68, 1.21] after 5 steps), which is all the method needs. A matrix with singular
// values near 0 (a square Gaussian one) keeps some of them below 0.68 after 5 steps.
// A column block (cols = 1) is orthogonalized as an n x 1 matrix: its update is the
// normalized momentum, scaled by sqrt(n); the reference runs AdamW on such parameters
// instead, so results on vector-only partitions (the paper's quadratic cases) are Muon
// run outside its intended use.
// Cost per step: k (4 r² c + 2 r³) flops for a block of shape r x c (r <= c after the
// transpose), k = ns_steps (X Xᵀ, A², B X per iteration); O(n) memory for the momentum,
// O(r c + r²) scratch.
// Reference: K. Jordan, Y. Jin, V. Boza, J. You, F. Cesista, L. Newhouse and J. Bernstein,
// "Muon: An optimizer for hidden layers in neural networks" (2024),
// https://kellerjordan.github.io/posts/muon/ (the coefficients and the scaling above).
#pragma once

#include <blockspec/optim/optimizer.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace blockspec {

/// Options of Muon.
struct MuonOptions {
  double beta = 0.95;          ///< momentum, in [0, 1)
  bool nesterov = true;        ///< Nesterov's look-ahead u = (1 - beta) g + beta m
  int ns_steps = 5;            ///< Newton–Schulz iterations, in [1, 100]
  double weight_decay = 0.0;   ///< decoupled: w <- (1 - lr wd) w; >= 0
  double eps = 1e-7;           ///< added to ‖U‖_F before the scaling; > 0

  void validate(const std::string& where) const {
    detail::require_in(beta, 0.0, 0.999999999, where, "beta");
    detail::require(ns_steps >= 1 && ns_steps <= 100, where, "ns_steps must be in [1, 100], got " + std::to_string(ns_steps));
    detail::require(std::isfinite(weight_decay) && weight_decay >= 0.0, where,
                    "weight_decay must be finite and >= 0, got " + detail::format_double(weight_decay));
    detail::require(std::isfinite(eps) && eps > 0.0, where, "eps must be finite and > 0, got " + detail::format_double(eps));
  }
};

/// The quintic coefficients (a, b, c) of Muon's Newton–Schulz iteration.
inline constexpr double muon_ns_a = 3.4445, muon_ns_b = -4.7750, muon_ns_c = 2.0315;

/// NewtonSchulz5: `steps` quintic Newton–Schulz iterations on G / (‖G‖_F + eps), the
/// approximate orthogonalization Muon applies to each matrix update. G is not modified.
/// Throws invalid_argument for an empty or non-finite G.
inline Eigen::MatrixXd newton_schulz5(const Eigen::MatrixXd& g, int steps = 5, double eps = 1e-7) {
  const std::string where = "newton_schulz5";
  detail::require(g.size() > 0, where, "the matrix must not be empty");
  detail::require(steps >= 1, where, "steps must be >= 1, got " + std::to_string(steps));
  detail::require(g.allFinite(), where, "the matrix has a non-finite entry");
  const bool tall = g.rows() > g.cols();
  Eigen::MatrixXd x = tall ? Eigen::MatrixXd(g.transpose()) : g;
  x /= x.norm() + eps;
  Eigen::MatrixXd a(x.rows(), x.rows()), b(x.rows(), x.rows());
  for (int k = 0; k < steps; ++k) {
    a.noalias() = x * x.transpose();
    b.noalias() = muon_ns_c * (a * a);
    b += muon_ns_b * a;
    x = (muon_ns_a * x + b * x).eval();
  }
  if (tall) x.transposeInPlace();
  return x;
}

/// Muon (see the header comment). Blocks come from the problem's partition; a problem
/// without one is a single column block.
class Muon : public detail::OptimizerBase<Muon> {
 public:
  explicit Muon(MuonOptions o = {}) : o_(o) { o_.validate("muon"); }
  std::string name() const { return "muon"; }
  const MuonOptions& options() const noexcept { return o_; }
  void init(Eigen::Index n, const BlockPartition* part) {
    shapes_.clear();
    if (part) {
      detail::require(part->covers(), "muon::reset", "the problem's partition must cover every coordinate");
      for (const Block& b : *part) shapes_.push_back({b.offset, b.matrix_rows(), b.matrix_cols()});
    } else {
      shapes_.push_back({0, n, 1});
    }
    m_ = Eigen::VectorXd::Zero(n);
  }
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::VectorXd gd = g.template cast<double>();
    m_ = o_.beta * m_ + (1.0 - o_.beta) * gd;
    const Eigen::VectorXd u = o_.nesterov ? Eigen::VectorXd((1.0 - o_.beta) * gd + o_.beta * m_) : m_;
    if (o_.weight_decay > 0.0) w *= static_cast<S>(1.0 - lr * o_.weight_decay);
    for (const Shape& s : shapes_) {
      const Eigen::Index size = s.rows * s.cols;
      const Eigen::Map<const RowMajor> um(u.data() + s.offset, s.rows, s.cols);
      if (!um.allFinite()) {  // an overflowed gradient: w turns non-finite, the runner reports divergence
        w.segment(s.offset, size) -= u.segment(s.offset, size).template cast<S>();
        continue;
      }
      const RowMajor o = newton_schulz5(um, o_.ns_steps, o_.eps);
      const double scale = lr * std::sqrt(std::max(1.0, static_cast<double>(s.rows) / static_cast<double>(s.cols)));
      w.segment(s.offset, size) -= (scale * Eigen::Map<const Eigen::VectorXd>(o.data(), size)).template cast<S>();
    }
  }

 private:
  struct Shape {
    Eigen::Index offset, rows, cols;
  };
  MuonOptions o_;
  std::vector<Shape> shapes_;
  Eigen::VectorXd m_;
};

}  // namespace blockspec
