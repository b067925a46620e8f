// Tests of spectral/slq.hpp and spectral/probes.hpp: invariants, determinism across threads,
// batching, cancellation, errors, adaptive mode.
#include <blockspec/operator/lambda.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/slq.hpp>

#include <doctest/doctest.h>

#include "support/spectral_reference.hpp"

#include <cmath>
#include <limits>
#include <string>

using namespace blockspec;

namespace {
// A dense symmetric matrix with spectrum spread over [0.1, 2] (Haar rotation).
Eigen::MatrixXd test_matrix(Eigen::Index n, std::uint64_t seed) {
  Eigen::VectorXd ev(n);
  for (Eigen::Index i = 0; i < n; ++i) ev[i] = 0.1 + 1.9 * std::pow(static_cast<double>(i) / (n - 1), 2.0);
  return test::with_haar_spectrum(ev, seed);
}

bool same_bits(const SpectralQuadrature& a, const SpectralQuadrature& b) {
  if (a.size() != b.size() || a.matvecs != b.matvecs) return false;
  for (int i = 0; i < a.size(); ++i) {
    const auto& p = a.probes[static_cast<std::size_t>(i)];
    const auto& q = b.probes[static_cast<std::size_t>(i)];
    if (p.nodes.size() != q.nodes.size() || p.scale != q.scale || p.steps != q.steps) return false;
    for (Eigen::Index j = 0; j < p.nodes.size(); ++j)
      if (p.nodes[j] != q.nodes[j] || p.weights[j] != q.weights[j]) return false;
  }
  return true;
}
}  // namespace

TEST_CASE_TEMPLATE("slq: per-probe Gauss quadrature invariants", S, float, double) {
  const Eigen::Index n = 120;
  const Eigen::MatrixXd A = test_matrix(n, 3);
  const MatrixX<S> As = A.cast<S>();
  auto H = dense_operator(As);
  for (Probe kind : {Probe::rademacher, Probe::gaussian, Probe::sphere}) {
    const SpectralQuadrature q = slq(H, {.probes = 4, .steps = 12, .probe = kind, .seed = 11});
    REQUIRE(q.size() == 4);
    CHECK(q.n == n);
    CHECK(q.status == SlqStatus::completed);
    CHECK_FALSE(q.steps_clamped);
    CHECK(q.matvecs == 4 * 12);
    CHECK(q.probe == kind);
    const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
    for (int i = 0; i < 4; ++i) {
      const auto& p = q.probes[static_cast<std::size_t>(i)];
      CHECK(p.stream == static_cast<std::uint64_t>(i));
      CHECK(p.seed == 11u);
      CHECK(p.steps == 12);
      // The probe is exactly draw_probe(kind, n, seed, i): same vector, same scale.
      const ProbeVector<S> v = draw_probe<S>(kind, n, 11, static_cast<std::uint64_t>(i));
      CHECK(p.scale == v.scale);
      if (kind != Probe::gaussian) CHECK(p.scale == static_cast<double>(n));
      // Gauss rule: weights sum to 1 and reproduce u'Hu and |Hu|^2 (the exact checks of docs/paper_method.md);
      // the tolerance is a few hundred roundings of S (eigen-decomposition of T in double,
      // the products with H in S).
      const Eigen::VectorXd u = v.vector.template cast<double>().normalized();
      const Eigen::VectorXd Hu = As.template cast<double>() * u;
      CHECK(p.weights.sum() == doctest::Approx(1.0).epsilon(1e-12));
      CHECK(p.weights.dot(p.nodes) == doctest::Approx(u.dot(Hu)).epsilon(300 * eps));
      CHECK(p.weights.dot(p.nodes.cwiseProduct(p.nodes)) == doctest::Approx(Hu.squaredNorm()).epsilon(300 * eps));
      // Ritz values lie inside the spectrum [0.1, 2] (up to rounding in S).
      CHECK(p.nodes.minCoeff() >= 0.1 - 100 * eps);
      CHECK(p.nodes.maxCoeff() <= 2.0 + 100 * eps);
    }
  }
}

