// blockspec/analysis/blockwise.hpp — the paper's blockwise spectra: SLQ per diagonal block, one
// common grid, the Jensen–Shannon distance matrix and the heterogeneity score.
//
// Method (Zhang et al. 2024, §3): for each block l of a partition, SLQ on the
// principal block H_ll (operator/block.hpp: the operator's own
// principal_block(b) when it has one, else zero-pad / apply / restrict, one
// full product of H per product of H_ll); optionally SLQ on the full H too.
// Every density is then evaluated on ONE grid with ONE kernel, both resolved
// once from the union of the runs' node ranges (NodeRange::unite: under the
// paper's probe-mean rule the grid spans the smallest block's mean minimum to
// the largest block's mean maximum, so it covers every block; the relative
// default width is a fraction of the pooled range max - min), unless the
// caller passes a grid (BlockwiseOptions::grid; a relative kernel width still
// refers to the pooled node range). A block whose density cannot be resolved
// on that grid — the kernel narrower than half the grid spacing at one of its
// nodes (spectral/density.hpp), a node the kernel rejects, or more than
// max_mass_outside of its kernel mass off the grid — throws invalid_argument
// naming the block (name and index), the kernel width and the grid. On that common grid, the k x k matrix of
// Jensen–Shannon distances (natural log, in [0, sqrt(ln 2)]) and
// heterogeneity = its mean off-diagonal entry (distance/matrix.hpp).
// Randomness: block l runs SLQ with seed derived from (options.seed, l) —
// the first output of Rng(options.seed, 0x426c6f636b000000 + l) — so every
// block gets its own probe stream (identical blocks do not see identical
// probes, and the result does not depend on the order blocks are run in);
// the full operator uses stream 0x46756c6c00000000. The derived seeds are
// recorded in each SpectralQuadrature::seed.
// Cost: sum_l P m products with H_ll (each one full product of H without an
// operator-provided principal_block), plus P m products with H for the full
// density; k(k-1)/2 JS evaluations of O(N) on N grid points.
// Caveats: the heterogeneity of blocks with identical spectra is not 0 but a
// noise floor set by the probes: each block's density has relative error
// about sqrt(2 / (P K)) where K is the number of eigenvalues within a kernel
// width, so the JS distance between two such blocks is about
// 0.5 sqrt(2 / (P K)) (use more probes or a wider kernel to lower it). The
// progress callback of SlqOptions sees (probe, step) of the current run only.
// If a run is cancelled from it, the result has status cancelled, the
// quadratures done so far, and no densities, matrix or score.
#pragma once

#include <blockspec/distance/matrix.hpp>
#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/random.hpp>
#include <blockspec/spectral/density.hpp>
#include <blockspec/spectral/slq.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace blockspec {

/// Options of blockwise_spectra: the SLQ run of every block, the densities, and the common grid.
struct BlockwiseOptions {
  /// Probes, steps, seed, threads, ... of each block's SLQ run (each block derives its own seed).
  SlqOptions slq{};
  /// The kernel and grid rules of the densities.
  DensityOptions density{};
  /// The common grid; empty (default) = make_grid(union of the runs' node ranges, density options).
  Grid grid{};
  /// Also run SLQ on the full operator and give its density on the common grid.
  bool full_operator = true;
  /// The largest fraction of a block's kernel mass that may fall outside the common grid, in [0, 1]
  /// (a user grid that zooms into part of the spectrum may need 1).
  double max_mass_outside = 0.5;

  void validate(const std::string& where = "blockwise_spectra") const {
    slq.validate(where);
    validate_densities(where);
  }
  /// The density part only (what assemble_blockwise uses).
  void validate_densities(const std::string& where) const {
    density.validate(where);
    detail::require(std::isfinite(max_mass_outside) && max_mass_outside >= 0.0 && max_mass_outside <= 1.0, where,
                    "max_mass_outside must be in [0, 1], got " + detail::format_double(max_mass_outside));
  }
};

