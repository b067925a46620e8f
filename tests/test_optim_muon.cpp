// Tests for <blockspec/optim/muon.hpp>: NewtonSchulz5's singular values (the reference's
// [0.68, 1.21] window on a wide Gaussian matrix, and the small singular values it cannot lift),
// the first Muon step against its formula, weight decay, column blocks, training a matrix
// problem, and bad input.
#include <blockspec/optim/muon.hpp>
#include <blockspec/optim/problem.hpp>

#include "support/spectral_reference.hpp"

#include <doctest/doctest.h>

#include <Eigen/SVD>

#include <cmath>
#include <limits>
#include <utility>

using namespace blockspec;

namespace {

Eigen::VectorXd singular_values(const Eigen::MatrixXd& m) { return Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues(); }

// f(w) = ½‖w − target‖² with the partition's blocks; the gradient is w − target.
FunctionProblem<> distance_problem(const Eigen::VectorXd& target, BlockPartition part) {
  const Eigen::Index n = target.size();
  return FunctionProblem<>(
      n, [target](const Eigen::VectorXd& w) { return 0.5 * (w - target).squaredNorm(); },
      [target](const Eigen::VectorXd& w) -> Eigen::VectorXd { return w - target; }, std::move(part));
}

BlockPartition one_matrix_block(Eigen::Index rows, Eigen::Index cols) {
  return BlockPartition({Block{"W", 0, rows * cols, {rows, cols}}}, rows * cols);
}

}  // namespace

TEST_CASE("newton_schulz5 puts every singular value of a 64 x 256 Gaussian matrix in [0.68, 1.21]") {
  // The window is the one the reference implementation's coefficients are tuned for; the
  // matrix's own singular values span a factor of about 3 (Marchenko–Pastur edges
  // 16 -+ 8), so 5 steps must lift the smallest by more than a factor of 3.
  const Eigen::MatrixXd g = test::gaussian_matrix(64, 256, 0);
  const Eigen::VectorXd s0 = singular_values(g);
  CHECK(s0.maxCoeff() / s0.minCoeff() > 2.5);
  const Eigen::VectorXd s = singular_values(newton_schulz5(g));
  CHECK(s.minCoeff() >= 0.68);
  CHECK(s.maxCoeff() <= 1.21);
  // Orientation does not matter: the tall matrix's result is the transpose (to rounding).
  CHECK((newton_schulz5(g.transpose()) - newton_schulz5(g).transpose()).norm() <= 1e-12);
  // Singular vectors are kept: O = U p(Σ) Vᵀ, so Oᵀ-projections onto G's left singular
  // vectors stay diagonal. Check the polar-factor direction: <O, G> > 0 and O Gᵀ symmetric.
  const Eigen::MatrixXd o = newton_schulz5(g);
  const Eigen::MatrixXd ogt = o * g.transpose();
  CHECK((ogt - ogt.transpose()).norm() <= 1e-10 * ogt.norm());
}

TEST_CASE("newton_schulz5 cannot lift a singular value far below the others") {
  // For small sigma the quintic map is sigma -> a sigma + O(sigma^3), so 5 steps multiply a
  // tiny relative singular value by at most a^5 = 3.4445^5 ~ 487: 1e-5 becomes < 0.01.
  const Eigen::MatrixXd u = test::haar_orthogonal(32, 1), v = test::haar_orthogonal(32, 2);
  Eigen::VectorXd sigma = Eigen::VectorXd::Ones(32);
  sigma[31] = 1e-5;
  const Eigen::MatrixXd g = u * sigma.asDiagonal() * v.transpose();
  const Eigen::VectorXd s = singular_values(newton_schulz5(g));
  CHECK(s.minCoeff() < 1e-5 * std::pow(muon_ns_a, 5) * 1.01);  // the bound, 1% for the cubic term and rounding
  CHECK(s.minCoeff() < 0.68);
  CHECK(s.head(31).minCoeff() >= 0.68);
  // The same happens on a square Gaussian matrix (seed 0: smallest 0.36 after 5 steps).
  CHECK(singular_values(newton_schulz5(test::gaussian_matrix(64, 64, 0))).minCoeff() < 0.68);
}

TEST_CASE("Muon's first step is lr sqrt(max(1, rows/cols)) NewtonSchulz5(g)") {
  // From m = 0, u = (1 - beta^2) g (nesterov) or (1 - beta) g: a positive multiple of g, and
  // NewtonSchulz5 is scale-invariant up to eps / ‖u‖_F (eps = 1e-7 here, ‖u‖_F ~ 1): 1e-6.
  for (const auto& [rows, cols] : {std::pair<Eigen::Index, Eigen::Index>{6, 10}, {12, 4}}) {
    const Eigen::MatrixXd target = test::gaussian_matrix(rows, cols, 3);
    Eigen::VectorXd t(rows * cols);
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(t.data(), rows, cols) = target;
    const auto p = distance_problem(t, one_matrix_block(rows, cols));
    for (const bool nesterov : {true, false}) {
      Muon muon(MuonOptions{.nesterov = nesterov});
      muon.reset(p);
      Eigen::VectorXd w = Eigen::VectorXd::Zero(rows * cols);
      const Eigen::VectorXd g = p.gradient(w);
      const double lr = 0.1;
      muon.step(w, g, 1, lr);
      using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      const RowMajor gm = Eigen::Map<const RowMajor>(g.data(), rows, cols);
      const RowMajor expected = -lr * std::sqrt(std::max(1.0, double(rows) / double(cols))) * newton_schulz5(gm);
      const Eigen::Map<const RowMajor> got(w.data(), rows, cols);
      CHECK((got - expected).norm() <= 1e-6 * expected.norm());
    }
  }
}

