// blockspec/distance/matrix.hpp — pairwise distance matrices and the heterogeneity score.
//
// js_distance_matrix(densities)[i][j] = js_distance(d_i, d_j) (natural log,
// so entries lie in [0, sqrt(ln 2)]); js_divergence_matrix likewise with the
// divergence (in [0, ln 2]). Only the upper triangle is computed and mirrored,
// so the matrices are exactly symmetric with an exactly zero diagonal. All
// densities must share one grid (the error names the first pair that does not).
// heterogeneity(D) = mean of the off-diagonal entries of a distance matrix,
//   (1 / (k (k - 1))) sum_{i != j} D_ij,
// the paper's block-heterogeneity summary ("JS0"), here computed from the
// bounded JS *distance*, so it is at most sqrt(ln 2) ~ 0.8326 and 0 exactly
// when every block has the same density. The paper's own JS0 values use a
// different, grid-dependent normalization (see js_divergence_raw).
// Cost: k (k - 1) / 2 distance evaluations of O(N) each for k densities on N points.
#pragma once

#include <blockspec/distance/divergence.hpp>
#include <blockspec/error.hpp>
#include <blockspec/spectral/density.hpp>

#include <Eigen/Core>

#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace blockspec {

namespace detail {

template <class F>
Eigen::MatrixXd pairwise(std::span<const Density> ds, const char* where, F&& f) {
  require(!ds.empty(), where, "no densities given");
  for (std::size_t i = 0; i < ds.size(); ++i) {
    require(!ds[i].empty(), where, "density " + std::to_string(i) + " is empty");
    require(ds[i].grid().same_as(ds[0].grid()), where,
            "density " + std::to_string(i) + " is on a different grid than density 0 (" +
                ds[i].grid().describe() + " vs " + ds[0].grid().describe() +
                "); resample with blockspec::resample(density, grid)");
  }
  const Eigen::Index k = static_cast<Eigen::Index>(ds.size());
  std::vector<Eigen::VectorXd> masses;
  masses.reserve(ds.size());
  for (const auto& d : ds) masses.push_back(normalized_masses(d));
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = i + 1; j < k; ++j)
      m(i, j) = m(j, i) = f(as_span(masses[static_cast<std::size_t>(i)]), as_span(masses[static_cast<std::size_t>(j)]));
  return m;
}

}  // namespace detail

/// The k x k matrix of Jensen–Shannon distances between densities on one grid (symmetric, zero diagonal).
/// Example: `Eigen::MatrixXd D = blockspec::js_distance_matrix(densities);  // std::vector<Density>`
inline Eigen::MatrixXd js_distance_matrix(std::span<const Density> densities) {
  return detail::pairwise(densities, "js_distance_matrix",
                          [](auto p, auto q) { return std::sqrt(detail::js_clamped(p, q)); });
}

/// The k x k matrix of Jensen–Shannon divergences (natural log) between densities on one grid.
/// Example: `Eigen::MatrixXd J = blockspec::js_divergence_matrix(densities);`
inline Eigen::MatrixXd js_divergence_matrix(std::span<const Density> densities) {
  return detail::pairwise(densities, "js_divergence_matrix", [](auto p, auto q) { return detail::js_clamped(p, q); });
}

/// Mean off-diagonal entry of a distance matrix: the block-heterogeneity score.
/// Requires a square (k >= 2), finite, non-negative, symmetric matrix (|D_ij - D_ji| <= 1e-12 max(1, |D_ij|)).
/// Example: `double h = blockspec::heterogeneity(blockspec::js_distance_matrix(densities));`
inline double heterogeneity(const Eigen::Ref<const Eigen::MatrixXd>& distances) {
  const char* where = "heterogeneity";
  detail::require(distances.rows() == distances.cols(), where,
                  "the matrix must be square, got " + std::to_string(distances.rows()) + " x " +
                      std::to_string(distances.cols()));
  detail::require(distances.rows() >= 2, where,
                  "need at least 2 blocks, got " + std::to_string(distances.rows()));
  const Eigen::Index k = distances.rows();
  detail::CompensatedSum s;
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) {
      const double a = distances(i, j);
      const std::string at = "entry (" + std::to_string(i) + ", " + std::to_string(j) + ")";
      detail::require(std::isfinite(a), where, at + " is not finite");
      if (i == j) continue;
      detail::require(a >= 0.0, where, at + " is negative (" + detail::format_double(a) + ")");
      detail::require(std::abs(a - distances(j, i)) <= 1e-12 * std::max(1.0, std::abs(a)), where,
                      "the matrix is not symmetric at " + at + " (" + detail::format_double(a) + " vs " +
                          detail::format_double(distances(j, i)) + ")");
      s.add(a);
    }
  return s.value() / static_cast<double>(k * (k - 1));
}

/// heterogeneity(js_distance_matrix(densities)).
/// Example: `double h = blockspec::heterogeneity(std::span<const blockspec::Density>(densities));`
inline double heterogeneity(std::span<const Density> densities) {
  return heterogeneity(js_distance_matrix(densities));
}

}  // namespace blockspec
