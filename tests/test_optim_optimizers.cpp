// Tests for the optimizer zoo (<blockspec/optim/*.hpp>): each optimizer's first two steps on a
// 2-D quadratic against a hand-written scalar computation of its defining formulas.
#include <blockspec/optim/optim.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

using namespace blockspec;

namespace {

using V2 = std::array<double, 2>;

// H = [[2, 1/2], [1/2, 1]], w* = (1, -1), so h = H w* = (3/2, -1/2); w_0 = 0.
V2 grad(const V2& w) { return {2.0 * w[0] + 0.5 * w[1] - 1.5, 0.5 * w[0] + w[1] + 0.5}; }

template <class S>
BlockQuadratic<S> two_d() {
  MatrixX<S> h(2, 2);
  h << S(2), S(0.5), S(0.5), S(1);
  VectorX<S> wstar(2);
  wstar << S(1), S(-1);
  return BlockQuadratic<S>(BlockPartition::from_sizes({{"w", 2}}), {h}, wstar);
}

// Runs two steps of `opt` with the problem's gradients; returns w_1 and w_2.
template <class S, class O>
std::array<V2, 2> two_steps(O& opt, double lr) {
  const auto q = two_d<S>();
  opt.reset(q);
  VectorX<S> w = q.initial_point();
  std::array<V2, 2> out{};
  for (int t = 1; t <= 2; ++t) {
    const VectorX<S> g = q.gradient(w);
    opt.step(Eigen::Ref<VectorX<S>>(w), Eigen::Ref<const VectorX<S>>(g), t, lr);
    out[static_cast<std::size_t>(t - 1)] = {static_cast<double>(w[0]), static_cast<double>(w[1])};
  }
  return out;
}

// The hand computation, one step at a time: `update(w, g, t)` edits w in place.
std::array<V2, 2> by_hand(const std::function<void(V2&, const V2&, int)>& update) {
  V2 w{0.0, 0.0};
  std::array<V2, 2> out{};
  for (int t = 1; t <= 2; ++t) {
    update(w, grad(w), t);
    out[static_cast<std::size_t>(t - 1)] = w;
  }
  return out;
}

template <class S>
void check_same(const std::array<V2, 2>& got, const std::array<V2, 2>& want) {
  // Same formulas, different order of operations and (for float) float gradients and iterates:
  // the difference is rounding, a few hundred eps(S) of |w| (|w| <= 2 here).
  const double tol = 500.0 * std::numeric_limits<S>::epsilon();
  for (std::size_t t = 0; t < 2; ++t)
    for (std::size_t i = 0; i < 2; ++i) {
      CAPTURE(t);
      CAPTURE(i);
      CHECK(std::abs(got[t][i] - want[t][i]) <= tol * (1.0 + std::abs(want[t][i])));
    }
}

double sgn(double x) { return (x > 0.0) - (x < 0.0); }

}  // namespace