/// What blockwise_spectra returns; every per-block vector is in partition order.
struct BlockwiseSpectra {
  std::vector<Block> blocks{};                     ///< the partition's blocks (names, offsets, sizes)
  std::vector<SpectralQuadrature> quadratures{};   ///< SLQ of each H_ll
  std::vector<Density> densities{};                ///< each block's density on `grid`
  std::optional<SpectralQuadrature> full_quadrature{};  ///< SLQ of H (when requested)
  std::optional<Density> full_density{};           ///< H's density on `grid` (when requested)
  Grid grid{};                                     ///< the common grid
  AnyKernel kernel{};                              ///< the kernel, width resolved once
  Eigen::MatrixXd js_distance{};                   ///< k x k, symmetric, zero diagonal
  std::optional<double> heterogeneity{};           ///< mean off-diagonal JS distance; empty for k < 2
  std::vector<std::int64_t> block_matvecs{};       ///< products with H_ll per block
  std::int64_t full_matvecs = 0;                   ///< products with H for the full density
  std::int64_t total_matvecs = 0;                  ///< sum of the above
  SlqStatus status = SlqStatus::completed;         ///< cancelled: see the file comment

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& b : blocks) out.push_back(b.name);
    return out;
  }
};

namespace detail {

inline std::uint64_t block_seed(std::uint64_t seed, std::uint64_t stream) {
  Rng rng(seed, stream);
  return rng();
}
inline constexpr std::uint64_t block_stream_base = 0x426c6f636b000000ULL;  // "Block"
inline constexpr std::uint64_t full_stream = 0x46756c6c00000000ULL;        // "Full"

/// One run's density on the common grid; a failure names the run (`label`) and the scale.
inline Density run_density(const SpectralQuadrature& q, const Grid& grid, const AnyKernel& kernel,
                           const std::string& label, double max_outside, const char* where) {
  Density d;
  try {
    d = density(q, grid, kernel);
  } catch (const invalid_argument& e) {
    throw invalid_argument(std::string(where) + ": " + label + ": " + e.what());
  }
  if (!(d.mass_outside() <= max_outside)) {
    const std::string k = std::visit([](const auto& kk) { return describe_kernel(kk); }, kernel);
    require(false, where,
            label + ": " + format_double(d.mass_outside()) + " of its kernel mass (" + k + ") lies outside the " +
                grid.describe() + ", more than max_mass_outside = " + format_double(max_outside) +
                "; widen the grid (RangeRule::pooled, more padding) or raise max_mass_outside");
  }
  return d;
}

inline std::string block_label(const std::vector<Block>& blocks, std::size_t l) {
  return "block '" + blocks[l].name + "' (index " + std::to_string(l) + " of " + std::to_string(blocks.size()) + ")";
}

/// Resolves the kernel (and, without a user grid, the grid) of one run alone, so that a node the
/// options reject (e.g. log_gaussian and a node <= 0) is reported with the run's label.
inline void check_run_range(const SpectralQuadrature& q, const BlockwiseOptions& options, const std::string& label,
                            const char* where) {
  try {
    const NodeRange rl = node_range(q);
    (void)make_kernel(rl, options.density);
    if (options.grid.empty()) (void)make_grid(rl, options.density);
  } catch (const invalid_argument& e) {
    throw invalid_argument(std::string(where) + ": " + label + ": " + e.what());
  }
}

}  // namespace detail

