// Tests of spectral/grid.hpp, spectral/kernel.hpp and spectral/density.hpp.
#include <blockspec/spectral/density.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>

using namespace blockspec;

namespace {
// A hand-made quadrature: two probes with known nodes and weights.
SpectralQuadrature two_probe_quadrature() {
  SpectralQuadrature q;
  q.n = 10;
  ProbeQuadrature a, b;
  a.nodes = Eigen::Vector3d(-1.0, 0.0, 2.0);
  a.weights = Eigen::Vector3d(0.25, 0.5, 0.25);
  b.nodes = Eigen::Vector2d(-0.5, 1.5);
  b.weights = Eigen::Vector2d(0.5, 0.5);
  a.scale = b.scale = 10.0;
  a.steps = 3;
  b.steps = 2;
  b.stream = 1;
  q.probes = {a, b};
  q.requested_probes = 2;
  return q;
}
}  // namespace

TEST_CASE("Grid: linear, log and symlog points and trapezoid weights") {
  const Grid g = Grid::linear(-1.0, 3.0, 5);
  CHECK(g.size() == 5);
  CHECK(g.points()[0] == -1.0);
  CHECK(g.points()[4] == 3.0);
  CHECK(g.points()[2] == 1.0);
  // Trapezoid with h = 1: 0.5, 1, 1, 1, 0.5 (exact in binary).
  CHECK(g.weights()[0] == 0.5);
  CHECK(g.weights()[1] == 1.0);
  CHECK(g.weights()[4] == 0.5);

  for (const Grid& h : {Grid::linear(-2.0, 5.0, 1001), Grid::log(1e-4, 1e3, 1001), Grid::symlog(-10.0, 1e3, 1001, 1e-2)}) {
    CHECK(h.points()[0] == h.lo());
    CHECK(h.points()[h.size() - 1] == h.hi());
    for (int i = 1; i < h.size(); ++i) CHECK(h.points()[i] > h.points()[i - 1]);
    // The trapezoid weights telescope to hi - lo; only summation rounding (1e3 terms) remains.
    CHECK(h.weights().sum() == doctest::Approx(h.hi() - h.lo()).epsilon(1e-12));
    // Piecewise-linear functions are integrated exactly: integral of x over [lo, hi].
    CHECK(h.weights().dot(h.points()) ==
          doctest::Approx(0.5 * (h.hi() * h.hi() - h.lo() * h.lo())).epsilon(1e-3));
  }
  // The log grid is geometric: constant ratio (to rounding of exp, ~1e-15 relative).
  const Grid lg = Grid::log(1e-3, 1e3, 7);
  for (int i = 0; i < 7; ++i) CHECK(lg.points()[i] == doctest::Approx(std::pow(10.0, -3 + i)).epsilon(1e-13));
  // Symlog is symmetric about 0 for a symmetric interval (sinh is odd).
  const Grid sg = Grid::symlog(-5.0, 5.0, 11, 0.1);
  for (int i = 0; i < 11; ++i) CHECK(sg.points()[i] == doctest::Approx(-sg.points()[10 - i]).epsilon(1e-14));
}

TEST_CASE("Grid: equality is same kind and bitwise-equal parameters") {
  CHECK(Grid::linear(0.0, 1.0, 11) == Grid::linear(0.0, 1.0, 11));
  CHECK_FALSE(Grid::linear(0.0, 1.0, 11) == Grid::linear(0.0, 1.0, 12));
  CHECK_FALSE(Grid::linear(0.0, 1.0, 11) == Grid::linear(0.0, std::nextafter(1.0, 2.0), 11));
  CHECK_FALSE(Grid::linear(1.0, 2.0, 11) == Grid::log(1.0, 2.0, 11));
  CHECK_FALSE(Grid::symlog(-1.0, 2.0, 11, 0.1) == Grid::symlog(-1.0, 2.0, 11, 0.2));
  CHECK(Grid::symlog(-1.0, 2.0, 11, 0.1).same_as(Grid::symlog(-1.0, 2.0, 11, 0.1)));
}

