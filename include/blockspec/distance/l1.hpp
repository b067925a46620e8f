// blockspec/distance/l1.hpp — the L1 distance between two densities on one grid.
//
// Method: L1(a, b) = integral |a(x) - b(x)| dx, evaluated with the grid's own
// quadrature weights: sum_g w_g |a_g - b_g| (trapezoid weights on a linear
// grid, the transformed weights on a log or symlog one). Both densities
// integrate to 1 on the grid, so the result is in [0, 2] up to rounding, and
// it is twice the total-variation distance. It is the usual accuracy figure of
// an SLQ density against the exact one, both smoothed with the same kernel.
// Cost: O(N) on N grid points. Caveat: the two densities must share the grid
// (resample one onto the other's with distance/resample.hpp); the quadrature
// error of the grid adds to the result (about (h / sigma)^2 for a Gaussian
// kernel of width sigma on spacing h).
#pragma once

#include <blockspec/distance/divergence.hpp>
#include <blockspec/spectral/density.hpp>

#include <Eigen/Core>

namespace blockspec {

/// L1 distance of two densities on the same grid, in [0, 2].
/// Example: `double e = blockspec::l1_distance(blockspec::density(q, grid, k), blockspec::exact_density(ev, grid, k));`
inline double l1_distance(const Density& a, const Density& b) {
  detail::check_same_grid(a, b, "l1_distance");
  return a.grid().weights().dot((a.values() - b.values()).cwiseAbs());
}

}  // namespace blockspec
