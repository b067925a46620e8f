// Tests for <blockspec/optim/runner.hpp>, <blockspec/optim/tune.hpp>, <blockspec/optim/step_size.hpp>
// and <blockspec/optim/problem.hpp>: traces, steps to target, divergence, tuning, bad input.
#include <blockspec/optim/adam.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>
#include <blockspec/quadratic/presets.hpp>

#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace blockspec;

namespace {

BlockQuadratic<double> small_problem() {
  Eigen::VectorXd a(3), b(4);
  a << 1.0, 2.0, 4.0;
  b << 10.0, 20.0, 30.0, 50.0;
  return make_block_quadratic({{"a", a}, {"b", b}}, 5);
}

bool all_finite(const RunTrace& t) {
  for (double x : t.loss_gap)
    if (!std::isfinite(x)) return false;
  for (double x : t.relative_gap)
    if (!std::isfinite(x)) return false;
  for (double x : t.gradient_norm)
    if (!std::isfinite(x)) return false;
  return t.block_gradient_norms.allFinite();
}

// A problem whose partition disagrees with its dimension.
struct BadPartitionProblem {
  using Scalar = double;
  BlockPartition part = BlockPartition::uniform(2, 2);  // dimension 4
  Eigen::Index dimension() const { return 3; }
  double value(const Eigen::VectorXd& w) const { return w.squaredNorm(); }
  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const { return 2.0 * w; }
  const BlockPartition& partition() const { return part; }
  double optimal_value() const { return 0.0; }
};

}  // namespace

static_assert(Problem<BlockQuadratic<double>>);
static_assert(Problem<BlockQuadratic<float>>);
static_assert(Problem<FunctionProblem<double>>);
static_assert(HasPartition<BlockQuadratic<double>> && HasHessian<BlockQuadratic<double>>);
static_assert(HasStochasticGradient<BlockQuadratic<double>> && HasLossGap<BlockQuadratic<double>>);
static_assert(!HasHessian<FunctionProblem<double>>);
static_assert(!Problem<int>);
static_assert(OptimizerFor<Adam, BlockQuadratic<float>>);

TEST_CASE("run: GD's steps to target match the closed form of GD on a quadratic") {
  const auto q = small_problem();
  const double eta = 2.0 / (50.0 + 1.0);
  Gd gd;
  const RunTrace tr = run(q, gd, {.lr = eta, .max_steps = 5000, .target = 1e-8});
  // Independent prediction: in H's eigenbasis the error components shrink by (1 - eta lambda_i)
  // per step, so rel(t) = sum lambda_i c_i^2 (1 - eta lambda_i)^(2t) / sum lambda_i c_i^2.
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(7, 7);
  h.topLeftCorner(3, 3) = q.block_matrix(0);
  h.bottomRightCorner(4, 4) = q.block_matrix(1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h);
  const Eigen::VectorXd c = es.eigenvectors().transpose() * (q.initial_point() - q.minimizer());
  const Eigen::VectorXd lam = es.eigenvalues();
  auto rel = [&](int t) {
    double num = 0, den = 0;
    for (Eigen::Index i = 0; i < 7; ++i) {
      num += lam[i] * c[i] * c[i] * std::pow(1.0 - eta * lam[i], 2.0 * t);
      den += lam[i] * c[i] * c[i];
    }
    return num / den;
  };
  int predicted = 0;
  while (rel(predicted) > 1e-8) ++predicted;
  CHECK(tr.status == RunStatus::reached_target);
  // The relative gap at the predicted step is not within rounding of the target (checked below),
  // so the run and the closed form must agree exactly.
  REQUIRE(std::abs(rel(predicted) / 1e-8 - 1.0) > 1e-6);
  REQUIRE(std::abs(rel(predicted - 1) / 1e-8 - 1.0) > 1e-6);
  CHECK(tr.steps_to_target == predicted);
  CHECK(tr.steps == predicted);
  // Relative gaps agree with the closed form to rounding (|H| |e|^2 eps relative to the gap).
  for (std::size_t k = 0; k < tr.record_step.size(); k += 10)
    CHECK(tr.relative_gap[k] == doctest::Approx(rel(tr.record_step[k])).epsilon(1e-6));
  CHECK(tr.relative_gap.front() == 1.0);
  CHECK(tr.message.find("reached") != std::string::npos);
}

