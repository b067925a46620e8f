// bench/bench_common.hpp — the operators and data every benchmark shares.
//
// - goe(n): the dense GOE matrix of the runs, read from bench/out/goe_<n>.npy
//   when the driver wrote it (so numpy and C++ use the very same matrix),
//   generated from Rng(0) otherwise.
// - laplacian_2d(g): the 5-point Dirichlet Laplacian on a g x g grid, CSR built
//   directly (no triplets), and its exact eigenvalues.
// - Stencil3d: the matrix-free 7-point Laplacian on a g^3 grid (thread-safe,
//   batched by a loop over columns), and its exact eigenvalues.
// - the exact (smoothed) density of those Laplacians, to measure an SLQ density's L1 error
//   with the library's own density() and l1_distance().
#pragma once

#include <blockspec/distance/l1.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/random.hpp>
#include <blockspec/spectral/density.hpp>
#include <blockspec/spectral/grid.hpp>
#include <blockspec/types.hpp>

#include <Eigen/SparseCore>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

namespace bench {

inline std::string data_dir() {
  const char* d = std::getenv("BLOCKSPEC_BENCH_DATA");
  return d ? d : "bench/out";
}

inline double load_average() {
  std::ifstream f("/proc/loadavg");
  double l = -1;
  f >> l;
  return l;
}

/// The GOE matrix (G + G') / sqrt(2n), G with N(0,1) entries: spectrum ~ semicircle on [-2, 2].
inline const Eigen::MatrixXd& goe(Eigen::Index n) {
  static Eigen::MatrixXd a;
  if (a.rows() == n) return a;
  const std::filesystem::path file = data_dir() + "/goe_" + std::to_string(n) + ".npy";
  if (std::filesystem::exists(file)) {
    a = blockspec::read_npy_matrix(file);
  } else {
    blockspec::Rng rng(0, 0);
    Eigen::MatrixXd g(n, n);
    for (Eigen::Index i = 0; i < n * n; ++i) g.data()[i] = rng.normal();
    a = (g + g.transpose()) / std::sqrt(2.0 * static_cast<double>(n));
  }
  return a;
}

/// 5-point Dirichlet Laplacian on a g x g grid (row-major CSR, built directly).
inline Eigen::SparseMatrix<double, Eigen::RowMajor> laplacian_2d(Eigen::Index g) {
  const Eigen::Index n = g * g;
  Eigen::SparseMatrix<double, Eigen::RowMajor> a(n, n);
  a.reserve(Eigen::VectorXi::Constant(n, 5));
  for (Eigen::Index i = 0; i < g; ++i)
    for (Eigen::Index j = 0; j < g; ++j) {
      const Eigen::Index r = i * g + j;
      if (i > 0) a.insert(r, r - g) = -1.0;
      if (j > 0) a.insert(r, r - 1) = -1.0;
      a.insert(r, r) = 4.0;
      if (j + 1 < g) a.insert(r, r + 1) = -1.0;
      if (i + 1 < g) a.insert(r, r + g) = -1.0;
    }
  a.makeCompressed();
  return a;
}

inline std::vector<double> laplacian_1d_eigenvalues(Eigen::Index g) {
  std::vector<double> e(static_cast<std::size_t>(g));
  for (Eigen::Index k = 1; k <= g; ++k)
    e[static_cast<std::size_t>(k - 1)] = 2.0 - 2.0 * std::cos(static_cast<double>(k) * std::numbers::pi / static_cast<double>(g + 1));
  return e;
}

/// Matrix-free 7-point Dirichlet Laplacian on a g^3 grid: y = 6x - (six neighbours).
template <class S>
struct Stencil3d {
  using Scalar = S;
  static constexpr bool thread_safe = true;
  Eigen::Index g = 0;
  Eigen::Index rows() const { return g * g * g; }
  void apply(Eigen::Ref<const blockspec::VectorX<S>> x, Eigen::Ref<blockspec::VectorX<S>> y) const {
    const Eigen::Index g2 = g * g;
    const S* xp = x.data();
    S* yp = y.data();
    for (Eigen::Index i = 0; i < g; ++i)
      for (Eigen::Index j = 0; j < g; ++j) {
        const Eigen::Index base = i * g2 + j * g;
        const S* xr = xp + base;
        S* yr = yp + base;
        const bool up = i > 0, down = i + 1 < g, left = j > 0, right = j + 1 < g;
        for (Eigen::Index l = 0; l < g; ++l) {
          S v = S(6) * xr[l];
          if (l > 0) v -= xr[l - 1];
          if (l + 1 < g) v -= xr[l + 1];
          if (left) v -= xr[l - g];
          if (right) v -= xr[l + g];
          if (up) v -= xr[l - g2];
          if (down) v -= xr[l + g2];
          yr[l] = v;
        }
      }
  }
  void apply_block(Eigen::Ref<const blockspec::MatrixX<S>> x, Eigen::Ref<blockspec::MatrixX<S>> y) const {
    for (Eigen::Index c = 0; c < x.cols(); ++c) apply(x.col(c), y.col(c));
  }
};

/// The exact spectral density of a Laplacian with eigenvalues e_i + e_j (+ e_l), smoothed with
/// the library's Gaussian kernel of width sigma on `grid`: the g^dims eigenvalues are binned into
/// 20 bins per sigma first (a discrete measure of bin centres; exact to O((bin/sigma)^2)), then
/// smoothed by blockspec::density like any SLQ quadrature.
inline blockspec::Density exact_laplacian_density(const std::vector<double>& e1d, int dims, const blockspec::Grid& grid,
                                                  double sigma) {
  const double top = 4.0 * dims;
  const int bins = static_cast<int>(std::ceil(top / (sigma / 20.0)));
  const double width = top / bins;
  Eigen::VectorXd hist = Eigen::VectorXd::Zero(bins);
  const std::size_t g = e1d.size();
  auto add = [&](double e) { hist[std::min(bins - 1, static_cast<int>(e / width))] += 1.0; };
  for (std::size_t a = 0; a < g; ++a)
    for (std::size_t b = 0; b < g; ++b) {
      if (dims == 2) add(e1d[a] + e1d[b]);
      else
        for (std::size_t c = 0; c < g; ++c) add(e1d[a] + e1d[b] + e1d[c]);
    }
  blockspec::Quadrature measure{(Eigen::VectorXd::LinSpaced(bins, 0.5, bins - 0.5) * width).eval(), hist / hist.sum()};
  return blockspec::density(measure, grid, blockspec::GaussianKernel{.sigma = sigma});
}

}  // namespace bench
