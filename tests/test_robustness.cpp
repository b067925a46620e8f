// Numerical robustness suite: lanczos, extreme_eigenpairs, slq and the trace
// estimators on the LAPACK-style hard families, in float and double.
//
// Families: Wilkinson W21+, the symmetric Clement matrix (gallery('clement', n, 1)),
// Kac-Murdock-Szego rho^|i-j|, the identity, rank one, an eigenvalue repeated 50
// times, condition number 1e12, indefinite, n = 1 and n = 2, and a slightly
// non-symmetric A + dE with |dE|/|A| = 1e-6.
// The reference is Eigen's SelfAdjointEigenSolver in double (an independent,
// LAPACK-style dense solver). Every algorithm must either succeed within a bound
// or throw one of the documented exceptions (blockspec::invalid_argument for a
// spectrum a functional does not allow); nothing else may escape.
#include <doctest/doctest.h>

#include <blockspec/krylov/eigs.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/operator/symmetry.hpp>
#include <blockspec/quadratic/haar.hpp>
#include <blockspec/spectral/slq.hpp>
#include <blockspec/spectral/trace.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using blockspec::MatrixX;
using blockspec::VectorX;

namespace {

struct Family {
  std::string name;
  Eigen::MatrixXd a;
};

Eigen::MatrixXd rotated(const Eigen::VectorXd& d, std::uint64_t seed) {
  const Eigen::MatrixXd q = blockspec::haar_orthogonal(d.size(), seed);
  Eigen::MatrixXd a = q * d.asDiagonal() * q.transpose();
  return 0.5 * (a + a.transpose());  // exactly symmetric in storage
}

std::vector<Family> families() {
  std::vector<Family> f;
  {  // Wilkinson W21+: tridiagonal, diagonal |10 - i|, off-diagonal 1; pairs equal to ~1e-14
    const int n = 21;
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < n; ++i) a(i, i) = std::abs(10 - i);
    for (int i = 0; i + 1 < n; ++i) a(i, i + 1) = a(i + 1, i) = 1.0;
    f.push_back({"wilkinson21", a});
  }
  {  // symmetric Clement: off-diagonal sqrt(i (n - i)), eigenvalues +-(n-1), +-(n-3), ... (0 for odd n)
    const int n = 41;
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (int i = 1; i < n; ++i) a(i - 1, i) = a(i, i - 1) = std::sqrt(static_cast<double>(i) * (n - i));
    f.push_back({"clement41", a});
  }
  {  // Kac-Murdock-Szego rho^|i-j|, rho = 0.9: SPD, kappa about 360
    const int n = 60;
    Eigen::MatrixXd a(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) a(i, j) = std::pow(0.9, std::abs(i - j));
    f.push_back({"kms60", a});
  }
  f.push_back({"identity50", Eigen::MatrixXd::Identity(50, 50)});
  {  // rank one u u' with |u| = 3
    const Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(40, 1.0, 2.0).normalized() * 3.0;
    f.push_back({"rank_one40", u * u.transpose()});
  }
  {  // eigenvalue 2 repeated 50 times, 30 others in [3, 5]
    Eigen::VectorXd d(80);
    d.head(50).setConstant(2.0);
    d.tail(30) = Eigen::VectorXd::LinSpaced(30, 3.0, 5.0);
    f.push_back({"repeated50", rotated(d, 11)});
  }
  {  // condition number 1e12: eigenvalues 10^-12 .. 10^0, log-spaced
    Eigen::VectorXd d = Eigen::VectorXd::LinSpaced(60, -12.0, 0.0);
    for (Eigen::Index i = 0; i < d.size(); ++i) d[i] = std::pow(10.0, d[i]);
    f.push_back({"kappa1e12", rotated(d, 12)});
  }
  f.push_back({"indefinite50", rotated(Eigen::VectorXd::LinSpaced(50, -3.0, 2.0), 13)});
  f.push_back({"n1", Eigen::MatrixXd::Constant(1, 1, 2.5)});
  {
    Eigen::MatrixXd a(2, 2);
    a << 2.0, 1.0, 1.0, 3.0;
    f.push_back({"n2", a});
  }
  return f;
}

