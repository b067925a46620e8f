// blockspec/lab/blockwise_files.hpp — the study file format: a blockwise result as .npy/.csv files.
//
// Lab component (blockspec::lab): the on-disk layout read by examples/plot_*.py, not core API.
// write_blockwise(result, dir) writes a completed BlockwiseSpectra (analysis/blockwise.hpp)
// as the files listed at the function; each file is written atomically (io/atomic_file.hpp via
// write_npy / write_csv), run.csv last, so its presence marks a complete set.
// Cost: O(k N + M) values written (k blocks, N grid points, M Ritz nodes).
#pragma once

#include <blockspec/analysis/blockwise.hpp>
#include <blockspec/error.hpp>
#include <blockspec/io/csv.hpp>
#include <blockspec/io/npy.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

namespace blockspec::lab {

/// Writes a completed blockwise result into `directory` (created if missing). Files, each written
/// atomically (complete or absent), run.csv last so that its presence marks a complete set:
///   grid.npy           (N,)      the common grid's points
///   grid_weights.npy   (N,)      its quadrature weights (masses = weights x values)
///   densities.npy      (k, N)    block densities, rows in partition order
///   full_density.npy   (N,)      the full operator's density (when computed)
///   js_distance.npy    (k, k)    Jensen–Shannon distances (natural log)
///   ritz_nodes.npy, ritz_weights.npy (M,)  all Ritz nodes / Gauss weights (each probe's sum to 1),
///   ritz_block.npy, ritz_probe.npy   (M,)  int64 block and probe index of each node
///   summary.csv        one row per block: block, offset, size, probes, steps, matvecs, mean,
///                      variance, mass_outside, seed
///   run.csv            key,value: blocks, heterogeneity, total_matvecs, full_matvecs, grid, kernel
/// Example: `blockspec::lab::write_blockwise(result, "out/blockwise");`
inline void write_blockwise(const BlockwiseSpectra& result, const std::filesystem::path& directory) {
  const char* where = "write_blockwise";
  detail::require(result.status == SlqStatus::completed, where, "the result was cancelled: nothing complete to write");
  detail::require(!result.densities.empty() && result.densities.size() == result.blocks.size(), where,
                  "the result has no densities (was it produced by blockwise_spectra?)");
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw io_error(std::string(where) + ": cannot create the directory '" + directory.string() + "': " + ec.message());

  const Eigen::Index k = static_cast<Eigen::Index>(result.densities.size());
  const Eigen::Index n = result.grid.size();
  write_npy(directory / "grid.npy", result.grid.points());
  write_npy(directory / "grid_weights.npy", result.grid.weights());
  Eigen::MatrixXd dens(k, n);
  for (Eigen::Index l = 0; l < k; ++l) dens.row(l) = result.densities[static_cast<std::size_t>(l)].values().transpose();
  write_npy(directory / "densities.npy", dens);
  if (result.full_density) write_npy(directory / "full_density.npy", result.full_density->values());
  write_npy(directory / "js_distance.npy", result.js_distance);

  std::vector<double> nodes, weights;
  std::vector<std::int64_t> block_index, probe_index;
  for (std::size_t l = 0; l < result.quadratures.size(); ++l) {
    const auto& q = result.quadratures[l];
    for (std::size_t i = 0; i < q.probes.size(); ++i) {
      const auto& p = q.probes[i];
      for (Eigen::Index j = 0; j < p.nodes.size(); ++j) {
        nodes.push_back(p.nodes[j]);
        weights.push_back(p.weights[j]);
        block_index.push_back(static_cast<std::int64_t>(l));
        probe_index.push_back(static_cast<std::int64_t>(i));
      }
    }
  }
  write_npy(directory / "ritz_nodes.npy", std::span<const double>(nodes));
  write_npy(directory / "ritz_weights.npy", std::span<const double>(weights));
  auto write_ints = [&](const char* name, const std::vector<std::int64_t>& v) {
    xt::xarray<std::int64_t> a = xt::empty<std::int64_t>(std::vector<std::size_t>{v.size()});
    std::copy(v.begin(), v.end(), a.begin());
    write_npy(directory / name, a);
  };
  write_ints("ritz_block.npy", block_index);
  write_ints("ritz_probe.npy", probe_index);

  CsvTable summary;
  std::vector<std::int64_t> offsets, sizes, probes, steps;
  std::vector<double> means, variances, outside;
  std::vector<std::string> seeds;
  for (std::size_t l = 0; l < result.blocks.size(); ++l) {
    const auto& q = result.quadratures[l];
    const auto& d = result.densities[l];
    offsets.push_back(result.blocks[l].offset);
    sizes.push_back(result.blocks[l].size);
    probes.push_back(q.size());
    int max_steps = 0;
    for (const auto& p : q.probes) max_steps = std::max(max_steps, p.steps);
    steps.push_back(max_steps);
    means.push_back(d.mean());
    variances.push_back(d.variance());
    outside.push_back(d.mass_outside());
    seeds.push_back(std::to_string(q.seed));  // as text: uint64 does not fit int64
  }
  summary.add_column("block", result.names())
      .add_column("offset", offsets)
      .add_column("size", sizes)
      .add_column("probes", probes)
      .add_column("steps", steps)
      .add_column("matvecs", result.block_matvecs)
      .add_column("mean", means)
      .add_column("variance", variances)
      .add_column("mass_outside", outside)
      .add_column("seed", seeds);
  write_csv(directory / "summary.csv", summary);

  std::string kernel = std::visit(
      [](const auto& kk) -> std::string {
        using K = std::decay_t<decltype(kk)>;
        if constexpr (std::is_same_v<K, GaussianKernel>) return "gaussian sigma=" + detail::csv_format(kk.sigma);
        else if constexpr (std::is_same_v<K, CauchyKernel>) return "cauchy gamma=" + detail::csv_format(kk.gamma);
        else if constexpr (std::is_same_v<K, LogGaussianKernel>)
          return "log_gaussian sigma=" + detail::csv_format(kk.sigma) + " (natural-log units)";
        else if constexpr (std::is_same_v<K, ReflectedKernel<GaussianKernel>>)
          return "gaussian sigma=" + detail::csv_format(kk.base.sigma) + " reflected at 0";
        else return "cauchy gamma=" + detail::csv_format(kk.base.gamma) + " reflected at 0";
      },
      result.kernel);
  CsvTable run;
  run.add_column("key", std::vector<std::string>{"blocks", "heterogeneity", "total_matvecs", "full_matvecs", "grid",
                                                 "kernel"})
      .add_column("value", std::vector<std::string>{
                               std::to_string(k),
                               result.heterogeneity ? detail::csv_format(*result.heterogeneity) : std::string("nan"),
                               std::to_string(result.total_matvecs), std::to_string(result.full_matvecs),
                               result.grid.describe(), kernel});
  write_csv(directory / "run.csv", run);
}

}  // namespace blockspec::lab
