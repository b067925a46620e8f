// Tests for <blockspec/optim/run_steps.hpp>: runs without f* on any Problem, per-block gradient and
// update norms, the stops (step cap, gradient tolerance, time budget, cancellation, divergence),
// steps_to_target against run(), and bad input.
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/run_steps.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>
#include <blockspec/random.hpp>

#include <doctest/doctest.h>

#include <Eigen/SVD>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace blockspec;

namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();

BlockQuadratic<double> small_problem() {
  Eigen::VectorXd a(3), b(4);
  a << 1.0, 2.0, 4.0;
  b << 10.0, 20.0, 30.0, 50.0;
  return make_block_quadratic({{"a", a}, {"b", b}}, 5);
}

bool all_finite(const StepTrace& t) {
  for (const auto* v : {&t.loss, &t.loss_gap, &t.relative_gap, &t.gradient_norm, &t.update_norm, &t.learning_rate})
    for (double x : *v)
      if (!std::isfinite(x)) return false;
  return t.block_gradient_norms.allFinite() && t.block_update_norms.allFinite() && t.final_point.allFinite();
}

// Logistic regression on 40 seeded samples with 4 features and a bias: f(w) = mean log(1 + exp(-y x'w)),
// x = (features, 1). Not a quadratic, and its minimum value is not known in closed form.
struct Logistic {
  Eigen::MatrixXd x;  // 40 x 5
  Eigen::VectorXd y;  // +-1
  Logistic() : x(40, 5), y(40) {
    Rng rng(3);
    for (Eigen::Index i = 0; i < 40; ++i) {
      for (Eigen::Index j = 0; j < 4; ++j) x(i, j) = rng.normal();
      x(i, 4) = 1.0;
      // Labels from a noisy linear rule, so the data are not separable and a finite minimizer exists.
      y[i] = x(i, 0) - 0.5 * x(i, 1) + 0.8 * rng.normal() > 0.0 ? 1.0 : -1.0;
    }
  }
  double value(const Eigen::VectorXd& w) const {
    const Eigen::ArrayXd m = -(y.array() * (x * w).array());
    return (m.max(0.0) + ((-m.abs()).exp()).log1p()).mean();  // log(1 + e^m), stable
  }
  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const {
    const Eigen::ArrayXd m = -(y.array() * (x * w).array());
    const Eigen::ArrayXd s = 1.0 / (1.0 + (-m).exp());  // sigmoid(m)
    return -(x.transpose() * (s * y.array()).matrix()) / 40.0;
  }
  FunctionProblem<> problem() const {
    return FunctionProblem<>(
        5, [this](const Eigen::VectorXd& w) { return value(w); },
        [this](const Eigen::VectorXd& w) -> Eigen::VectorXd { return gradient(w); },
        BlockPartition::from_sizes({{"weights", 4}, {"bias", 1}}));
  }
  // The gradient's Lipschitz constant is at most |X|_2^2 / (4 * 40) (sigmoid' <= 1/4).
  double smoothness() const {
    const double s = Eigen::JacobiSVD<Eigen::MatrixXd>(x).singularValues()[0];
    return s * s / 160.0;
  }
};

}  // namespace