TEST_CASE("run: divergence stops the run with a status, never NaN") {
  const auto q = small_problem();
  for (double lr : {2.2 / 50.0, 1.0, 1e100}) {
    CAPTURE(lr);
    Gd gd;
    const RunTrace tr = run(q, gd, {.lr = lr, .max_steps = 100000});
    CHECK(tr.status == RunStatus::diverged);
    CHECK(tr.steps < 100000);
    CHECK(tr.steps_to_target == -1);
    CHECK(tr.message.find("diverged at step") != std::string::npos);
    CHECK(all_finite(tr));
    CHECK(std::isfinite(tr.final_relative_gap));
  }
  // Just below the stability limit 2/lambda_max GD converges (slowly).
  Gd gd;
  const RunTrace ok = run(q, gd, {.lr = 1.9 / 50.0, .max_steps = 100000});
  CHECK(ok.status == RunStatus::reached_target);
}

TEST_CASE("run: records, per-block gradient norms, step cap and cancellation") {
  const auto q = small_problem();
  Gd gd;
  const RunTrace tr = run(q, gd, {.lr = 0.01, .max_steps = 25, .record_every = 10});
  CHECK(tr.status == RunStatus::step_limit);
  CHECK(tr.steps_to_target == -1);
  CHECK(tr.message.find("not reached") != std::string::npos);
  CHECK(tr.record_step == std::vector<int>{0, 10, 20, 25});
  REQUIRE(tr.block_gradient_norms.rows() == 4);
  REQUIRE(tr.block_gradient_norms.cols() == 2);
  CHECK(tr.block_names == std::vector<std::string>{"a", "b"});
  for (Eigen::Index k = 0; k < 4; ++k) {
    // |g|^2 = |g_a|^2 + |g_b|^2 (two sums of the same squares): rounding only.
    CHECK(tr.block_gradient_norms.row(k).squaredNorm() ==
          doctest::Approx(tr.gradient_norm[static_cast<std::size_t>(k)] * tr.gradient_norm[static_cast<std::size_t>(k)])
              .epsilon(1e-12));
  }
  int calls = 0;
  const RunTrace c = run(q, gd, {.lr = 0.01, .max_steps = 100, .progress = [&](int t) { ++calls; return t < 7; }});
  CHECK(c.status == RunStatus::cancelled);
  CHECK(c.steps == 7);
  CHECK(calls == 7);
}

TEST_CASE("run: stochastic runs are deterministic given the seed") {
  const auto q = small_problem().with_noise({.kind = NoiseKind::student_t, .scale = 0.1, .dof = 3.0});
  Adam a1, a2, a3;
  const RunOptions o{.lr = 0.01, .max_steps = 200, .stochastic = true, .seed = 4};
  const RunTrace t1 = run(q, a1, o);
  const RunTrace t2 = run(q, a2, o);
  RunOptions o2 = o;
  o2.seed = 5;
  const RunTrace t3 = run(q, a3, o2);
  CHECK(t1.loss_gap == t2.loss_gap);
  CHECK(t1.loss_gap != t3.loss_gap);
  FunctionProblem<> fp(2, [](const Eigen::VectorXd& w) { return w.squaredNorm(); },
                       [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2.0 * w; }, {}, 0.0);
  Gd gd;
  CHECK_THROWS_WITH_AS(run(fp, gd, {.lr = 0.1, .stochastic = true}), doctest::Contains("stochastic_gradient"),
                       invalid_argument);
}

TEST_CASE("run: float problems run in float and agree with double") {
  const auto qd = paper_case<double>(3, 0);
  const auto qf = paper_case<float>(3, 0);
  Gd g1, g2;
  const double eta = 2.0 / 5001.0;
  const RunTrace td = run(qd, g1, {.lr = eta, .max_steps = 50000});
  const RunTrace tf = run(qf, g2, {.lr = eta, .max_steps = 50000});
  REQUIRE(td.reached());
  REQUIRE(tf.reached());
  // The slow modes decay as (1 - 2/5001)^(2t): a relative perturbation delta of the gap moves the
  // crossing by |log(1 + delta)| / (4/5001) steps; float storage of H and w perturbs the gap by
  // ~1e-4 relative at most here, i.e. < 1 step. Allow 1% of the steps.
  CHECK(std::abs(tf.steps_to_target - td.steps_to_target) <= td.steps_to_target / 100);
}

TEST_CASE("run: a user's FunctionProblem") {
  FunctionProblem<> fp(2, [](const Eigen::VectorXd& w) { return 1.0 + w.squaredNorm(); },
                       [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2.0 * w; }, {}, 1.0);
  Gd gd;
  // From w_0 = (1, 1) GD with lr 1/4 halves w each step, so the gap quarters: 4^-t <= 1e-6 at t = 10.
  const RunTrace tr = run(fp, gd, {.lr = 0.25, .initial_point = Eigen::Vector2d(1.0, 1.0)});
  CHECK(tr.steps_to_target == 10);
}

