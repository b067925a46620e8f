// Tests for analysis/blockwise.hpp: blockwise SLQ, the common grid, the JS matrix, the
// heterogeneity score, matvec accounting (files: test_lab_blockwise_files.cpp).
#include <blockspec/analysis/blockwise.hpp>

#include <doctest/doctest.h>
#include <support/block_diagonal.hpp>

#include <cmath>
#include <numbers>

using blockspec::test::BlockDiagonalOperator;
using blockspec::test::rotated_diagonal;

namespace {

// n equally spaced eigenvalues on [lo, hi].
Eigen::VectorXd uniform_spectrum(int n, double lo, double hi) { return Eigen::VectorXd::LinSpaced(n, lo, hi); }

constexpr int kBlock = 300;

// Three blocks, each rotated differently, all with the same spectrum uniform on [1, 2].
// (Built once per process: the rotations are the expensive part under sanitizers.)
const BlockDiagonalOperator& homogeneous() {
  static const BlockDiagonalOperator op({rotated_diagonal(uniform_spectrum(kBlock, 1, 2), 11, 0),
                                rotated_diagonal(uniform_spectrum(kBlock, 1, 2), 11, 1),
                                rotated_diagonal(uniform_spectrum(kBlock, 1, 2), 11, 2)});
  return op;
}
// Three blocks with distinct spectra: [1, 2], [5, 6] and [1, 6].
const BlockDiagonalOperator& heterogeneous() {
  static const BlockDiagonalOperator op({rotated_diagonal(uniform_spectrum(kBlock, 1, 2), 12, 0),
                                rotated_diagonal(uniform_spectrum(kBlock, 5, 6), 12, 1),
                                rotated_diagonal(uniform_spectrum(kBlock, 1, 6), 12, 2)});
  return op;
}

const blockspec::SlqOptions kSlq{.probes = 20, .steps = 60, .seed = 2024};
// Kernel width 5% of the pooled range.
const blockspec::DensityOptions kDensity{.width = {.value = 0.05, .relative = true}, .points = 1001};

}  // namespace

TEST_CASE("blockwise: identical block spectra give heterogeneity near 0, distinct ones a large score") {
  const auto& H = homogeneous();
  const auto r = blockwise_spectra(H, H.partition(), {.slq = kSlq, .density = kDensity});
  REQUIRE(r.heterogeneity.has_value());
  // Noise floor (file comment of blockwise.hpp): each block's density has relative error
  // about sqrt(2 / (P K)) with P = 20 probes and K ~ 300 * (2.5 sigma) / range = 300 * 0.125
  // ~ 37 eigenvalues within a kernel width, i.e. ~0.05; two independent such errors give
  // JS ~ (1/8) * 2 * 0.05^2 ~ 6e-4 and a JS distance ~ 0.025. We allow 3x that: 0.075,
  // still ten times below the distinct case (and sqrt(ln 2) ~ 0.83 is the maximum).
  CHECK(*r.heterogeneity < 0.075);
  // Each block against the exact (smoothed) density of its spectrum: the same noise floor
  // for a single density, relative error ~0.05 -> distance ~ 0.05 / (2 sqrt 2) ~ 0.018; allow 0.05.
  const auto exact_h = blockspec::exact_density(uniform_spectrum(kBlock, 1, 2), r.grid, r.kernel);
  for (const auto& d : r.densities) CHECK(blockspec::js_distance(d, exact_h) < 0.05);

  const auto& G = heterogeneous();
  const auto s = blockwise_spectra(G, G.partition(), {.slq = kSlq, .density = kDensity});
  REQUIRE(s.heterogeneity.has_value());
  // Blocks 0 and 1 have disjoint spectra ([1,2] vs [5,6], 3 units apart, kernel sigma
  // 0.25 = 5% of the range 5): JS distance sqrt(ln 2) up to the Gaussian overlap, < 1e-6.
  CHECK(s.js_distance(0, 1) > std::sqrt(std::numbers::ln2) - 1e-6);
  // Against the exact spectra smoothed by the same kernel on the same grid: by the triangle
  // inequality of the JS distance, |D_ij - d(E_i, E_j)| <= d(D_i, E_i) + d(D_j, E_j), a bound
  // that holds exactly (1e-12 for rounding); each d(D_i, E_i) is the probe noise, below 0.05
  // by the noise-floor estimate above (K >= 37 eigenvalues per kernel width in every block).
  const std::vector<Eigen::VectorXd> eigs{uniform_spectrum(kBlock, 1, 2), uniform_spectrum(kBlock, 5, 6),
                                          uniform_spectrum(kBlock, 1, 6)};
  std::vector<blockspec::Density> exact;
  for (const auto& e : eigs) exact.push_back(blockspec::exact_density(e, s.grid, s.kernel));
  std::vector<double> noise;
  for (int l = 0; l < 3; ++l) {
    noise.push_back(blockspec::js_distance(s.densities[static_cast<std::size_t>(l)], exact[static_cast<std::size_t>(l)]));
    CHECK(noise.back() < 0.05);
  }
  const Eigen::MatrixXd E = blockspec::js_distance_matrix(exact);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      CHECK(std::abs(s.js_distance(i, j) - E(i, j)) <= noise[static_cast<std::size_t>(i)] + noise[static_cast<std::size_t>(j)] + 1e-12);
  // Unsmoothed, uniform on [1,2] vs uniform on [1,6] has JS = 1/2 [ln(5/3) + 0.2 ln(1/3) + 0.8 ln 2]
  // ~ 0.4228 (distance ~ 0.650); the kernel (sigma 0.25) blurs the edges and lowers it.
  CHECK(E(0, 2) < std::sqrt(0.5 * (std::log(5.0 / 3.0) + 0.2 * std::log(1.0 / 3.0) + 0.8 * std::log(2.0))));
  CHECK(*s.heterogeneity > 0.5);
}

