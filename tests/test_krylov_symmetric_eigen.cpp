// Tests for krylov/detail/symmetric_eigen.hpp: Householder tridiagonalization + tridiagonal QL,
// against Eigen's dense SelfAdjointEigenSolver (LAPACK's algorithm, an independent solver).
#include <blockspec/krylov/detail/symmetric_eigen.hpp>

#include <doctest/doctest.h>

#include <blockspec/random.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>

namespace {

Eigen::MatrixXd random_symmetric(Eigen::Index n, std::uint64_t seed) {
  blockspec::Rng rng(seed, 0);
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < n * n; ++i) g.data()[i] = rng.normal();
  return 0.5 * (g + g.transpose());
}

// Both solvers are backward stable: eigenvalues agree to a small multiple of n eps |A|, so
// 1e-13 n |A|_2 leaves a margin of ~50 over n eps. Residual |A V - V L| and orthogonality
// |V'V - I| are bounded the same way.
void check_against_eigen(const Eigen::MatrixXd& a) {
  const Eigen::Index n = a.rows();
  const auto te = blockspec::detail::symmetric_eigen(a);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ref(a);
  const double scale = std::max(1.0, ref.eigenvalues().cwiseAbs().maxCoeff());
  const double tol = 1e-13 * static_cast<double>(n) * scale;
  CAPTURE(n);
  REQUIRE(te.values.size() == n);
  CHECK((te.values - ref.eigenvalues()).cwiseAbs().maxCoeff() <= tol);
  const Eigen::MatrixXd resid = a * te.vectors - te.vectors * te.values.asDiagonal();
  CHECK(resid.cwiseAbs().maxCoeff() <= tol);
  const Eigen::MatrixXd gram = te.vectors.transpose() * te.vectors - Eigen::MatrixXd::Identity(n, n);
  CHECK(gram.cwiseAbs().maxCoeff() <= 1e-13 * static_cast<double>(n));
  for (Eigen::Index i = 1; i < n; ++i) CHECK(te.values[i - 1] <= te.values[i]);
}

}  // namespace

TEST_CASE("symmetric_eigen: random symmetric matrices of every small size match Eigen's solver") {
  for (Eigen::Index n : {1, 2, 3, 4, 7, 16, 33, 60}) check_against_eigen(random_symmetric(n, static_cast<std::uint64_t>(n)));
}

TEST_CASE("symmetric_eigen: special structure") {
  // Already tridiagonal (every reflector is the identity), with a zero column in the middle.
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(6, 6);
  for (int i = 0; i < 6; ++i) t(i, i) = 2.0;
  for (int i = 0; i + 1 < 6; ++i) t(i, i + 1) = t(i + 1, i) = (i == 2 ? 0.0 : -1.0);
  check_against_eigen(t);
  // A multiple eigenvalue: I + u u' has eigenvalue 1 with multiplicity n - 1 and 1 + |u|^2.
  Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(8, 1.0, 2.0);
  const Eigen::MatrixXd m = Eigen::MatrixXd::Identity(8, 8) + u * u.transpose();
  check_against_eigen(m);
  const auto te = blockspec::detail::symmetric_eigen(m);
  CHECK(std::abs(te.values[7] - (1.0 + u.squaredNorm())) <= 1e-13 * 8 * te.values[7]);
  for (int i = 0; i < 7; ++i) CHECK(std::abs(te.values[i] - 1.0) <= 1e-13 * 8 * te.values[7]);
  // The zero matrix, and eigenvalues only (no vectors returned).
  check_against_eigen(Eigen::MatrixXd::Zero(5, 5));
  const auto values_only = blockspec::detail::symmetric_eigen(random_symmetric(9, 4), false);
  CHECK(values_only.values.size() == 9);
  CHECK(values_only.vectors.size() == 0);
  // Only the lower triangle is read.
  Eigen::MatrixXd lower = random_symmetric(10, 5);
  Eigen::MatrixXd garbage = lower;
  garbage.triangularView<Eigen::StrictlyUpper>().setConstant(std::numeric_limits<double>::quiet_NaN());
  CHECK((blockspec::detail::symmetric_eigen(garbage).values - blockspec::detail::symmetric_eigen(lower).values)
            .cwiseAbs()
            .maxCoeff() == 0.0);
}

TEST_CASE("tridiagonal_eigen: bad input names the sizes") {
  CHECK_THROWS_WITH_AS(blockspec::tridiagonal_eigen(Eigen::VectorXd::Ones(4), Eigen::VectorXd::Ones(2)),
                       doctest::Contains("offdiag must have diag.size() - 1 = 3 entries, got 2"), blockspec::invalid_argument);
  Eigen::VectorXd off = Eigen::VectorXd::Ones(3);
  off[1] = std::nan("");
  CHECK_THROWS_WITH_AS(blockspec::tridiagonal_eigen(Eigen::VectorXd::Ones(4), off), doctest::Contains("offdiag has a non-finite"),
                       blockspec::invalid_argument);
}

TEST_CASE("symmetric_eigen: bad input") {
  CHECK_THROWS_WITH_AS(blockspec::detail::symmetric_eigen(Eigen::MatrixXd(0, 0)), doctest::Contains("square"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::detail::symmetric_eigen(Eigen::MatrixXd(2, 3)), doctest::Contains("square"),
                       blockspec::invalid_argument);
  Eigen::MatrixXd bad = Eigen::MatrixXd::Identity(3, 3);
  bad(2, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(blockspec::detail::symmetric_eigen(bad), doctest::Contains("non-finite"),
                       blockspec::invalid_argument);
}
