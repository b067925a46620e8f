// Tests for <blockspec/lab/any_optimizer.hpp>: selecting optimizers of the zoo by name.
#include <blockspec/lab/any_optimizer.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace blockspec;
using namespace blockspec::lab;

namespace {

// H = [[2, 1/2], [1/2, 1]], w* = (1, -1).
BlockQuadratic<double> two_d() {
  Eigen::MatrixXd h(2, 2);
  h << 2.0, 0.5, 0.5, 1.0;
  Eigen::VectorXd wstar(2);
  wstar << 1.0, -1.0;
  return BlockQuadratic<double>(BlockPartition::from_sizes({{"w", 2}}), {h}, wstar);
}

}  // namespace

TEST_CASE("AnyOptimizer: every name builds the optimizer of that name") {
  for (const auto& n : optimizer_names()) {
    CAPTURE(n);
    AnyOptimizer o = make_optimizer(n);
    CHECK(o.name() == n);
    const auto q = two_d();
    o.reset(q);
    Eigen::VectorXd w = Eigen::VectorXd::Zero(2);
    const Eigen::VectorXd g = q.gradient(w);
    o.step(w, g, 1, 0.01);
    CHECK(w.allFinite());
    CHECK(q.loss_gap(w) < q.loss_gap(Eigen::VectorXd::Zero(2)));  // a small first step descends
  }
}

TEST_CASE("make_optimizer: an unknown name is an error naming it and the known names") {
  CHECK_THROWS_WITH_AS(make_optimizer("sgdx"), doctest::Contains("unknown optimizer 'sgdx'"), invalid_argument);
  CHECK_THROWS_WITH_AS(make_optimizer("sgdx"), doctest::Contains("known: gd, heavy_ball"), invalid_argument);
}