TEST_CASE("blockwise: result structure, common grid, seeds and matvec counts") {
  const auto& G = heterogeneous();
  const auto part = G.partition("layer");
  const blockspec::SlqOptions small{.probes = 4, .steps = 30, .seed = 5};
  const auto r = blockwise_spectra(G, part, {.slq = small, .density = kDensity});
  REQUIRE(r.densities.size() == 3);
  CHECK(r.names() == std::vector<std::string>{"layer0", "layer1", "layer2"});
  CHECK(r.js_distance == r.js_distance.transpose());
  CHECK(r.js_distance.diagonal().isZero(0.0));
  for (const auto& d : r.densities) CHECK(d.grid() == r.grid);
  REQUIRE(r.full_density.has_value());
  CHECK(r.full_density->grid() == r.grid);
  // The grid covers the pooled node range [~1, ~6] padded by 5%.
  CHECK(r.grid.lo() < 1.0);
  CHECK(r.grid.hi() > 6.0);
  // Every block has its own probe stream.
  CHECK(r.quadratures[0].seed != r.quadratures[1].seed);
  CHECK(r.quadratures[1].seed != r.quadratures[2].seed);
  // Matvecs: 4 probes x 30 steps on each block (no breakdown on 300 distinct eigenvalues),
  // and the same on the full operator.
  for (auto m : r.block_matvecs) CHECK(m == 4 * 30);
  CHECK(r.full_matvecs == 4 * 30);
  CHECK(r.total_matvecs == 4 * 4 * 30);
  CHECK(*r.heterogeneity == blockspec::heterogeneity(r.js_distance));
  // Same seed: same result; a user grid is used as given.
  const auto again = blockwise_spectra(G, part, {.slq = small, .density = kDensity});
  CHECK(again.js_distance == r.js_distance);
  const auto g = blockspec::Grid::linear(0.0, 7.0, 501);
  const auto u = blockwise_spectra(G, part, {.slq = small, .density = kDensity, .grid = g, .full_operator = false});
  CHECK(u.grid == g);
  CHECK_FALSE(u.full_density.has_value());
  CHECK(u.total_matvecs == 3 * 4 * 30);
}