TEST_CASE("run_steps: per-block gradient norms combine to the total, records and learning rates") {
  const auto q = small_problem();
  Gd gd;
  const StepTrace tr = run_steps(q, gd, {.lr = 0.01, .max_steps = 20, .schedule = Schedule::cosine(20), .record_every = 3});
  CHECK(tr.status == StepStatus::step_limit);
  CHECK(tr.steps == 20);
  CHECK(tr.record_step == std::vector<int>{0, 3, 6, 9, 12, 15, 18, 20});
  CHECK(tr.block_names == std::vector<std::string>{"a", "b"});
  REQUIRE(tr.block_gradient_norms.rows() == 8);
  REQUIRE(tr.block_gradient_norms.cols() == 2);
  REQUIRE(tr.block_update_norms.rows() == 8);
  CHECK(tr.message.find("step limit 20 reached") != std::string::npos);
  CHECK(tr.gradient_evaluations == 21);
  for (std::size_t k = 0; k < tr.record_step.size(); ++k) {
    const auto r = static_cast<Eigen::Index>(k);
    // Both sides sum the same 7 squares in a different grouping: relative rounding <= 7 eps < 1e-14.
    CHECK(tr.block_gradient_norms.row(r).norm() == doctest::Approx(tr.gradient_norm[k]).epsilon(1e-14));
    CHECK(tr.block_update_norms.row(r).norm() == doctest::Approx(tr.update_norm[k]).epsilon(1e-14));
    // The rate used is the one run() would use: the same expression, so exactly equal.
    const int t = tr.record_step[k];
    CHECK(tr.learning_rate[k] == (t == 0 ? 0.0 : 0.01 * Schedule::cosine(20).factor(t - 1)));
  }
  CHECK(tr.update_norm.front() == 0.0);
  CHECK(tr.block_update_norms.row(0).isZero(0.0));
  // f* is known (BlockQuadratic has loss_gap), so the gaps are recorded.
  CHECK(tr.has_optimal_value);
  CHECK(tr.loss_gap.size() == tr.record_step.size());
  CHECK(tr.relative_gap.front() == 1.0);
  // The final point is the last iterate: its gradient norm is the last record's.
  CHECK(q.gradient(tr.final_point).norm() == tr.gradient_norm.back());
}

TEST_CASE("run_steps: GD's block update norms are lr_t times the previous block gradient norms") {
  const auto q = small_problem();
  Gd gd;
  const double lr = 0.03;
  const StepTrace tr = run_steps(q, gd, {.lr = lr, .max_steps = 30, .schedule = Schedule::linear_warmup(10)});
  REQUIRE(tr.record_step.size() == 31);
  // GD contracts the error for lr < 2/50, so every iterate has |w_t| <= |w*| + |w_0 - w*| = 2 |w*| (w_0 = 0).
  const double wbound = 2.0 * q.minimizer().norm();
  for (Eigen::Index k = 1; k <= 30; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const double lr_t = tr.learning_rate[i];
    CHECK(lr_t == lr * Schedule::linear_warmup(10).factor(k - 1));
    for (Eigen::Index b = 0; b < 2; ++b) {
      const double want = lr_t * tr.block_gradient_norms(k - 1, b);
      // w_t - w_{t-1} is formed in double from w_{t-1} - lr g: entrywise errors <= eps (|w_{t-1}| + |lr g|)
      // for the step and the difference each, so the norms differ by <= 2 eps (|w_{t-1}| + lr |g|) (+ the
      // norms' own relative rounding, 4 eps each).
      CHECK(std::abs(tr.block_update_norms(k, b) - want) <= 2.0 * eps * (wbound + want) + 8.0 * eps * want);
    }
  }
}

TEST_CASE("run_steps: gradient_tolerance stops at the first step the norm drops below it") {
  // f = 1/2 |w|^2, GD with lr 1/2 halves w (exactly, in binary) each step: |g_t| = 5 * 2^-t from w_0 = (3, 4).
  FunctionProblem<> half(2, [](const Eigen::VectorXd& w) { return 0.5 * w.squaredNorm(); },
                         [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return w; });
  Gd gd;
  const StepTrace tr = run_steps(half, gd, {.lr = 0.5, .gradient_tolerance = 0.01, .initial_point = Eigen::Vector2d(3, 4)});
  // 5 * 2^-8 = 0.0195 > 0.01 >= 5 * 2^-9 = 0.00977.
  CHECK(tr.status == StepStatus::gradient_tolerance);
  CHECK(tr.steps == 9);
  CHECK(tr.gradient_norm.back() == 5.0 / 512.0);
  CHECK(tr.gradient_norm[8] > 0.01);
  CHECK(tr.message.find("gradient_tolerance 0.01 at step 9") != std::string::npos);
  CHECK_FALSE(tr.has_optimal_value);
  CHECK(tr.steps_to_target == -1);
  // Already below the tolerance at w_0: no step.
  const StepTrace none = run_steps(half, gd, {.lr = 0.5, .gradient_tolerance = 10.0, .initial_point = Eigen::Vector2d(3, 4)});
  CHECK(none.status == StepStatus::gradient_tolerance);
  CHECK(none.steps == 0);
  CHECK(none.record_step == std::vector<int>{0});

  // On the logistic problem: the stop is the first record of an untruncated run below the tolerance.
  const Logistic lg;
  const auto p = lg.problem();
  const double lr = 1.0 / lg.smoothness();
  const StepTrace full = run_steps(p, gd, {.lr = lr, .max_steps = 400});
  const double tol = full.gradient_norm[50];
  std::size_t first = 0;
  while (full.gradient_norm[first] > tol) ++first;
  const StepTrace cut = run_steps(p, gd, {.lr = lr, .max_steps = 400, .gradient_tolerance = tol, .record_every = 7});
  CHECK(cut.status == StepStatus::gradient_tolerance);
  CHECK(cut.steps == full.record_step[first]);
  CHECK(cut.record_step.back() == cut.steps);  // the last step is recorded whatever the stride
  CHECK(cut.gradient_norm.back() == full.gradient_norm[first]);  // same arithmetic, so identical
}

