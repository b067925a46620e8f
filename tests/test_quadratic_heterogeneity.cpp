// The heterogeneity scores of the paper's quadratic presets (issue 4, "Results the demo must show and
// tests must assert"): blockwise_spectra (analysis/blockwise.hpp) on paper_case(1..4), seed 0.
//
// Noise floor. With P probes, a block density has relative error ~ sqrt(2 / (P K)) where K is the
// number of eigenvalues within one kernel width, and the JS distance between two blocks with the same
// spectrum is ~ 0.5 sqrt(2 / (P K)) (analysis/blockwise.hpp). Cases 3 and 4 have 3x3 blocks whose
// eigenvalues are 1% of the range apart or more, so K = 1: with the paper's P = 10 the floor is ~0.22,
// above the 0.167 = sqrt(ln 2)/5 that the ">= 5x" claim needs case 4 to stay under. The claim can
// only be resolved once the floor is well below that, so these tests use P = 100 (floor ~0.07).
// (reproduce_paper reports the P = 10 numbers; at seed 0 case 3 / case 4 is 4.70 there.)
#include <blockspec/analysis/blockwise.hpp>
#include <blockspec/quadratic/presets.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace blockspec;

namespace {

double score(int c, const DensityOptions& d, int probes = 100) {
  const auto q = paper_case(c, 0);
  const auto r = blockwise_spectra(q, q.partition(), {.slq = {.probes = probes}, .density = d, .full_operator = false});
  REQUIRE(r.heterogeneity.has_value());
  return *r.heterogeneity;
}

const double js_max = std::sqrt(std::log(2.0));

}  // namespace

TEST_CASE("heterogeneity: case 3 is at least 5x case 4 (default DensityOptions, 100 probes)") {
  const double h3 = score(3, {}), h4 = score(4, {});
  CAPTURE(h3);
  CAPTURE(h4);
  CHECK(h3 >= 5.0 * h4);
}

// Does NOT hold with the presets as designed (quadratic/presets.hpp): measured 1.86x with 10 probes
// and 1.82x with 100 at seed 0 (1.5x - 1.9x over seeds 0-2), so it is not probe noise. Two causes,
// both visible in the JS matrices: (1) case 1's two lowest blocks ([1, 10] and [9, 72]) lie within
// two kernel widths (sigma = 1% of 5000 = 50) of each other on the linear grid, so their JS distance
// is only ~0.2; (2) case 2's blocks are independent 25-point samples of a law spread over 3.7
// decades, whose sparse upper eigenvalues do not overlap within a kernel width, so equal laws still
// give JS ~0.28 - 0.39. The presets were not changed to pass; should_fail keeps this visible and
// flags the day it starts to hold.
TEST_CASE("heterogeneity: case 1 is at least 2x case 2 (default DensityOptions): known not to hold" *
          doctest::should_fail()) {
  const double h1 = score(1, {}), h2 = score(2, {});
  CAPTURE(h1);
  CAPTURE(h2);
  CHECK(h1 >= 2.0 * h2);
}

// Re-measured with the log-unit kernel (KernelKind::log_gaussian on a log grid, sigma = 1% of
// ln(5000) ~ 0.085 in ln units), seed 0: 1.53x with 100 probes (1.52x with 10; 1.37x - 1.60x over
// seeds 0-2), lower than the linear kernel's 1.82x. The log kernel resolves the low decades that the
// linear one merges, so case 1's two lowest blocks separate (h1 rises from 0.66 to 0.81), but case 2's
// 25-point samples over 3.7 decades separate even more (h2 from 0.36 to 0.53). It also lifts case 4
// (0.06 -> 0.48: its blocks {1,99,4998} and {2,100,4999} differ by ln 2 = 8 sigma at the bottom), so
// "case 3 >= 5x case 4" does not hold with it either (1.75x). Reflection at 0 gives 1.77x.
TEST_CASE("heterogeneity: case 1 is at least 2x case 2 with the log-unit kernel: known not to hold" *
          doctest::should_fail()) {
  const DensityOptions log_kernel{.kernel = KernelKind::log_gaussian, .grid = GridKind::log};
  const double h1 = score(1, log_kernel), h2 = score(2, log_kernel);
  CAPTURE(h1);
  CAPTURE(h2);
  CHECK(h1 >= 2.0 * h2);
}

TEST_CASE("heterogeneity: the paper's absolute kernel fails on the paper's cases, naming the block and the scale") {
  // DensityOptions::paper(): sigma = sqrt(1e-5) ~ 0.0032 on a spectrum 5000 wide. The common grid spans
  // every block ([~0, ~5001], the union of the blocks' ranges), so its 50,000 points are 0.1 apart,
  // 30 sigma: the density would be a comb the grid misses, and density() refuses it (spectral/density.hpp).
  // (Before that check, the probe-mean grid averaged over blocks and held no block of cases 1 and 3.)
  auto pooled = DensityOptions::paper();
  pooled.range = RangeRule::pooled;
  for (int c = 1; c <= 4; ++c) {
    CAPTURE(c);
    for (const auto& o : {DensityOptions::paper(), pooled}) {
      CHECK_THROWS_WITH_AS(score(c, o, 10), doctest::Contains("block 'block0' (index 0 of "), invalid_argument);
      CHECK_THROWS_WITH_AS(score(c, o, 10), doctest::Contains("(Gaussian sigma = 0.0031622776601683794)"),
                           invalid_argument);
      CHECK_THROWS_WITH_AS(score(c, o, 10), doctest::Contains("less than half the grid spacing 0.1000"),
                           invalid_argument);
    }
  }
}