TEST_CASE_TEMPLATE("optimizers: first steps match the hand computation on a 2-D quadratic", S, float, double) {
  const double lr = 0.1;
  SUBCASE("gd") {
    Gd o;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) w[i] -= lr * g[i];
                  }));
  }
  SUBCASE("heavy ball") {
    HeavyBall o({.momentum = 0.9});
    V2 b{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) {
                      b[i] = 0.9 * b[i] + g[i];
                      w[i] -= lr * b[i];
                    }
                  }));
  }
  SUBCASE("nesterov") {
    Nesterov o({.momentum = 0.9});
    V2 b{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) {
                      b[i] = 0.9 * b[i] + g[i];
                      w[i] -= lr * (g[i] + 0.9 * b[i]);
                    }
                  }));
  }
  SUBCASE("adam") {
    Adam o({.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
    V2 m{0, 0}, v{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int t) {
                    for (int i = 0; i < 2; ++i) {
                      m[i] = 0.9 * m[i] + 0.1 * g[i];
                      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                      const double mh = m[i] / (1.0 - std::pow(0.9, t)), vh = v[i] / (1.0 - std::pow(0.999, t));
                      w[i] -= lr * mh / (std::sqrt(vh) + 1e-8);
                    }
                  }));
  }
  SUBCASE("adam beta1 = 0, beta2 = 1: v frozen at g_1^2, no bias correction") {
    Adam o(AdamOptions::frozen_preconditioner());
    CHECK(o.name() == "adam_frozen_v");
    V2 v0{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int t) {
                    for (int i = 0; i < 2; ++i) {
                      if (t == 1) v0[i] = g[i] * g[i];
                      w[i] -= lr * g[i] / (std::sqrt(v0[i]) + 1e-8);
                    }
                  }));
  }
  SUBCASE("adamw") {
    AdamW o({.weight_decay = 0.1});
    V2 m{0, 0}, v{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int t) {
                    for (int i = 0; i < 2; ++i) {
                      w[i] *= 1.0 - lr * 0.1;
                      m[i] = 0.9 * m[i] + 0.1 * g[i];
                      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                      const double mh = m[i] / (1.0 - std::pow(0.9, t)), vh = v[i] / (1.0 - std::pow(0.999, t));
                      w[i] -= lr * mh / (std::sqrt(vh) + 1e-8);
                    }
                  }));
  }
  SUBCASE("rmsprop") {
    RmsProp o;
    V2 v{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) {
                      v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
                      w[i] -= lr * g[i] / (std::sqrt(v[i]) + 1e-8);
                    }
                  }));
  }
  SUBCASE("adagrad") {
    Adagrad o;
    V2 G{0, 0};
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) {
                      G[i] += g[i] * g[i];
                      w[i] -= lr * g[i] / (std::sqrt(G[i]) + 1e-10);
                    }
                  }));
  }
  SUBCASE("sign descent") {
    SignDescent o;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) w[i] -= lr * sgn(g[i]);
                  }));
  }
  SUBCASE("adam-mini: one second moment for the block") {
    AdamMini o;
    V2 m{0, 0};
    double v = 0.0;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int t) {
                    v = 0.999 * v + 0.001 * 0.5 * (g[0] * g[0] + g[1] * g[1]);
                    const double vh = v / (1.0 - std::pow(0.999, t));
                    for (int i = 0; i < 2; ++i) {
                      m[i] = 0.9 * m[i] + 0.1 * g[i];
                      w[i] -= lr * (m[i] / (1.0 - std::pow(0.9, t))) / (std::sqrt(vh) + 1e-8);
                    }
                  }));
  }
  SUBCASE("blockwise gd: eta = 2/(lambda_max + lambda_min) = 2/trace for a 2x2 block") {
    BlockwiseGd o;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    for (int i = 0; i < 2; ++i) w[i] -= lr * (2.0 / 3.0) * g[i];
                  }));
  }
  SUBCASE("nag-gs") {
    NagGs o({.mu = 1.0, .gamma = 1.0});
    V2 v{0, 0};
    double gamma = 1.0;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    const double a = lr, mu = 1.0;
                    const double b = a * mu / (a * mu + gamma);
                    for (int i = 0; i < 2; ++i) v[i] = (1 - b) * v[i] + b * w[i] - (b / mu) * g[i];
                    gamma = (a * mu + gamma) / (1 + a);
                    for (int i = 0; i < 2; ++i) w[i] = (1 - a / (1 + a)) * w[i] + a / (1 + a) * v[i];
                  }));
  }
  SUBCASE("prodigy") {
    Prodigy o;
    V2 m{0, 0}, v{0, 0}, s{0, 0};
    const V2 x0{0, 0};
    double r = 0.0, d = 1e-6;
    const double b1 = 0.9, b2 = 0.999, b3 = std::sqrt(0.999), eps = 1e-8;
    check_same<S>(two_steps<S>(o, lr), by_hand([&](V2& w, const V2& g, int) {
                    const double dk = d;
                    double gx = 0.0;
                    for (int i = 0; i < 2; ++i) gx += g[i] * (x0[i] - w[i]);
                    r = b3 * r + (1 - b3) * lr * dk * dk * gx;
                    double s1 = 0.0;
                    for (int i = 0; i < 2; ++i) {
                      m[i] = b1 * m[i] + (1 - b1) * dk * g[i];
                      v[i] = b2 * v[i] + (1 - b2) * dk * dk * g[i] * g[i];
                      s[i] = b3 * s[i] + (1 - b3) * lr * dk * dk * g[i];
                      s1 += std::abs(s[i]);
                    }
                    d = std::max(d, r / s1);
                    for (int i = 0; i < 2; ++i) w[i] -= lr * dk * m[i] / (std::sqrt(v[i]) + dk * eps);
                  }));
  }
}

