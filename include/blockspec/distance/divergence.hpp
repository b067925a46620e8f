// blockspec/distance/divergence.hpp — Kullback–Leibler and Jensen–Shannon between spectral densities.
//
// Conventions (every function here): natural logarithm; the arguments are
// probability distributions on a common finite support, either
//   * plain probability vectors p, q (std::span<const double>): equal, non-zero
//     length, finite, non-negative, each summing to 1 within 1e-12 * n; or
//   * two Densities on the same Grid (same kind, bitwise-equal parameters),
//     which act through their discrete measures m_g = weight_g * value_g
//     (the grid's own quadrature weights; they sum to 1 by construction and
//     are renormalized by their sum to remove rounding). Different grids are
//     an error: resample one explicitly (distance/resample.hpp).
//   KL(p || q) = sum_i p_i log(p_i / q_i), with 0 log(0/q) = 0 and
//              p_i log(p_i / 0) = +inf for p_i > 0: +inf is a legitimate
//              value (p is not absolutely continuous w.r.t. q), not an error.
//              Note that kernel densities with a truncated kernel (Gaussian:
//              zero beyond its support radius) can be exactly 0 on parts of
//              the grid, so KL between two of them is often +inf.
//   JS(p, q) = 1/2 sum_i [p_i log(2 p_i / (p_i + q_i)) + q_i log(2 q_i / (p_i + q_i))],
//              in [0, ln 2]: 0 iff p = q, ln 2 iff the supports are disjoint.
//              Each log is evaluated as log1p(+-(p_i - q_i) / (p_i + q_i))
//              when p_i and q_i are within a factor 3 (accurate when p_i ~ q_i),
//              else as ln 2 + log x - log(p_i + q_i) (finite for every x > 0,
//              even a denormal one), and never through the mixture
//              m = (p + q) / 2 (whose logarithm loses everything when both
//              values underflow in Gaussian tails). Terms are summed with
//              Neumaier compensation; the result is clamped to [0, ln 2]
//              against rounding (the error is a few ulps of ln 2).
//   js_distance = sqrt(JS): a metric (Endres & Schindelin 2003), in [0, sqrt(ln 2)].
//   The paper-convention "JS0" on raw density values is not here: it is in
//              the lab component (lab/paper_js.hpp, blockspec::lab::js_divergence_raw).
// Cost: O(n) each. References: Lin, "Divergence measures based on the
// Shannon entropy", IEEE Trans. Inf. Theory 37 (1991); Endres & Schindelin,
// "A new metric for probability distributions", IEEE Trans. Inf. Theory 49 (2003).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/spectral/density.hpp>
#include <blockspec/spectral/grid.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <span>
#include <string>

