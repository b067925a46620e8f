// Tests of lanczos(): moments, convergence to known spectra, orthogonality,
// breakdown, the inner-product policy, and bad input.
#include <blockspec/krylov/batched_lanczos.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/operator/operator.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <span>

#include "support/reference_matrices.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>

using blockspec::LanczosStatus;
using blockspec::MatrixX;
using blockspec::Reorthogonalization;
using blockspec::VectorX;

namespace {

template <class S>
double eps() {
  return static_cast<double>(std::numeric_limits<S>::epsilon());
}

constexpr Reorthogonalization all_modes[] = {Reorthogonalization::none, Reorthogonalization::partial,
                                              Reorthogonalization::full};

double orthogonality_loss(const Eigen::MatrixXd& v) {
  return (v.transpose() * v - Eigen::MatrixXd::Identity(v.cols(), v.cols())).cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE_TEMPLATE("quadrature reproduces the first three moments of every start vector", S, float, double) {
  const Eigen::Index n = 200;
  const Eigen::VectorXd spectrum = Eigen::VectorXd::LinSpaced(n, -1.0, 3.0);
  const MatrixX<S> a = blockspec::test::with_spectrum(spectrum, 1).cast<S>();
  const Eigen::MatrixXd ad = a.template cast<double>();
  for (auto mode : all_modes) {
    CAPTURE(blockspec::to_string(mode));
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const VectorX<S> v = blockspec::test::gaussian_vector(n, seed).cast<S>();
      const auto r = blockspec::lanczos(blockspec::dense_operator(a), v, {.steps = 40, .reorth = mode});
      const auto q = blockspec::gauss_quadrature(r);
      const Eigen::VectorXd u = v.template cast<double>() / v.template cast<double>().norm();
      const Eigen::VectorXd hu = ad * u;
      // m0 = 1 holds to rounding of an orthogonal eigenvector matrix (double T).
      CHECK(q.weights.sum() == doctest::Approx(1.0).epsilon(1e-13));
      // m1 = alpha_0 and m2 = alpha_0^2 + beta_0^2 are exact identities of T;
      // they differ from u'Hu, |Hu|^2 only by the rounding of the first product
      // in the operator's scalar: n eps |H| relative to |H| = 3.
      const double tol = 4.0 * static_cast<double>(n) * eps<S>();
      CHECK(q.weights.dot(q.nodes) == doctest::Approx(u.dot(hu)).epsilon(tol).scale(3.0));
      CHECK(q.weights.dot(q.nodes.array().square().matrix()) == doctest::Approx(hu.squaredNorm()).epsilon(tol).scale(9.0));
      CHECK(r.matvecs == 40);
      CHECK(r.start_norm == doctest::Approx(v.template cast<double>().norm()).epsilon(tol));
    }
  }
}

TEST_CASE("after k steps the rule is exact for polynomials of degree up to 2k-1") {
  const Eigen::Index n = 40;
  const int k = 6;
  const Eigen::MatrixXd a = blockspec::test::with_spectrum(Eigen::VectorXd::LinSpaced(n, -1.0, 1.0), 2);
  const Eigen::VectorXd v = blockspec::test::gaussian_vector(n, 3).normalized();
  const auto r = blockspec::lanczos(blockspec::dense_operator(a), v, {.steps = k});
  const auto q = blockspec::gauss_quadrature(r);
  Eigen::VectorXd hp = v;
  for (int p = 1; p <= 2 * k - 1; ++p) {
    hp = a * hp;
    const double exact = v.dot(hp);
    const double gauss = q.weights.dot(q.nodes.array().pow(p).matrix());
    CAPTURE(p);
    // |H| = 1, so every moment is at most 1 and the rounding of p products and
    // of k Lanczos steps stays below 1e-13 (about (p + k) * n * eps).
    CHECK(std::abs(exact - gauss) <= 1e-13);
  }
  // Degree 2k is *not* integrated exactly in general: the test can fail.
  hp = a * hp;
  CHECK(std::abs(v.dot(hp) - q.weights.dot(q.nodes.array().pow(2 * k).matrix())) > 1e-8);
}

TEST_CASE("extreme Ritz values converge to the analytic extremes of Laplacians and agree with LAPACK") {
  SUBCASE("1-D Laplacian, n = 100, all steps: every Ritz value is an eigenvalue") {
    const auto a = blockspec::test::laplacian_1d(100);
    const Eigen::VectorXd exact = blockspec::test::laplacian_1d_eigenvalues(100);
    const auto r = blockspec::lanczos(blockspec::sparse_operator(a), Eigen::VectorXd::Ones(100) +
                                                                          blockspec::test::gaussian_vector(100, 1),
                                      {.steps = 100});
    const auto rp = blockspec::ritz_pairs(r);
    // With full reorthogonalization and m = n, T is similar to H up to
    // rounding: Ritz values match to a few eps |H| (|H| < 4), by Weyl's bound.
    CHECK(rp.values.size() == 100);
    CHECK((rp.values - exact).cwiseAbs().maxCoeff() <= 1e-12);
  }
  SUBCASE("2-D Laplacian 30x30, 120 steps: extremes converge within their residual bounds") {
    const Eigen::Index g = 30;
    const auto a = blockspec::test::laplacian_2d(g);
    const Eigen::VectorXd exact = blockspec::test::laplacian_2d_eigenvalues(g);
    const Eigen::VectorXd lapack = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(Eigen::MatrixXd(a)).eigenvalues();
    // The analytic spectrum and LAPACK agree to rounding (|H| < 8).
    CHECK((lapack - exact).cwiseAbs().maxCoeff() <= 1e-12);
    for (auto mode : all_modes) {
      CAPTURE(blockspec::to_string(mode));
      const auto r = blockspec::lanczos(blockspec::sparse_operator(a), blockspec::test::gaussian_vector(g * g, 5),
                                        {.steps = 120, .reorth = mode});
      const auto rp = blockspec::ritz_pairs(r);
      // Every Ritz value lies within its residual of some eigenvalue (Parlett,
      // Thm 11.5.1 / Kahan), up to rounding of order sqrt(steps) eps |H|.
      for (Eigen::Index i = 0; i < rp.values.size(); ++i) {
        const double dist = (exact.array() - rp.values[i]).abs().minCoeff();
        CHECK(dist <= rp.residuals[i] + 1e-10);
      }
      // The extremes have converged: the gap structure of the Laplacian gives
      // residuals far below 1e-6 after 120 steps.
      CHECK(rp.values[rp.values.size() - 1] == doctest::Approx(lapack[g * g - 1]).epsilon(1e-8));
      CHECK(rp.values[0] == doctest::Approx(lapack[0]).epsilon(1e-6));
    }
  }
  SUBCASE("diagonal matrix with a known spectrum, float operator") {
    Eigen::VectorXf d = Eigen::VectorXf::LinSpaced(500, 0.0f, 1.0f);
    d[499] = 2.0f;  // an isolated top eigenvalue converges fast
    auto op = blockspec::make_operator<float>(
        500, [&](Eigen::Ref<const Eigen::VectorXf> x, Eigen::Ref<Eigen::VectorXf> y) { y = d.cwiseProduct(x); });
    const auto r = blockspec::lanczos(op, Eigen::VectorXf::Ones(500), {.steps = 30});
    const auto q = blockspec::gauss_quadrature(r);
    // float vectors: the Ritz value is accurate to about eps_float |H| = 2.4e-7.
    CHECK(q.nodes[q.nodes.size() - 1] == doctest::Approx(2.0).epsilon(1e-5));
  }
}

TEST_CASE_TEMPLATE("orthogonality of the basis: rounding with full, semi with partial, lost with none", S, float,
                   double) {
  const Eigen::Index n = 400;
  Eigen::VectorXd spectrum = Eigen::VectorXd::LinSpaced(n, 0.0, 1.0);
  spectrum.tail(5) << 3.0, 4.0, 5.0, 6.0, 8.0;  // outliers converge early and make plain Lanczos lose orthogonality
  const MatrixX<S> a = blockspec::test::with_spectrum(spectrum, 7).cast<S>();
  const VectorX<S> v = blockspec::test::gaussian_vector(n, 8).cast<S>();
  double loss[3];
  int reorths[3];
  for (int i = 0; i < 3; ++i) {
    const auto r = blockspec::lanczos(blockspec::dense_operator(a), v,
                                      {.steps = 120, .reorth = all_modes[i], .keep_basis = true});
    REQUIRE(r.basis.cols() == r.steps);
    loss[i] = orthogonality_loss(r.basis.template cast<double>());
    reorths[i] = r.reorthogonalizations;
    MESSAGE(std::string(blockspec::to_string(all_modes[i])) << ": max |V'V - I| = " << loss[i] << ", reorthogonalized "
                                               << reorths[i] << " vectors");
  }
  // Full: Gram–Schmidt twice keeps orthogonality at a small multiple of eps
  // ("twice is enough", Giraud et al. 2005); sqrt(m) growth allowed.
  CHECK(loss[2] <= 10.0 * std::sqrt(120.0) * eps<S>());
  // Partial: Simon's scheme keeps semi-orthogonality, |v_i'v_j| <= sqrt(eps).
  CHECK(loss[1] <= std::sqrt(eps<S>()));
  CHECK(reorths[1] < reorths[2]);  // and it does so with fewer reorthogonalizations
  // None: Paige's theory says orthogonality is lost as Ritz values converge;
  // with five converged outliers it is far above sqrt(eps).
  CHECK(loss[0] > 100.0 * std::sqrt(eps<S>()));
  CHECK(reorths[0] == 0);
}

TEST_CASE("breakdown: an invariant subspace ends the run with an exact quadrature") {
  SUBCASE("identity: one step") {
    auto op = blockspec::dense_operator(Eigen::MatrixXd::Identity(10, 10).eval());
    for (auto mode : all_modes) {
      const auto r = blockspec::lanczos(op, blockspec::test::gaussian_vector(10, 1), {.reorth = mode});
      CHECK(r.status == LanczosStatus::invariant_subspace);
      CHECK(r.steps == 1);
      const auto q = blockspec::gauss_quadrature(r);
      CHECK(q.nodes[0] == doctest::Approx(1.0).epsilon(1e-15));
      CHECK(q.weights[0] == 1.0);
    }
  }
  SUBCASE("rank one: two steps, nodes 0 and |u|^2") {
    const Eigen::VectorXd u = blockspec::test::gaussian_vector(30, 2);
    const Eigen::MatrixXd a = u * u.transpose();
    const Eigen::VectorXd v = blockspec::test::gaussian_vector(30, 3);
    const auto r = blockspec::lanczos(blockspec::dense_operator(a), v, {.steps = 20});
    CHECK(r.status == LanczosStatus::invariant_subspace);
    CHECK(r.steps == 2);
    const auto q = blockspec::gauss_quadrature(r);
    // The exact measure has mass cos^2(u, v) at |u|^2 and the rest at 0;
    // tolerances: rounding relative to |H| = |u|^2.
    const double c2 = std::pow(u.normalized().dot(v.normalized()), 2);
    CHECK(q.nodes[0] == doctest::Approx(0.0).scale(u.squaredNorm()).epsilon(1e-12));
    CHECK(q.nodes[1] == doctest::Approx(u.squaredNorm()).epsilon(1e-12));
    CHECK(q.weights[1] == doctest::Approx(c2).epsilon(1e-12));
  }
  SUBCASE("n = 1") {
    auto op = blockspec::make_operator(1, [](const auto& x) -> Eigen::VectorXd { return -3.0 * x; });
    const auto r = blockspec::lanczos(op, Eigen::VectorXd::Constant(1, 2.0), {.steps = 5});
    CHECK(r.steps == 1);
    CHECK(r.steps_clamped);
    CHECK(r.status == LanczosStatus::invariant_subspace);
    CHECK(blockspec::gauss_quadrature(r).nodes[0] == -3.0);
  }
  SUBCASE("three distinct eigenvalues: three steps and the exact three-point rule") {
    Eigen::VectorXd d(60);
    for (int i = 0; i < 60; ++i) d[i] = (i % 3 == 0) ? -1.0 : (i % 3 == 1 ? 2.0 : 5.0);
    const Eigen::MatrixXd a = blockspec::test::with_spectrum(d, 4);
    const Eigen::VectorXd v = blockspec::test::gaussian_vector(60, 5);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a);
    const Eigen::VectorXd proj2 = (es.eigenvectors().transpose() * v.normalized()).array().square();
    const double w_minus1 = proj2.head(20).sum(), w2 = proj2.segment(20, 20).sum(), w5 = proj2.tail(20).sum();
    for (auto mode : all_modes) {
      CAPTURE(blockspec::to_string(mode));
      const auto r = blockspec::lanczos(blockspec::dense_operator(a), v, {.steps = 50, .reorth = mode});
      CHECK(r.status == LanczosStatus::invariant_subspace);
      CHECK(r.steps == 3);
      const auto q = blockspec::gauss_quadrature(r);
      // Exact in exact arithmetic; rounding of a few products relative to |H| = 5.
      CHECK(q.nodes[0] == doctest::Approx(-1.0).epsilon(1e-12));
      CHECK(q.nodes[1] == doctest::Approx(2.0).epsilon(1e-12));
      CHECK(q.nodes[2] == doctest::Approx(5.0).epsilon(1e-12));
      CHECK(q.weights[0] == doctest::Approx(w_minus1).epsilon(1e-10));
      CHECK(q.weights[1] == doctest::Approx(w2).epsilon(1e-10));
      CHECK(q.weights[2] == doctest::Approx(w5).epsilon(1e-10));
    }
  }
  SUBCASE("the zero operator") {
    auto op = blockspec::make_operator(4, [](const auto& x) -> Eigen::VectorXd { return 0.0 * x; });
    const auto r = blockspec::lanczos(op, Eigen::VectorXd::Ones(4));
    CHECK(r.status == LanczosStatus::invariant_subspace);
    CHECK(r.steps == 1);
  }
}