TEST_CASE("run_steps: steps_to_target agrees with run() when f* is known, and stays -1 without it") {
  const auto q = small_problem();
  Gd g1, g2;
  const double eta = 2.0 / 51.0;
  const RunTrace rt = run(q, g1, {.lr = eta, .max_steps = 5000, .target = 1e-8});
  const StepTrace st = run_steps(q, g2, {.lr = eta, .max_steps = 2000, .target = 1e-8});
  REQUIRE(rt.reached());
  CHECK(st.steps_to_target == rt.steps_to_target);
  CHECK(st.steps == 2000);  // run_steps reports the target, it does not stop there
  CHECK(st.message.find("reached relative loss gap 1e-08 at step " + std::to_string(rt.steps_to_target)) !=
        std::string::npos);
  // Same iterates and the same loss_gap() calls: the relative gaps are identical up to run()'s last step.
  for (std::size_t k = 0; k < rt.record_step.size(); ++k) CHECK(st.relative_gap[k] == rt.relative_gap[k]);

  // A FunctionProblem: f = 1 + |w|^2 from (1, 1), GD lr 1/4 halves w, so the gap is 2 * 4^-t: 1e-6 at t = 10.
  auto value = [](const Eigen::VectorXd& w) { return 1.0 + w.squaredNorm(); };
  auto grad = [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2.0 * w; };
  const FunctionProblem<> unknown(2, value, grad);
  const FunctionProblem<> known(2, value, grad, {}, 1.0);
  Gd gd;
  const StepRunOptions o{.lr = 0.25, .max_steps = 20, .initial_point = Eigen::Vector2d(1.0, 1.0)};
  StepRunOptions with_fstar = o;
  with_fstar.optimal_value = 1.0;
  CHECK(run_steps(known, gd, o).steps_to_target == 10);
  CHECK(run_steps(unknown, gd, with_fstar).steps_to_target == 10);
  const StepTrace blind = run_steps(unknown, gd, o);
  CHECK(blind.steps_to_target == -1);
  CHECK_FALSE(blind.has_optimal_value);
  CHECK(blind.loss_gap.empty());
  CHECK(blind.relative_gap.empty());
  CHECK(blind.loss.back() == 1.0 + 2.0 * std::pow(0.25, 20));  // halving is exact
  CHECK(blind.block_gradient_norms.size() == 0);  // no partition
  // A target that w_0 already meets.
  StepRunOptions loose = with_fstar;
  loose.target = 1.0;
  CHECK(run_steps(unknown, gd, loose).steps_to_target == 0);
  const StepTrace missed = run_steps(known, gd, {.lr = 0.25, .max_steps = 3, .initial_point = Eigen::Vector2d(1.0, 1.0)});
  CHECK(missed.message.find("not reached") != std::string::npos);
}