TEST_CASE("slq: steps are clamped to n and the result says so") {
  const Eigen::MatrixXd A = test_matrix(30, 5);
  const SpectralQuadrature q = slq(dense_operator(A), {.probes = 2, .steps = 50, .reorth = Reorthogonalization::full});
  CHECK(q.steps_clamped);
  CHECK(q.requested_steps == 50);
  for (int i = 0; i < q.size(); ++i) {
    const auto& p = q.probes[static_cast<std::size_t>(i)];
    CHECK(p.steps <= 30);
    // Each sample s_i w'theta is v'Hv for the probe v (exact for linear f); rounding only (|H| <= 2, n = 30).
    const Eigen::VectorXd v = draw_probe<double>(Probe::rademacher, 30, 0, static_cast<std::uint64_t>(i)).vector;
    CHECK(p.scale * p.weights.dot(p.nodes) == doctest::Approx(v.dot(A * v)).epsilon(1e-12));
  }
}

TEST_CASE("slq: bit-identical for threads = 1, 2, 4 (and for a fixed block size)") {
  const Eigen::MatrixXd A = test_matrix(200, 7);
  auto H = dense_operator(A);
  for (int block : {1, 3}) {
    for (Reorthogonalization r : {Reorthogonalization::none, Reorthogonalization::partial}) {
      const SlqOptions base{.probes = 7, .steps = 30, .seed = 99, .reorth = r, .threads = 1, .block_size = block};
      const SpectralQuadrature q1 = slq(H, base);
      SlqOptions o2 = base;
      o2.threads = 2;
      SlqOptions o4 = base;
      o4.threads = 4;
      CHECK(same_bits(q1, slq(H, o2)));
      CHECK(same_bits(q1, slq(H, o4)));
    }
  }
  // The same with a thread-safe lambda operator and a progress callback (serialized calls).
  auto L = make_operator(200, [&A](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) { y.noalias() = A * x; },
                         declare_thread_safe);
  int calls = 0;
  const SlqOptions o{.probes = 5, .steps = 20, .seed = 1, .threads = 4, .progress = [&calls](int, int) {
                       ++calls;  // serialized by slq: no data race
                       return true;
                     }};
  const SpectralQuadrature a = slq(L, o);
  CHECK(calls == 5 * 20);
  CHECK(same_bits(a, slq(L, {.probes = 5, .steps = 20, .seed = 1})));
}

TEST_CASE("slq: batched probes agree with one-at-a-time probes to rounding") {
  const Eigen::MatrixXd A = test_matrix(150, 8);
  auto H = dense_operator(A);
  const SpectralQuadrature a = slq(H, {.probes = 6, .steps = 20, .seed = 4, .block_size = 1});
  const SpectralQuadrature b = slq(H, {.probes = 6, .steps = 20, .seed = 4, .block_size = 4});
  REQUIRE(a.size() == b.size());
  CHECK(a.matvecs == b.matvecs);
  for (int i = 0; i < a.size(); ++i) {
    const auto& p = a.probes[static_cast<std::size_t>(i)];
    const auto& q = b.probes[static_cast<std::size_t>(i)];
    CHECK(p.scale == q.scale);
    // Moments sum_j w_j theta_j^k (k <= 2 * steps - 1) are u'H^k u: rounding-level agreement, |H| <= 2.
    for (int k = 0; k <= 7; ++k)
      CHECK(p.weights.dot(p.nodes.array().pow(k).matrix()) ==
            doctest::Approx(q.weights.dot(q.nodes.array().pow(k).matrix())).epsilon(1e-11));
  }
}

TEST_CASE("slq: probe streams do not depend on the number of probes") {
  const Eigen::MatrixXd A = test_matrix(80, 9);
  auto H = dense_operator(A);
  const SpectralQuadrature a = slq(H, {.probes = 3, .steps = 10, .seed = 5});
  const SpectralQuadrature b = slq(H, {.probes = 8, .steps = 10, .seed = 5});
  for (int i = 0; i < 3; ++i) CHECK(a.probes[static_cast<std::size_t>(i)].nodes == b.probes[static_cast<std::size_t>(i)].nodes);
  const SpectralQuadrature c = slq(H, {.probes = 3, .steps = 10, .seed = 6});
  CHECK(a.probes[0].nodes != c.probes[0].nodes);
}