TEST_CASE("the progress callback can cancel; steps are clamped to n") {
  const auto a = blockspec::test::laplacian_1d(50);
  int calls = 0;
  const auto r = blockspec::lanczos(blockspec::sparse_operator(a), Eigen::VectorXd::Ones(50),
                                    {.steps = 30, .progress = [&](int step) {
                                       ++calls;
                                       return step < 7;
                                     }});
  CHECK(r.status == LanczosStatus::cancelled);
  CHECK(r.steps == 7);
  CHECK(calls == 7);
  CHECK(r.alpha.size() == 7);
  const auto clamped = blockspec::lanczos(blockspec::sparse_operator(a), blockspec::test::gaussian_vector(50, 1),
                                          {.steps = 80});
  CHECK(clamped.steps_clamped);
  CHECK(clamped.requested_steps == 80);
  CHECK(clamped.steps <= 50);
}

namespace {
// A policy that counts its reduce calls and the scalars they carry: proves
// Lanczos routes every reduction through the policy, one call per point of a step.
struct CountingPolicy {
  mutable int calls = 0;
  mutable long scalars = 0;
  void reduce(std::span<double> partial) const {
    ++calls;
    scalars += static_cast<long>(partial.size());
  }
};
}  // namespace

TEST_CASE("inner products go through the policy, in a documented number of calls per step") {
  const auto a = blockspec::test::laplacian_1d(60);
  const Eigen::VectorXd v = blockspec::test::gaussian_vector(60, 9);
  const auto op = blockspec::sparse_operator(a);
  using R = blockspec::Reorthogonalization;
  SUBCASE("full (lanczos's default): |start|, then alpha, two Gram-Schmidt passes and |w| per step") {
    CountingPolicy policy;
    const auto r1 = blockspec::lanczos(op, v, {.steps = 10}, policy);
    const auto r2 = blockspec::lanczos(op, v, {.steps = 10});
    CHECK(policy.calls == 1 + 4 * 10);
    CHECK(r1.alpha == r2.alpha);  // bit-identical: the policy only counts
    CHECK(r1.beta == r2.beta);
  }
  SUBCASE("none: |start|, then alpha and |w| per step, with or without a stored basis") {
    for (const bool keep : {false, true}) {
      CountingPolicy policy;
      (void)blockspec::lanczos(op, v, {.steps = 12, .reorth = R::none, .keep_basis = keep}, policy);
      CHECK(policy.calls == 1 + 2 * 12);
    }
  }
  SUBCASE("partial: alpha and |w| per step, plus 3 calls per reorthogonalized step") {
    // Five outliers far from a bulk in [0, 1] converge within a few dozen steps, and then
    // orthogonality is lost: the run has both kinds of step.
    Eigen::VectorXd d = Eigen::VectorXd::LinSpaced(400, 0.0, 1.0);
    d.tail(5) << 10.0, 20.0, 30.0, 40.0, 50.0;
    const Eigen::MatrixXd big = d.asDiagonal();
    CountingPolicy policy;
    const auto r = blockspec::lanczos(blockspec::dense_operator(big), blockspec::test::gaussian_vector(400, 3),
                                      {.steps = 120, .reorth = R::partial}, policy);
    REQUIRE(r.reorthogonalizations > 0);
    REQUIRE(r.reorthogonalizations % 2 == 0);  // Simon's scheme reorthogonalizes two consecutive vectors
    CHECK(policy.calls == 1 + 2 * r.steps + 3 * r.reorthogonalizations);  // one reorthogonalized vector per step
  }
  SUBCASE("batched: one call per point of a step for all columns") {
    Eigen::MatrixXd starts(60, 3);
    for (int c = 0; c < 3; ++c) starts.col(c) = blockspec::test::gaussian_vector(60, 20 + c);
    CountingPolicy policy;
    const auto rs = blockspec::batched_lanczos(op, starts, {.steps = 8, .reorth = R::none}, policy);
    CHECK(policy.calls == 1 + 2 * 8);
    CHECK(policy.scalars == 3 + 8 * (2 * 3 + 3));  // norms; per step 2 sums (alpha) and 1 (|w|^2) per column
    CountingPolicy full;
    (void)blockspec::batched_lanczos(op, starts, {.steps = 8, .reorth = R::full}, full);
    CHECK(full.calls == 1 + 4 * 8);
  }
}