TEST_CASE("run_steps: a non-quadratic objective without f* runs, and GD descends as the theory says") {
  const Logistic lg;
  const auto p = lg.problem();
  const double lr = 1.0 / lg.smoothness();
  Gd gd;
  const StepTrace tr = run_steps(p, gd, {.lr = lr, .max_steps = 200});
  CHECK(tr.status == StepStatus::step_limit);
  CHECK(tr.steps_to_target == -1);
  CHECK_FALSE(tr.has_optimal_value);
  CHECK(all_finite(tr));
  REQUIRE(tr.record_step.size() == 201);
  CHECK(tr.block_names == std::vector<std::string>{"weights", "bias"});
  // Descent lemma for an L-smooth f and lr = 1/L: f(w_t) <= f(w_{t-1}) - lr/2 |g_{t-1}|^2; the slack covers
  // the rounding of f (~ 40 terms of size <= f: 1e-13 relative is far above it).
  for (std::size_t k = 1; k < tr.loss.size(); ++k) {
    const double g = tr.gradient_norm[k - 1];
    CHECK(tr.loss[k] <= tr.loss[k - 1] - 0.5 * lr * g * g + 1e-13 * tr.loss[k - 1]);
  }
  CHECK(tr.loss.back() < 0.8 * tr.loss.front());  // log 2 at w_0 = 0; the data are far from random labels
  CHECK(tr.gradient_norm.back() < 0.1 * tr.gradient_norm.front());
  // The last record describes final_point.
  CHECK(p.value(tr.final_point) == tr.loss.back());
  CHECK(lg.gradient(tr.final_point).norm() == tr.gradient_norm.back());
}

TEST_CASE("run_steps: a diverging run stops with status diverged and no NaN in any record") {
  const auto q = small_problem();
  for (double lr : {1.0, 1e100}) {
    CAPTURE(lr);
    Gd gd;
    const StepTrace tr = run_steps(q, gd, {.lr = lr, .max_steps = 100000, .record_every = 50});
    CHECK(tr.status == StepStatus::diverged);
    CHECK(tr.steps < 100000);
    CHECK(tr.record_step.back() == tr.steps);  // the last finite step is recorded
    CHECK(tr.message.find("diverged at step " + std::to_string(tr.steps + 1)) != std::string::npos);
    CHECK(all_finite(tr));
  }
  // Without f*: a FunctionProblem f = w^4 that GD with a large rate throws to infinity.
  FunctionProblem<> quartic(1, [](const Eigen::VectorXd& w) { return std::pow(w[0], 4); },
                            [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return Eigen::VectorXd::Constant(1, 4 * std::pow(w[0], 3)); });
  Gd gd;
  const StepTrace tr = run_steps(quartic, gd, {.lr = 1.0, .max_steps = 1000, .initial_point = Eigen::VectorXd::Constant(1, 2.0)});
  CHECK(tr.status == StepStatus::diverged);
  CHECK(tr.steps >= 1);
  CHECK(all_finite(tr));
}

TEST_CASE("run_steps: the progress callback cancels and the time budget stops") {
  const auto q = small_problem();
  Gd gd;
  int calls = 0;
  const StepTrace c = run_steps(q, gd, {.lr = 0.01, .max_steps = 100, .record_every = 10, .progress = [&](int t) {
                                          ++calls;
                                          return t < 4;
                                        }});
  CHECK(c.status == StepStatus::cancelled);
  CHECK(c.steps == 4);
  CHECK(calls == 4);
  CHECK(c.record_step == std::vector<int>{0, 4});
  CHECK(c.message.find("cancelled by the progress callback at step 4") != std::string::npos);
  // A gradient that waits for steady_clock to advance makes each step take at least one clock tick, so a
  // budget of 1e-12 s (below any tick) runs out after the first step, whatever the machine's speed.
  FunctionProblem<> slow(2, [](const Eigen::VectorXd& w) { return w.squaredNorm(); },
                         [](const Eigen::VectorXd& w) -> Eigen::VectorXd {
                           const auto t0 = std::chrono::steady_clock::now();
                           while (std::chrono::steady_clock::now() == t0) {
                           }
                           return 2.0 * w;
                         });
  const StepTrace b = run_steps(slow, gd, {.lr = 0.1, .max_steps = 100, .time_budget_seconds = 1e-12});
  CHECK(b.status == StepStatus::time_budget);
  CHECK(b.steps == 1);
  CHECK(b.elapsed_seconds > 0.0);
  CHECK(b.message.find("time budget of 1e-12 s ran out after step 1") != std::string::npos);
  CHECK(std::string(to_string(StepStatus::time_budget)) == "time_budget");
  CHECK(std::string(to_string(StepStatus::gradient_tolerance)) == "gradient_tolerance");
  CHECK(std::string(to_string(StepStatus::step_limit)) == "step_limit");
  CHECK(std::string(to_string(StepStatus::diverged)) == "diverged");
  CHECK(std::string(to_string(StepStatus::cancelled)) == "cancelled");
  CHECK(std::string(to_string(static_cast<StepStatus>(99))) == "unknown");
}

