// blockspec/spectral/spectral_quadrature.hpp — the result of stochastic Lanczos quadrature (SLQ).
//
// A SpectralQuadrature holds, for each probe i, the Gauss quadrature
// (nodes theta_ij, weights w_ij, sum_j w_ij = 1) of the spectral measure of H
// seen from the unit start vector u_i, plus the probe's scale factor s_i:
//   s_i * sum_j w_ij f(theta_ij)  is an unbiased sample of tr f(H)
// (exact for polynomials of degree <= 2 steps - 1). The spectral density
// estimate is the plain mean over probes of the discrete measures
// sum_j w_ij delta(x - theta_ij), as in the paper (density.hpp).
// It is produced by slq() (slq.hpp) and consumed by density() (density.hpp)
// and trace_estimate() (trace.hpp); it is plain data and can be built by hand.
// Each probe also keeps its Lanczos tridiagonal (alpha, beta: 2 steps - 1 doubles),
// so that a trace estimate can compare the rules of m and m/2 steps.
#pragma once

#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/spectral/probes.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <vector>

namespace blockspec {

/// How an SLQ run ended.
enum class SlqStatus {
  completed,  ///< every requested probe ran (probes may still have ended early on an invariant subspace)
  cancelled   ///< the progress callback asked to stop; the probes present are valid (see ProbeQuadrature::status)
};

inline const char* to_string(SlqStatus s) noexcept {
  switch (s) {
    case SlqStatus::completed: return "completed";
    case SlqStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

/// The Gauss quadrature of one probe and how its Lanczos run went.
struct ProbeQuadrature {
  Eigen::VectorXd nodes;    ///< Ritz values, ascending
  Eigen::VectorXd weights;  ///< squared first components of T's eigenvectors; sum to 1
  double scale = 0.0;       ///< s_i: n (Rademacher, sphere) or |v|^2 (Gaussian)
  std::uint64_t seed = 0;   ///< the run's seed; the probe was drawn from Rng(seed, stream)
  std::uint64_t stream = 0; ///< the probe's index i
  int steps = 0;            ///< Lanczos steps taken (= nodes.size())
  LanczosStatus status = LanczosStatus::completed;
  std::int64_t matvecs = 0;
  double norm_estimate = 0.0;  ///< max_j |H v_j| seen by this probe (a lower bound on |H|)
  /// The Lanczos tridiagonal T (diagonal alpha, steps entries; off-diagonal beta, steps - 1) whose
  /// eigen-decomposition gave nodes and weights. trace_estimate() forms the Gauss rule of its leading
  /// steps/2 part from them to check the quadrature's convergence; empty for a hand-built quadrature.
  Eigen::VectorXd alpha{};
  Eigen::VectorXd beta{};

  Quadrature quadrature() const { return {nodes, weights}; }
};

/// Per-probe quadratures of an SLQ run (see the file comment).
struct SpectralQuadrature {
  Eigen::Index n = 0;                  ///< the operator's dimension
  std::vector<ProbeQuadrature> probes{};  ///< in probe order 0, 1, ...
  Probe probe = Probe::rademacher;     ///< the probe distribution
  std::uint64_t seed = 0;
  int requested_probes = 0;
  int requested_steps = 0;
  Reorthogonalization reorth = Reorthogonalization::partial;  ///< the Lanczos reorthogonalization used
  bool steps_clamped = false;          ///< the requested steps exceeded n and were clamped to n
  std::int64_t matvecs = 0;            ///< products with H, all probes
  SlqStatus status = SlqStatus::completed;
  /// Machine epsilon of the operator's scalar (float: 1.2e-7); scales singular_tolerance().
  double epsilon = std::numeric_limits<double>::epsilon();

  int size() const noexcept { return static_cast<int>(probes.size()); }
  bool empty() const noexcept { return probes.empty(); }

  /// All probes' nodes as one measure with weights w_ij / probes (sums to 1), in probe order (not sorted).
  Quadrature pooled() const {
    Eigen::Index total = 0;
    for (const auto& p : probes) total += p.nodes.size();
    Quadrature q;
    q.nodes.resize(total);
    q.weights.resize(total);
    Eigen::Index k = 0;
    const double c = probes.empty() ? 0.0 : 1.0 / static_cast<double>(probes.size());
    for (const auto& p : probes) {
      q.nodes.segment(k, p.nodes.size()) = p.nodes;
      q.weights.segment(k, p.nodes.size()) = c * p.weights;
      k += p.nodes.size();
    }
    return q;
  }
};

}  // namespace blockspec
