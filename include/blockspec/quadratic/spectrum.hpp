// blockspec/quadratic/spectrum.hpp — eigenvalue specifications for the blocks of a quadratic.
//
// Method: each specification turns (size, seed) into a sorted vector of
// eigenvalues: explicit values; i.i.d. uniform or log-uniform draws in
// [lo, hi]; a truncated power law (Pareto tail of index `exponent` on
// [lo, hi], drawn by inverse CDF: heavy-tailed, most values near lo, a few far
// out); and "bulk plus outliers" (a uniform bulk and given outlier values).
// `map_pooled` applies ONE affine map x -> lo + (x - min)(hi - lo)/(max - min)
// to the pooled eigenvalues of all blocks, as the paper does with measured
// spectra. Mapping each block into [lo, hi] separately would give every block
// the full condition number and erase the heterogeneity under study.
// `quantile_spectrum` summarizes a measured (weighted) spectrum, e.g. the
// Ritz nodes and weights of SLQ, by `size` quantiles, so real block spectra can
// seed a quadratic of a chosen size.
// Cost: O(size log size) per block. Randomness: block spectra take a seed and
// draw from blockspec::Rng(seed, stream) only.
// Reference: Zhang et al., "Why Transformers Need Adam: A Hessian
// Perspective", NeurIPS 2024, sec. 4 (quadratic cases built from mapped spectra).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/random.hpp>
#include <blockspec/types.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace blockspec {

/// One block of a block-diagonal quadratic: a name and its eigenvalues (ascending).
struct BlockSpectrum {
  std::string name{};
  Eigen::VectorXd eigenvalues{};
};

/// Exactly these eigenvalues (sorted on use); size is values.size().
struct ExplicitSpectrum {
  Eigen::VectorXd values{};
};
/// `size` i.i.d. draws, uniform on [lo, hi].
struct UniformSpectrum {
  Eigen::Index size = 0;
  double lo = 1.0;
  double hi = 2.0;
};
/// `size` i.i.d. draws whose logarithm is uniform on [log lo, log hi] (lo > 0).
struct LogUniformSpectrum {
  Eigen::Index size = 0;
  double lo = 1.0;
  double hi = 10.0;
};
/// `size` i.i.d. draws of a Pareto law P(X > x) ~ x^-exponent truncated to [lo, hi] (lo > 0):
/// a heavy-tailed spectrum with most values near lo.
struct PowerLawSpectrum {
  Eigen::Index size = 0;
  double lo = 1.0;
  double hi = 1000.0;
  double exponent = 1.0;
};
/// size - outliers.size() uniform draws on [bulk_lo, bulk_hi], plus the outlier values.
struct BulkOutlierSpectrum {
  Eigen::Index size = 0;
  double bulk_lo = 1.0;
  double bulk_hi = 2.0;
  std::vector<double> outliers{};
};

/// Any of the specifications above.
using SpectrumSpec =
    std::variant<ExplicitSpectrum, UniformSpectrum, LogUniformSpectrum, PowerLawSpectrum, BulkOutlierSpectrum>;

namespace detail {

inline void require_range(double lo, double hi, bool positive, const std::string& where) {
  require(std::isfinite(lo) && std::isfinite(hi), where,
          "lo and hi must be finite, got lo = " + detail::format_double(lo) + ", hi = " + detail::format_double(hi));
  require(lo <= hi, where, "lo must be <= hi, got lo = " + detail::format_double(lo) + ", hi = " + detail::format_double(hi));
  if (positive) require(lo > 0.0, where, "lo must be positive, got " + detail::format_double(lo));
}

inline void require_size(Eigen::Index size, const std::string& where) {
  require(size > 0, where, "size must be positive (an empty block), got " + std::to_string(size));
}

inline Eigen::VectorXd sorted(Eigen::VectorXd v) {
  std::sort(v.data(), v.data() + v.size());
  return v;
}

}  // namespace detail