/// The spectral norm and the eigenvalues (ascending) from Eigen's dense solver.
struct Reference {
  Eigen::VectorXd values;
  double norm = 0.0;
};

Reference reference(const Eigen::MatrixXd& a) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a, Eigen::EigenvaluesOnly);
  REQUIRE(es.info() == Eigen::Success);
  Reference r{es.eigenvalues(), 0.0};
  r.norm = std::max(std::abs(r.values[0]), std::abs(r.values[r.values.size() - 1]));
  return r;
}

/// Runs f; an exception other than the documented blockspec::invalid_argument fails the test.
/// Returns true when f returned.
bool returns_or_documented(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    return true;
  } catch (const blockspec::invalid_argument& e) {
    CHECK_MESSAGE(std::string(e.what()).find("Ritz value") != std::string::npos, what, ": ", std::string(e.what()));
    return false;
  } catch (const std::exception& e) {
    FAIL(what << " threw an undocumented exception: " << std::string(e.what()));
  }
  return false;
}

template <class S>
double eps() {
  return static_cast<double>(std::numeric_limits<S>::epsilon());
}

}  // namespace

TEST_CASE_TEMPLATE("robustness: lanczos Ritz values lie in the spectrum, to rounding", S, float, double) {
  for (const Family& fam : families()) {
    CAPTURE(fam.name);
    const Reference ref = reference(fam.a);
    const Eigen::Index n = fam.a.rows();
    const MatrixX<S> as = fam.a.cast<S>();
    auto op = blockspec::dense_operator(as);
    const VectorX<S> start = VectorX<S>::LinSpaced(n, S(1), S(2));
    for (auto reorth : {blockspec::Reorthogonalization::full, blockspec::Reorthogonalization::partial}) {
      const auto r = blockspec::lanczos(op, start, {.steps = static_cast<int>(std::min<Eigen::Index>(n, 40)), .reorth = reorth});
      REQUIRE(r.steps >= 1);
      CHECK(r.alpha.allFinite());
      const auto te = blockspec::tridiagonal_eigen(r);
      // Interlacing: Ritz values lie in [lambda_min, lambda_max]. A Lanczos run in precision
      // eps is an exact run on A + F with |F| ~ sqrt(n) eps |A| (Paige), and the storage of A
      // in S adds eps |A|: 20 sqrt(n) eps |A| bounds both.
      const double tol = 20.0 * std::sqrt(static_cast<double>(n)) * eps<S>() * ref.norm;
      CHECK(te.values.minCoeff() >= ref.values[0] - tol);
      CHECK(te.values.maxCoeff() <= ref.values[n - 1] + tol);
      const auto gq = blockspec::gauss_quadrature(r);
      // Gauss weights are squares of a unit vector's components: they sum to 1 (rounding of m terms).
      CHECK(std::abs(gq.weights.sum() - 1.0) <= 1e-12 * r.steps);
      CHECK(gq.weights.minCoeff() >= 0.0);
    }
  }
}

