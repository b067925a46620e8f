// Tests for <blockspec/lab/paper_js.hpp>: the JS formula on raw density values (the paper's JS0).
#include <blockspec/lab/paper_js.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <span>
#include <vector>

using blockspec::Density;
using blockspec::Grid;
using Span = std::span<const double>;

TEST_CASE("js_divergence_raw: the formula on values, no weights, grid-dependent") {
  const Grid g = Grid::linear(0.0, 1.0, 11);
  Eigen::VectorXd a = Eigen::VectorXd::Zero(11), b = Eigen::VectorXd::Zero(11), c = Eigen::VectorXd::Ones(11);
  a.head(5).setOnes();
  b.tail(5).setOnes();
  const Density da = Density::from_values(g, a), db = Density::from_values(g, b), dc = Density::from_values(g, c);
  // Raw JS: the formula on values, no weights. Uniform densities differing on a constant
  // factor do not exist (both normalized), so use da vs dc: on a grid of spacing h the raw
  // value is ~ JS / h; here check it against the formula written out.
  double raw = 0;
  for (int i = 0; i < 11; ++i) {
    const double x = da.values()[i], y = dc.values()[i];
    if (x > 0) raw += 0.5 * x * std::log(2 * x / (x + y));
    if (y > 0) raw += 0.5 * y * std::log(2 * y / (x + y));
  }
  CHECK(std::abs(blockspec::lab::js_divergence_raw(da, dc) - raw) <= 1e-12);  // 11 O(1) terms
  CHECK(blockspec::lab::js_divergence_raw(da, db) > std::numbers::ln2);  // unbounded: grid-dependent

  // On a linear grid of spacing h whose densities vanish at both ends (so the half weights of
  // the end points do not matter), masses = h x values and the log ratios are scale-free:
  // js_divergence_raw = js_divergence / h, up to rounding of 11 terms.
  Eigen::VectorXd e = Eigen::VectorXd::Zero(11), f = Eigen::VectorXd::Zero(11);
  for (int i = 1; i < 10; ++i) {
    e[i] = 1.0 + i;
    f[i] = 10.0 - i + (i % 3);
  }
  const Density de = Density::from_values(g, e), df = Density::from_values(g, f);
  CHECK(std::abs(blockspec::lab::js_divergence_raw(de, df) * 0.1 - blockspec::js_divergence(de, df)) <= 1e-15);
}

TEST_CASE("js_divergence_raw: extreme magnitudes stay finite") {
  // The smallest denormal against 1e5, where 2a / (a + b) underflows to 0.
  const std::vector<double> u{5e-324, 1.0}, v{1e5, 1.0};
  CHECK(std::isfinite(blockspec::lab::js_divergence_raw(Span(u), Span(v))));
}

TEST_CASE("js_divergence_raw: bad input names the entry and its value") {
  using blockspec::invalid_argument;
  const std::vector<double> ok{0.5, 0.5}, neg{1.5, -0.5}, ok3{0.2, 0.3, 0.5};
  CHECK_THROWS_WITH_AS(blockspec::lab::js_divergence_raw(Span(neg), Span(ok)),
                       doctest::Contains("a[1] must be finite and >= 0, got -0.5"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::lab::js_divergence_raw(Span(ok), Span(ok3)), doctest::Contains("different lengths (2 and 3)"),
                       invalid_argument);
  const Grid g1 = Grid::linear(0.0, 1.0, 11), g2 = Grid::linear(0.0, 1.0, 12);
  const Density d1 = Density::from_values(g1, Eigen::VectorXd::Ones(11)),
                d2 = Density::from_values(g2, Eigen::VectorXd::Ones(12));
  CHECK_THROWS_WITH_AS(blockspec::lab::js_divergence_raw(d1, d2), doctest::Contains("different grids"), invalid_argument);
}