TEST_CASE("Grid: bad input") {
  CHECK_THROWS_WITH_AS(Grid::linear(1.0, 1.0, 10), doctest::Contains("lo must be < hi"), invalid_argument);
  CHECK_THROWS_WITH_AS(Grid::linear(2.0, 1.0, 10), doctest::Contains("lo must be < hi"), invalid_argument);
  CHECK_THROWS_WITH_AS(Grid::linear(0.0, 1.0, 1), doctest::Contains("points must be >= 2"), invalid_argument);
  CHECK_THROWS_WITH_AS(Grid::linear(0.0, std::nan(""), 10), doctest::Contains("finite"), invalid_argument);
  CHECK_THROWS_WITH_AS(Grid::log(0.0, 1.0, 10), doctest::Contains("lo must be positive"), invalid_argument);
  CHECK_THROWS_WITH_AS(Grid::symlog(-1.0, 1.0, 10, 0.0), doctest::Contains("linthresh"), invalid_argument);
}

TEST_CASE("Kernels: unit mass and closed-form outside mass") {
  const GaussianKernel g{.sigma = 0.3};
  const CauchyKernel c{.gamma = 0.3};
  // Fine trapezoid on [-20, 20]: the Gaussian's mass beyond 20/0.3 sigma is 0 in double,
  // and the trapezoid error for a Gaussian is spectrally small (far below 1e-12).
  const Grid wide = Grid::linear(-20.0, 20.0, 40001);
  double mg = 0.0, mc = 0.0;
  for (int i = 0; i < wide.size(); ++i) {
    mg += wide.weights()[i] * g(wide.points()[i], 0.7);
    mc += wide.weights()[i] * c(wide.points()[i], 0.7);
  }
  CHECK(mg == doctest::Approx(1.0).epsilon(1e-12));
  // Cauchy: the mass outside [-20, 20] is (atan terms) about 2 * 0.3 / (pi * 20) ~ 0.0095;
  // the trapezoid error with h = 1e-3 << gamma is ~h^2 k''/12, below 1e-6.
  CHECK(mc == doctest::Approx(1.0 - c.mass_outside(-20.0, 20.0, 0.7)).epsilon(1e-6));
  // Gaussian outside mass: one-sided tail at 1 sigma is erfc(1/sqrt2)/2 = 0.158655...
  CHECK(g.mass_outside(-1e9, 0.3, 0.0) == doctest::Approx(0.15865525393145705).epsilon(1e-14));
  CHECK(c.mass_outside(0.0, 1e300, 0.0) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK_THROWS_WITH_AS(GaussianKernel{.sigma = 0.0}.validate(), doctest::Contains("sigma"), invalid_argument);
  CHECK_THROWS_WITH_AS(GaussianKernel{.sigma = -1.0}.validate(), doctest::Contains("sigma"), invalid_argument);
  CHECK_THROWS_WITH_AS(GaussianKernel{.sigma = std::nan("")}.validate(), doctest::Contains("sigma"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(CauchyKernel{.gamma = 0.0}.validate(), doctest::Contains("gamma"), invalid_argument);
}

TEST_CASE("density: normalized on its grid, moments, outside mass") {
  const SpectralQuadrature q = two_probe_quadrature();
  const Grid grid = Grid::linear(-4.0, 5.0, 9001);
  const Density d = density(q, grid, GaussianKernel{.sigma = 0.1});
  // Normalization is exact up to rounding of ~1e4 additions.
  CHECK(d.grid().weights().dot(d.values()) == doctest::Approx(1.0).epsilon(1e-13));
  CHECK(d.masses().sum() == doctest::Approx(1.0).epsilon(1e-13));
  CHECK(d.grid() == grid);
  // All nodes are >= 30 sigma inside the grid: no mass outside (erfc(21) ~ 1e-193).
  CHECK(d.mass_outside() < 1e-100);
  // The mean of the smoothed measure is the measure's mean (the kernel is symmetric):
  // (1/2)(0.25*(-1) + 0 + 0.25*2) + (1/2)(0.5*(-0.5) + 0.5*1.5) = 0.125 + 0.25 = 0.375.
  // Trapezoid on a Gaussian with h = sigma/100: error far below 1e-10.
  CHECK(d.mean() == doctest::Approx(0.375).epsilon(1e-10));
  // Variance = variance of the measure + sigma^2. E[x^2] = 0.5*(0.25+1) + 0.5*(0.125+1.125) = 1.25.
  CHECK(d.variance() == doctest::Approx(1.25 - 0.375 * 0.375 + 0.01).epsilon(1e-10));
  CHECK(d.moment(0) == doctest::Approx(1.0).epsilon(1e-13));

  // A generic callable (a triangular kernel of half-width 0.2) works too.
  auto tri = [](double x, double t) { return std::max(0.0, 1.0 - std::abs(x - t) / 0.2) / 0.2; };
  const Density dt = density(q, grid, tri);
  CHECK(dt.mean() == doctest::Approx(0.375).epsilon(1e-10));
  CHECK(dt.mass_outside() < 1e-12);

  // Mass outside: a grid cut at the node 2.0 (weight 0.25 of probe 0, so 1/8 overall)
  // loses half of that kernel: 1/16 (other nodes are >= 5 sigma inside: < 3e-7 each).
  const Density cut = density(q, Grid::linear(-4.0, 2.0, 6001), GaussianKernel{.sigma = 0.1});
  CHECK(cut.mass_outside() == doctest::Approx(1.0 / 16.0).epsilon(1e-5));
  CHECK(cut.grid().weights().dot(cut.values()) == doctest::Approx(1.0).epsilon(1e-13));
}

TEST_CASE("exact_density and the matching quadrature agree") {
  const Eigen::Vector4d eig(-1.0, 0.0, 0.5, 3.0);
  const Grid grid = Grid::linear(-3.0, 5.0, 4001);
  const CauchyKernel k{.gamma = 0.05};
  const Density e = exact_density(eig, grid, k);
  Quadrature q{eig, Eigen::Vector4d::Constant(0.25)};
  const Density d = density(q, grid, k);
  // Same measure, same arithmetic: identical values.
  CHECK((e.values() - d.values()).cwiseAbs().maxCoeff() == 0.0);
  // Cauchy outside mass in closed form: 1/4 sum of (1 - (atan((5-t)/g) - atan((-3-t)/g))/pi).
  double expect = 0.0;
  for (double t : {-1.0, 0.0, 0.5, 3.0})
    expect += 0.25 * (1.0 - (std::atan((5.0 - t) / 0.05) - std::atan((-3.0 - t) / 0.05)) / std::numbers::pi);
  CHECK(e.mass_outside() == doctest::Approx(expect).epsilon(1e-12));
}

TEST_CASE("DensityOptions: automatic grid and width") {
  const SpectralQuadrature q = two_probe_quadrature();
  const NodeRange r = node_range(q);
  CHECK(r.min == -1.0);
  CHECK(r.max == 2.0);
  CHECK(r.mean_min == -0.75);
  CHECK(r.mean_max == 1.75);
  CHECK(r.measures == 2);

  // Default: pooled range padded by 5% of 3 = 0.15, 2001 points, sigma = 0.03.
  const Grid g = make_grid(r);
  CHECK(g.lo() == doctest::Approx(-1.15).epsilon(1e-15));
  CHECK(g.hi() == doctest::Approx(2.15).epsilon(1e-15));
  CHECK(g.size() == 2001);
  const AnyKernel k = make_kernel(r);
  REQUIRE(std::holds_alternative<GaussianKernel>(k));
  CHECK(std::get<GaussianKernel>(k).sigma == doctest::Approx(0.03).epsilon(1e-15));
  const Density d = density(q);
  CHECK(d.grid() == g);
  // Edge nodes sit 5 sigma inside: outside mass <= (1/2 erfc(5/sqrt2)) ~ 2.9e-7 per unit weight.
  CHECK(d.mass_outside() < 3e-7);

  // Paper: probe-mean range padded by 1, 50,000 points, sigma = sqrt(1e-5).
  const DensityOptions p = DensityOptions::paper();
  const Grid pg = make_grid(r, p);
  CHECK(pg.lo() == -1.75);
  CHECK(pg.hi() == 2.75);
  CHECK(pg.size() == 50000);
  CHECK(std::get<GaussianKernel>(make_kernel(r, p)).sigma == std::sqrt(1e-5));

  // Scale-free default: scaling the nodes by 7 scales the grid and the width by 7.
  SpectralQuadrature q7 = q;
  for (auto& pr : q7.probes) pr.nodes *= 7.0;
  const Grid g7 = make_grid(q7);
  CHECK(g7.lo() == doctest::Approx(7.0 * g.lo()).epsilon(1e-14));
  CHECK(std::get<GaussianKernel>(make_kernel(node_range(q7))).sigma == doctest::Approx(0.21).epsilon(1e-14));

  // Log and symlog grids.
  SpectralQuadrature pos = q;
  for (auto& pr : pos.probes) pr.nodes = pr.nodes.array() + 2.0;  // nodes in [1, 4]
  const Grid lg = make_grid(pos, {.grid = GridKind::log, .padding = {.value = 0.1, .relative = false}});
  CHECK(lg.kind() == GridKind::log);
  CHECK(lg.lo() == doctest::Approx(std::exp(-0.1)).epsilon(1e-15));
  CHECK(lg.hi() == doctest::Approx(4.0 * std::exp(0.1)).epsilon(1e-15));
  CHECK_THROWS_WITH_AS(make_grid(q, {.grid = GridKind::log}), doctest::Contains("positive nodes"), invalid_argument);
  const Grid sg = make_grid(q, {.grid = GridKind::symlog});
  CHECK(sg.kind() == GridKind::symlog);
  CHECK(sg.linthresh() == doctest::Approx(1e-3 * 2.15).epsilon(1e-14));

  // A degenerate range (all nodes equal) still gives a valid grid and width.
  const Eigen::VectorXd same = Eigen::VectorXd::Constant(5, 2.0);
  const Density ds = exact_density(same);
  CHECK(ds.mean() == doctest::Approx(2.0).epsilon(1e-9));
}

TEST_CASE("Density::from_values and bad input") {
  const Grid g = Grid::linear(0.0, 2.0, 3);  // weights 0.5, 1, 0.5
  const Density d = Density::from_values(g, Eigen::Vector3d(1.0, 2.0, 1.0));
  // Integral before normalization = 0.5 + 2 + 0.5 = 3.
  CHECK(d.values()[1] == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
  CHECK(d.mass_outside() == 0.0);

  CHECK_THROWS_WITH_AS(Density::from_values(g, Eigen::Vector3d::Zero()), doctest::Contains("all zero"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(Density::from_values(g, Eigen::Vector3d(1.0, -1.0, 1.0)), doctest::Contains("negative"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(Density::from_values(g, Eigen::Vector3d(1.0, std::nan(""), 1.0)),
                       doctest::Contains("not finite"), invalid_argument);
  CHECK_THROWS_WITH_AS(Density::from_values(g, Eigen::Vector2d(1.0, 1.0)), doctest::Contains("entries"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(Density::from_values(Grid{}, Eigen::VectorXd()), doctest::Contains("empty"),
                       invalid_argument);

  const SpectralQuadrature q = two_probe_quadrature();
  CHECK_THROWS_WITH_AS(density(q, g, GaussianKernel{.sigma = 0.0}), doctest::Contains("sigma"), invalid_argument);
  CHECK_THROWS_WITH_AS(density(q, g, GaussianKernel{.sigma = std::nan("")}), doctest::Contains("sigma"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(density(q, g, CauchyKernel{.gamma = -1.0}), doctest::Contains("gamma"), invalid_argument);
  CHECK_THROWS_WITH_AS(density(q, {.width = {.value = 0.0}}), doctest::Contains("width"), invalid_argument);
  CHECK_THROWS_WITH_AS(density(q, {.width = {.value = std::nan("")}}), doctest::Contains("width"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(density(q, {.points = 1}), doctest::Contains("points"), invalid_argument);
  // All kernel mass far outside the grid: the density would be all zero.
  CHECK_THROWS_WITH_AS(density(q, Grid::linear(100.0, 101.0, 11), GaussianKernel{.sigma = 0.01}),
                       doctest::Contains("all zero"), invalid_argument);
  CHECK_THROWS_WITH_AS(density(SpectralQuadrature{}, g, GaussianKernel{.sigma = 0.1}),
                       doctest::Contains("no probes"), invalid_argument);
}

TEST_CASE("ritz_histogram") {
  const SpectralQuadrature q = two_probe_quadrature();
  const Histogram h = ritz_histogram(q, 3, -1.0, 2.0);  // bins [-1,0) [0,1) [1,2]
  // Probe 0 (x1/2): -1 -> bin0 0.25, 0 -> bin1 0.5, 2 -> bin2 0.25; probe 1: -0.5 -> bin0, 1.5 -> bin2.
  CHECK(h.masses[0] == doctest::Approx(0.375).epsilon(1e-15));
  CHECK(h.masses[1] == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(h.masses[2] == doctest::Approx(0.375).epsilon(1e-15));
  CHECK(h.mass_outside == 0.0);
  const Histogram h2 = ritz_histogram(q, 2, -0.75, 1.0);
  // Outside [-0.75, 1]: nodes -1 (1/8), 2 (1/8) and 1.5 (1/4).
  CHECK(h2.mass_outside == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(ritz_histogram(q, 4).masses.sum() == doctest::Approx(1.0).epsilon(1e-15));
  CHECK_THROWS_WITH_AS(ritz_histogram(q, 0), doctest::Contains("bins"), invalid_argument);
}
