// Tests of krylov/eigs.hpp: thick-restart Lanczos against Eigen's dense solver on the hard cases.
#include <blockspec/krylov/eigs.hpp>
#include <blockspec/operator/matrix.hpp>

#include <doctest/doctest.h>

#include <support/archetype.hpp>
#include <support/reference_matrices.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace {

using blockspec::EigsStatus;
using blockspec::MatrixX;
using blockspec::VectorX;
using blockspec::Which;

Eigen::MatrixXd goe(Eigen::Index n, std::uint64_t seed) {
  blockspec::Rng rng(seed, 0);
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) g(i, j) = rng.normal();
  return (g + g.transpose()) / std::sqrt(2.0 * static_cast<double>(n));
}

/// The k eigenvalues `which` asks for, from Eigen's dense solver, ascending.
std::vector<double> expected(const Eigen::VectorXd& ascending, int k, Which which) {
  const Eigen::Index n = ascending.size();
  std::vector<double> all(ascending.data(), ascending.data() + n), out;
  switch (which) {
    case Which::largest: out.assign(all.end() - k, all.end()); break;
    case Which::smallest: out.assign(all.begin(), all.begin() + k); break;
    case Which::both_ends:
      out.assign(all.end() - (k + 1) / 2, all.end());
      out.insert(out.end(), all.begin(), all.begin() + k / 2);
      break;
    case Which::largest_magnitude:
      std::stable_sort(all.begin(), all.end(), [](double a, double b) { return std::abs(a) > std::abs(b); });
      out.assign(all.begin(), all.begin() + k);
      break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Checks values against the reference, true residuals and orthonormality.
/// For a symmetric matrix a unit x with |Ax - theta x| = r has an eigenvalue
/// within r of theta (Parlett, The Symmetric Eigenvalue Problem, 4.5.1), so
/// with r <= tol |A| (plus rounding of the products) the values agree to a
/// small multiple of tol |A|; the multiplicity is checked by the count.
template <class S>
void check_pairs(const Eigen::MatrixXd& a, const blockspec::EigsResult<S>& r, int k, Which which, double tol) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a, Eigen::EigenvaluesOnly);
  const double anorm = es.eigenvalues().cwiseAbs().maxCoeff();
  REQUIRE(r.status == EigsStatus::converged);
  REQUIRE(r.values.size() == k);
  CHECK(r.converged == k);
  std::vector<double> got(r.values.data(), r.values.data() + k);
  std::sort(got.begin(), got.end());
  const std::vector<double> want = expected(es.eigenvalues(), k, which);
  for (int i = 0; i < k; ++i) CHECK(std::abs(got[static_cast<std::size_t>(i)] - want[static_cast<std::size_t>(i)]) <= 10 * tol * anorm);
  const Eigen::MatrixXd x = r.vectors.template cast<double>();
  const Eigen::VectorXd res = (a * x - x * r.values.asDiagonal()).colwise().norm();
  for (int i = 0; i < k; ++i) CHECK(res[i] <= 10 * tol * anorm);
  // Gram–Schmidt against the locked vectors keeps them orthonormal to rounding (sqrt(n) eps per column).
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  CHECK((x.transpose() * x - Eigen::MatrixXd::Identity(k, k)).norm() <= 100 * std::sqrt(static_cast<double>(a.rows())) * eps);
}

/// An inner-product policy that counts its reduce calls and changes nothing.
struct CountingInnerProduct {
  mutable int calls = 0;
  void reduce(std::span<double>) const { ++calls; }
};

/// A dense operator that models ExecutorAwareOperator and records the executor it was given.
template <class S>
struct ExecutorRecordingOperator {
  using Scalar = S;
  const MatrixX<S>& a;
  int executor_products = 0;
  blockspec::Executor* last = nullptr;
  Eigen::Index rows() const { return a.rows(); }
  void apply(Eigen::Ref<const VectorX<S>> x, Eigen::Ref<VectorX<S>> y) { y.noalias() = a * x; }
  void apply_block(Eigen::Ref<const MatrixX<S>> x, Eigen::Ref<MatrixX<S>> y) { y.noalias() = a * x; }
  void apply_block(Eigen::Ref<const MatrixX<S>> x, Eigen::Ref<MatrixX<S>> y, blockspec::Executor& ex) {
    ++executor_products;
    last = &ex;
    REQUIRE(x.cols() == 1);
    y.noalias() = a * x;
  }
};

