// Tests of spectral/grid.hpp, spectral/kernel.hpp and spectral/density.hpp.
#include <blockspec/spectral/density.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

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

TEST_CASE("LogGaussianKernel: a Gaussian in ln x with the 1/x Jacobian, unit mass, closed-form outside mass") {
  const LogGaussianKernel k{.sigma = 0.3};
  const double t = 7.0;
  // Independent route: the density of ln x is N(ln t, sigma^2); d ln x / dx = 1 / x.
  for (double x : {0.5, 3.0, 7.0, 20.0})
    CHECK(k(x, t) == doctest::Approx(GaussianKernel{.sigma = 0.3}(std::log(x), std::log(t)) / x).epsilon(1e-14));
  CHECK(k(0.0, t) == 0.0);
  CHECK(k(-1.0, t) == 0.0);
  // Trapezoid on a log grid of ratio e^delta over ln t +- 12 sigma (tail mass erfc(12/sqrt2) ~ 4e-33).
  // The trapezoid error is -(1/12) sum h_i^3 f'' ~ -(delta^2/12) int x^2 f''(x) dx = -delta^2/6
  // (two integrations by parts: int x^2 f'' = 2 int f = 2), so we allow delta^2/3.
  const int n = 20001;
  const Grid g = Grid::log(t * std::exp(-12 * k.sigma), t * std::exp(12 * k.sigma), n);
  const double delta = 24 * k.sigma / (n - 1);
  double m = 0.0;
  for (int i = 0; i < g.size(); ++i) m += g.weights()[i] * k(g.points()[i], t);
  CHECK(std::abs(m - 1.0) <= delta * delta / 3.0);
  CHECK(std::abs(m - 1.0) > 0.0);  // (the bound is not vacuous: the error is of order delta^2/6 ~ 2e-8)
  // Outside mass: [t, inf) holds half; [t e^-sigma, t e^sigma] holds erf(1/sqrt2) = 0.6826894921370859.
  CHECK(k.mass_outside(t, 1e300, t) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK(k.mass_outside(t * std::exp(-0.3), t * std::exp(0.3), t) ==
        doctest::Approx(1.0 - 0.6826894921370859).epsilon(1e-13));
  CHECK(k.mass_outside(-5.0, 1e300, t) == doctest::Approx(0.0).epsilon(1e-14));  // none below 0
  CHECK_THROWS_WITH_AS(LogGaussianKernel{.sigma = 0.0}.validate(), doctest::Contains("natural-log"),
                       invalid_argument);
  // Density on a log grid: a node <= 0 is rejected with its value.
  SpectralQuadrature q = two_probe_quadrature();
  CHECK_THROWS_WITH_AS(density(q, Grid::log(0.1, 10.0, 101), LogGaussianKernel{.sigma = 0.5}),
                       doctest::Contains("node -1: the kernel (log-Gaussian sigma = 0.5"), invalid_argument);
}

TEST_CASE("DensityOptions: the log_gaussian kernel smooths every decade alike on a log grid") {
  // Eigenvalues 1, 10, ..., 1e4: one per decade.
  const Eigen::VectorXd eig = (Eigen::VectorXd(5) << 1.0, 10.0, 100.0, 1e3, 1e4).finished();
  const DensityOptions o{.kernel = KernelKind::log_gaussian, .grid = GridKind::log};
  const NodeRange r = node_range(eig);
  const AnyKernel k = make_kernel(r, o);
  REQUIRE(std::holds_alternative<LogGaussianKernel>(k));
  // Relative width: 1% of ln(max / min) = 0.01 ln(1e4).
  CHECK(std::get<LogGaussianKernel>(k).sigma == doctest::Approx(0.01 * std::log(1e4)).epsilon(1e-15));
  const Density d = exact_density(eig, o);
  // Each eigenvalue's bump has the same mass (1/5) and, on the log grid, the same peak height in
  // x * phi(x) (a Gaussian in ln x): compare the peak of x phi(x) near each eigenvalue.
  const auto& x = d.grid().points();
  std::vector<double> peaks;
  for (double e : {1.0, 10.0, 100.0, 1e3, 1e4}) {
    double p = 0.0;
    for (int g = 0; g < d.size(); ++g)
      if (std::abs(std::log(x[g] / e)) < 0.5) p = std::max(p, x[g] * d.values()[g]);
    peaks.push_back(p);
  }
  // Analytic peak: (1/5) / (sigma sqrt(2 pi)) at x = e; the grid samples it within half a log spacing
  // (d.grid ratio ~ 1.005, i.e. 0.0052 in ln x, 0.06 sigma: relative drop <= exp(-0.06^2/8) - 1 ~ 5e-4).
  const double peak = 0.2 / (std::get<LogGaussianKernel>(k).sigma * std::sqrt(2 * std::numbers::pi));
  for (double p : peaks) CHECK(p == doctest::Approx(peak).epsilon(1e-3));
  // A linear-unit Gaussian of 1% of the range (100) on the same log grid smears the lowest three
  // decades into one bump: its x phi(x) near 1 is far below the others' (not even).
  const Density lin = exact_density(eig, DensityOptions{.grid = GridKind::log});
  double p1 = 0.0;
  for (int g = 0; g < lin.size(); ++g)
    if (std::abs(std::log(x[g])) < 0.5) p1 = std::max(p1, lin.grid().points()[g] * lin.values()[g]);
  CHECK(p1 < 0.01 * peak);
  // Bad input: the kernel needs positive nodes; reflection is meaningless with it.
  CHECK_THROWS_WITH_AS(make_kernel(node_range(two_probe_quadrature()), o), doctest::Contains("smallest is -1"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(
      (DensityOptions{.kernel = KernelKind::log_gaussian, .boundary = Boundary::reflect_at_zero}.validate()),
      doctest::Contains("reflect_at_zero with kernel = log_gaussian"), invalid_argument);
  CHECK_THROWS_WITH_AS((DensityOptions{.kernel = static_cast<KernelKind>(7)}.validate()),
                       doctest::Contains("kernel is not a KernelKind value, got 7"), invalid_argument);
  CHECK_THROWS_WITH_AS((DensityOptions{.boundary = static_cast<Boundary>(5)}.validate()),
                       doctest::Contains("boundary is not a Boundary value, got 5"), invalid_argument);
}

TEST_CASE("ReflectedKernel and boundary = reflect_at_zero: no mass below 0, total 1 on [0, inf)") {
  const ReflectedKernel<GaussianKernel> k{.base = {.sigma = 1.0}};
  const double t = 0.3;
  // On [0, 20] the reflected kernel is smooth, so the trapezoid error with h = 1e-3 is
  // ~ h^2 |k'(20) - k'(0)| / 12 = 0 + (k'(0) = 0 by symmetry) plus O(h^4): allow 1e-9.
  const Grid g = Grid::linear(0.0, 20.0, 20001);
  double m = 0.0;
  for (int i = 0; i < g.size(); ++i) m += g.weights()[i] * k(g.points()[i], t);
  CHECK(m == doctest::Approx(1.0).epsilon(1e-9));
  CHECK(k(-0.1, t) == 0.0);
  // The unreflected kernel has Phi(-0.3) = 0.3820885778 of its mass below 0; the reflected one none.
  CHECK(k.base.mass_outside(0.0, 1e300, t) == doctest::Approx(0.38208857781104733).epsilon(1e-13));
  CHECK(k.mass_outside(-5.0, 1e300, t) == doctest::Approx(0.0).epsilon(1e-14));
  CHECK(k.mass_outside(0.0, 1e300, t) == doctest::Approx(0.0).epsilon(1e-14));
  // [0, 0.3]: base mass in [-0.3, 0.3] = erf(0.3/sqrt2) * ... computed independently as two Phi differences.
  const double Phi0 = 0.5 * std::erfc(0.3 / std::numbers::sqrt2);        // base mass below 0
  const double Phi_m06 = 0.5 * std::erfc(0.6 / std::numbers::sqrt2);     // base mass below -0.3
  const double in_0_03 = 0.5 - Phi0, in_m03_0 = Phi0 - Phi_m06;
  CHECK(k.mass_outside(0.0, 0.3, t) == doctest::Approx(1.0 - in_0_03 - in_m03_0).epsilon(1e-13));

  // Through DensityOptions: a positive spectrum with eigenvalues near 0.
  const Eigen::VectorXd eig = Eigen::VectorXd::LinSpaced(50, 0.01, 10.0);
  const Density plain = exact_density(eig, DensityOptions{});
  const Density refl = exact_density(eig, DensityOptions{.boundary = Boundary::reflect_at_zero});
  double below = 0.0;
  for (int i = 0; i < plain.size(); ++i)
    if (plain.grid().points()[i] < 0.0) below += plain.masses()[i];
  CHECK(below > 1e-3);  // the default width (0.1) puts part of the lowest nodes' mass below 0
  CHECK(refl.grid().lo() == 0.0);
  CHECK(refl.masses().sum() == doctest::Approx(1.0).epsilon(1e-12));
  // The mass the closed form reports off the grid is only the upper tail (5 sigma: < 3e-7).
  CHECK(refl.mass_outside() < 3e-7);
  // On a user grid reaching below 0, every point below 0 gets exactly zero.
  const Density u = exact_density(eig, Grid::linear(-2.0, 12.0, 1401), k);
  for (int i = 0; i < u.size(); ++i)
    if (u.grid().points()[i] < 0.0) CHECK(u.values()[i] == 0.0);
  CHECK(std::holds_alternative<ReflectedKernel<GaussianKernel>>(
      make_kernel(node_range(eig), {.boundary = Boundary::reflect_at_zero})));
  // Bad input: a negative node is not a semidefinite spectrum.
  CHECK_THROWS_WITH_AS(exact_density(-eig, DensityOptions{.boundary = Boundary::reflect_at_zero}),
                       doctest::Contains("smallest is -10"), invalid_argument);
  CHECK_THROWS_WITH_AS(exact_density(-eig, Grid::linear(-11.0, 1.0, 1001), k),
                       doctest::Contains("node -0.01: the kernel (Gaussian sigma = 1, reflected at 0) needs nodes >= 0"),
                       invalid_argument);
}

TEST_CASE("density: a kernel narrower than half the grid spacing is an error naming the scale") {
  const Eigen::VectorXd eig = Eigen::VectorXd::LinSpaced(10, 1.0, 10.0);
  // Spacing 0.01 on [0, 11] (1101 points); sigma = 0.004 < 0.005.
  const Grid g = Grid::linear(0.0, 11.0, 1101);
  CHECK_THROWS_WITH_AS(exact_density(eig, g, GaussianKernel{.sigma = 0.004}),
                       doctest::Contains("(Gaussian sigma = 0.004) has width 0.004 at node 1, less than half the "
                                         "grid spacing 0.01"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(exact_density(eig, g, GaussianKernel{.sigma = 0.004}), doctest::Contains("more grid points (at least 137"),
                       invalid_argument);
  CHECK_NOTHROW(exact_density(eig, g, GaussianKernel{.sigma = 0.006}));
  // The paper's sigma on its 50,000 points fails on a spectrum 5000 wide (spacing 0.1 >> 0.0032).
  const Eigen::VectorXd wide = Eigen::VectorXd::LinSpaced(10, 1.0, 5000.0);
  CHECK_THROWS_WITH_AS(exact_density(wide, DensityOptions::paper()), doctest::Contains("sigma = 0.0031622776601683794"),
                       invalid_argument);
  // ...and works on a spectrum of order one (spacing 4e-5 < 2 sigma).
  CHECK_NOTHROW(exact_density(Eigen::VectorXd::LinSpaced(10, -1.0, 1.0), DensityOptions::paper()));
  // A log-unit kernel on a linear grid is narrow near small nodes: width sigma * node.
  CHECK_THROWS_WITH_AS(exact_density(eig, g, LogGaussianKernel{.sigma = 0.004}),
                       doctest::Contains("has width 0.004 at node 1"), invalid_argument);
}

TEST_CASE("node_range of several runs is their union, under either range rule") {
  SpectralQuadrature a = two_probe_quadrature();  // probe mins -1, -0.5; maxes 2, 1.5
  SpectralQuadrature b = a;
  for (auto& p : b.probes) p.nodes.array() += 100.0;
  const std::vector<SpectralQuadrature> qs{a, b};
  const NodeRange r = node_range(std::span<const SpectralQuadrature>(qs));
  CHECK(r.min == -1.0);
  CHECK(r.max == 102.0);
  CHECK(r.mean_min == -0.75);   // a's own probe mean
  CHECK(r.mean_max == 101.75);  // b's own probe mean
  CHECK(r.measures == 4);
  const Grid pg = make_grid(r, {.padding = {.value = 0.0, .relative = false}, .range = RangeRule::probe_mean});
  CHECK(pg.lo() == -0.75);
  CHECK(pg.hi() == 101.75);
}
