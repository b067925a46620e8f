// Tests of spectral/trace.hpp and spectral/hutchinson.hpp: exact functionals, SLQ vs Hutchinson on the
// same probes, log-determinant of a large sparse Laplacian, interval coverage, Hutch++, bad input.
#include <blockspec/operator/lambda.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/hutchinson.hpp>
#include <blockspec/spectral/slq.hpp>
#include <blockspec/spectral/trace.hpp>

#include <doctest/doctest.h>

#include "support/spectral_reference.hpp"

#include <Eigen/Cholesky>
#include <Eigen/SparseCholesky>

#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

using namespace blockspec;

TEST_CASE("estimate_from_samples: mean, standard error and the Student-t interval") {
  const std::vector<double> s{1.0, 2.0, 3.0, 4.0};
  const Estimate e = estimate_from_samples(s, 0.95);
  CHECK(e.value == 2.5);
  // s = sqrt(5/3), se = s / 2; t_{3, 0.975} = 3.182446305284263 (standard tables, e.g. NIST/SEMATECH).
  CHECK(e.std_error == doctest::Approx(std::sqrt(5.0 / 3.0) / 2.0).epsilon(1e-15));
  CHECK(e.ci_high - e.value == doctest::Approx(3.182446305284263 * std::sqrt(5.0 / 3.0) / 2.0).epsilon(1e-12));
  CHECK(e.value - e.ci_low == doctest::Approx(e.ci_high - e.value).epsilon(1e-15));
  CHECK(e.samples == 4);
  // One sample: no spread information; the interval is the whole line, never NaN.
  const Estimate one = estimate_from_samples(std::vector<double>{3.0});
  CHECK(one.value == 3.0);
  CHECK(std::isinf(one.std_error));
  CHECK(one.ci_low == -std::numeric_limits<double>::infinity());
  CHECK_THROWS_WITH_AS(estimate_from_samples(s, 1.0), doctest::Contains("confidence"), invalid_argument);
  CHECK_THROWS_WITH_AS(estimate_from_samples(s, 0.0), doctest::Contains("confidence"), invalid_argument);
  CHECK_THROWS_WITH_AS(estimate_from_samples(std::vector<double>{}), doctest::Contains("no samples"),
                       invalid_argument);
}

TEST_CASE_TEMPLATE("functionals are exact on a diagonal operator with Rademacher probes and n steps", S, float, double) {
  // For diagonal H and a Rademacher v, v'f(H)v = sum_k f(h_k) = tr f(H) exactly, and with n Lanczos
  // steps (full reorthogonalization) the Gauss rule is exact: every sample equals the truth.
  const Eigen::Index n = 24;
  Eigen::VectorXd h(n);
  for (Eigen::Index i = 0; i < n; ++i) h[i] = 0.5 + 0.25 * static_cast<double>(i);  // 0.5 .. 6.25, distinct
  const MatrixX<S> D = h.cast<S>().asDiagonal();
  const SpectralQuadrature q =
      slq(dense_operator(D), {.probes = 3, .steps = static_cast<int>(n), .reorth = Reorthogonalization::full});
  // Tolerance: rounding of S in the Lanczos vectors, amplified by at most the condition of f on [0.5, 6.25].
  const double tol = 2000.0 * static_cast<double>(std::numeric_limits<S>::epsilon());
  CHECK(trace_of(q).value == doctest::Approx(h.sum()).epsilon(tol));
  CHECK(logdet(q).value == doctest::Approx(h.array().log().sum()).epsilon(tol));
  CHECK(trace_inverse(q).value == doctest::Approx(h.cwiseInverse().sum()).epsilon(tol));
  CHECK(schatten_norm(q, 3.0).value == doctest::Approx(std::cbrt(h.array().cube().sum())).epsilon(tol));
  CHECK(schatten_norm(q, 1.0).value == doctest::Approx(h.sum()).epsilon(tol));
  // [0.9, 3.1] holds 0.5 + 0.25 i for i = 2..10: 9 eigenvalues; the nodes are the eigenvalues to
  // ~1e-5 (float), far from the interval ends.
  CHECK(eigenvalue_count(q, 0.9, 3.1).value == doctest::Approx(9.0).epsilon(tol));
  // All samples equal: zero spread, up to rounding.
  CHECK(logdet(q).std_error <= tol * std::abs(h.array().log().sum()));
}