template <class S>
double tol_for() {
  // The residual of a vector in S cannot fall much below eps_S |A|: ask for 1e-10 in double, 1e-5 in float.
  return std::is_same_v<S, double> ? 1e-10 : 1e-5;
}

}  // namespace

TEST_CASE_TEMPLATE("extreme_eigenpairs: every end of a GOE matrix", S, float, double) {
  const Eigen::MatrixXd a = goe(300, 1);
  const MatrixX<S> as = a.cast<S>();
  const Eigen::MatrixXd a_rounded = as.template cast<double>();
  for (Which which : {Which::largest, Which::smallest, Which::both_ends, Which::largest_magnitude}) {
    CAPTURE(static_cast<int>(which));
    const auto r = blockspec::extreme_eigenpairs(blockspec::dense_operator(as), 6,
                                                 {.which = which, .tol = tol_for<S>(), .ncv = 20, .seed = 3});
    check_pairs(a_rounded, r, 6, which, tol_for<S>());
    CHECK(r.matvecs > 0);
  }
}

TEST_CASE("extreme_eigenpairs: both copies of the double eigenvalues of the 2-D Laplacian") {
  // On a 20 x 20 grid the eigenvalues are lambda_i + lambda_j of the 1-D
  // Laplacian: every i != j pair is a double eigenvalue. The top 10 hold four
  // of them; a Krylov space sees one vector per eigenspace.
  const Eigen::SparseMatrix<double> lap = blockspec::test::laplacian_2d(20);
  const Eigen::VectorXd exact = blockspec::test::laplacian_2d_eigenvalues(20);
  for (Which which : {Which::largest, Which::smallest}) {
    const auto r = blockspec::extreme_eigenpairs(blockspec::sparse_operator(lap), 10, {.which = which, .ncv = 30});
    REQUIRE(r.status == EigsStatus::converged);
    std::vector<double> got(r.values.data(), r.values.data() + 10);
    std::sort(got.begin(), got.end());
    const std::vector<double> want = expected(exact, 10, which);
    // Analytic eigenvalues; |A| = 8, tol 1e-10: agreement to 1e-8 is 10 tol |A|.
    for (int i = 0; i < 10; ++i) CHECK(got[static_cast<std::size_t>(i)] == doctest::Approx(want[static_cast<std::size_t>(i)]).epsilon(1e-8));
  }
  // Without the verification pass, as in ARPACK, a copy is missed here.
  const auto plain = blockspec::extreme_eigenpairs(blockspec::sparse_operator(lap), 10, {.ncv = 30, .verify = false});
  std::vector<double> got(plain.values.data(), plain.values.data() + 10);
  std::sort(got.begin(), got.end());
  const std::vector<double> want = expected(exact, 10, Which::largest);
  CHECK(std::abs(got.front() - want.front()) > 1e-3);
}

TEST_CASE("extreme_eigenpairs: the identity (scipy issue 14089) and a rank-one matrix (Spectra issue 159)") {
  const Eigen::MatrixXd id = Eigen::MatrixXd::Identity(100, 100);
  const auto r = blockspec::extreme_eigenpairs(blockspec::dense_operator(id), 5);
  check_pairs(id, r, 5, Which::largest, 1e-10);
  // Every Krylov space of I breaks down after one step: a handful of products, not an iteration limit.
  CHECK(r.matvecs <= 2 * 20);

  Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(200, 1.0, 2.0);
  const Eigen::MatrixXd rank_one = u * u.transpose();
  for (Which which : {Which::largest, Which::largest_magnitude, Which::both_ends}) {
    const auto q = blockspec::extreme_eigenpairs(blockspec::dense_operator(rank_one), 4, {.which = which});
    check_pairs(rank_one, q, 4, which, 1e-10);
  }
}

TEST_CASE("extreme_eigenpairs: clustered, triple and indefinite spectra") {
  const Eigen::Index n = 200;
  const Eigen::MatrixXd q = blockspec::test::random_orthogonal(n, 5);
  Eigen::VectorXd d = Eigen::VectorXd::LinSpaced(n, -3.0, 2.0);
  for (int i = 0; i < 4; ++i) d[n - 1 - i] = 2.5 + 1e-9 * i;  // a cluster of width 3e-9
  const Eigen::MatrixXd clustered = q * d.asDiagonal() * q.transpose();
  check_pairs(clustered, blockspec::extreme_eigenpairs(blockspec::dense_operator(clustered), 4), 4, Which::largest, 1e-10);
  for (int i = 0; i < 3; ++i) d[n - 1 - i] = 2.5;  // a triple eigenvalue
  const Eigen::MatrixXd triple = q * d.asDiagonal() * q.transpose();
  check_pairs(triple, blockspec::extreme_eigenpairs(blockspec::dense_operator(triple), 4), 4, Which::largest, 1e-10);
  // Indefinite: -3 has the largest magnitude.
  const Eigen::MatrixXd indefinite = q * Eigen::VectorXd::LinSpaced(n, -3.0, 2.0).asDiagonal() * q.transpose();
  for (Which which : {Which::largest_magnitude, Which::smallest, Which::both_ends})
    check_pairs(indefinite, blockspec::extreme_eigenpairs(blockspec::dense_operator(indefinite), 5, {.which = which}), 5,
                which, 1e-10);
}