namespace blockspec {

namespace detail {

/// Neumaier-compensated sum.
struct CompensatedSum {
  double s = 0.0, c = 0.0;
  void add(double x) {
    const double t = s + x;
    if (std::abs(s) >= std::abs(x)) c += (s - t) + x;
    else c += (x - t) + s;
    s = t;
  }
  double value() const { return s + c; }
};

/// Checks that p is a probability vector: non-empty, finite, >= 0, sum 1 within 1e-12 n.
inline void check_probability(std::span<const double> p, const char* where, const char* name) {
  require(!p.empty(), where, std::string(name) + " is empty");
  CompensatedSum sum;
  for (std::size_t i = 0; i < p.size(); ++i) {
    require(std::isfinite(p[i]), where, std::string(name) + "[" + std::to_string(i) + "] is not finite");
    require(p[i] >= 0.0, where,
            std::string(name) + "[" + std::to_string(i) + "] is negative (" + format_double(p[i]) + ")");
    sum.add(p[i]);
  }
  const double tol = 1e-12 * static_cast<double>(p.size());
  require(std::abs(sum.value() - 1.0) <= tol, where,
          std::string(name) + " sums to " + format_double(sum.value()) + ", not 1 (tolerance " + format_double(tol) + ")");
}

inline void check_pair(std::span<const double> p, std::span<const double> q, const char* where) {
  check_probability(p, where, "p");
  check_probability(q, where, "q");
  require(p.size() == q.size(), where,
          "p and q have different lengths (" + std::to_string(p.size()) + " and " + std::to_string(q.size()) + ")");
}

/// Checks two densities share a grid and returns nothing; names `where`.
inline void check_same_grid(const Density& a, const Density& b, const char* where) {
  require(!a.empty(), where, "the first density is empty");
  require(!b.empty(), where, "the second density is empty");
  require(a.grid().same_as(b.grid()), where,
          "the densities are on different grids (" + a.grid().describe() + " vs " + b.grid().describe() +
              "); resample one onto the other's grid with blockspec::resample(density, grid)");
}

/// The discrete measure weight_g * value_g of a density, renormalized to sum exactly (up to rounding) to 1.
inline Eigen::VectorXd normalized_masses(const Density& d) {
  Eigen::VectorXd m = d.masses();
  CompensatedSum s;
  for (Eigen::Index i = 0; i < m.size(); ++i) s.add(m[i]);
  BLOCKSPEC_ASSERT(s.value() > 0.0);
  m /= s.value();
  return m;
}

inline std::span<const double> as_span(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

/// KL without validation.
inline double kl_unchecked(std::span<const double> p, std::span<const double> q) {
  CompensatedSum s;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0.0) continue;
    if (q[i] == 0.0) return std::numeric_limits<double>::infinity();
    s.add(p[i] * (std::log(p[i]) - std::log(q[i])));
  }
  return std::max(0.0, s.value());  // KL >= 0 (Gibbs); rounding can give -ulp
}

/// The JS sum 1/2 sum [p log(2p/(p+q)) + q log(2q/(p+q))] without validation or clamping.
inline double js_sum(std::span<const double> p, std::span<const double> q) {
  CompensatedSum s;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double a = p[i], b = q[i];
    const double t = a + b;
    if (t == 0.0) continue;
    const double d = (a - b) / t;  // 2a/(a+b) = 1 + d, 2b/(a+b) = 1 - d
    if (std::abs(d) <= 0.5) {
      // a ~ b: log1p of the exactly-formed small relative difference keeps full precision.
      s.add(0.5 * a * std::log1p(d));
      s.add(0.5 * b * std::log1p(-d));
    } else {
      // Far apart: log(2x/t) = ln 2 + log x - log t, finite for every x > 0 (no quotient
      // that could underflow to 0, no mixture), relative error a few ulps.
      const double lt = std::log(t);
      if (a > 0.0) s.add(0.5 * a * (std::numbers::ln2 + std::log(a) - lt));
      if (b > 0.0) s.add(0.5 * b * (std::numbers::ln2 + std::log(b) - lt));
    }
  }
  return s.value();
}

inline double js_clamped(std::span<const double> p, std::span<const double> q) {
  return std::clamp(js_sum(p, q), 0.0, std::numbers::ln2);
}

}  // namespace detail

/// KL(p || q) = sum_i p_i ln(p_i / q_i) of two probability vectors; +inf when some q_i = 0 < p_i.
/// Example: `double d = blockspec::kl_divergence(std::span<const double>(p), std::span<const double>(q));`
inline double kl_divergence(std::span<const double> p, std::span<const double> q) {
  detail::check_pair(p, q, "kl_divergence");
  return detail::kl_unchecked(p, q);
}

/// KL between the discrete measures (weight x value) of two densities on the same grid; may be +inf.
/// Example: `double d = blockspec::kl_divergence(density_a, density_b);`
inline double kl_divergence(const Density& p, const Density& q) {
  detail::check_same_grid(p, q, "kl_divergence");
  const Eigen::VectorXd a = detail::normalized_masses(p), b = detail::normalized_masses(q);
  return detail::kl_unchecked(detail::as_span(a), detail::as_span(b));
}

/// Jensen–Shannon divergence (natural log, in [0, ln 2]) of two probability vectors.
/// Example: `double js = blockspec::js_divergence(std::span<const double>(p), std::span<const double>(q));`
inline double js_divergence(std::span<const double> p, std::span<const double> q) {
  detail::check_pair(p, q, "js_divergence");
  return detail::js_clamped(p, q);
}

/// Jensen–Shannon divergence (natural log, in [0, ln 2]) of the discrete measures
/// weight x value of two densities on the same grid.
/// Example: `double js = blockspec::js_divergence(density_a, density_b);`
inline double js_divergence(const Density& p, const Density& q) {
  detail::check_same_grid(p, q, "js_divergence");
  const Eigen::VectorXd a = detail::normalized_masses(p), b = detail::normalized_masses(q);
  return detail::js_clamped(detail::as_span(a), detail::as_span(b));
}

/// Jensen–Shannon distance sqrt(js_divergence): a metric, in [0, sqrt(ln 2)].
/// Example: `double d = blockspec::js_distance(std::span<const double>(p), std::span<const double>(q));`
inline double js_distance(std::span<const double> p, std::span<const double> q) {
  return std::sqrt(js_divergence(p, q));
}

/// Jensen–Shannon distance sqrt(js_divergence) of two densities on the same grid.
/// Example: `double d = blockspec::js_distance(density_a, density_b);`
inline double js_distance(const Density& p, const Density& q) { return std::sqrt(js_divergence(p, q)); }

}  // namespace blockspec
