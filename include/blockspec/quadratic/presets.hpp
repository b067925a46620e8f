// blockspec/quadratic/presets.hpp — the paper's four quadratic cases and quadratics from measured spectra.
//
// All four cases have condition number 5000 (eigenvalues in [1, 5000]).
//   Case 1, heterogeneous ("Transformer-like", our design): 4 blocks of 25.
//     Block l draws 25 log-uniform eigenvalues on [c_l, 10 c_l] with
//     c_l = 500^(l/3) (c = 1, 7.9, 63, 500): every block spans one decade, at
//     a different scale per block, as the blocks of a Transformer sit at
//     different scales. The pooled eigenvalues are then mapped into [1, 5000]
//     by one affine map (map_pooled). Each block's condition number is ~10;
//     the whole H's is 5000.
//   Case 2, homogeneous ("CNN-like", our design): 4 blocks of 25. Every block
//     draws 25 log-uniform eigenvalues on the SAME [1, 5000] (one common
//     distribution, independent draws), then the same pooled map. Each block's
//     condition number is close to the whole H's.
//   The two twins use the same family (log-uniform, 25 draws per block) and
//   differ only in where the blocks sit. The paper built cases 1 and 2 from
//   measured Transformer and CNN block spectra instead; quadratic_from_measured
//   does that for any measured spectra (e.g. SLQ Ritz nodes saved as .npy).
//   Case 3, simplified heterogeneous (paper): blocks {1,2,3}, {99,100,101}, {4998,4999,5000}.
//   Case 4, simplified homogeneous (paper): blocks {1,99,4998}, {2,100,4999}, {3,101,5000}.
// Each block is rotated by its own Haar matrix; everything is seeded.
// Reference: Zhang et al., "Why Transformers Need Adam: A Hessian
// Perspective", NeurIPS 2024, sec. 4 and its quadratic figures.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>
#include <blockspec/quadratic/spectrum.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace blockspec {

/// Condition number of every paper case.
inline constexpr double paper_condition_number = 5000.0;

/// A short label of paper case 1..4.
inline std::string paper_case_label(int c) {
  switch (c) {
    case 1: return "case 1 (heterogeneous, 4x25)";
    case 2: return "case 2 (homogeneous, 4x25)";
    case 3: return "case 3 (heterogeneous, 3x3)";
    case 4: return "case 4 (homogeneous, 3x3)";
    default: throw invalid_argument("paper_case: the case must be 1, 2, 3 or 4, got " + std::to_string(c));
  }
}

/// True for the heterogeneous cases (1 and 3).
inline bool paper_case_heterogeneous(int c) {
  (void)paper_case_label(c);
  return c == 1 || c == 3;
}

/// The block spectra of paper case 1..4 (see the file comment); `seed` only matters for cases 1 and 2.
/// Example: `auto spectra = blockspec::paper_case_spectra(3);`
inline std::vector<BlockSpectrum> paper_case_spectra(int c, std::uint64_t seed = 0) {
  (void)paper_case_label(c);
  auto explicit_blocks = [](std::vector<std::vector<double>> values) {
    std::vector<BlockSpectrum> out;
    for (std::size_t l = 0; l < values.size(); ++l)
      out.push_back({"block" + std::to_string(l),
                     Eigen::Map<const Eigen::VectorXd>(values[l].data(), static_cast<Eigen::Index>(values[l].size()))});
    return out;
  };
  if (c == 3) return explicit_blocks({{1, 2, 3}, {99, 100, 101}, {4998, 4999, 5000}});
  if (c == 4) return explicit_blocks({{1, 99, 4998}, {2, 100, 4999}, {3, 101, 5000}});
  std::vector<BlockSpectrum> raw;
  for (int l = 0; l < 4; ++l) {
    const double lo = c == 1 ? std::pow(500.0, l / 3.0) : 1.0;
    const double hi = c == 1 ? 10.0 * lo : paper_condition_number;
    Rng block_seed(seed, 100 + static_cast<std::uint64_t>(l));
    raw.push_back(block_spectrum("block" + std::to_string(l), LogUniformSpectrum{.size = 25, .lo = lo, .hi = hi},
                                 block_seed()));
  }
  return map_pooled(std::move(raw), 1.0, paper_condition_number);
}

/// Paper case 1..4 as a BlockQuadratic (Haar rotations and w* from `seed`).
/// Example: `auto q = blockspec::paper_case(3);  // 9 x 9, blocks {1,2,3}, {99,100,101}, {4998,4999,5000}`
template <Scalar S = double>
BlockQuadratic<S> paper_case(int c, std::uint64_t seed = 0, GradientNoise noise = {}) {
  return make_block_quadratic<S>(paper_case_spectra(c, seed), seed, noise);
}

/// A measured block spectrum: nodes with optional weights (e.g. SLQ Ritz nodes and weights).
struct MeasuredSpectrum {
  std::string name{};
  Eigen::VectorXd nodes{};
  Eigen::VectorXd weights{};  ///< empty: equal weights
};

/// How quadratic_from_measured summarizes and maps measured spectra.
struct MeasuredOptions {
  Eigen::Index block_size = 25;  ///< eigenvalues per block (quantiles of each measured spectrum)
  double lo = 1.0;               ///< the pooled eigenvalues are mapped into [lo, hi] (lo > 0)
  double hi = paper_condition_number;

  void validate() const {
    detail::require(block_size > 0, "MeasuredOptions", "block_size must be positive, got " + std::to_string(block_size));
    detail::require(std::isfinite(lo) && lo > 0.0, "MeasuredOptions", "lo must be positive (H must be positive definite), got " + detail::format_double(lo));
    detail::require(std::isfinite(hi) && hi > lo, "MeasuredOptions", "hi must be finite and > lo, got " + detail::format_double(hi));
  }
};

/// Block spectra from measured ones: `block_size` quantiles per block, then ONE pooled affine map into [lo, hi].
inline std::vector<BlockSpectrum> measured_block_spectra(const std::vector<MeasuredSpectrum>& measured,
                                                         const MeasuredOptions& options = {}) {
  options.validate();
  detail::require(!measured.empty(), "measured_block_spectra", "no measured spectra given");
  std::vector<BlockSpectrum> raw;
  for (std::size_t l = 0; l < measured.size(); ++l) {
    const auto& m = measured[l];
    raw.push_back(quantile_spectrum(m.name.empty() ? "block" + std::to_string(l) : m.name, m.nodes, m.weights,
                                    options.block_size));
  }
  return map_pooled(std::move(raw), options.lo, options.hi);
}

/// A quadratic seeded by real block spectra, as the paper built cases 1 and 2.
/// Example:
///   auto q = blockspec::quadratic_from_measured({{"attn.q", nodes_q}, {"mlp.fc1", nodes_fc1}}, {}, 1);
template <Scalar S = double>
BlockQuadratic<S> quadratic_from_measured(const std::vector<MeasuredSpectrum>& measured,
                                          const MeasuredOptions& options = {}, std::uint64_t seed = 0,
                                          GradientNoise noise = {}) {
  return make_block_quadratic<S>(measured_block_spectra(measured, options), seed, noise);
}

}  // namespace blockspec