TEST_CASE("extreme_eigenpairs: all eigenpairs of a tiny matrix, and a minimal operator") {
  const Eigen::MatrixXd a = goe(6, 2);
  check_pairs(a, blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 6, {.ncv = 6}), 6, Which::largest, 1e-10);
  VectorX<double> d = VectorX<double>::LinSpaced(50, 1.0, 50.0);
  blockspec::test::ArchetypeOperator<double> op(d);
  const auto r = blockspec::extreme_eigenpairs(op, 3);
  check_pairs(Eigen::MatrixXd(d.asDiagonal()), r, 3, Which::largest, 1e-10);
  CHECK(op.calls == r.matvecs);
}

TEST_CASE("extreme_eigenpairs: running out of matvecs is a status, not an exception") {
  const Eigen::MatrixXd a = goe(200, 4);
  const auto r = blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 5, {.max_matvecs = 12});
  CHECK(r.status == EigsStatus::not_converged);
  CHECK(r.matvecs == 12);
  CHECK(r.values.size() == 5);
  CHECK(r.converged < 5);
  CHECK(std::string(blockspec::to_string(r.status)) == "not_converged");
}

TEST_CASE("extreme_eigenpairs: bad input is named") {
  const Eigen::MatrixXd a = goe(10, 1);
  auto op = blockspec::dense_operator(a);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 0), doctest::Contains("k must be positive"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 11), doctest::Contains("exceeds the dimension"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 4, {.ncv = 4}), doctest::Contains("ncv = 4 must exceed k"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 4, {.tol = 0.0}), doctest::Contains("tol"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 4, {.max_matvecs = -1}), doctest::Contains("max_matvecs"),
                       blockspec::invalid_argument);
  VectorX<double> d = VectorX<double>::Ones(10);
  d[2] = std::numeric_limits<double>::quiet_NaN();
  blockspec::test::ArchetypeOperator<double> bad(d);
  CHECK_THROWS_AS(blockspec::extreme_eigenpairs(bad, 2), blockspec::numerical_error);
}

// ---- The phases, one at a time. ----

TEST_CASE_TEMPLATE("eigs phase expand: DGKS makes w orthogonal to [X V], its norm by Pythagoras is exact", S, float,
                   double) {
  const Eigen::Index n = 500;
  const Eigen::MatrixXd q = blockspec::test::random_orthogonal(n, 7).leftCols(8);
  const MatrixX<S> X = q.leftCols(3).cast<S>(), V = q.rightCols(5).cast<S>();
  const Eigen::MatrixXd Q = q.cast<S>().template cast<double>();
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const Eigen::VectorXd r = blockspec::test::gaussian_vector(n, 8);
  // A generic vector (no cancellation: one pass) and one that is mostly in the
  // span (the first pass cancels all but 1e-3 of the norm: a second pass).
  for (double in_span : {0.0, 1e3}) {
    CAPTURE(in_span);
    const Eigen::VectorXd c = Eigen::VectorXd::LinSpaced(8, 1.0, 2.0) * in_span / std::sqrt(static_cast<double>(n));
    VectorX<S> w = (r + Q * c * std::sqrt(static_cast<double>(n))).template cast<S>();
    const double norm_in = w.template cast<double>().norm();
    VectorX<S> hx, hv;
    std::int64_t repeats = 0;
    double before2 = 0.0;
    CountingInnerProduct ip;
    blockspec::detail::Reduction red;
    const double norm = blockspec::detail::orthogonalize_dgks<S>(ip, red, X, V, w, hx, hv, repeats, &before2);
    CHECK(repeats == (in_span > 0.0 ? 1 : 0));
    CHECK(ip.calls == 1 + repeats);  // one reduce call per pass: projections and |w|^2 together
    CHECK(std::sqrt(before2) == doctest::Approx(norm_in).epsilon(10 * eps));
    // Orthogonal to rounding: each entry of Q'w is a sum of n rounded products
    // of size |w|/sqrt(n), an error of about sqrt(n) eps |w| / sqrt(n) per term
    // summed with random signs; 10 sqrt(n) eps |w| leaves a wide margin.
    const Eigen::VectorXd wd = w.template cast<double>();
    CHECK((Q.transpose() * wd).cwiseAbs().maxCoeff() <= 10 * std::sqrt(static_cast<double>(n)) * eps * wd.norm());
    // Pythagoras after a passing DGKS test loses at most a factor 3 (see orthogonalize_dgks), plus
    // the rounding of |w|^2 itself (n terms): 10 sqrt(n) eps relative.
    CHECK(norm == doctest::Approx(wd.norm()).epsilon(10 * std::sqrt(static_cast<double>(n)) * eps));
  }
}

