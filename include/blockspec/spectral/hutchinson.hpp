// blockspec/spectral/hutchinson.hpp — trace estimators that need only products with H: Hutchinson and Hutch++.
//
// Hutchinson: tr(H) ~ (1/P) sum_i v_i' H v_i over P random probes (probes.hpp;
// probe i of seed s is Rng(s, i), the same vectors slq() draws, so the two can
// be compared probe by probe). Unbiased; the variance of one sample is
// 2 sum_{k != l} H_kl^2 for Rademacher probes and 2 |H|_F^2 for Gaussian ones,
// so the relative error decays like 1/sqrt(P). The interval is the Student-t
// one of trace.hpp. Cost: P products with H, done as block products of
// block_size columns (one GEMM for a dense H), plus O(n P).
// Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021): with a budget of m
// products, k = floor(m / 3): Q = orth(H S) for an n-by-k Rademacher sketch S,
// then tr(H) ~ tr(Q' H Q) + (1/k) tr(G' (I - QQ') H (I - QQ') G) for an
// n-by-k Rademacher G. The low-rank part captures the top of the spectrum
// exactly, so for H positive semi-definite the error is O(1/m) instead of
// Hutchinson's O(1/sqrt(m)). It uses 3k products (a remainder of m is
// unused), O(n k^2) for the QR, and holds 3 n-by-k blocks. No confidence
// interval: the two parts are not independent samples.
// The sketch columns are probe streams 0..k-1 (S) and k..2k-1 (G) of the seed.
// Inner products: hutchinson_trace takes the policy (inner_product.hpp) and
// completes the samples of a block of probes in one reduce call. Hutch++ is
// local only: its QR of the sketch would need a distributed QR (CholeskyQR
// or TSQR), which blockspec does not provide.
// References: Hutchinson, Comm. Stat. Simul. Comput. 19 (1990); Meyer et
// al., "Hutch++: optimal stochastic trace estimation", SOSA (2021).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/spectral/probes.hpp>
#include <blockspec/spectral/trace.hpp>

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// Options of hutchinson_trace(); validated once, errors name the field.
struct HutchinsonOptions {
  int probes = 100;
  Probe probe = Probe::rademacher;
  std::uint64_t seed = 0;
  /// Probes multiplied per block product (apply_block); the estimate does not depend on it beyond rounding.
  int block_size = 16;
  double confidence = 0.95;

  void validate(const std::string& where = "hutchinson_trace") const {
    detail::require(probes > 0, where, "probes must be positive, got " + std::to_string(probes));
    detail::require(block_size > 0, where, "block_size must be positive, got " + std::to_string(block_size));
    detail::require(probe == Probe::rademacher || probe == Probe::gaussian || probe == Probe::sphere, where,
                    "probe is not a Probe value, got " + std::to_string(static_cast<int>(probe)));
    detail::require(std::isfinite(confidence) && confidence > 0.0 && confidence < 1.0, where,
                    "confidence must be in (0, 1), got " + detail::format_double(confidence));
  }
};

namespace detail {
template <class M>
void require_finite_block(const M& Y, const char* where, int first_probe) {
  for (Eigen::Index c = 0; c < Y.cols(); ++c)
    if (!Y.col(c).allFinite())
      throw numerical_error(std::string(where) + ": the operator returned a non-finite value (NaN or Inf) for probe " +
                            std::to_string(first_probe + static_cast<int>(c)));
}
}  // namespace detail

/// Hutchinson's estimate of tr(H): mean of v_i' H v_i with a Student-t interval.
/// Example:
///   auto t = blockspec::hutchinson_trace(H, {.probes = 200, .seed = 3});
///   // t.value, t.ci_low, t.ci_high
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
Estimate hutchinson_trace(Op&& op, const HutchinsonOptions& options = {}, const IP& ip = {}) {
  using S = operator_scalar_t<Op>;
  static_assert(InnerProductPolicy<IP>, "hutchinson_trace: IP must provide reduce(std::span<double>)");
  options.validate();
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  detail::require(n > 0, "hutchinson_trace", "the operator's rows() must be positive, got " + std::to_string(n));
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(options.probes));
  for (int first = 0; first < options.probes; first += options.block_size) {
    const int b = std::min(options.block_size, options.probes - first);
    MatrixX<S> V(n, b), Y(n, b);
    for (int c = 0; c < b; ++c)
      V.col(c) = draw_probe<S>(options.probe, n, options.seed, static_cast<std::uint64_t>(first + c)).vector;
    detail::apply_block(op, V, Y);
    detail::require_finite_block(Y, "hutchinson_trace", first);
    detail::Reduction red;  // the block's b samples v' H v, completed in one reduce call
    for (int c = 0; c < b; ++c) red.push(detail::local_dot<S>(V.col(c), Y.col(c)));
    red.reduce(ip);
    for (int c = 0; c < b; ++c) samples.push_back(red[static_cast<std::size_t>(c)]);
  }
  return estimate_from_samples(samples, options.confidence);
}

/// The Hutch++ estimate of tr(H) and what it cost.
struct HutchPlusPlusResult {
  double value = 0.0;
  std::int64_t matvecs = 0;  ///< 3 * sketch_size <= the budget
  int sketch_size = 0;       ///< k = floor(budget / 3): columns of S and of G
};

/// Hutch++ with a budget of `matvecs` products with H (at least 3); see the file comment.
/// Example: `double t = blockspec::hutch_plus_plus(H, 300, 42).value;`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
HutchPlusPlusResult hutch_plus_plus(Op&& op, std::int64_t matvecs, std::uint64_t seed = 0) {
  using S = operator_scalar_t<Op>;
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  detail::require(n > 0, "hutch_plus_plus", "the operator's rows() must be positive, got " + std::to_string(n));
  detail::require(matvecs >= 3, "hutch_plus_plus",
                  "the matvec budget must be >= 3 (three blocks of products), got " + std::to_string(matvecs));
  const Eigen::Index k = std::min<Eigen::Index>(static_cast<Eigen::Index>(matvecs / 3), n);
  MatrixX<S> Sk(n, k), G(n, k), Y(n, k);
  for (Eigen::Index c = 0; c < k; ++c) {
    Sk.col(c) = draw_probe<S>(Probe::rademacher, n, seed, static_cast<std::uint64_t>(c)).vector;
    G.col(c) = draw_probe<S>(Probe::rademacher, n, seed, static_cast<std::uint64_t>(k + c)).vector;
  }
  detail::apply_block(op, Sk, Y);
  detail::require_finite_block(Y, "hutch_plus_plus", 0);
  // Orthonormal basis of range(H S), in double.
  const Eigen::MatrixXd Yd = Y.template cast<double>();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(Yd);
  const Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(n, k);
  MatrixX<S> Qs = Q.template cast<S>();
  detail::apply_block(op, Qs, Y);
  detail::require_finite_block(Y, "hutch_plus_plus", 0);
  const double low_rank = (Q.transpose() * Y.template cast<double>()).trace();
  // Deflated Hutchinson on (I - QQ') G.
  const Eigen::MatrixXd Gd = G.template cast<double>();
  const Eigen::MatrixXd Gp = Gd - Q * (Q.transpose() * Gd);
  MatrixX<S> Gs = Gp.template cast<S>();
  detail::apply_block(op, Gs, Y);
  detail::require_finite_block(Y, "hutch_plus_plus", 0);
  const double rest = (Gp.transpose() * Y.template cast<double>()).trace() / static_cast<double>(k);
  return {.value = low_rank + rest, .matvecs = 3 * static_cast<std::int64_t>(k), .sketch_size = static_cast<int>(k)};
}

}  // namespace blockspec