TEST_CASE("Muon: decoupled weight decay alone when the gradient is zero; a column block keeps the gradient's direction") {
  // g = 0: u = 0, NewtonSchulz5(0) = 0, so w <- (1 - lr wd) w exactly.
  Eigen::VectorXd target = Eigen::VectorXd::LinSpaced(12, -1.0, 1.0);
  const auto p = distance_problem(target, one_matrix_block(3, 4));
  Muon decay(MuonOptions{.weight_decay = 0.5});
  decay.reset(p);
  Eigen::VectorXd w = target;
  decay.step(w, Eigen::VectorXd::Zero(12), 1, 0.2);
  CHECK((w - 0.9 * target).norm() <= 4 * std::numeric_limits<double>::epsilon() * target.norm());

  // A block without a shape is an n x 1 matrix: the update is parallel to g, of length
  // lr sqrt(n) sigma, sigma = the quintic map applied 5 times to 1 (within [0.68, 1.21]).
  const FunctionProblem<> q(
      5, [](const Eigen::VectorXd& x) { return 0.5 * x.squaredNorm(); },
      [](const Eigen::VectorXd& x) -> Eigen::VectorXd { return x; });
  Muon muon;
  muon.reset(q);
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(5, 1.0, 5.0), x0 = x;
  muon.step(x, q.gradient(x), 1, 0.01);
  const Eigen::VectorXd d = x0 - x;
  CHECK(d.normalized().dot(x0.normalized()) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(d.norm() / (0.01 * std::sqrt(5.0)) >= 0.68);
  CHECK(d.norm() / (0.01 * std::sqrt(5.0)) <= 1.21);
}

TEST_CASE("Muon trains ½‖W − W*‖² on an 8 x 16 block to 1e-2 of its initial loss") {
  // Each step moves every singular value of W − W* by 0.68..1.21 lr toward 0. From
  // ‖W*‖₂ ~ sqrt(16) + sqrt(8) ~ 7 (an 8 x 16 Gaussian), 400 steps of lr = 0.05 (about 200
  // needed) end in a neighbourhood of radius ~ lr sqrt(8) ~ 0.15, a loss ratio near
  // (0.15 / ‖W*‖_F ~ 11)² ~ 2e-4: the 1e-2 bound leaves room for the momentum's overshoot.
  const Eigen::Index r = 8, c = 16;
  const Eigen::VectorXd target = test::gaussian_matrix(r * c, 1, 7).col(0);
  const auto p = distance_problem(target, one_matrix_block(r, c));
  Muon muon;
  muon.reset(p);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(r * c);
  const double f0 = p.value(w);
  for (std::int64_t t = 1; t <= 400; ++t) muon.step(w, p.gradient(w), t, 0.05);
  CHECK(p.value(w) <= 1e-2 * f0);
}

TEST_CASE("Muon and newton_schulz5 reject bad input by name") {
  CHECK_THROWS_WITH_AS(Muon(MuonOptions{.beta = 1.0}), doctest::Contains("beta"), invalid_argument);
  CHECK_THROWS_WITH_AS(Muon(MuonOptions{.ns_steps = 0}), doctest::Contains("ns_steps"), invalid_argument);
  CHECK_THROWS_WITH_AS(Muon(MuonOptions{.weight_decay = -1.0}), doctest::Contains("weight_decay"), invalid_argument);
  CHECK_THROWS_WITH_AS(Muon(MuonOptions{.eps = 0.0}), doctest::Contains("eps"), invalid_argument);
  Eigen::MatrixXd bad = Eigen::MatrixXd::Ones(2, 3);
  bad(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(newton_schulz5(bad), doctest::Contains("non-finite"), invalid_argument);
  CHECK_THROWS_WITH_AS(newton_schulz5(Eigen::MatrixXd(0, 3)), doctest::Contains("empty"), invalid_argument);
  // A partition that leaves coordinates out.
  const FunctionProblem<> partial(
      4, [](const Eigen::VectorXd& x) { return x.squaredNorm(); },
      [](const Eigen::VectorXd& x) -> Eigen::VectorXd { return 2 * x; },
      BlockPartition({Block{"a", 0, 2, {}}}, 4));
  Muon m;
  CHECK_THROWS_WITH_AS(m.reset(partial), doctest::Contains("cover"), invalid_argument);
  // An overflowed gradient makes w non-finite (the runner's divergence signal), no throw.
  const auto p = distance_problem(Eigen::VectorXd::Zero(4), one_matrix_block(2, 2));
  m.reset(p);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(4);
  Eigen::VectorXd g = Eigen::VectorXd::Ones(4);
  g[0] = std::numeric_limits<double>::infinity();
  m.step(w, g, 1, 0.1);
  CHECK_FALSE(w.allFinite());
}