TEST_CASE("eigs phase Rayleigh-Ritz: the tridiagonal Toeplitz matrix's known eigenpairs") {
  // T = tridiag(-1, 2, -1) of order m: theta_i = 2 - 2 cos(i pi / (m + 1)), and the last component of
  // the unit eigenvector is sqrt(2 / (m + 1)) |sin(i m pi / (m + 1))|.
  const int m = 12;
  Eigen::MatrixXd T = Eigen::MatrixXd::Zero(m, m);
  for (int i = 0; i < m; ++i) {
    T(i, i) = 2.0;
    if (i + 1 < m) T(i, i + 1) = T(i + 1, i) = -1.0;
  }
  const double beta_m = 0.5;
  const blockspec::detail::RitzPairs rp = blockspec::detail::rayleigh_ritz(T, beta_m);
  const double eps = std::numeric_limits<double>::epsilon();
  for (int i = 1; i <= m; ++i) {
    const double h = std::numbers::pi / (m + 1);
    // A backward-stable symmetric eigensolver: errors of a few m eps |T| (|T| <= 4).
    CHECK(std::abs(rp.theta[i - 1] - (2.0 - 2.0 * std::cos(i * h))) <= 10 * m * eps * 4.0);
    CHECK(std::abs(rp.resid[i - 1] - beta_m * std::sqrt(2.0 / (m + 1)) * std::abs(std::sin(i * m * h))) <=
          10 * m * eps);
  }
}

TEST_CASE("eigs phase lock: exactly the selected pairs with residual <= tol |H| lock") {
  blockspec::detail::RitzPairs rp;
  rp.theta = Eigen::VectorXd::LinSpaced(6, 1.0, 6.0);
  rp.resid.resize(6);
  rp.resid << 1e-3, 1e-12, 1e-9, 1e-10, 1e-13, 2e-10;
  const double threshold = 1e-10;
  // Largest, three wanted, none locked yet: the candidates 4, 5, 6 are selected.
  const blockspec::detail::EigsSelection sel = blockspec::detail::eigs_select({}, {}, rp.theta, Which::largest, 3, 0);
  CHECK(sel.candidate_side == std::vector<int>{-1, -1, -1, 0, 0, 0});
  const blockspec::detail::LockPlan p = blockspec::detail::eigs_lock_plan(rp, sel.candidate_side, Which::largest, threshold);
  // 2 (resid 1e-12) is converged but not wanted; 4 sits on the threshold (<= locks); 6 is above it.
  CHECK(p.taken == std::vector<char>{0, 0, 0, 1, 1, 0});
  CHECK(p.wanted == 1);
  CHECK(p.locked_now[0]);
  CHECK(!p.locked_now[1]);
  CHECK(p.best_new[0] == 5.0);
  CHECK(p.best_open[0] == 6.0 + 2e-10);
  // The keep rule: wanted + min(locked + 2, half the free room), at least one extra, one column left.
  using blockspec::detail::eigs_keep_count;
  CHECK(eigs_keep_count(3, 0, 30) == 5);    // locked + 2 = 2
  CHECK(eigs_keep_count(3, 8, 30) == 13);   // locked + 2 = 10 < 27 / 2
  CHECK(eigs_keep_count(3, 20, 30) == 16);  // half the free room, 27 / 2 = 13
  CHECK(eigs_keep_count(10, 0, 12) == 11);  // at least one extra, capped at room - 1
  CHECK(eigs_keep_count(11, 0, 12) == 11);
  CHECK(eigs_keep_count(0, 0, 1) == 0);
  // Kept: the open wanted pair first, then the best others by priority (locked ones excluded).
  CHECK(blockspec::detail::eigs_keep_indices(rp, p, Which::largest, 3) == std::vector<int>{5, 2, 1});
}

