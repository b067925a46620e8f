// Tests for <blockspec/quadratic/block_quadratic.hpp> and <blockspec/quadratic/haar.hpp>.
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>
#include <blockspec/quadratic/haar.hpp>

#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>
#include <vector>

using namespace blockspec;

namespace {

std::vector<BlockSpectrum> three_blocks() {
  Eigen::VectorXd a(4), b(6), c(3);
  a << 1.0, 2.0, 3.0, 4.0;
  b << 10.0, 20.0, 30.0, 40.0, 50.0, 60.0;
  c << 500.0, 700.0, 1000.0;
  return {{"a", a}, {"b", b}, {"c", c}};
}

}  // namespace

static_assert(BatchedLinearOperator<BlockQuadratic<double>>);
static_assert(BatchedLinearOperator<const BlockQuadratic<float>>);
static_assert(is_thread_safe_v<BlockQuadratic<double>>);

TEST_CASE("haar_orthogonal: Q'Q = I, reproducible, and the sign fix makes it Haar") {
  for (Eigen::Index n : {1, 5, 50}) {
    CAPTURE(n);
    const Eigen::MatrixXd q = haar_orthogonal(n, 3);
    // Householder QR is backward stable: |Q'Q - I| is a small multiple of n eps.
    const double err = (q.transpose() * q - Eigen::MatrixXd::Identity(n, n)).norm();
    CHECK(err < 10.0 * static_cast<double>(n) * std::numeric_limits<double>::epsilon());
    CHECK(q == haar_orthogonal(n, 3));
    if (n > 1) CHECK(q != haar_orthogonal(n, 4));  // O(1) = {1, -1}: two seeds may agree
  }
  // For Haar Q, E[Q_00] = 0 (Q and -Q are equally likely in each column); without the
  // sign fix Householder QR gives Q_00 = -|g_0|/|g| < 0 always. With n = 4, sd(Q_00) = 1/2,
  // so over 400 draws the mean has sd 0.025: 0.125 is a 5-sigma band.
  double mean = 0.0;
  for (std::uint64_t s = 0; s < 400; ++s) mean += haar_orthogonal(4, s)(0, 0) / 400.0;
  CHECK(std::abs(mean) < 0.125);
}

TEST_CASE_TEMPLATE("make_block_quadratic: each block has exactly the requested eigenvalues (vs LAPACK-style solver)",
                   S, float, double) {
  const auto spectra = three_blocks();
  const auto q = make_block_quadratic<S>(spectra, 7);
  REQUIRE(q.partition().size() == 3);
  CHECK(q.dimension() == 13);
  CHECK(q.partition()[1].name == "b");
  CHECK(q.partition()[1].offset == 4);
  for (std::size_t l = 0; l < spectra.size(); ++l) {
    CAPTURE(l);
    const Eigen::MatrixXd hl = q.block_matrix(l).template cast<double>();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(hl);
    const Eigen::VectorXd& want = spectra[l].eigenvalues;
    const double lmax = want.maxCoeff();
    // Forming Q diag Q' and storing it in S perturbs H by |E|_2 <= |E|_F <= c n eps(S) lmax (Weyl's bound
    // moves each eigenvalue by at most |E|_2); c = 10 covers the QR and the products.
    const double tol = 10.0 * static_cast<double>(want.size()) * std::numeric_limits<S>::epsilon() * lmax;
    for (Eigen::Index i = 0; i < want.size(); ++i) CHECK(std::abs(es.eigenvalues()[i] - want[i]) <= tol);
    CHECK(q.block_eigenvalues(l) == want);  // stored as given (sorted input)
    CHECK((hl - hl.transpose()).norm() == 0.0);  // symmetrized exactly
  }
  const Eigen::VectorXd all = q.all_eigenvalues();
  CHECK(all.size() == 13);
  CHECK(all[0] == 1.0);
  CHECK(all[12] == 1000.0);
}