TEST_CASE("run_steps: float problems run") {
  Eigen::VectorXd a(2);
  a << 1.0, 3.0;
  const auto qf = make_block_quadratic<float>({{"a", a}}, 1);
  Gd gd;
  const StepTrace tr = run_steps(qf, gd, {.lr = 0.25, .max_steps = 100, .target = 1e-4});
  CHECK(tr.reached());
  CHECK(all_finite(tr));
}

TEST_CASE("run_steps: bad input names the field") {
  const auto q = small_problem();
  Gd gd;
  auto fails = [&](StepRunOptions o, const char* field) {
    CAPTURE(field);
    CHECK_THROWS_WITH_AS(run_steps(q, gd, o), doctest::Contains(field), invalid_argument);
  };
  fails({.lr = 0.0}, "learning rate (lr)");
  fails({.lr = 0.1, .max_steps = 0}, "max_steps must be positive, got 0");
  fails({.lr = 0.1, .gradient_tolerance = -1.0}, "gradient_tolerance must be finite and >= 0, got -1");
  fails({.lr = 0.1, .gradient_tolerance = std::nan("")}, "gradient_tolerance");
  fails({.lr = 0.1, .time_budget_seconds = -2.0}, "time_budget_seconds must be finite and >= 0, got -2");
  fails({.lr = 0.1, .record_every = 0}, "record_every must be positive, got 0");
  fails({.lr = 0.1, .target = -1.0}, "target must be finite and >= 0, got -1");
  fails({.lr = 0.1, .optimal_value = std::numeric_limits<double>::infinity()}, "optimal_value must be finite");
  fails({.lr = 0.1, .schedule = Schedule::cosine(0)}, "schedule: cosine needs decay > 0");
  fails({.lr = 0.1, .initial_point = Eigen::VectorXd::Zero(3)}, "initial_point has length 3");
  Eigen::VectorXd bad = Eigen::VectorXd::Zero(7);
  bad[2] = std::nan("");
  fails({.lr = 0.1, .initial_point = bad}, "initial_point entry 2 is nan");

  auto sq = [](const Eigen::VectorXd& w) { return w.squaredNorm(); };
  auto twice = [](const Eigen::VectorXd& w) -> Eigen::VectorXd { return 2.0 * w; };
  // f* above f(w_0): the initial gap is negative.
  CHECK_THROWS_WITH_AS(run_steps(FunctionProblem<>(2, sq, twice, {}, 5.0), gd, {.lr = 0.1}),
                       doctest::Contains("the optimal value is wrong"), invalid_argument);
  CHECK_THROWS_WITH_AS(run_steps(FunctionProblem<>(2, [](const Eigen::VectorXd&) { return std::nan(""); }, twice), gd,
                                 {.lr = 0.1}),
                       doctest::Contains("loss at the initial point is not finite"), numerical_error);
  CHECK_THROWS_WITH_AS(run_steps(FunctionProblem<>(2, sq, [](const Eigen::VectorXd&) -> Eigen::VectorXd {
                                   return Eigen::VectorXd::Zero(3);
                                 }),
                                 gd, {.lr = 0.1}),
                       doctest::Contains("the gradient has length 3, expected 2"), invalid_argument);
  // A gradient that fails at a finite iterate with a finite loss is the user's function failing.
  FunctionProblem<> nan_later(2, sq, [](const Eigen::VectorXd& w) -> Eigen::VectorXd {
    return w[0] < 1.0 ? Eigen::VectorXd::Constant(2, std::nan("")) : Eigen::VectorXd(2.0 * w);
  });
  CHECK_THROWS_WITH_AS(run_steps(nan_later, gd, {.lr = 0.25, .initial_point = Eigen::Vector2d(1.0, 1.0)}),
                       doctest::Contains("the gradient is not finite at step 1"), numerical_error);
}