TEST_CASE("eigs phase verification: the settle test, and the second copy of a double eigenvalue") {
  using blockspec::detail::eigs_verification_settled;
  blockspec::detail::LockPlan p;
  p.locked_now = {true, false};
  p.best_new = {5.0, -std::numeric_limits<double>::infinity()};
  std::array<int, 2> need{4, 0};
  // A new pair better than the answer's worst (4.0) by more than the threshold: a missed copy.
  CHECK(!eigs_verification_settled(need, {4, 0}, {3, 0}, p, {4.0, 0.0}, 1e-10));
  CHECK(need[0] == 5);
  // No better: this side is done.
  p.best_new[0] = 4.0;
  CHECK(eigs_verification_settled(need, {5, 0}, {3, 0}, p, {4.0, 0.0}, 1e-10));
  CHECK(need[0] == 5);
  // Nothing locked now; an open candidate whose value + residual may still beat the answer: go on.
  p.locked_now = {false, false};
  p.best_open = {4.5, -std::numeric_limits<double>::infinity()};
  need = {6, 0};
  CHECK(!eigs_verification_settled(need, {5, 0}, {3, 0}, p, {4.0, 0.0}, 1e-10));
  p.best_open[0] = 3.9;
  CHECK(eigs_verification_settled(need, {5, 0}, {3, 0}, p, {4.0, 0.0}, 1e-10));
  CHECK(need[0] == 5);

  // 10 x 10 grid: the top eigenvalue 2 e_1 is single, the next e_1 + e_2 double. k = 3 needs both copies.
  const Eigen::SparseMatrix<double> lap = blockspec::test::laplacian_2d(10);
  const Eigen::VectorXd exact = blockspec::test::laplacian_2d_eigenvalues(10);
  REQUIRE(exact[98] == doctest::Approx(exact[97]).epsilon(1e-14));
  const auto r = blockspec::extreme_eigenpairs(blockspec::sparse_operator(lap), 3, {.ncv = 12});
  REQUIRE(r.status == EigsStatus::converged);
  CHECK(r.fresh_starts >= 1);
  // Analytic values; |A| = 8, tol 1e-10: 10 tol |A| = 8e-9.
  for (int i = 0; i < 3; ++i) CHECK(std::abs(r.values[i] - exact[99 - i]) <= 8e-9);
}

// ---- The inner-product policy. ----

TEST_CASE("extreme_eigenpairs: reduce calls per Lanczos step are the documented two (plus DGKS repeats)") {
  // diag(1..200), one start vector, no restart within 15 steps (ncv 20): after j products the
  // policy saw 1 (the start vector's pass) + 2 j + the DGKS repeats (EigsResult::dgks_repeats).
  VectorX<double> d = VectorX<double>::LinSpaced(200, 1.0, 200.0);
  int previous_calls = 1;
  std::int64_t previous_repeats = 0;
  for (int j = 1; j <= 15; ++j) {
    CAPTURE(j);
    blockspec::test::ArchetypeOperator<double> op(d);
    CountingInnerProduct ip;
    const auto r = blockspec::extreme_eigenpairs(op, 3, {.max_matvecs = j, .ncv = 20, .verify = false}, ip);
    REQUIRE(r.matvecs == j);
    CHECK(r.restarts == 0);
    CHECK(r.random_vectors == 1);
    CHECK(ip.calls == 1 + 2 * j + r.dgks_repeats);
    // Step j alone: its two calls and its own repeats; on this problem no pass cancels (deterministic:
    // fixed seed, and |w| after the three-term removal is beta_j, far above rounding), so exactly 2.
    CHECK(ip.calls - previous_calls == 2 + (r.dgks_repeats - previous_repeats));
    CHECK(r.dgks_repeats == 0);
    CHECK(ip.calls - previous_calls == 2);
    previous_calls = ip.calls;
    previous_repeats = r.dgks_repeats;
  }
  // A whole run with restarts and the verification pass (no breakdown on a GOE matrix): 2 per
  // step, 1 per random vector, 1 per restart (the continuation vector, or mixing the Ritz vector
  // into a verification start), 1 per DGKS repeat.
  const Eigen::MatrixXd a = goe(300, 1);
  CountingInnerProduct ip;
  const auto r = blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 6, {.ncv = 20, .seed = 3}, ip);
  REQUIRE(r.status == EigsStatus::converged);
  CHECK(r.fresh_starts == 1);
  CHECK(r.random_vectors == 1 + r.fresh_starts);  // no breakdown: the premise of the count
  CHECK(r.restarts > 1);
  CHECK(ip.calls == 2 * r.matvecs + r.random_vectors + r.restarts + r.dgks_repeats);
}