TEST_CASE("gd_optimal_step: extreme_eigenpairs agrees with the exact spectrum") {
  const auto q = paper_case(1, 0);
  const Eigen::VectorXd ev = q.all_eigenvalues();
  const double exact = 2.0 / (ev.maxCoeff() + ev.minCoeff());
  // extreme_eigenpairs stops at residual <= tol |H| = 1e-10 x 5000; an eigenvalue's error is at
  // most its residual (5e-7 absolute) and in practice ~ residual^2 / gap, far below these bounds.
  CHECK(gd_optimal_step(q) == doctest::Approx(exact).epsilon(1e-9));
  // The operator overload and the problem overload are one function name with one result.
  CHECK(gd_optimal_step(q.hessian()) == gd_optimal_step(q));
  const auto e = detail::extreme_eigenvalues(q);
  CHECK(e.status == EigsStatus::converged);
  CHECK(e.lambda_max == doctest::Approx(5000.0).epsilon(1e-11));
  CHECK(e.lambda_min == doctest::Approx(1.0).epsilon(1e-8));
}

TEST_CASE("tune_learning_rate: the grid, and the fewest steps to target (pruned == unpruned)") {
  const auto q = small_problem();
  const TuneOptions opts{.lr_min = 1e-3, .lr_max = 1.0, .points_per_decade = 4, .run = {.max_steps = 3000}};
  const auto grid = opts.grid();
  REQUIRE(grid.size() == 13);
  CHECK(grid.front() == 1e-3);
  CHECK(grid.back() == doctest::Approx(1.0).epsilon(1e-14));  // 1e-3 * 10^(12/4): pow rounding
  const auto r = tune_learning_rate(q, [] { return Gd(); }, opts);
  TuneOptions no_prune = opts;
  no_prune.prune = false;
  const auto u = tune_learning_rate(q, [] { return Gd(); }, no_prune);
  REQUIRE(r.reached());
  CHECK(r.status == TuneStatus::reached);
  REQUIRE(r.best_lr.has_value());
  CHECK(r.best_lr == u.best_lr);
  CHECK(r.best_steps == u.best_steps);
  // Unpruned: the best is the minimum over the grid of runs made one by one.
  int best = -1;
  for (double lr : grid) {
    Gd gd;
    const RunTrace t = run(q, gd, {.lr = lr, .max_steps = 3000});
    if (t.reached() && (best < 0 || t.steps_to_target < best)) best = t.steps_to_target;
  }
  CHECK(u.best_steps == best);
  CHECK(r.best.steps_to_target == r.best_steps);
  // GD diverges above 2/lambda_max = 0.04: those grid points say so.
  for (std::size_t i = 0; i < grid.size(); ++i)
    if (grid[i] > 0.041) CHECK(u.statuses[i] == RunStatus::diverged);
}

TEST_CASE("tune_learning_rate: when no rate of the grid converges, the result says so (no NaN rate)") {
  const auto q = small_problem();
  // lambda_max = 50: GD diverges at every rate above 2/50 = 0.04, so on [0.1, 1] every run diverges.
  const auto r = tune_learning_rate(q, [] { return Gd(); },
                                    {.lr_min = 0.1, .lr_max = 1.0, .points_per_decade = 2, .run = {.max_steps = 3000}});
  CHECK(r.status == TuneStatus::none_reached);
  CHECK_FALSE(r.reached());
  CHECK_FALSE(r.best_lr.has_value());
  CHECK(r.best_steps == -1);
  REQUIRE(r.lrs.size() == 3);  // 0.1, 10^-0.5, 1
  for (std::size_t i = 0; i < r.lrs.size(); ++i) {
    CAPTURE(r.lrs[i]);
    CHECK(r.statuses[i] == RunStatus::diverged);
    CHECK(r.steps_to_target[i] == -1);
  }
  CHECK(std::string(to_string(r.status)) == "none_reached");
}

