// Tests for distance/divergence.hpp: KL and Jensen–Shannon on probability vectors and densities.
#include <blockspec/distance/divergence.hpp>

#include <doctest/doctest.h>

#include <blockspec/random.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using blockspec::Density;
using blockspec::Grid;
using Span = std::span<const double>;

namespace {

// A random probability vector of length n with some exact zeros.
std::vector<double> random_probability(blockspec::Rng& rng, int n, double zero_fraction) {
  std::vector<double> p(static_cast<std::size_t>(n));
  double s = 0;
  for (auto& x : p) {
    x = rng.uniform() < zero_fraction ? 0.0 : rng.uniform();
    s += x;
  }
  if (s == 0) p[0] = s = 1;
  for (auto& x : p) x /= s;
  // The sum is now 1 within a few ulps, well inside the 1e-12 n the functions allow.
  return p;
}

// Independent reference: JS = H(m) - (H(p) + H(q)) / 2 in long double through the mixture
// (fine here: no value underflows), entropy with 0 log 0 = 0.
double js_reference(const std::vector<double>& p, const std::vector<double>& q) {
  auto h = [](long double x) { return x > 0 ? -x * std::log(x) : 0.0L; };
  long double hm = 0, hp = 0, hq = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    hm += h((static_cast<long double>(p[i]) + q[i]) / 2);
    hp += h(p[i]);
    hq += h(q[i]);
  }
  return static_cast<double>(hm - (hp + hq) / 2);
}

}  // namespace

TEST_CASE("js: hand-computed values on discrete distributions") {
  const std::vector<double> p{0.5, 0.5, 0.0}, q{0.25, 0.25, 0.5};
  // 1/2 [2 * 0.5 ln(1/0.75) + 2 * 0.25 ln(0.5/0.75) + 0.5 ln 2]
  const double expect = 0.5 * (std::log(4.0 / 3.0) + 0.5 * std::log(2.0 / 3.0) + 0.5 * std::log(2.0));
  // 1e-12: the computation is a handful of correctly rounded operations on O(1) values.
  CHECK(std::abs(blockspec::js_divergence(Span(p), Span(q)) - expect) <= 1e-12);
  CHECK(std::abs(blockspec::js_distance(Span(p), Span(q)) - std::sqrt(expect)) <= 1e-12);

  // Two-point case, p = (a, 1-a), q = (b, 1-b), with the closed form written out.
  const double a = 0.9, b = 0.2;
  const double e2 = 0.5 * (a * std::log(2 * a / (a + b)) + (1 - a) * std::log(2 * (1 - a) / (2 - a - b)) +
                           b * std::log(2 * b / (a + b)) + (1 - b) * std::log(2 * (1 - b) / (2 - a - b)));
  const std::vector<double> p2{a, 1 - a}, q2{b, 1 - b};
  CHECK(std::abs(blockspec::js_divergence(Span(p2), Span(q2)) - e2) <= 1e-12);

  // KL(p || q) = 0.5 ln 2 + 0.5 ln(2/3) for p = (1/2, 1/2), q = (1/4, 3/4).
  const std::vector<double> p3{0.5, 0.5}, q3{0.25, 0.75};
  CHECK(std::abs(blockspec::kl_divergence(Span(p3), Span(q3)) - (0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0))) <= 1e-12);
}

TEST_CASE("js: zero for identical, ln 2 for disjoint supports, symmetric, agrees with the mixture formula") {
  blockspec::Rng rng(42, 0);
  for (int t = 0; t < 50; ++t) {
    const auto p = random_probability(rng, 20, 0.3), q = random_probability(rng, 20, 0.3);
    CHECK(blockspec::js_divergence(Span(p), Span(p)) == 0.0);  // every log1p argument is exactly 0
    const double pq = blockspec::js_divergence(Span(p), Span(q)), qp = blockspec::js_divergence(Span(q), Span(p));
    CHECK(pq == qp);  // the terms are the same numbers added in the same order
    CHECK(pq >= 0.0);
    CHECK(pq <= std::numbers::ln2);
    // 1e-12: both sides are sums of 20 O(1) terms in (at least) double precision.
    CHECK(std::abs(pq - js_reference(p, q)) <= 1e-12);
  }
  const std::vector<double> p{0.2, 0.3, 0.5, 0.0, 0.0}, q{0.0, 0.0, 0.0, 0.6, 0.4};
  // Disjoint supports: every term is p_i ln 2 or q_i ln 2; the error is rounding of a 5-term sum.
  CHECK(std::abs(blockspec::js_divergence(Span(p), Span(q)) - std::numbers::ln2) <= 4 * 1e-16);
  CHECK(std::abs(blockspec::js_distance(Span(p), Span(q)) - std::sqrt(std::numbers::ln2)) <= 4 * 1e-16);
}

TEST_CASE("js: triangle inequality of js_distance on random triples") {
  blockspec::Rng rng(7, 1);
  int checked = 0;
  for (int t = 0; t < 2000; ++t) {
    const int n = 2 + static_cast<int>(rng.uniform() * 6);
    const auto p = random_probability(rng, n, 0.25), q = random_probability(rng, n, 0.25),
               r = random_probability(rng, n, 0.25);
    const double pq = blockspec::js_distance(Span(p), Span(q)), qr = blockspec::js_distance(Span(q), Span(r)),
                 pr = blockspec::js_distance(Span(p), Span(r));
    // 1e-12 slack: each distance carries a rounding error far below it (the divergences
    // are accurate to ~1e-16 and the distances here are not tiny).
    CHECK(pr <= pq + qr + 1e-12);
    ++checked;
  }
  CHECK(checked == 2000);
}