TEST_CASE("bad input is an error that names the problem") {
  const auto a = blockspec::test::laplacian_1d(10);
  auto op = blockspec::sparse_operator(a);
  const Eigen::VectorXd v = Eigen::VectorXd::Ones(10);
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, v, {.steps = 0}), doctest::Contains("steps must be positive"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, v, {.steps = -3}), doctest::Contains("steps"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, Eigen::VectorXd::Ones(9)), doctest::Contains("length 9"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, Eigen::VectorXd::Zero(10)), doctest::Contains("start vector is zero"),
                       blockspec::invalid_argument);
  Eigen::VectorXd bad = v;
  bad[3] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, bad), doctest::Contains("non-finite"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::lanczos(op, v, {.breakdown_tolerance = -1.0}),
                       doctest::Contains("breakdown_tolerance"), blockspec::invalid_argument);

  struct ZeroRows {
    using Scalar = double;
    Eigen::Index rows() const { return 0; }
    void apply(Eigen::Ref<const Eigen::VectorXd>, Eigen::Ref<Eigen::VectorXd>) {}
  } zero_rows;
  CHECK_THROWS_WITH_AS(blockspec::lanczos(zero_rows, Eigen::VectorXd()), doctest::Contains("rows() must be positive"),
                       blockspec::invalid_argument);

  for (double poison : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    int products = 0;
    auto nan_at_4 = blockspec::make_operator(10, [&](const auto& x) -> Eigen::VectorXd {
      Eigen::VectorXd y = a * x;
      if (++products == 4) y[2] = poison;
      return y;
    });
    CHECK_THROWS_WITH_AS(blockspec::lanczos(nan_at_4, v), doctest::Contains("non-finite value (NaN or Inf) at step 4"),
                         blockspec::numerical_error);
  }
}