TEST_CASE("BlockQuadratic: gradient matches central finite differences; value, loss gap and minimizer agree") {
  const auto q = make_block_quadratic(three_blocks(), 1);
  Eigen::VectorXd w(q.dimension());
  Rng rng(5, 0);
  for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = rng.normal();
  const Eigen::VectorXd g = q.gradient(w);
  const double h = 1e-3;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    Eigen::VectorXd wp = w, wm = w;
    wp[i] += h;
    wm[i] -= h;
    const double fd = (q.value(wp) - q.value(wm)) / (2.0 * h);
    // A quadratic's central difference is exact in exact arithmetic (no third derivative);
    // what remains is rounding of f, about eps |f| / h.
    const double tol = 100.0 * std::numeric_limits<double>::epsilon() * (std::abs(q.value(w)) + 1.0) / h;
    CHECK(std::abs(fd - g[i]) <= tol);
  }
  // f(w) - f* equals 1/2 (w - w*)'H(w - w*): both in double, rounding of |f| only.
  CHECK(q.value(w) - q.optimal_value() ==
        doctest::Approx(q.loss_gap(w)).epsilon(1e-10));
  // The gradient vanishes at the minimizer up to rounding of H w* - h (|H| |w*| eps).
  CHECK(q.gradient(q.minimizer()).norm() <= 100.0 * std::numeric_limits<double>::epsilon() * 1000.0 * q.minimizer().norm());
  CHECK(q.loss_gap(q.minimizer()) == 0.0);
  CHECK(q.initial_point().norm() == 0.0);
}

TEST_CASE("BlockQuadratic: apply_block, principal_block and the generic zero-padded block agree") {
  const auto q = make_block_quadratic(three_blocks(), 2);
  const Eigen::Index n = q.rows();
  Eigen::MatrixXd X(n, 3), Y(n, 3);
  Rng rng(1, 0);
  for (Eigen::Index j = 0; j < 3; ++j)
    for (Eigen::Index i = 0; i < n; ++i) X(i, j) = rng.normal();
  q.apply_block(X, Y);
  for (Eigen::Index j = 0; j < 3; ++j) {
    Eigen::VectorXd y(n);
    q.apply(X.col(j), y);
    // Same block GEMVs in a different grouping: rounding differences only.
    CHECK((y - Y.col(j)).norm() <= 1e-12 * Y.col(j).norm());
  }
  // A block of the partition: the stored block itself.
  auto hb = principal_block(q, q.partition()[1]);
  CHECK(hb.matrix() == q.block_matrix(1));
  // A block straddling two stored blocks: compare with zero-pad / apply / restrict.
  const Block straddle{"straddle", 2, 6};
  auto fast = principal_block(q, straddle);
  PrincipalBlockOperator<const BlockQuadratic<double>&> slow(q, straddle);
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(6, -1.0, 2.0), y1(6), y2(6);
  fast.apply(x, y1);
  slow.apply(x, y2);
  CHECK((y1 - y2).norm() <= 1e-12 * y2.norm());
}

TEST_CASE("BlockQuadratic: stochastic gradients are seeded, and their noise has the chosen law") {
  const auto q0 = make_block_quadratic(three_blocks(), 3);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(q0.dimension());
  CHECK(q0.stochastic_gradient(w, 1, 0) == q0.gradient(w));  // no noise: exact
  const auto qg = q0.with_noise({.kind = NoiseKind::gaussian, .scale = 0.5});
  const auto qt = q0.with_noise({.kind = NoiseKind::student_t, .scale = 0.5, .dof = 3.0});
  CHECK(qg.stochastic_gradient(w, 1, 4) == qg.stochastic_gradient(w, 1, 4));
  CHECK(qg.stochastic_gradient(w, 1, 4) != qg.stochastic_gradient(w, 1, 5));
  CHECK(qg.stochastic_gradient(w, 1, 4) != qg.stochastic_gradient(w, 2, 4));
  // Gaussian noise of sd 0.5: over 13 x 400 draws the sample variance is 0.25 within ~2% (sd of the
  // variance estimate is 0.25 sqrt(2/5200) = 0.005; 0.025 is 5 sigma).
  const Eigen::VectorXd g = q0.gradient(w);
  double ss = 0.0, st_max = 0.0;
  int count = 0;
  for (int s = 0; s < 400; ++s) {
    ss += (qg.stochastic_gradient(w, 9, s) - g).squaredNorm();
    st_max = std::max(st_max, (qt.stochastic_gradient(w, 9, s) - g).cwiseAbs().maxCoeff());
    count += static_cast<int>(g.size());
  }
  CHECK(ss / count == doctest::Approx(0.25).epsilon(0.1));
  // Student-t(3) has polynomial tails: among 5200 draws P(|t| > 8) ~ 0.004 each, so some exceed
  // 8 scale units almost surely (P(none) ~ e^-20), which a Gaussian (P ~ 1e-15) would not.
  CHECK(st_max > 0.5 * 8.0);
}