TEST_CASE_TEMPLATE("robustness: extreme_eigenpairs matches the dense solver within its residual bound", S, float,
                   double) {
  for (const Family& fam : families()) {
    CAPTURE(fam.name);
    const Reference ref = reference(fam.a);
    const Eigen::Index n = fam.a.rows();
    const MatrixX<S> as = fam.a.cast<S>();
    auto op = blockspec::dense_operator(as);
    const int k = static_cast<int>(std::min<Eigen::Index>(3, n));
    // tol: 1e-10 in double; in float a residual below ~sqrt(n) eps_float |A| cannot be certified.
    const double tol = std::is_same_v<S, float> ? 1e-4 : 1e-10;
    for (auto which : {blockspec::Which::largest, blockspec::Which::smallest}) {
      CAPTURE(static_cast<int>(which));
      blockspec::EigsResult<S> e;
      CHECK_NOTHROW(e = blockspec::extreme_eigenpairs(op, k, {.which = which, .tol = tol, .seed = 3}));
      if (e.status != blockspec::EigsStatus::converged) {
        // Found by this suite: the smallest end of kappa = 1e12 (60 eigenvalues 1e-12 .. 1,
        // log-spaced) does not converge to tol = 1e-10 in the default budget (1000 ncv
        // products). Not an exception, as documented; every other family converges.
        MESSAGE("not converged: ", e.converged, " of ", k, " pairs after ", e.matvecs, " products");
        CHECK((fam.name == "kappa1e12" && which == blockspec::Which::smallest));
        CHECK(e.values.allFinite());
        continue;
      }
      REQUIRE(e.values.size() == k);
      for (int i = 0; i < k; ++i) {
        CAPTURE(i);
        const double want = which == blockspec::Which::largest ? ref.values[n - 1 - i] : ref.values[i];
        // For a symmetric A, a unit x with |A x - theta x| = r has an eigenvalue within r of
        // theta (Weyl); the i-th extreme is matched when the pairs are orthonormal. Storage of A
        // in S and the residual's own rounding add 20 sqrt(n) eps |A|.
        const double bound = e.residuals[i] + 20.0 * std::sqrt(static_cast<double>(n)) * eps<S>() * ref.norm;
        CHECK(std::abs(e.values[i] - want) <= bound + tol * ref.norm);
      }
      if (e.vectors.cols() == k) {
        // Orthonormal to the reorthogonalization's rounding.
        const Eigen::MatrixXd g = e.vectors.template cast<double>().transpose() * e.vectors.template cast<double>();
        CHECK((g - Eigen::MatrixXd::Identity(k, k)).norm() <= 100.0 * std::sqrt(static_cast<double>(n)) * eps<S>());
      }
    }
  }
}

TEST_CASE_TEMPLATE("robustness: slq and the trace estimators succeed or throw the documented error", S, float, double) {
  for (const Family& fam : families()) {
    CAPTURE(fam.name);
    const Reference ref = reference(fam.a);
    const Eigen::Index n = fam.a.rows();
    const MatrixX<S> as = fam.a.cast<S>();
    auto op = blockspec::dense_operator(as);
    blockspec::SpectralQuadrature q;
    CHECK_NOTHROW(q = blockspec::slq(op, {.probes = 20, .steps = 40, .seed = 5}));
    REQUIRE(q.probes.size() == 20u);
    const double round = 20.0 * std::sqrt(static_cast<double>(n)) * eps<S>() * ref.norm;
    for (const auto& p : q.probes) {
      // Gauss nodes are Ritz values: inside the spectrum (interlacing, Paige's rounding bound).
      CHECK(p.nodes.minCoeff() >= ref.values[0] - round);
      CHECK(p.nodes.maxCoeff() <= ref.values[n - 1] + round);
      CHECK(std::abs(p.weights.sum() - 1.0) <= 1e-10);
    }
    // tr(A) by Hutchinson: the m-point Gauss rule is exact for x (degree 1 <= 2m - 1), so the
    // only error is the probe error. 20 probes: 6 standard errors is a t-tail below 1e-5,
    // plus the rounding of n terms of size |A|.
    const double trace = ref.values.sum();
    const auto t = blockspec::trace_of(q);
    CHECK(std::abs(t.value - trace) <= 6.0 * t.std_error + static_cast<double>(n) * round);

    // The library's singularity tolerance is n eps |H| on the Ritz values (trace.hpp): a
    // spectrum reaching below it must be refused; a clearly definite one may be accepted.
    const double singular = static_cast<double>(n) * eps<S>() * ref.norm;
    const bool positive_definite = ref.values[0] > singular;
    blockspec::Estimate ld, ti;
    const bool ld_ok = returns_or_documented([&] { ld = blockspec::logdet(q); }, "logdet");
    const bool ti_ok = returns_or_documented([&] { ti = blockspec::trace_inverse(q); }, "trace_inverse");
    // Found by this suite: in float, kappa = 1e12 lies below n eps_float |H| but logdet returned a
    // finite value (the singular tolerance used double's eps); it now uses the operator's scalar
    // (test_spectral_trace.cpp). Left out here: with 40 < n steps the smallest float Ritz value
    // need not come within n eps_f |H| of 0, so a refusal is not guaranteed at these steps.
    if (!positive_definite && !(std::is_same_v<S, float> && fam.name == "kappa1e12")) {
      // A Ritz value <= 0, or within n eps |H| of 0, is documented to throw: logdet of an
      // indefinite or singular matrix has no finite value.
      CHECK_FALSE(ld_ok);
    }
    // trace_inverse needs one strict sign; both ends clearly away from 0 on opposite sides: refused.
    if (ref.values[0] < -0.1 * ref.norm && ref.values[n - 1] > 0.1 * ref.norm) CHECK_FALSE(ti_ok);
    if (ld_ok) {
      REQUIRE(std::isfinite(ld.value));
      const double want = ref.values.array().log().sum();
      CAPTURE(ld.value);
      CAPTURE(want);
      // The interval covers the probe error only (trace.hpp). Where 40 steps give an exact
      // rule (n <= 40, or few distinct eigenvalues: the run ends on an invariant subspace)
      // or a tiny bias (KMS: kappa ~ 360, Gauss error ~ ((sqrt(k)-1)/(sqrt(k)+1))^(2m) < 1e-3
      // relative), 6 standard errors plus that bias bound the error. kappa = 1e12 is left out:
      // its quadrature bias is large (issue 13 section 1, the quadrature diagnostic).
      if (fam.name != "kappa1e12")
        CHECK(std::abs(ld.value - want) <= 6.0 * ld.std_error + 1e-3 * std::abs(want) + static_cast<double>(n) * round);
    }
    if (ti_ok) REQUIRE(std::isfinite(ti.value));
  }
}