TEST_CASE("blockwise gd: one step per block from the block operator, never the stored eigenvalues") {
  MatrixX<double> a(2, 2), b(2, 2);
  a << 2.0, 0.5, 0.5, 1.0;
  b << 50.0, 10.0, 10.0, 30.0;
  const BlockQuadratic<double> q(BlockPartition::from_sizes({{"a", 2}, {"b", 2}}), {a, b},
                                 Eigen::Vector4d(1.0, -1.0, 0.5, 2.0));
  BlockwiseGd o;
  o.reset(q);
  const auto steps = o.block_steps();
  REQUIRE(steps.size() == 2);
  // lambda_max + lambda_min = trace for a 2x2 block; extreme_eigenpairs on a 2x2 block uses a basis of
  // size n = 2 (the whole space), so its Ritz values are exact and only rounding separates them.
  CHECK(steps[0] == doctest::Approx(2.0 / 3.0).epsilon(1e-12));
  CHECK(steps[1] == doctest::Approx(2.0 / 80.0).epsilon(1e-12));
  CHECK(o.estimates()[1].lambda_max == doctest::Approx(40.0 + std::sqrt(200.0)).epsilon(1e-12));
  CHECK(o.estimates()[1].status == EigsStatus::converged);
}

TEST_CASE("optimizers: bad input is a clear error") {
  const auto q = two_d<double>();
  Adam adam;
  Eigen::VectorXd w = Eigen::VectorXd::Zero(2), g = Eigen::VectorXd::Ones(2);
  CHECK_THROWS_WITH_AS(adam.step(w, g, 1, 0.1), doctest::Contains("reset"), invalid_argument);
  adam.reset(q);
  CHECK_THROWS_WITH_AS(adam.step(w, g, 1, std::nan("")), doctest::Contains("learning rate (lr)"), invalid_argument);
  CHECK_THROWS_WITH_AS(adam.step(w, g, 1, -0.1), doctest::Contains("learning rate (lr)"), invalid_argument);
  Eigen::VectorXd w3 = Eigen::VectorXd::Zero(3);
  CHECK_THROWS_WITH_AS(adam.step(w3, g, 1, 0.1), doctest::Contains("dimension 2"), invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({.beta1 = 1.0}), doctest::Contains("beta1"), invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({.beta2 = 1.5}), doctest::Contains("beta2"), invalid_argument);
  CHECK_THROWS_WITH_AS(HeavyBall({.momentum = -0.1}), doctest::Contains("momentum"), invalid_argument);
  CHECK_THROWS_WITH_AS(NagGs({.mu = 0.0}), doctest::Contains("mu"), invalid_argument);
  CHECK_THROWS_WITH_AS(Prodigy({.d0 = 0.0}), doctest::Contains("d0"), invalid_argument);
  // Blockwise GD needs a partition and a Hessian operator.
  FunctionProblem<> fp(2, [](const Eigen::VectorXd& x) { return x.squaredNorm(); },
                       [](const Eigen::VectorXd& x) -> Eigen::VectorXd { return 2.0 * x; });
  BlockwiseGd bgd;
  CHECK_THROWS_WITH_AS(bgd.reset(fp), doctest::Contains("partition() and hessian()"), invalid_argument);
}
