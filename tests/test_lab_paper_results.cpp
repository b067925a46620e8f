// The paper's quadratic results (issue 4, "Results the demo must show and tests must assert"), on the
// presets of <blockspec/quadratic/presets.hpp> with the study of <blockspec/lab/study.hpp>
// (seed 0, the demo's settings). These follow from the theory: GD's complexity is ~kappa(H) = 5000,
// blockwise GD's ~max_l kappa_l, which is ~10 on the heterogeneous cases and ~kappa(H) on the
// homogeneous ones; Adam's diagonal preconditioning helps only when blocks sit at different scales.
#include <blockspec/lab/study.hpp>
#include <blockspec/quadratic/presets.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cmath>

using namespace blockspec;
using namespace blockspec::lab;

namespace {

const QuadraticStudy& study(int c) {
  static std::array<QuadraticStudy, 5> cache;
  static std::array<bool, 5> done{};
  if (!done[static_cast<std::size_t>(c)]) {
    cache[static_cast<std::size_t>(c)] = quadratic_study(paper_case(c, 0), {.record_every = 1000});
    done[static_cast<std::size_t>(c)] = true;
  }
  return cache[static_cast<std::size_t>(c)];
}

}  // namespace

TEST_CASE("paper presets: cases 3 and 4 are exactly the paper's, cases 1 and 2 have condition number 5000") {
  const auto s3 = paper_case_spectra(3), s4 = paper_case_spectra(4);
  REQUIRE(s3.size() == 3);
  CHECK(s3[1].eigenvalues == Eigen::Vector3d(99, 100, 101));
  CHECK(s4[0].eigenvalues == Eigen::Vector3d(1, 99, 4998));
  CHECK(s4[2].eigenvalues == Eigen::Vector3d(3, 101, 5000));
  for (int c : {1, 2}) {
    CAPTURE(c);
    const auto s = paper_case_spectra(c, 0);
    REQUIRE(s.size() == 4);
    double lo = 1e300, hi = 0, worst_block_kappa = 0, best_block_kappa = 1e300;
    for (const auto& b : s) {
      CHECK(b.eigenvalues.size() == 25);
      lo = std::min(lo, b.eigenvalues.minCoeff());
      hi = std::max(hi, b.eigenvalues.maxCoeff());
      const double k = b.eigenvalues.maxCoeff() / b.eigenvalues.minCoeff();
      worst_block_kappa = std::max(worst_block_kappa, k);
      best_block_kappa = std::min(best_block_kappa, k);
    }
    CHECK(lo == 1.0);  // the pooled map pins the extremes exactly
    CHECK(hi == 5000.0);
    // By design: case 1's blocks each span about one decade; case 2's blocks each span most of [1, 5000].
    if (c == 1) CHECK(worst_block_kappa < 50.0);
    if (c == 2) CHECK(best_block_kappa > 500.0);
  }
  // Measured spectra: quantiles, then one pooled map into [1, 5000].
  const auto q = quadratic_from_measured({{"x", Eigen::Vector3d(-0.1, 0.0, 0.2), {}}, {"y", Eigen::Vector2d(1.0, 2.0), {}}},
                                         {.block_size = 4});
  CHECK(q.dimension() == 8);
  CHECK(q.all_eigenvalues().minCoeff() == 1.0);
  CHECK(q.all_eigenvalues().maxCoeff() == 5000.0);
}

TEST_CASE("paper results: heterogeneous cases, blockwise GD needs at most 1/100 of GD's steps") {
  for (int c : {1, 3}) {
    CAPTURE(c);
    const auto& s = study(c);
    const int gd = s.at("gd").steps, bgd = s.at("blockwise_gd").steps;
    CAPTURE(gd);
    CAPTURE(bgd);
    REQUIRE(gd > 0);
    REQUIRE(bgd > 0);
    CHECK(100 * bgd <= gd);
  }
}

TEST_CASE("paper results: homogeneous cases, blockwise GD stays within 2x of GD") {
  for (int c : {2, 4}) {
    CAPTURE(c);
    const auto& s = study(c);
    const int gd = s.at("gd").steps, bgd = s.at("blockwise_gd").steps;
    CAPTURE(gd);
    CAPTURE(bgd);
    REQUIRE(gd > 0);
    REQUIRE(bgd > 0);
    CHECK(bgd <= 2 * gd);
    CHECK(gd <= 2 * bgd);
  }
}

TEST_CASE("paper results: the GD/Adam step ratio is >= 3x larger on each heterogeneous case than on its twin") {
  for (auto [het, hom] : {std::pair{1, 2}, std::pair{3, 4}}) {
    CAPTURE(het);
    const auto& a = study(het);
    const auto& b = study(hom);
    REQUIRE(a.at("adam").steps > 0);
    REQUIRE(b.at("adam").steps > 0);
    const double ratio_het = static_cast<double>(a.at("gd").steps) / a.at("adam").steps;
    const double ratio_hom = static_cast<double>(b.at("gd").steps) / b.at("adam").steps;
    CAPTURE(ratio_het);
    CAPTURE(ratio_hom);
    CHECK(ratio_het >= 3.0 * ratio_hom);
  }
}

TEST_CASE("fair_study: every method reported; theory-set parameters as derived; tuned never NaN silently") {
  // Case 3, seed 0, no refinement (the CI demo's setting); a 30,000-step cap keeps it short.
  const auto q = paper_case(3, 0);
  FairStudyOptions o;
  o.max_steps = 30000;
  o.refine_points = 0;
  const auto s = fair_study(q, o);
  REQUIRE(s.entries.size() == fair_methods().size());
  // Case 3's eigenvalues are 1..5000 exactly; Lanczos on 9 x 9 finds them to ~1e-10 relative.
  CHECK(s.lambda_min == doctest::Approx(1.0).epsilon(1e-8));
  CHECK(s.lambda_max == doctest::Approx(5000.0).epsilon(1e-8));
  const auto& hb = s.at("heavy_ball_polyak");
  const double rk = std::sqrt(5000.0);
  CHECK(hb.lr == doctest::Approx(4.0 / std::pow(std::sqrt(5000.0) + 1.0, 2)).epsilon(1e-6));
  CHECK(*hb.beta == doctest::Approx(std::pow((rk - 1) / (rk + 1), 2)).epsilon(1e-6));
  for (const auto& e : s.entries) {
    CAPTURE(e.method);
    CHECK_FALSE(e.message.empty());
    if (e.steps >= 0) CHECK(std::isfinite(e.lr));
    if (e.tuned && e.steps < 0) CHECK(e.message.find("none of lr in [") != std::string::npos);
  }
  // Polyak's heavy ball needs O(sqrt(kappa) log(1/eps)) steps, GD O(kappa log(1/eps)): with
  // kappa = 5000 heavy ball must be at least 10x faster than GD at 2/(L + mu).
  REQUIRE(s.at("gd_theory").steps > 0);
  REQUIRE(hb.steps > 0);
  CHECK(10 * hb.steps < s.at("gd_theory").steps);
  // The tuned heavy ball (beta grid up to 0.99) must beat plain GD at its theory step for the same reason.
  CHECK(s.at("heavy_ball_tuned").steps < s.at("gd_theory").steps);
}