/// The densities on one common grid, the JS-distance matrix and the heterogeneity score of
/// per-block quadratures computed elsewhere (blockwise_spectra, or a runner of its own such as the
/// LibTorch adapter's lockstep one). `full` is the full operator's quadrature, if any. Quadratures
/// with status cancelled give a result with that status and no densities (after a cancelled
/// block the later blocks have no quadrature).
/// Example: `auto r = blockspec::assemble_blockwise(blocks, std::move(quads), std::nullopt, {});`
inline BlockwiseSpectra assemble_blockwise(std::vector<Block> blocks, std::vector<SpectralQuadrature> quadratures,
                                           std::optional<SpectralQuadrature> full, const BlockwiseOptions& options) {
  const char* where = "assemble_blockwise";
  detail::require(!blocks.empty(), where, "no blocks: give at least one");
  const bool cancelled = !quadratures.empty() && quadratures.back().status == SlqStatus::cancelled;
  detail::require(blocks.size() == quadratures.size() || (cancelled && quadratures.size() < blocks.size()), where,
                  std::to_string(blocks.size()) + " blocks but " + std::to_string(quadratures.size()) +
                      " quadratures (fewer only when the last one was cancelled)");
  options.validate_densities(where);
  BlockwiseSpectra r;
  r.blocks = std::move(blocks);
  r.quadratures = std::move(quadratures);
  r.full_quadrature = std::move(full);
  for (const auto& q : r.quadratures) {
    r.block_matvecs.push_back(q.matvecs);
    r.total_matvecs += q.matvecs;
    if (q.status == SlqStatus::cancelled) r.status = SlqStatus::cancelled;
  }
  if (r.full_quadrature) {
    r.full_matvecs = r.full_quadrature->matvecs;
    r.total_matvecs += r.full_matvecs;
    if (r.full_quadrature->status == SlqStatus::cancelled) r.status = SlqStatus::cancelled;
  }
  if (r.status == SlqStatus::cancelled) return r;
  // The union of the node ranges of the blocks and (if run) the full operator.
  for (std::size_t l = 0; l < r.quadratures.size(); ++l)
    detail::check_run_range(r.quadratures[l], options, detail::block_label(r.blocks, l), where);
  if (r.full_quadrature) detail::check_run_range(*r.full_quadrature, options, "the full operator", where);
  NodeRange range = node_range(std::span<const SpectralQuadrature>(r.quadratures));
  if (r.full_quadrature) range.unite(node_range(*r.full_quadrature));
  r.grid = options.grid.empty() ? make_grid(range, options.density) : options.grid;
  r.kernel = make_kernel(range, options.density);
  for (std::size_t l = 0; l < r.quadratures.size(); ++l)
    r.densities.push_back(detail::run_density(r.quadratures[l], r.grid, r.kernel, detail::block_label(r.blocks, l),
                                              options.max_mass_outside, where));
  if (r.full_quadrature)
    r.full_density = detail::run_density(*r.full_quadrature, r.grid, r.kernel, "the full operator",
                                         options.max_mass_outside, where);
  r.js_distance = js_distance_matrix(r.densities);
  if (r.densities.size() >= 2) r.heterogeneity = heterogeneity(r.js_distance);
  return r;
}

/// SLQ per diagonal block of `op`, densities on one common grid, the JS-distance matrix and the
/// heterogeneity score (see the file comment for seeds, grid and cost). All the blocks' runs share
/// one executor (options.slq.executor, or one made for the call with options.slq.threads).
/// Example:
///   auto part = blockspec::BlockPartition::from_sizes({{"attn.q", 4096}, {"attn.k", 4096}, {"mlp", 16384}});
///   auto r = blockspec::blockwise_spectra(H, part, {.slq = {.probes = 10, .steps = 100}});
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
BlockwiseSpectra blockwise_spectra(Op&& op, const BlockPartition& partition, const BlockwiseOptions& options = {},
                                   const IP& ip = {}) {
  const char* where = "blockwise_spectra";
  detail::require(!partition.empty(), where, "the partition is empty: give at least one block");
  detail::require(partition.dimension() == static_cast<Eigen::Index>(op.rows()), where,
                  "the partition's dimension " + std::to_string(partition.dimension()) +
                      " differs from the operator's " + std::to_string(static_cast<Eigen::Index>(op.rows())));
  options.validate(where);
  detail::CallExecutor ex(options.slq.executor, options.slq.threads, where);
  SlqOptions o = options.slq;
  o.executor = &ex.get();
  o.threads = 1;
  std::vector<SpectralQuadrature> quads;
  std::optional<SpectralQuadrature> full;
  for (std::size_t l = 0; l < partition.size(); ++l) {
    o.seed = detail::block_seed(options.slq.seed, detail::block_stream_base + l);
    auto block_op = principal_block(op, partition[l]);
    quads.push_back(slq(block_op, o, ip));
    if (quads.back().status == SlqStatus::cancelled) break;
  }
  if (options.full_operator && quads.back().status != SlqStatus::cancelled) {
    o.seed = detail::block_seed(options.slq.seed, detail::full_stream);
    full = slq(op, o, ip);
  }
  return assemble_blockwise(partition.blocks(), std::move(quads), std::move(full), options);
}

}  // namespace blockspec