TEST_CASE("logdet and trace_inverse refuse a matrix that is singular at n eps |H|") {
  // diag(1, 0): two Lanczos steps span R^2, so the Ritz values are the eigenvalues 0 and 1 up to
  // rounding (|theta_0| <= a few eps). Before the tolerance, logdet returned a finite value whose
  // size depended on the rounding noise, with an interval of zero width.
  const Eigen::MatrixXd d = Eigen::Vector2d(1.0, 0.0).asDiagonal();
  const SpectralQuadrature q2 = slq(dense_operator(d), {.probes = 4, .steps = 2, .probe = Probe::gaussian, .seed = 1});
  CHECK_THROWS_WITH_AS(logdet(q2), doctest::Contains("looks singular"), invalid_argument);
  CHECK_THROWS_WITH_AS(trace_inverse(q2), doctest::Contains("looks singular"), invalid_argument);
  CHECK(singular_tolerance(q2) <= 2.0 * 2.0 * std::numeric_limits<double>::epsilon());
  // A rank-deficient Gram matrix G = X X' (40 x 40, rank 10): its 30 zero eigenvalues come out
  // of Lanczos as Ritz values of size ~eps |G|, positive or negative.
  Rng rng(7, 0);
  Eigen::MatrixXd x(40, 10);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  const Eigen::MatrixXd gram = x * x.transpose();
  const SpectralQuadrature qg = slq(dense_operator(gram), {.probes = 3, .steps = 30, .seed = 2});
  CHECK_THROWS_WITH_AS(logdet(qg), doctest::Contains("looks singular"), invalid_argument);
  CHECK_THROWS_WITH_AS(trace_inverse(qg), doctest::Contains("looks singular"), invalid_argument);
  // Ill-conditioned but not singular at the tolerance: diag(1, 1e-8) is accepted, and with two
  // steps the Gauss rule is exact up to rounding (error ~eps / 1e-8 relative on the small value).
  const Eigen::MatrixXd near = Eigen::Vector2d(1.0, 1e-8).asDiagonal();
  const SpectralQuadrature qn = slq(dense_operator(near), {.probes = 4, .steps = 2, .seed = 3});
  CHECK(logdet(qn).value == doctest::Approx(std::log(1e-8)).epsilon(1e-6));
  CHECK(trace_inverse(qn).value == doctest::Approx(1.0 + 1e8).epsilon(1e-6));
}

TEST_CASE("singular_tolerance scales with the operator's scalar: float rounding is float's") {
  // n = 60 eigenvalues log-spaced in [1e-12, 1]. In double 1e-12 is far above n eps |H| = 1.3e-14,
  // so log det is accepted; in float the small Ritz values are rounding noise of size ~eps_f |H|
  // (n eps_f |H| = 7.2e-6 >> 1e-12): H looks singular in float and logdet must refuse it.
  Eigen::VectorXd h(60);
  for (Eigen::Index i = 0; i < 60; ++i) h[i] = std::pow(10.0, -12.0 * static_cast<double>(i) / 59.0);
  const Eigen::MatrixXd D = h.asDiagonal();
  const Eigen::MatrixXf Df = D.cast<float>();
  const SlqOptions o{.probes = 3, .steps = 60, .reorth = Reorthogonalization::full};
  const SpectralQuadrature qd = slq(dense_operator(D), o), qf = slq(dense_operator(Df), o);
  CHECK(qd.epsilon == std::numeric_limits<double>::epsilon());
  CHECK(qf.epsilon == static_cast<double>(std::numeric_limits<float>::epsilon()));
  CHECK_NOTHROW(logdet(qd));
  CHECK_THROWS_WITH_AS(logdet(qf), doctest::Contains("looks singular"), invalid_argument);
  CHECK(singular_tolerance(qf) > 1e8 * singular_tolerance(qd));
}