/// Draws the eigenvalues of one block (ascending) from a specification.
/// Example:
///   auto ev = blockspec::sample_spectrum(blockspec::LogUniformSpectrum{.size = 25, .lo = 1, .hi = 10}, 7);
inline Eigen::VectorXd sample_spectrum(const SpectrumSpec& spec, std::uint64_t seed) {
  Rng rng(seed, 0);
  if (const auto* e = std::get_if<ExplicitSpectrum>(&spec)) {
    detail::require_size(e->values.size(), "ExplicitSpectrum");
    detail::require_finite_entries(e->values, "ExplicitSpectrum", "value");
    return detail::sorted(e->values);
  }
  if (const auto* u = std::get_if<UniformSpectrum>(&spec)) {
    detail::require_size(u->size, "UniformSpectrum");
    detail::require_range(u->lo, u->hi, false, "UniformSpectrum");
    Eigen::VectorXd v(u->size);
    for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = u->lo + (u->hi - u->lo) * rng.uniform();
    return detail::sorted(std::move(v));
  }
  if (const auto* l = std::get_if<LogUniformSpectrum>(&spec)) {
    detail::require_size(l->size, "LogUniformSpectrum");
    detail::require_range(l->lo, l->hi, true, "LogUniformSpectrum");
    const double a = std::log(l->lo), b = std::log(l->hi);
    Eigen::VectorXd v(l->size);
    for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = std::exp(a + (b - a) * rng.uniform());
    return detail::sorted(std::move(v));
  }
  if (const auto* p = std::get_if<PowerLawSpectrum>(&spec)) {
    detail::require_size(p->size, "PowerLawSpectrum");
    detail::require_range(p->lo, p->hi, true, "PowerLawSpectrum");
    detail::require(std::isfinite(p->exponent) && p->exponent > 0.0, "PowerLawSpectrum",
                    "exponent must be positive and finite, got " + detail::format_double(p->exponent));
    // Inverse CDF of the truncated Pareto law: F(x) = (1 - (lo/x)^a) / (1 - (lo/hi)^a).
    const double c = 1.0 - std::pow(p->lo / p->hi, p->exponent);
    Eigen::VectorXd v(p->size);
    for (Eigen::Index i = 0; i < v.size(); ++i) {
      const double u = rng.uniform();
      v[i] = std::min(p->hi, p->lo * std::pow(1.0 - u * c, -1.0 / p->exponent));
    }
    return detail::sorted(std::move(v));
  }
  const auto& b = std::get<BulkOutlierSpectrum>(spec);
  detail::require_size(b.size, "BulkOutlierSpectrum");
  detail::require_range(b.bulk_lo, b.bulk_hi, false, "BulkOutlierSpectrum");
  const auto n_out = static_cast<Eigen::Index>(b.outliers.size());
  detail::require(n_out <= b.size, "BulkOutlierSpectrum",
                  "more outliers (" + std::to_string(n_out) + ") than size (" + std::to_string(b.size) + ")");
  Eigen::VectorXd v(b.size);
  for (Eigen::Index i = 0; i < b.size - n_out; ++i) v[i] = b.bulk_lo + (b.bulk_hi - b.bulk_lo) * rng.uniform();
  for (Eigen::Index i = 0; i < n_out; ++i) {
    detail::require(std::isfinite(b.outliers[static_cast<std::size_t>(i)]), "BulkOutlierSpectrum",
                    "outliers must be finite, got outliers[" + std::to_string(i) + "] = " +
                        detail::format_double(b.outliers[static_cast<std::size_t>(i)]));
    v[b.size - n_out + i] = b.outliers[static_cast<std::size_t>(i)];
  }
  return detail::sorted(std::move(v));
}

/// A named block drawn from a specification with its own seed.
inline BlockSpectrum block_spectrum(std::string name, const SpectrumSpec& spec, std::uint64_t seed) {
  return {std::move(name), sample_spectrum(spec, seed)};
}