TEST_CASE("robustness: symmetry_error separates A + dE (|dE|/|A| = 1e-6) from symmetric float and double inputs") {
  for (const Family& fam : families()) {
    CAPTURE(fam.name);
    const double n = static_cast<double>(fam.a.rows());
    // A symmetric matrix: x'Ay and y'Ax differ by the rounding of two dot products of length n,
    // at most about 2 n eps relative (a deterministic bound; random signs give sqrt(n) eps).
    const Eigen::MatrixXf af = fam.a.cast<float>();
    CHECK(blockspec::symmetry_error(blockspec::dense_operator(af), 5, 1) <= 2.0 * n * eps<float>());
    CHECK(blockspec::symmetry_error(blockspec::dense_operator(fam.a), 5, 1) <= 2.0 * n * eps<double>());
    if (fam.a.rows() < 2) continue;
    // A + dE, dE = c (e_0 e_1' - e_1 e_0') antisymmetric with |dE|_2 = c = 1e-6 |A|.
    Eigen::MatrixXd e = Eigen::MatrixXd::Zero(fam.a.rows(), fam.a.rows());
    e(0, 1) = 1.0;
    e(1, 0) = -1.0;
    const Eigen::MatrixXd b = fam.a + 1e-6 * reference(fam.a).norm * e;
    // The measured asymmetry is a random projection of dE: well above the double rounding floor,
    // and the algorithms still run without an undocumented exception.
    const double err = blockspec::symmetry_error(blockspec::dense_operator(b), 5, 1);
    CHECK(err > 1e-9);
    CHECK(err <= 1e-5);
    // check_symmetry (floor 32 sqrt(n) eps): refuses A + dE in double, never a symmetric input.
    CHECK_THROWS_WITH_AS(blockspec::slq(blockspec::dense_operator(b), {.probes = 2, .steps = 10, .check_symmetry = true}),
                         doctest::Contains("not symmetric"), blockspec::invalid_argument);
    CHECK_THROWS_AS(blockspec::extreme_eigenpairs(blockspec::dense_operator(b), 1, {.check_symmetry = true}),
                    blockspec::invalid_argument);
    CHECK_NOTHROW(blockspec::slq(blockspec::dense_operator(af), {.probes = 2, .steps = 10, .check_symmetry = true}));
    CHECK_NOTHROW(blockspec::slq(blockspec::dense_operator(fam.a), {.probes = 2, .steps = 10, .check_symmetry = true}));
    auto op = blockspec::dense_operator(b);
    CHECK(returns_or_documented([&] { (void)blockspec::slq(op, {.probes = 2, .steps = 10}); }, "slq"));
    CHECK(returns_or_documented([&] { (void)blockspec::extreme_eigenpairs(op, 1); }, "extreme_eigenpairs"));
  }
}