TEST_CASE("the quadrature check warns on a 1e12-conditioned matrix and stays silent on a well-conditioned one") {
  // n = 600 eigenvalues log-spaced in [1e-12, 1] (kappa = 1e12, n eps kappa = 0.13 < 1, so H is not
  // singular at n eps |H|). Rademacher probes of a diagonal matrix all see the same spectral measure,
  // so the probe standard error is ~0 while 40 Lanczos steps are far from resolving the small end:
  // the interval alone would be wildly overconfident (tr H^-1 is ~1e14, log det ~ -8300).
  const Eigen::Index n = 600;
  Eigen::VectorXd h(n);
  for (Eigen::Index i = 0; i < n; ++i) h[i] = std::pow(10.0, -12.0 * static_cast<double>(i) / static_cast<double>(n - 1));
  const Eigen::MatrixXd D = h.asDiagonal();
  const SpectralQuadrature q = slq(dense_operator(D), {.probes = 6, .steps = 40, .seed = 4});
  const double true_inv = h.array().inverse().sum(), true_logdet = h.array().log().sum();
  Estimate inv{}, ld{};
  REQUIRE_NOTHROW(inv = trace_inverse(q));
  REQUIRE_NOTHROW(ld = logdet(q));
  for (const Estimate* e : {&inv, &ld}) {
    CHECK(e->quadrature_checked);
    CHECK(e->quadrature_warning);
    CHECK(e->warning.find("has not converged") != std::string::npos);
    CHECK(e->quadrature_change > e->std_error);
  }
  // The warning is earned: the interval misses the truth by far more than its width.
  CHECK(std::abs(inv.value - true_inv) > 10.0 * inv.half_width());
  CHECK(std::abs(ld.value - true_logdet) > 10.0 * ld.half_width());
  // tr(H) is a degree-1 polynomial: the rules of 40 and 20 steps are both exact, so no warning
  // (the change is rounding, below the floor 64 m eps mean|X|) on the same ill-conditioned run.
  const Estimate tr = trace_of(q);
  CHECK(tr.quadrature_checked);
  CHECK_FALSE(tr.quadrature_warning);
  CHECK(tr.warning.empty());

  // Well conditioned (spectrum in [1, 2], Haar-rotated, Gaussian probes so the probe error is real):
  // the Gauss rule of 1/x or log x on [1, 2] converges like ((sqrt 2 - 1)/(sqrt 2 + 1))^(2 m), so at
  // m/2 = 15 steps it is exact to rounding and the change stays below the probe error.
  Eigen::VectorXd g(200);
  for (Eigen::Index i = 0; i < 200; ++i) g[i] = 1.0 + static_cast<double>(i) / 199.0;
  const Eigen::MatrixXd A = test::with_haar_spectrum(g, 5);
  const SpectralQuadrature qa = slq(dense_operator(A), {.probes = 8, .steps = 30, .probe = Probe::gaussian, .seed = 6});
  for (const Estimate& e : {trace_inverse(qa), logdet(qa), trace_of(qa), schatten_norm(qa, 3.0)}) {
    CHECK(e.quadrature_checked);
    CHECK_FALSE(e.quadrature_warning);
    CHECK(e.quadrature_change < 1e-9 * std::abs(e.value));
  }
  // slq_adaptive carries the same check.
  const AdaptiveSlqResult ad = slq_adaptive(dense_operator(D), LogDet{}, {.steps = 40, .seed = 4},
                                            {.min_probes = 4, .max_probes = 8});
  CHECK(ad.estimate.quadrature_warning);
  // A hand-built quadrature keeps no tridiagonal: the check is reported as not done.
  SpectralQuadrature hand;
  hand.n = 2;
  hand.probes.resize(2);
  for (auto& p : hand.probes) {
    p.nodes = Eigen::Vector2d(1.0, 2.0);
    p.weights = Eigen::Vector2d(0.5, 0.5);
    p.scale = 2.0;
  }
  const Estimate he = trace_of(hand);
  CHECK(he.value == 3.0);
  CHECK_FALSE(he.quadrature_checked);
  CHECK_FALSE(he.quadrature_warning);
}