TEST_CASE("blockwise: bad input") {
  const auto& G = heterogeneous();
  CHECK_THROWS_WITH_AS(blockwise_spectra(G, blockspec::BlockPartition{}, {.slq = kSlq}), doctest::Contains("partition is empty"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(G, blockspec::BlockPartition::uniform(2, 10), {.slq = kSlq}),
                       doctest::Contains("dimension 20 differs from the operator's 900"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(G, G.partition(), {.slq = {.probes = 0}}), doctest::Contains("probes"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(G, G.partition(), {.slq = kSlq, .density = {.width = {.value = -1.0}}}),
                       doctest::Contains("width"), blockspec::invalid_argument);
  // A single block: no heterogeneity (needs 2 blocks), everything else present.
  const auto one = blockwise_spectra(G, blockspec::BlockPartition({{"only", 0, 300}}, 900), {.slq = {.probes = 2, .steps = 10}});
  CHECK_FALSE(one.heterogeneity.has_value());
  CHECK(one.js_distance.rows() == 1);
}

TEST_CASE("blockwise: cancelling from the progress callback") {
  const auto& G = heterogeneous();
  int calls = 0;
  // Stop during the second block: the first block's quadrature is kept, nothing else is computed.
  const auto r = blockwise_spectra(
      G, G.partition(), {.slq = {.probes = 2, .steps = 10, .progress = [&](int, int) { return ++calls <= 25; }}});
  CHECK(r.status == blockspec::SlqStatus::cancelled);
  CHECK(r.quadratures.size() == 2);
  CHECK(r.densities.empty());
  CHECK_FALSE(r.heterogeneity.has_value());
}

TEST_CASE("blockwise: the common grid covers every block under the paper's probe-mean rule") {
  // Like the paper's case 3: blocks {1,2,3}, {99,100,101}, {4998,4999,5000}. Each 3x3 block's SLQ
  // is exact (Lanczos ends after 3 steps), so each probe's min and max node are the block's own
  // extremes. Before the union rule the probe-mean grid averaged over blocks, [~1699 - 1, ~1701 + 1],
  // and held no block's eigenvalues.
  const BlockDiagonalOperator H({rotated_diagonal(Eigen::Vector3d(1, 2, 3), 21, 0),
                                 rotated_diagonal(Eigen::Vector3d(99, 100, 101), 21, 1),
                                 rotated_diagonal(Eigen::Vector3d(4998, 4999, 5000), 21, 2)});
  // The paper's rule and padding, with a kernel the grid resolves: sigma = 0.2 on a spacing ~0.25.
  auto d = blockspec::DensityOptions::paper();
  d.width = {.value = 0.2, .relative = false};
  d.points = 20001;
  const auto r = blockwise_spectra(H, H.partition("layer"), {.slq = {.probes = 5, .seed = 3}, .density = d});
  // Exact nodes: the grid is [1 - 1, 5000 + 1] up to the rounding of the tridiagonal eigenvalues.
  CHECK(r.grid.lo() == doctest::Approx(0.0).scale(1.0).epsilon(1e-9));
  CHECK(r.grid.hi() == doctest::Approx(5001.0).epsilon(1e-12));
  const double lo[] = {1, 99, 4998}, hi[] = {3, 101, 5000};
  for (std::size_t l = 0; l < 3; ++l) {
    CAPTURE(l);
    // Every node lies >= 1 = 5 sigma inside the grid: the mass off it is below erfc(5/sqrt2)/2 ~ 2.9e-7.
    CHECK(r.densities[l].mass_outside() < 3e-7);
    // Its mean on the grid is the Gauss-weighted mean of its nodes, inside the block's spectrum.
    CHECK(r.densities[l].mean() > lo[l] - 0.01);
    CHECK(r.densities[l].mean() < hi[l] + 0.01);
  }
  // The full operator's density is on the same grid and also keeps its mass.
  REQUIRE(r.full_density.has_value());
  CHECK(r.full_density->mass_outside() < 3e-7);
}

TEST_CASE("blockwise: a density that cannot be resolved names the block and the scale") {
  const BlockDiagonalOperator H({rotated_diagonal(Eigen::Vector3d(1, 2, 3), 22, 0),
                                 rotated_diagonal(Eigen::Vector3d(99, 100, 101), 22, 1),
                                 rotated_diagonal(Eigen::Vector3d(4998, 4999, 5000), 22, 2)});
  const auto part = H.partition("layer");
  const blockspec::SlqOptions slq{.probes = 3, .seed = 4};
  // The paper's sigma = 0.0032 on 50,000 points over [0, 5001] (spacing 0.1): a comb.
  CHECK_THROWS_WITH_AS(blockwise_spectra(H, part, {.slq = slq, .density = blockspec::DensityOptions::paper()}),
                       doctest::Contains("block 'layer0' (index 0 of 3): density: the kernel (Gaussian sigma = "
                                         "0.0031622776601683794)"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(H, part, {.slq = slq, .density = blockspec::DensityOptions::paper()}),
                       doctest::Contains("less than half the grid spacing 0.1"), blockspec::invalid_argument);
  // A user grid holding only the first block: the second one has no mass on it.
  const blockspec::DensityOptions wide{.width = {.value = 0.2, .relative = false}};
  CHECK_THROWS_WITH_AS(
      blockwise_spectra(H, part, {.slq = slq, .density = wide, .grid = blockspec::Grid::linear(0, 10, 101)}),
      doctest::Contains("block 'layer1' (index 1 of 3): density: the density is all zero on the grid"),
      blockspec::invalid_argument);
  // max_mass_outside = 0: the first block's lower tail (node 1 is 5 sigma above 0) is already too much.
  CHECK_THROWS_WITH_AS(blockwise_spectra(H, part,
                                         {.slq = slq, .density = wide, .grid = blockspec::Grid::linear(0, 10, 101),
                                          .max_mass_outside = 0.0}),
                       doctest::Contains("block 'layer0' (index 0 of 3): "), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(H, part,
                                         {.slq = slq, .density = wide, .grid = blockspec::Grid::linear(0, 10, 101),
                                          .max_mass_outside = 0.0}),
                       doctest::Contains("more than max_mass_outside = 0"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockwise_spectra(H, part, {.slq = slq, .max_mass_outside = 2.0}),
                       doctest::Contains("max_mass_outside must be in [0, 1], got 2"), blockspec::invalid_argument);
  // A log-unit kernel and a block with a negative eigenvalue: that block is named.
  const BlockDiagonalOperator M({rotated_diagonal(Eigen::Vector3d(1, 2, 3), 23, 0),
                                 rotated_diagonal(Eigen::Vector3d(-1, 0.5, 2), 23, 1)});
  CHECK_THROWS_WITH_AS(
      blockwise_spectra(M, M.partition("w"),
                        {.slq = slq, .density = {.kernel = blockspec::KernelKind::log_gaussian,
                                                 .grid = blockspec::GridKind::log}}),
      doctest::Contains("block 'w1' (index 1 of 2): make_kernel: kernel = log_gaussian needs positive nodes"),
      blockspec::invalid_argument);
}