TEST_CASE("the start vector is never modified and none mode keeps no basis") {
  const auto a = blockspec::test::laplacian_1d(30);
  const Eigen::VectorXd v = blockspec::test::gaussian_vector(30, 1);
  const Eigen::VectorXd copy = v;
  const auto r = blockspec::lanczos(blockspec::sparse_operator(a), v, {.steps = 10, .reorth = Reorthogonalization::none});
  CHECK(v == copy);
  CHECK(r.basis.size() == 0);
  CHECK(r.reorthogonalizations == 0);
}

TEST_CASE_TEMPLATE("none mode: the fused two-pass step and the stored-basis step give the same moments", S,
                   float, double) {
  // Without a stored basis a step is two fused passes over the vectors with lazy normalization
  // (detail::fused_alpha_pass, detail::fused_update_pass); with one (keep_basis) it is the
  // textbook update. Both must compute the moments u' H^p u (p < 2k) that the quadrature consumes,
  // and both go through the policy in the same number of calls.
  const Eigen::Index n = 203;  // not a multiple of the four accumulators
  const Eigen::VectorXd spectrum = Eigen::VectorXd::LinSpaced(n, -1.0, 3.0);
  const MatrixX<S> a = blockspec::test::with_spectrum(spectrum, 2).cast<S>();
  const Eigen::MatrixXd ad = a.template cast<double>();
  const VectorX<S> v = blockspec::test::gaussian_vector(n, 4).cast<S>();
  const int k = 12;
  CountingPolicy fused_calls, stored_calls;
  const blockspec::LanczosOptions opts{.steps = k, .reorth = Reorthogonalization::none};
  const blockspec::LanczosOptions keep{.steps = k, .reorth = Reorthogonalization::none, .keep_basis = true};
  const auto fused = blockspec::lanczos(blockspec::dense_operator(a), v, opts, fused_calls);
  const auto general = blockspec::lanczos(blockspec::dense_operator(a), v, keep, stored_calls);
  CHECK(fused_calls.calls == 1 + 2 * k);  // |start|, then alpha and |w| per step
  CHECK(stored_calls.calls == 1 + 2 * k);
  REQUIRE(fused.steps == k);
  REQUIRE(general.steps == k);
  // alpha_0 is one dot product of the same vectors in both: n eps |H| with |H| = 3.
  CHECK(std::abs(fused.alpha[0] - general.alpha[0]) <= 4.0 * static_cast<double>(n) * eps<S>() * 3.0);

  auto tridiagonal = [&](const auto& r) {
    Eigen::MatrixXd t = Eigen::MatrixXd::Zero(k, k);
    for (int j = 0; j < k; ++j) {
      t(j, j) = r.alpha[j];
      if (j + 1 < k) t(j, j + 1) = t(j + 1, j) = r.beta[j];
    }
    return t;
  };
  const Eigen::MatrixXd tf = tridiagonal(fused), tg = tridiagonal(general);
  Eigen::VectorXd xf = Eigen::VectorXd::Unit(k, 0), xg = xf;
  Eigen::VectorXd z = v.template cast<double>().normalized();
  const Eigen::VectorXd u = z;
  for (int p = 1; p < 2 * k; ++p) {
    xf = tf * xf;
    xg = tg * xg;
    z = ad * z;
    // e1' T^p e1 = u' H^p u exactly for p < 2k. Finite-precision Lanczos, even with orthogonality
    // lost, is exact Lanczos on a nearby problem (Paige 1976, Greenbaum 1989): each of the p
    // products contributes a relative error of order n eps, so |error| <= c p n eps |H|^p with
    // |H| = 3; c = 8 covers the constant of a length-n dot product in the operator's scalar.
    const double exact = u.dot(z);
    const double tol = 8.0 * p * static_cast<double>(n) * eps<S>() * std::pow(3.0, p);
    CAPTURE(p);
    CHECK(std::abs(xf[0] - exact) <= tol);
    CHECK(std::abs(xg[0] - exact) <= tol);
  }
}