TEST_CASE("functionals check the spectrum they need") {
  Eigen::VectorXd h(20);
  for (Eigen::Index i = 0; i < 20; ++i) h[i] = -1.0 + 0.2 * static_cast<double>(i);  // indefinite, 0 included
  const Eigen::MatrixXd A = test::with_haar_spectrum(h, 3);
  const SpectralQuadrature q = slq(dense_operator(A), {.probes = 2, .steps = 10});
  CHECK_THROWS_WITH_AS(logdet(q), doctest::Contains("not positive definite"), invalid_argument);
  CHECK_THROWS_WITH_AS(trace_inverse(q), doctest::Contains("not definite"), invalid_argument);
  CHECK_THROWS_WITH_AS(schatten_norm(q, 0.0), doctest::Contains("order p"), invalid_argument);
  CHECK_THROWS_WITH_AS(schatten_norm(q, std::nan("")), doctest::Contains("order p"), invalid_argument);
  CHECK_THROWS_WITH_AS(eigenvalue_count(q, 1.0, 1.0), doctest::Contains("a < b"), invalid_argument);
  CHECK_THROWS_WITH_AS(trace_estimate(q, [](double x) { return std::log(x); }), doctest::Contains("non-finite"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(trace_of(SpectralQuadrature{}), doctest::Contains("no probes"), invalid_argument);
  // A negative definite operator has a well-defined tr(H^-1); diagonal with Rademacher probes and n steps,
  // so every sample is exact (see the test above) up to rounding.
  const Eigen::MatrixXd N = -Eigen::MatrixXd((h.array() + 2.0).matrix().asDiagonal());
  const SpectralQuadrature qn = slq(dense_operator(N), {.probes = 2, .steps = 20, .reorth = Reorthogonalization::full});
  CHECK(trace_inverse(qn).value == doctest::Approx(-(h.array() + 2.0).inverse().sum()).epsilon(1e-12));
}

TEST_CASE("SLQ's tr(H^p) equals Hutchinson's on the same probes, p = 1..7") {
  const Eigen::Index n = 300;
  Eigen::VectorXd ev(n);
  for (Eigen::Index i = 0; i < n; ++i) ev[i] = 0.2 + 0.8 * static_cast<double>(i) / (n - 1);  // |H| = 1
  const Eigen::MatrixXd A = test::with_haar_spectrum(ev, 8);
  auto H = dense_operator(A);
  const int probes = 6;
  for (int steps : {4, 8, 30}) {
    const SpectralQuadrature q = slq(H, {.probes = probes, .steps = steps, .seed = 13});
    for (int p = 1; p <= 7; ++p) {
      // Hutchinson with v'H^p v by repeated products on the very same probe vectors.
      double hutch = 0.0;
      for (int i = 0; i < probes; ++i) {
        const Eigen::VectorXd v = draw_probe<double>(Probe::rademacher, n, 13, static_cast<std::uint64_t>(i)).vector;
        Eigen::VectorXd w = v;
        for (int k = 0; k < p; ++k) w = (A * w).eval();
        hutch += v.dot(w) / probes;
      }
      const double est = trace_estimate(q, [p](double x) { return std::pow(x, p); }).value;
      // Gauss quadrature with m >= 4 nodes integrates degree <= 2m - 1 >= 7 exactly; with partial
      // reorthogonalization T is exact to rounding (Simon 1984): agreement to ~1e-14, checked at 1e-10.
      CHECK(est == doctest::Approx(hutch).epsilon(1e-10));
    }
  }
  // hutchinson_trace draws the same probes: it equals SLQ's tr(H) estimate to rounding.
  const SpectralQuadrature q = slq(H, {.probes = 12, .steps = 5, .seed = 21});
  const Estimate a = trace_of(q);
  const Estimate b = hutchinson_trace(H, {.probes = 12, .seed = 21, .block_size = 5});
  CHECK(a.value == doctest::Approx(b.value).epsilon(1e-12));
  CHECK(a.std_error == doctest::Approx(b.std_error).epsilon(1e-8));  // differences of ~n-sized samples
  for (Probe kind : {Probe::gaussian, Probe::sphere}) {
    const SpectralQuadrature qg = slq(H, {.probes = 7, .steps = 5, .probe = kind, .seed = 2});
    CHECK(trace_of(qg).value ==
          doctest::Approx(hutchinson_trace(H, {.probes = 7, .probe = kind, .seed = 2}).value).epsilon(1e-12));
  }
}

TEST_CASE("logdet of the 2-D Laplacian + I on a 300 x 300 grid (n = 90,000) within 1e-3 of Cholesky") {
  const Eigen::SparseMatrix<double> L = test::laplacian_2d_shifted(300, 1.0);
  Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(L);
  REQUIRE(llt.info() == Eigen::Success);
  const double truth = 2.0 * llt.matrixL().nestedExpression().diagonal().array().log().sum();
  const SpectralQuadrature q = slq(sparse_operator(L), {.probes = 30, .steps = 40, .probe = Probe::rademacher, .seed = 7});
  const Estimate e = logdet(q);
  MESSAGE("logdet: truth " << truth << ", SLQ " << e.value << " +- " << e.std_error << ", relative error "
                           << std::abs(e.value - truth) / truth);
  // Spectrum in [1, 9] (condition 9): 40 Gauss nodes make the quadrature error of log ~ ((3-1)/(3+1))^80,
  // nil; what remains is the Monte Carlo error of 30 Rademacher probes, about 2.5e-4 relative here (the
  // reported standard error). 1e-3 is the bound (about 4 standard errors).
  CHECK(std::abs(e.value - truth) <= 1e-3 * std::abs(truth));
  CHECK(e.ci_low < truth);
  CHECK(truth < e.ci_high);
}

TEST_CASE("dense SPD n = 1000: the 95% interval covers the truth for 90%..99% of 200 seeds") {
  const auto t0 = std::chrono::steady_clock::now();
  const Eigen::Index n = 1000;
  // H = 0.5 I + X X' / (2n): Marchenko–Pastur (ratio 1) scaled into [0.5, 2.5], condition <= 5.
  Eigen::MatrixXd H = 0.5 * test::wishart(n, n, 31) + 0.5 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::LLT<Eigen::MatrixXd> llt(H);
  REQUIRE(llt.info() == Eigen::Success);
  const double truth = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  auto op = dense_operator(H);
  int covered = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    // 6 Gauss nodes: quadrature error of log on [0.5, 2.5] ~ ((sqrt5-1)/(sqrt5+1))^12 ~ 1e-5 relative per
    // sample (~1e-2 absolute), far below the standard error (~5): the interval's coverage is that of the
    // Monte Carlo mean alone. 8 probes, one block product per step.
    const SpectralQuadrature q = slq(op, {.probes = 8, .steps = 6, .seed = seed, .block_size = 8});
    const Estimate e = logdet(q, 0.95);
    if (e.ci_low <= truth && truth <= e.ci_high) ++covered;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("coverage " << covered << " / 200 (" << secs << " s)");
  // Binomial(200, 0.95): mean 190, sd 3.1; [180, 198] is about +-3 sd (the 90%..99%).
  CHECK(covered >= 180);
  CHECK(covered <= 198);
}

TEST_CASE("Hutchinson and Hutch++") {
  const Eigen::Index n = 200;
  // Rank-5 PSD matrix: Hutch++ with k = 10 >= 5 sketch columns captures range(H) exactly, so the
  // deflated remainder is rounding: exact trace to ~1e-12.
  Eigen::VectorXd ev = Eigen::VectorXd::Zero(n);
  ev.head(5) << 5.0, 4.0, 3.0, 2.0, 1.0;
  const Eigen::MatrixXd A = test::with_haar_spectrum(ev, 9);
  const HutchPlusPlusResult r = hutch_plus_plus(dense_operator(A), 31, 4);
  CHECK(r.sketch_size == 10);
  CHECK(r.matvecs == 30);
  CHECK(r.value == doctest::Approx(15.0).epsilon(1e-10));
  // Full-rank PSD: Hutch++ with budget 150 beats its O(1/m) bound easily; check it is within 5% (the
  // deflated part has |H - P H P|_F small; error ~ 2 |tail|_F / sqrt(k)).
  Eigen::VectorXd ev2(n);
  for (Eigen::Index i = 0; i < n; ++i) ev2[i] = 1.0 / static_cast<double>(i + 1);
  const Eigen::MatrixXd B = test::with_haar_spectrum(ev2, 10);
  CHECK(hutch_plus_plus(dense_operator(B), 150, 1).value == doctest::Approx(ev2.sum()).epsilon(0.05));
  // Hutchinson's estimate is exact on a diagonal matrix with Rademacher probes (v_k^2 = 1).
  const Eigen::MatrixXd D = ev2.asDiagonal();
  const Estimate h = hutchinson_trace(dense_operator(D), {.probes = 3});
  CHECK(h.value == doctest::Approx(ev2.sum()).epsilon(1e-14));

  CHECK_THROWS_WITH_AS(hutch_plus_plus(dense_operator(A), 2, 0), doctest::Contains("budget"), invalid_argument);
  CHECK_THROWS_WITH_AS(hutchinson_trace(dense_operator(A), {.probes = 0}), doctest::Contains("probes"),
                       invalid_argument);
  auto bad = make_operator(10, [](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    y = x;
    y[2] = std::numeric_limits<double>::infinity();
  });
  CHECK_THROWS_WITH_AS(hutchinson_trace(bad, {.probes = 4}), doctest::Contains("probe 0"), numerical_error);
}
