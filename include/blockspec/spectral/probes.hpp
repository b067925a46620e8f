// blockspec/spectral/probes.hpp — random probe vectors for stochastic trace and density estimation.
//
// Probe i of a run with seed s is drawn from its own stream Rng(s, i), so it is
// the same vector whatever the thread count, the batch size or the order in
// which probes run. Three distributions, each with the scale factor that makes
// scale * u' f(H) u (u = v / |v|, the Lanczos start vector) an unbiased sample
// of tr f(H):
//   rademacher  v_k = +-1 with equal probability;  scale = n (= |v|^2).
//               Lowest variance of the three for a fixed diagonal:
//               Var[v'Av] = 2 sum_{k != l} A_kl^2 (Hutchinson 1990).
//   gaussian    v_k ~ N(0, 1);  scale = |v|^2, so scale * u'f(H)u = v'f(H)v,
//               Var = 2 |A|_F^2.
//   sphere      v uniform on the sphere of radius sqrt(n) (a normalized
//               Gaussian);  scale = n,  Var = 2 (n |A|_F^2 - tr(A)^2) / (n + 2).
// Random numbers are drawn in double and rounded to the operator's scalar.
// Counter-based probes (draw_probe_rows): element k (a global row index) of
// probe i is a function of (seed, i, k) alone (counter_bits, random.hpp), so a
// process holding rows [first, first + rows) of a vector split by rows draws
// only those: Rademacher = the top bit of counter_bits(seed, i, 2k); Gaussian
// = Box-Muller sqrt(-2 ln u1) cos(2 pi u2) on the uniforms of
// counter_bits(seed, i, 2k) and (.., 2k + 1). They are a different stream from
// draw_probe's (Marsaglia polar is a rejection method and cannot skip ahead):
// they are used only through an inner-product policy that splits rows
// (draw_probe_for), so single-process results are unchanged.

// Cost: O(n) per probe. Reference: Avron & Toledo, "Randomized algorithms for
// estimating the trace of an implicit symmetric positive semi-definite
// matrix", J. ACM 58 (2011).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/random.hpp>
#include <blockspec/types.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace blockspec {

/// The distribution of SLQ / Hutchinson probe vectors.
enum class Probe { rademacher, gaussian, sphere };

inline const char* to_string(Probe p) noexcept {
  switch (p) {
    case Probe::rademacher: return "rademacher";
    case Probe::gaussian: return "gaussian";
    case Probe::sphere: return "sphere";
  }
  return "unknown";
}

/// A probe vector and the factor that turns u'f(H)u (u = vector/|vector|) into a sample of tr f(H).
template <class S>
struct ProbeVector {
  VectorX<S> vector;
  double scale = 0.0;
};

/// Probe `index` of a run with seed `seed`, of length n, drawn from Rng(seed, index).
/// Example:
///   auto p = blockspec::draw_probe<double>(blockspec::Probe::rademacher, n, 42, 0);
///   double sample = p.vector.dot(H * p.vector);  // unbiased for tr(H)
template <Scalar S>
ProbeVector<S> draw_probe(Probe kind, Eigen::Index n, std::uint64_t seed, std::uint64_t index) {
  detail::require(n > 0, "draw_probe", "the dimension n must be positive, got " + std::to_string(n));
  Rng rng(seed, index);
  ProbeVector<S> p;
  p.vector.resize(n);
  switch (kind) {
    case Probe::rademacher:
      for (Eigen::Index k = 0; k < n; ++k) p.vector[k] = static_cast<S>(rng.rademacher());
      p.scale = static_cast<double>(n);
      break;
    case Probe::gaussian: {
      double sq = 0.0;
      for (Eigen::Index k = 0; k < n; ++k) {
        const S x = static_cast<S>(rng.normal());
        p.vector[k] = x;
        sq += static_cast<double>(x) * static_cast<double>(x);
      }
      p.scale = sq;  // |v|^2 of the vector actually used (after rounding to S)
      break;
    }
    case Probe::sphere: {
      Eigen::VectorXd g(n);
      for (Eigen::Index k = 0; k < n; ++k) g[k] = rng.normal();
      const double norm = g.norm();
      detail::require(norm > 0.0, "draw_probe", "a zero Gaussian vector was drawn (impossible in practice)");
      p.vector = (g * (std::sqrt(static_cast<double>(n)) / norm)).template cast<S>();
      p.scale = static_cast<double>(n);
      break;
    }
    default:
      throw invalid_argument("draw_probe: unknown probe distribution");
  }
  return p;
}

/// Rows [first, first + rows) of the counter-based probe `index` (see the file comment), and the
/// local partial sum of the squares of those entries (after rounding to S). The probe's scale
/// needs the whole vector: n (Rademacher), the sum of every part's squares (Gaussian); a sphere
/// probe is the Gaussian one times sqrt(n) / |g|, which the caller forms from the reduced squares.
template <Scalar S>
VectorX<S> draw_probe_rows(Probe kind, Eigen::Index first, Eigen::Index rows, std::uint64_t seed,
                           std::uint64_t index, double& local_squares) {
  detail::require(first >= 0 && rows > 0, "draw_probe_rows",
                  "need first >= 0 and rows > 0, got first = " + std::to_string(first) + ", rows = " +
                      std::to_string(rows));
  VectorX<S> v(rows);
  local_squares = 0.0;
  constexpr double two_pi = 6.283185307179586476925286766559;
  for (Eigen::Index r = 0; r < rows; ++r) {
    const auto k = static_cast<std::uint64_t>(first + r);
    const std::uint64_t b0 = counter_bits(seed, index, 2 * k);
    double x;
    if (kind == Probe::rademacher) {
      x = (b0 >> 63) ? 1.0 : -1.0;
    } else {
      const double u1 = (static_cast<double>(b0 >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1): log is finite
      const double u2 = static_cast<double>(counter_bits(seed, index, 2 * k + 1) >> 11) * 0x1.0p-53;
      x = std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
    }
    v[r] = static_cast<S>(x);
    local_squares += static_cast<double>(v[r]) * static_cast<double>(v[r]);
  }
  return v;
}

namespace detail {

/// Probe `index` as the inner-product policy wants it: a policy that splits rows draws its part
/// (ip.template draw_probe<S>(kind, rows, seed, index)); any other gets draw_probe's whole vector.
template <Scalar S, class IP>
ProbeVector<S> draw_probe_for(const IP& ip, Probe kind, Eigen::Index rows, std::uint64_t seed, std::uint64_t index) {
  if constexpr (requires { ip.template draw_probe<S>(kind, rows, seed, index); })
    return ip.template draw_probe<S>(kind, rows, seed, index);
  else
    return draw_probe<S>(kind, rows, seed, index);
}

}  // namespace detail
}  // namespace blockspec