/// Maps the POOLED eigenvalues of all blocks into [lo, hi] with one affine map
/// x -> lo + (x - min)(hi - lo)/(max - min); min and max are over all blocks, so
/// the blocks keep their relative placement (the paper's construction).
/// Example: `auto blocks = blockspec::map_pooled(raw, 1.0, 5000.0);  // condition number 5000`
inline std::vector<BlockSpectrum> map_pooled(std::vector<BlockSpectrum> blocks, double lo, double hi) {
  const std::string where = "map_pooled";
  detail::require(!blocks.empty(), where, "no blocks given");
  detail::require_range(lo, hi, false, where);
  double mn = std::numeric_limits<double>::infinity(), mx = -mn;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& ev = blocks[i].eigenvalues;
    detail::require(ev.size() > 0, where, "block " + std::to_string(i) + " ('" + blocks[i].name + "') is empty");
    detail::require(ev.allFinite(), where, "block " + std::to_string(i) + " has a non-finite eigenvalue");
    mn = std::min(mn, ev.minCoeff());
    mx = std::max(mx, ev.maxCoeff());
  }
  detail::require(mx > mn, where, "all pooled eigenvalues are equal: the affine map is undefined");
  const double scale = (hi - lo) / (mx - mn);
  for (auto& b : blocks) {
    b.eigenvalues = ((b.eigenvalues.array() - mn) * scale + lo).matrix();
    // Pin the pooled extremes exactly (rounding could otherwise move them by an ulp).
    for (Eigen::Index i = 0; i < b.eigenvalues.size(); ++i) b.eigenvalues[i] = std::clamp(b.eigenvalues[i], lo, hi);
    b.eigenvalues = detail::sorted(std::move(b.eigenvalues));
  }
  return blocks;
}

/// `size` quantiles, at levels (i + 1/2)/size, of the discrete measure with masses
/// `weights` at `nodes` (uniform masses when `weights` is empty). Summarizes a
/// measured spectrum (e.g. SLQ Ritz nodes and weights) as `size` eigenvalues.
/// Example: `auto b = blockspec::quantile_spectrum("attn.q", q.nodes, q.weights, 25);`
inline BlockSpectrum quantile_spectrum(std::string name, const Eigen::VectorXd& nodes, const Eigen::VectorXd& weights,
                                       Eigen::Index size) {
  const std::string where = "quantile_spectrum";
  detail::require(nodes.size() > 0, where, "block '" + name + "' has no nodes (an empty block)");
  detail::require(nodes.allFinite(), where, "block '" + name + "' has a non-finite node");
  detail::require_size(size, where);
  detail::require(weights.size() == 0 || weights.size() == nodes.size(), where,
                  "weights must be empty or have one entry per node (" + std::to_string(nodes.size()) + "), got " +
                      std::to_string(weights.size()));
  std::vector<std::pair<double, double>> pts(static_cast<std::size_t>(nodes.size()));
  double total = 0.0;
  for (Eigen::Index i = 0; i < nodes.size(); ++i) {
    const double w = weights.size() ? weights[i] : 1.0;
    detail::require(std::isfinite(w) && w >= 0.0, where,
                    "weights must be finite and non-negative, got weights[" + std::to_string(i) + "] = " + detail::format_double(w));
    pts[static_cast<std::size_t>(i)] = {nodes[i], w};
    total += w;
  }
  detail::require(total > 0.0, where, "the weights sum to zero");
  std::sort(pts.begin(), pts.end());
  Eigen::VectorXd out(size);
  double cum = 0.0;
  std::size_t j = 0;
  for (Eigen::Index i = 0; i < size; ++i) {
    const double level = (static_cast<double>(i) + 0.5) / static_cast<double>(size) * total;
    while (j + 1 < pts.size() && cum + pts[j].second < level) cum += pts[j++].second;
    out[i] = pts[j].first;
  }
  return {std::move(name), std::move(out)};
}

}  // namespace blockspec