TEST_CASE_TEMPLATE("extreme_eigenpairs: a policy that only counts gives bit-identical results to LocalInnerProduct", S,
                   float, double) {
  const MatrixX<S> a = goe(300, 2).cast<S>();
  for (Which which : {Which::largest, Which::both_ends}) {
    const blockspec::EigsOptions o{.which = which, .tol = tol_for<S>(), .ncv = 20, .seed = 5};
    const auto local = blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 5, o);
    CountingInnerProduct ip;
    const auto counted = blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 5, o, ip);
    CHECK(ip.calls > 0);
    CHECK(counted.matvecs == local.matvecs);
    CHECK(counted.values == local.values);
    CHECK(counted.residuals == local.residuals);
    CHECK(counted.vectors == local.vectors);
  }
}

// ---- The executor. ----

TEST_CASE("extreme_eigenpairs: single products stay on the calling thread; the executor options are validated") {
  const MatrixX<double> a = goe(120, 6);
  ExecutorRecordingOperator<double> op{a};
  static_assert(blockspec::ExecutorAwareOperator<ExecutorRecordingOperator<double>>);
  blockspec::Executor ex(2);
  const auto r = blockspec::extreme_eigenpairs(op, 4, {.ncv = 20, .executor = &ex});
  CHECK(op.executor_products == 0);  // one vector per product: the operator's own apply, no split
  // The same numbers as the plain product (the result does not depend on the executor).
  const auto plain = blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 4, {.ncv = 20});
  CHECK(r.values == plain.values);
  CHECK(r.matvecs == plain.matvecs);
  // threads = 2 without an executor: one made for the call.
  const auto own = blockspec::extreme_eigenpairs(op, 4, {.ncv = 20, .threads = 2});
  CHECK(own.values == plain.values);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 4, {.threads = 3, .executor = &ex}),
                       doctest::Contains("threads = 3"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 4, {.threads = 0}), doctest::Contains("threads must be positive"),
                       blockspec::invalid_argument);
}

TEST_CASE("extreme_eigenpairs: bad options name the argument and its value") {
  const Eigen::MatrixXd a = goe(10, 1);
  auto op = blockspec::dense_operator(a);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.which = static_cast<Which>(42)}),
                       doctest::Contains("which = 42"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.tol = -0.5}), doctest::Contains("tol must be positive and finite, got -0.5"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.tol = std::numeric_limits<double>::quiet_NaN()}),
                       doctest::Contains("got nan"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.max_matvecs = -3}), doctest::Contains("max_matvecs must be >= 0 (0 = automatic), got -3"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.ncv = -1}), doctest::Contains("ncv must be >= 0 (0 = automatic), got -1"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.ncv = 11}), doctest::Contains("ncv = 11 exceeds the dimension 10"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(op, 2, {.symmetry_trials = -1}),
                       doctest::Contains("symmetry_trials must be positive, got -1"), blockspec::invalid_argument);
}

TEST_CASE("extreme_eigenpairs: check_symmetry refuses a non-symmetric operator, off by default") {
  // Tolerance: symmetry_noise_floor = 32 sqrt(n) eps; the upper triangle doubled makes the
  // relative asymmetry O(1), and a GOE matrix stays at rounding level.
  const Eigen::MatrixXd a = goe(30, 2);
  Eigen::MatrixXd b = a;
  b.triangularView<Eigen::StrictlyUpper>() *= 2.0;
  CHECK_THROWS_WITH_AS(blockspec::extreme_eigenpairs(blockspec::dense_operator(b), 2, {.check_symmetry = true}),
                       doctest::Contains("extreme_eigenpairs: check_symmetry: the operator is not symmetric"),
                       blockspec::invalid_argument);
  CHECK_NOTHROW(blockspec::extreme_eigenpairs(blockspec::dense_operator(a), 2, {.check_symmetry = true}));
  const Eigen::MatrixXf af = a.cast<float>();
  CHECK_NOTHROW(blockspec::extreme_eigenpairs(blockspec::dense_operator(af), 2, {.tol = 1e-4, .check_symmetry = true}));
}