TEST_CASE("BlockQuadratic: bad input is a clear error") {
  auto spectra = three_blocks();
  spectra[1].eigenvalues = Eigen::VectorXd();
  CHECK_THROWS_WITH_AS(make_block_quadratic(spectra, 0), doctest::Contains("'b') is empty"), invalid_argument);
  spectra = three_blocks();
  spectra[2].eigenvalues[0] = -1.0;
  CHECK_THROWS_WITH_AS(make_block_quadratic(spectra, 0), doctest::Contains("non-positive eigenvalue"),
                       invalid_argument);
  spectra[2].eigenvalues[0] = 0.0;
  CHECK_THROWS_WITH_AS(make_block_quadratic(spectra, 0), doctest::Contains("positive definite"), invalid_argument);
  CHECK_THROWS_WITH_AS(make_block_quadratic(std::vector<BlockSpectrum>{}, 0), doctest::Contains("no blocks"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(make_block_quadratic(three_blocks(), 0, {.kind = NoiseKind::gaussian, .scale = -1.0}),
                       doctest::Contains("scale"), invalid_argument);

  // Explicit blocks that disagree with the partition / dimension.
  const auto part = BlockPartition::from_sizes({{"x", 2}, {"y", 3}});
  std::vector<Eigen::MatrixXd> blocks = {Eigen::MatrixXd::Identity(2, 2), Eigen::MatrixXd::Identity(3, 3)};
  CHECK_NOTHROW(BlockQuadratic<double>(part, blocks, Eigen::VectorXd::Zero(5)));
  CHECK_THROWS_WITH_AS(BlockQuadratic<double>(part, blocks, Eigen::VectorXd::Zero(4)),
                       doctest::Contains("minimizer has length 4"), invalid_argument);
  std::vector<Eigen::MatrixXd> wrong = {Eigen::MatrixXd::Identity(2, 2), Eigen::MatrixXd::Identity(4, 4)};
  CHECK_THROWS_WITH_AS(BlockQuadratic<double>(part, wrong, Eigen::VectorXd::Zero(5)),
                       doctest::Contains("partition says 3"), invalid_argument);
  CHECK_THROWS_WITH_AS(BlockQuadratic<double>(part, {Eigen::MatrixXd::Identity(2, 2)}, Eigen::VectorXd::Zero(5)),
                       doctest::Contains("got 1 blocks"), invalid_argument);
  std::vector<Eigen::MatrixXd> indefinite = {Eigen::MatrixXd::Identity(2, 2), -Eigen::MatrixXd::Identity(3, 3)};
  CHECK_THROWS_WITH_AS(BlockQuadratic<double>(part, indefinite, Eigen::VectorXd::Zero(5)),
                       doctest::Contains("not positive definite"), invalid_argument);
  const auto q = make_block_quadratic(three_blocks(), 0);
  CHECK_THROWS_WITH_AS((void)q.gradient(Eigen::VectorXd::Zero(3)), doctest::Contains("w has length 3"),
                       invalid_argument);
}

TEST_CASE("BlockQuadratic::principal_block: offset + size past the index range is refused without overflow") {
  // Before the fix offset + size wrapped to a negative end and the block was accepted (UBSan: signed overflow).
  const auto q = make_block_quadratic(three_blocks(), 2);
  const Eigen::Index big = std::numeric_limits<Eigen::Index>::max();
  const Block wrap{"wrap", big - 1, 4};
  CHECK_THROWS_WITH_AS(q.principal_block(wrap), doctest::Contains("'wrap' offset"), invalid_argument);
  CHECK_THROWS_WITH_AS(principal_block(q, wrap), doctest::Contains("size 4"), invalid_argument);
}