TEST_CASE("slq: cancellation from the progress callback returns the partial result") {
  const Eigen::MatrixXd A = test_matrix(100, 10);
  auto H = dense_operator(A);
  const SpectralQuadrature q = slq(H, {.probes = 5, .steps = 20, .progress = [](int probe, int step) {
                                         return !(probe == 1 && step == 7);
                                       }});
  CHECK(q.status == SlqStatus::cancelled);
  REQUIRE(q.size() == 2);
  CHECK(q.probes[0].steps == 20);
  CHECK(q.probes[0].status == LanczosStatus::completed);
  CHECK(q.probes[1].steps == 7);
  CHECK(q.probes[1].status == LanczosStatus::cancelled);
  CHECK(q.matvecs == 27);
  CHECK(q.probes[1].weights.sum() == doctest::Approx(1.0).epsilon(1e-13));  // still a Gauss rule

  // With threads the cancelled run still returns a prefix of the probes, every one valid.
  const SpectralQuadrature t = slq(H, {.probes = 8, .steps = 20, .threads = 2, .progress = [](int probe, int) {
                                         return probe < 3;
                                       }});
  CHECK(t.status == SlqStatus::cancelled);
  CHECK(t.size() >= 4);  // probes 0..3 started before probe 3's first step cancelled the run
  CHECK(t.size() < 8);
  for (int i = 0; i < t.size(); ++i) CHECK(t.probes[static_cast<std::size_t>(i)].stream == static_cast<std::uint64_t>(i));
}

TEST_CASE("slq: a non-finite value from the operator names the probe and the step") {
  int calls = 0;
  auto bad = make_operator(50, [&calls](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    ++calls;
    for (Eigen::Index i = 0; i < 50; ++i) y[i] = static_cast<double>(i + 1) * x[i];  // no early breakdown
    if (calls == 13) y[3] = std::numeric_limits<double>::quiet_NaN();  // probe 2 (5 steps each), step 3
  });
  CHECK_THROWS_WITH_AS(slq(bad, {.probes = 4, .steps = 5, .reorth = Reorthogonalization::none}),
                       doctest::Contains("probe 2: lanczos: the operator returned a non-finite value (NaN or Inf) at step 3"),
                       numerical_error);
}

