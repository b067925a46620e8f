// blockspec/lab/paper_js.hpp — the paper's "JS0": the Jensen–Shannon formula on raw density values.
//
// Lab component (blockspec::lab): only for comparing with published numbers, not core API.
// js_divergence_raw(a, b) applies the JS formula of distance/divergence.hpp (natural log,
// the same accurate per-term evaluation and compensated sum) to the raw values a, b — or to
// a.values(), b.values() of two Densities on the same grid — without grid weights and without
// normalizing them to sum to 1. It depends on the grid (for a linear grid of spacing h it is
// about js_divergence / h) and is NOT a bounded divergence: it can exceed ln 2. The JS0 numbers
// of Zhang et al. (2024) exceed ln 2, which this convention reproduces; the core
// js_divergence / js_distance (distance/divergence.hpp) are the grid-independent quantities.
// Cost: O(n). Reference: Zhang et al., "Why Transformers Need Adam: A Hessian Perspective",
// NeurIPS 2024, sec. 3 (JS0 between blockwise spectra).
#pragma once

#include <blockspec/distance/divergence.hpp>
#include <blockspec/error.hpp>
#include <blockspec/spectral/density.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

namespace blockspec::lab {

/// The JS formula on raw non-negative values (no weights, no normalization; see the file
/// comment). Grid-dependent and unbounded: only for comparing with the paper's JS0 numbers.
/// Example: `double js0_like = blockspec::lab::js_divergence_raw(std::span<const double>(a), std::span<const double>(b));`
inline double js_divergence_raw(std::span<const double> a, std::span<const double> b) {
  const char* where = "js_divergence_raw";
  detail::require(!a.empty(), where, "the first vector is empty");
  detail::require(a.size() == b.size(), where,
                  "the vectors have different lengths (" + std::to_string(a.size()) + " and " +
                      std::to_string(b.size()) + ")");
  for (std::size_t i = 0; i < a.size(); ++i) {
    detail::require(std::isfinite(a[i]) && a[i] >= 0.0, where,
                    "a[" + std::to_string(i) + "] must be finite and >= 0, got " + blockspec::detail::format_double(a[i]));
    detail::require(std::isfinite(b[i]) && b[i] >= 0.0, where,
                    "b[" + std::to_string(i) + "] must be finite and >= 0, got " + blockspec::detail::format_double(b[i]));
  }
  return std::max(0.0, detail::js_sum(a, b));
}

/// The JS formula on the raw density values of two densities on the same grid (grid-dependent;
/// for a linear grid of spacing h it is about js_divergence / h). Only for the paper's JS0.
/// Example: `double js0_like = blockspec::lab::js_divergence_raw(density_a, density_b);`
inline double js_divergence_raw(const Density& a, const Density& b) {
  detail::check_same_grid(a, b, "js_divergence_raw");
  return std::max(0.0, detail::js_sum(detail::as_span(a.values()), detail::as_span(b.values())));
}

}  // namespace blockspec::lab