TEST_CASE("js: no underflow trouble in Gaussian tails") {
  // Values near the bottom of the double range (denormals), where the mixture m = (p+q)/2 and
  // log(m) lose all precision: the log1p form still gives finite, correct terms.
  std::vector<double> p{0.5, 0.5 - 2e-310, 2e-310, 0.0}, q{0.5, 0.5 - 1e-320, 0.0, 1e-320};
  const double js = blockspec::js_divergence(Span(p), Span(q));
  CHECK(std::isfinite(js));
  // Exact: 1/2 (2e-310 ln 2 + 1e-320 ln 2) plus a negligible term from entry 1: far below 1e-300.
  CHECK(js >= 0.0);
  CHECK(js < 1e-300);
  // Very different magnitudes (a << b), where (a - b) / (a + b) rounds to -1 and log1p would
  // give -inf: the result is finite and matches the long-double mixture reference (1e-12,
  // O(1) terms).
  const std::vector<double> r{1e-30, 1.0 - 1e-30}, s{0.5, 0.5};
  const double jr = blockspec::js_divergence(Span(r), Span(s));
  CHECK(std::isfinite(jr));
  CHECK(std::abs(jr - js_reference(r, s)) <= 1e-12);
}

TEST_CASE("kl: +inf when q = 0 where p > 0; zero terms where p = 0") {
  const std::vector<double> p{0.5, 0.5, 0.0}, q{1.0, 0.0, 0.0}, r{0.5, 0.25, 0.25};
  CHECK(std::isinf(blockspec::kl_divergence(Span(p), Span(q))));
  CHECK(blockspec::kl_divergence(Span(p), Span(q)) > 0);
  // p has a zero where r does not: 0 log 0 = 0, finite: 0.5 ln(0.5/0.25) = 0.5 ln 2.
  CHECK(std::abs(blockspec::kl_divergence(Span(p), Span(r)) - 0.5 * std::log(2.0)) <= 1e-15);
  CHECK(blockspec::kl_divergence(Span(r), Span(r)) == 0.0);
}

TEST_CASE("divergences on densities use the grid weights") {
  const Grid g = Grid::linear(0.0, 1.0, 11);
  Eigen::VectorXd a = Eigen::VectorXd::Zero(11), b = Eigen::VectorXd::Zero(11), c = Eigen::VectorXd::Ones(11);
  a.head(5).setOnes();
  b.tail(5).setOnes();
  const Density da = Density::from_values(g, a), db = Density::from_values(g, b), dc = Density::from_values(g, c);
  CHECK(blockspec::js_divergence(da, da) == 0.0);
  CHECK(blockspec::js_distance(dc, dc) == 0.0);
  // Disjoint supports on the grid: ln 2 up to the rounding of an 11-term sum.
  CHECK(std::abs(blockspec::js_divergence(da, db) - std::numbers::ln2) <= 1e-15);
  CHECK(blockspec::js_divergence(da, dc) == blockspec::js_divergence(dc, da));
  // The same as the vector form on the masses weight x value.
  const Eigen::VectorXd ma = da.masses() / da.masses().sum(), mc = dc.masses() / dc.masses().sum();
  CHECK(std::abs(blockspec::js_divergence(da, dc) -
                 blockspec::js_divergence(Span(ma.data(), 11), Span(mc.data(), 11))) <= 1e-15);
  CHECK(std::isinf(blockspec::kl_divergence(dc, da)));  // dc has mass where da is 0
  CHECK(std::isfinite(blockspec::kl_divergence(da, dc)));

}

TEST_CASE("divergences: bad input gives clear errors") {
  const std::vector<double> ok{0.5, 0.5}, ok3{0.2, 0.3, 0.5};
  using blockspec::invalid_argument;
  CHECK_THROWS_WITH_AS(blockspec::js_divergence(Span(ok), Span(ok3)), doctest::Contains("different lengths"), invalid_argument);
  const std::vector<double> neg{1.5, -0.5}, nan{std::nan(""), 1.0}, sum{0.5, 0.6}, zero{0.0, 0.0}, empty{};
  CHECK_THROWS_WITH_AS(blockspec::js_divergence(Span(neg), Span(ok)), doctest::Contains("p[1] is negative"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::js_divergence(Span(ok), Span(nan)), doctest::Contains("q[0] is not finite"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::js_divergence(Span(sum), Span(ok)), doctest::Contains("p sums to 1.1"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::kl_divergence(Span(ok), Span(zero)), doctest::Contains("q sums to 0"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::js_distance(Span(empty), Span(empty)), doctest::Contains("p is empty"), invalid_argument);

  const Grid g1 = Grid::linear(0.0, 1.0, 11), g2 = Grid::linear(0.0, 1.0, 12),
             g3 = Grid::linear(0.0, std::nextafter(1.0, 2.0), 11), g4 = Grid::log(0.5, 1.0, 11);
  const Density d1 = Density::from_values(g1, Eigen::VectorXd::Ones(11));
  for (const Grid* g : {&g2, &g3, &g4}) {
    const Density d2 = Density::from_values(*g, Eigen::VectorXd::Ones(g->size()));
    CHECK_THROWS_WITH_AS(blockspec::js_divergence(d1, d2), doctest::Contains("different grids"), invalid_argument);
    CHECK_THROWS_WITH_AS(blockspec::js_distance(d1, d2), doctest::Contains("resample"), invalid_argument);
    CHECK_THROWS_WITH_AS(blockspec::kl_divergence(d1, d2), doctest::Contains("different grids"), invalid_argument);
  }
  // An all-zero density cannot be built, and an empty one is rejected.
  CHECK_THROWS_WITH_AS(Density::from_values(g1, Eigen::VectorXd::Zero(11)), doctest::Contains("all zero"), invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::js_divergence(d1, Density{}), doctest::Contains("second density is empty"), invalid_argument);
}
