// Tests for <blockspec/lab/blockwise_files.hpp>: the study file format of a blockwise result.
#include <blockspec/lab/blockwise_files.hpp>

#include <doctest/doctest.h>
#include <support/block_diagonal.hpp>
#include <support/temp_dir.hpp>

#include <blockspec/io/npy.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using blockspec::test::BlockDiagonalOperator;
using blockspec::test::rotated_diagonal;

namespace {

constexpr int kBlock = 300;

// Three blocks with distinct spectra, uniform on [1, 2], [5, 6] and [1, 6].
const BlockDiagonalOperator& heterogeneous() {
  static const BlockDiagonalOperator op(
      {rotated_diagonal(Eigen::VectorXd::LinSpaced(kBlock, 1, 2), 12, 0),
       rotated_diagonal(Eigen::VectorXd::LinSpaced(kBlock, 5, 6), 12, 1),
       rotated_diagonal(Eigen::VectorXd::LinSpaced(kBlock, 1, 6), 12, 2)});
  return op;
}

const blockspec::DensityOptions kDensity{.width = {.value = 0.05, .relative = true}, .points = 1001};

}  // namespace

TEST_CASE("blockwise files: write_blockwise files read back exactly") {
  const auto& G = heterogeneous();
  const auto r = blockwise_spectra(G, G.partition(), {.slq = {.probes = 4, .steps = 20, .seed = 1}, .density = kDensity});
  blockspec::test::TempDir dir("blockwise");
  const auto out = dir / "out";  // created by write_blockwise
  blockspec::lab::write_blockwise(r, out);
  const Eigen::MatrixXd dens = blockspec::read_npy_matrix(out / "densities.npy");
  REQUIRE(dens.rows() == 3);
  REQUIRE(dens.cols() == r.grid.size());
  for (int l = 0; l < 3; ++l) CHECK(dens.row(l).transpose() == r.densities[static_cast<std::size_t>(l)].values());
  CHECK(blockspec::read_npy_vector(out / "grid.npy") == r.grid.points());
  CHECK(blockspec::read_npy_vector(out / "grid_weights.npy") == r.grid.weights());
  CHECK(blockspec::read_npy_vector(out / "full_density.npy") == r.full_density->values());
  CHECK(blockspec::read_npy_matrix(out / "js_distance.npy") == r.js_distance);
  const Eigen::VectorXd nodes = blockspec::read_npy_vector(out / "ritz_nodes.npy");
  const Eigen::VectorXd weights = blockspec::read_npy_vector(out / "ritz_weights.npy");
  const auto blocks = blockspec::read_npy<std::int64_t>(out / "ritz_block.npy");
  const auto probes = blockspec::read_npy<std::int64_t>(out / "ritz_probe.npy");
  REQUIRE(nodes.size() == 3 * 4 * 20);
  CHECK(blocks.size() == 3 * 4 * 20);
  CHECK(probes.size() == 3 * 4 * 20);
  // The first probe of block 1 is the 81st..100th entries.
  CHECK(blocks(80) == 1);
  CHECK(probes(80) == 0);
  CHECK(nodes.segment(80, 20) == r.quadratures[1].probes[0].nodes);
  CHECK(weights.segment(80, 20) == r.quadratures[1].probes[0].weights);
  std::ifstream summary(out / "summary.csv");
  std::string header, row;
  std::getline(summary, header);
  std::getline(summary, row);
  CHECK(header == "block,offset,size,probes,steps,matvecs,mean,variance,mass_outside,seed");
  CHECK(row.rfind("block0,0,300,4,20,80,", 0) == 0);
  CHECK(std::filesystem::exists(out / "run.csv"));
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(out)) ++files;
  CHECK(files == 11);  // no temporary files left
}

TEST_CASE("blockwise files: incomplete results are refused") {
  CHECK_THROWS_WITH_AS(blockspec::lab::write_blockwise(blockspec::BlockwiseSpectra{}, "x"),
                       doctest::Contains("no densities"), blockspec::invalid_argument);
  const auto& G = heterogeneous();
  int calls = 0;
  const auto r = blockwise_spectra(G, G.partition(),
                                   {.slq = {.probes = 2, .steps = 10, .progress = [&](int, int) { return ++calls <= 25; }}});
  REQUIRE(r.status == blockspec::SlqStatus::cancelled);
  CHECK_THROWS_WITH_AS(blockspec::lab::write_blockwise(r, "x"), doctest::Contains("cancelled"),
                       blockspec::invalid_argument);
}
