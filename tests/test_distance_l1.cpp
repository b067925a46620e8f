// Tests for distance/l1.hpp: the L1 distance of two Gaussians against its closed form, its range,
// and its errors.
#include <blockspec/distance/l1.hpp>

#include <doctest/doctest.h>

#include <Eigen/Core>

#include <cmath>

namespace {

// A unit mass at `mu`, smoothed with a Gaussian of width sigma, on `grid`.
blockspec::Density gaussian(double mu, double sigma, const blockspec::Grid& grid) {
  blockspec::Quadrature q{Eigen::VectorXd::Constant(1, mu), Eigen::VectorXd::Ones(1)};
  return blockspec::density(q, grid, blockspec::GaussianKernel{.sigma = sigma});
}

}  // namespace

TEST_CASE("l1_distance: two Gaussians against the closed form 2 erf(d / (2 sqrt(2) sigma))") {
  // N(0, s^2) and N(d, s^2) cross at d/2, so L1 = 2 (Phi(d / 2s) - Phi(-d / 2s)) = 2 erf(d / (2 sqrt 2 s)).
  // The grid [-10, 12] holds both to 1e-20; the trapezoid rule on 4001 points (h = 0.0055, s = 1)
  // is accurate to about h^2 |f''| ~ 1e-5 at the kink where |a - b| changes sign: tolerance 1e-4.
  const auto grid = blockspec::Grid::linear(-10.0, 12.0, 4001);
  for (double d : {0.1, 0.5, 1.0, 2.0, 4.0}) {
    const double expected = 2.0 * std::erf(d / (2.0 * std::sqrt(2.0)));
    const double got = blockspec::l1_distance(gaussian(0.0, 1.0, grid), gaussian(d, 1.0, grid));
    CAPTURE(d);
    CHECK(std::abs(got - expected) <= 1e-4);
  }
  // Identical densities: exactly 0; far apart: 2 up to the normalization's rounding.
  CHECK(blockspec::l1_distance(gaussian(1.0, 1.0, grid), gaussian(1.0, 1.0, grid)) == 0.0);
  const auto wide = blockspec::Grid::linear(-10.0, 60.0, 8001);
  CHECK(std::abs(blockspec::l1_distance(gaussian(0.0, 1.0, wide), gaussian(50.0, 1.0, wide)) - 2.0) <= 1e-12);
  // Symmetric.
  const auto a = gaussian(0.0, 1.0, grid), b = gaussian(0.7, 1.3, grid);
  CHECK(blockspec::l1_distance(a, b) == doctest::Approx(blockspec::l1_distance(b, a)).epsilon(1e-15));
}

TEST_CASE("l1_distance: densities on different grids are refused") {
  const auto a = gaussian(0.0, 1.0, blockspec::Grid::linear(-5.0, 5.0, 101));
  const auto b = gaussian(0.0, 1.0, blockspec::Grid::linear(-5.0, 5.0, 201));
  CHECK_THROWS_WITH_AS(blockspec::l1_distance(a, b), doctest::Contains("different grids"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::l1_distance(blockspec::Density{}, b), doctest::Contains("first density is empty"),
                       blockspec::invalid_argument);
}