TEST_CASE("slq: bad options") {
  const Eigen::MatrixXd A = test_matrix(20, 1);
  auto H = dense_operator(A);
  CHECK_THROWS_WITH_AS(slq(H, {.probes = 0}), doctest::Contains("probes must be positive"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(H, {.probes = -3}), doctest::Contains("probes"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(H, {.steps = 0}), doctest::Contains("steps must be positive"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(H, {.threads = 0}), doctest::Contains("threads"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(H, {.block_size = 0}), doctest::Contains("block_size"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(H, {.breakdown_tolerance = -1.0}), doctest::Contains("breakdown_tolerance"),
                       invalid_argument);
  // A lambda operator does not declare thread_safe unless asked.
  auto L = make_operator(20, [&A](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) { y = A * x; });
  CHECK_THROWS_WITH_AS(slq(L, {.threads = 2}), doctest::Contains("threads = 2"), invalid_argument);
  CHECK_NOTHROW(slq(L, {.probes = 2, .steps = 5, .threads = 1}));
}

TEST_CASE_TEMPLATE("slq: check_symmetry refuses A + 1e-6 E in double and never trips on symmetric input", S, float,
                   double) {
  // The tolerance is symmetry_noise_floor = 32 sqrt(n) eps(S): a symmetric operator's
  // |x'Hy - y'Hx| / (|x||Hy| + |y||Hx|) is the rounding of two products and dot products, ~sqrt(n) eps.
  const Eigen::MatrixXd A = test_matrix(100, 2);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Eigen::MatrixXd B = test::with_haar_spectrum(Eigen::VectorXd::LinSpaced(100, -3.0, 5.0), seed + 10);
    CHECK_NOTHROW(slq(dense_operator(MatrixX<S>(B.cast<S>())), {.probes = 2, .steps = 5, .check_symmetry = true}));
  }
  // A + dE with |dE| / |A| = 1e-6 (E Gaussian): x'(dE - dE')y is ~1e-6 relative, 1e5 x the double floor.
  Eigen::MatrixXd E = test::gaussian_matrix(100, 100, 3);
  E *= 1e-6 * A.norm() / E.norm();
  const Eigen::MatrixXd N = A + E;
  if constexpr (std::is_same_v<S, double>) {
    CHECK_THROWS_WITH_AS(slq(dense_operator(N), {.probes = 2, .steps = 5, .check_symmetry = true}),
                         doctest::Contains("not symmetric"), invalid_argument);
    CHECK_THROWS_WITH_AS(slq_adaptive(dense_operator(N), LogDet{}, {.steps = 5, .check_symmetry = true}),
                         doctest::Contains("slq_adaptive: check_symmetry"), invalid_argument);
    CHECK_NOTHROW(slq(dense_operator(N), {.probes = 2, .steps = 5}));  // off by default
    // A caller's tolerance above the asymmetry lets it through.
    CHECK_NOTHROW(slq(dense_operator(N), {.probes = 2, .steps = 5, .check_symmetry = true, .symmetry_tolerance = 1e-3}));
  }
  CHECK_THROWS_WITH_AS(slq(dense_operator(A), {.check_symmetry = true, .symmetry_trials = 0}),
                       doctest::Contains("symmetry_trials must be positive, got 0"), invalid_argument);
  CHECK_THROWS_WITH_AS(slq(dense_operator(A), {.check_symmetry = true, .symmetry_tolerance = -1.0}),
                       doctest::Contains("symmetry_tolerance must be finite and >= 0"), invalid_argument);
}

TEST_CASE("slq: each probe keeps its tridiagonal, whose eigenvalues are its nodes") {
  const Eigen::MatrixXd A = test_matrix(50, 4);
  const SpectralQuadrature q = slq(dense_operator(A), {.probes = 3, .steps = 12});
  for (const auto& p : q.probes) {
    REQUIRE(p.alpha.size() == p.steps);
    REQUIRE(p.beta.size() == p.steps - 1);
    // Same tridiagonal, same (deterministic) eigensolver: the nodes are reproduced exactly.
    const TridiagonalEigen te = tridiagonal_eigen(p.alpha, p.beta);
    CHECK((te.values - p.nodes).cwiseAbs().maxCoeff() == 0.0);
  }
}

TEST_CASE("slq_adaptive: stops at the first probe count meeting the tolerance, whatever the threads") {
  const Eigen::MatrixXd A = test_matrix(150, 12);
  auto H = dense_operator(A);
  const AdaptiveOptions ad{.min_probes = 4, .max_probes = 200, .abs_tolerance = 0.0, .rel_tolerance = 0.02};
  const AdaptiveSlqResult r = slq_adaptive(H, Trace{}, {.steps = 10, .seed = 21}, ad);
  CHECK(r.stop == AdaptiveStop::tolerance_met);
  CHECK(r.probes_used == r.quadrature.size());
  CHECK(r.estimate.samples == r.probes_used);
  CHECK(r.estimate.half_width() <= 0.02 * std::abs(r.estimate.value));
  // Independent check: the same probes from slq(), and no smaller count >= min_probes meets the rule.
  const SpectralQuadrature all = slq(H, {.probes = r.probes_used, .steps = 10, .seed = 21});
  CHECK(same_bits(all, r.quadrature));
  const std::vector<double> s = trace_samples(all, Trace{});
  for (int k = ad.min_probes; k < r.probes_used; ++k) {
    const Estimate e = estimate_from_samples(std::span<const double>(s.data(), static_cast<std::size_t>(k)));
    CHECK(e.half_width() > 0.02 * std::abs(e.value));
  }
  const AdaptiveSlqResult r2 = slq_adaptive(H, Trace{}, {.steps = 10, .seed = 21, .threads = 2, .block_size = 3}, ad);
  CHECK(r2.probes_used == r.probes_used);
  CHECK(r2.estimate.value == doctest::Approx(r.estimate.value).epsilon(1e-12));  // batched: rounding only

  const AdaptiveSlqResult capped =
      slq_adaptive(H, Trace{}, {.steps = 10}, {.min_probes = 3, .max_probes = 5, .rel_tolerance = 1e-9});
  CHECK(capped.stop == AdaptiveStop::max_probes);
  CHECK(capped.probes_used == 5);

  CHECK_THROWS_WITH_AS(slq_adaptive(H, Trace{}, {}, {.min_probes = 1}), doctest::Contains("min_probes"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(slq_adaptive(H, Trace{}, {}, {.abs_tolerance = 0.0, .rel_tolerance = 0.0}),
                       doctest::Contains("tolerance"), invalid_argument);
}