TEST_CASE("run and tune: bad input is a clear error") {
  const auto q = small_problem();
  Gd gd;
  for (double lr : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    CAPTURE(lr);
    CHECK_THROWS_WITH_AS(run(q, gd, {.lr = lr}), doctest::Contains("learning rate (lr)"), invalid_argument);
  }
  CHECK_THROWS_WITH_AS(run(q, gd, {.lr = 0.1, .max_steps = 0}), doctest::Contains("max_steps"), invalid_argument);
  CHECK_THROWS_WITH_AS(run(q, gd, {.lr = 0.1, .initial_point = Eigen::VectorXd::Zero(3)}),
                       doctest::Contains("initial_point has length 3"), invalid_argument);
  BadPartitionProblem bad;
  CHECK_THROWS_WITH_AS(run(bad, gd, {.lr = 0.1}), doctest::Contains("partition has dimension 4"), invalid_argument);
  CHECK_THROWS_WITH_AS(
      FunctionProblem<>(3, [](const Eigen::VectorXd&) { return 0.0; },
                        [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return w; }, BlockPartition::uniform(2, 2)),
      doctest::Contains("disagrees with the problem's dimension"), invalid_argument);
  FunctionProblem<> nofstar(2, [](const Eigen::VectorXd& w) { return w.squaredNorm(); },
                            [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2.0 * w; });
  CHECK_THROWS_WITH_AS(run(nofstar, gd, {.lr = 0.1}), doctest::Contains("optimal value"), invalid_argument);
  CHECK_THROWS_WITH_AS(tune_learning_rate(q, [] { return Gd(); }, {.lr_min = 0.0}), doctest::Contains("lr_min"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS(tune_learning_rate(q, [] { return Gd(); }, {.lr_min = std::nan("")}),
                       doctest::Contains("lr_min"), invalid_argument);
}

TEST_CASE("tune_learning_rate: refinement adds rates around the best grid rate and never does worse") {
  const auto q = small_problem();
  const TuneOptions coarse{.lr_min = 1e-3, .lr_max = 1.0, .points_per_decade = 2, .run = {.max_steps = 3000}};
  TuneOptions fine = coarse;
  fine.refine_points = 3;
  const auto c = tune_learning_rate(q, [] { return Gd(); }, coarse);
  const auto f = tune_learning_rate(q, [] { return Gd(); }, fine);
  REQUIRE(c.reached());
  REQUIRE(f.reached());
  // The refined search contains the coarse grid, so its best cannot be worse; the 6 extra rates lie
  // strictly between the best coarse rate's neighbours (a factor 10^(1/2) either side).
  CHECK(f.best_steps <= c.best_steps);
  CHECK(f.lrs.size() == c.lrs.size() + 6);
  for (std::size_t i = 1; i < f.lrs.size(); ++i) CHECK(f.lrs[i] > f.lrs[i - 1]);  // sorted by rate
  CHECK(*f.best_lr > *c.best_lr / std::sqrt(10.0));
  CHECK(*f.best_lr < *c.best_lr * std::sqrt(10.0));
  // Independent check of the refined best: a plain run at that rate takes exactly best_steps.
  Gd gd;
  CHECK(run(q, gd, {.lr = *f.best_lr, .max_steps = 3000}).steps_to_target == f.best_steps);
}

TEST_CASE("tune_momentum: the best (lr, beta) over a beta grid, and the grid named when nothing converges") {
  const auto q = small_problem();
  const TuneOptions opts{.lr_min = 1e-3, .lr_max = 1.0, .points_per_decade = 4, .run = {.max_steps = 3000}};
  const std::vector<double> betas{0.0, 0.5, 0.8};
  const auto r = tune_momentum(q, [](double b) { return HeavyBall({.momentum = b}); }, betas, opts);
  REQUIRE(r.reached());
  REQUIRE(r.best_beta.has_value());
  // The joint best is no worse than the lr search at each beta alone (each unpruned, independent).
  for (double b : betas) {
    CAPTURE(b);
    const auto one = tune_learning_rate(q, [b] { return HeavyBall({.momentum = b}); }, opts);
    if (one.reached()) CHECK(r.best_steps <= one.best_steps);
    if (b == *r.best_beta) CHECK(r.best_steps == one.best_steps);
  }
  HeavyBall hb({.momentum = *r.best_beta});
  CHECK(run(q, hb, {.lr = *r.best_lr, .max_steps = 3000}).steps_to_target == r.best_steps);
  CHECK(r.message().find("beta") != std::string::npos);
  // lambda_max = 50: GD diverges above 0.04, so nothing on [0.1, 1] converges; the message says so.
  const auto none = tune_momentum(q, [](double b) { return HeavyBall({.momentum = b}); }, {0.0, 0.5},
                                  {.lr_min = 0.1, .lr_max = 1.0, .points_per_decade = 2, .run = {.max_steps = 500}});
  CHECK_FALSE(none.reached());
  CHECK_FALSE(none.best_lr.has_value());
  CHECK_FALSE(none.best_beta.has_value());
  CHECK(none.message().find("none of lr in [0.1, 1]") != std::string::npos);
  CHECK_THROWS_WITH_AS(tune_momentum(q, [](double b) { return HeavyBall({.momentum = b}); }, {1.0}, opts),
                       doctest::Contains("beta"), invalid_argument);
}
