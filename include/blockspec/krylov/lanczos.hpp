// blockspec/krylov/lanczos.hpp — the symmetric Lanczos process on any LinearOperator.
//
// Method: from v_0 = start / |start|, the three-term recurrence
//   beta_j v_{j+1} = H v_j - alpha_j v_j - beta_{j-1} v_{j-1}
// builds an orthonormal basis of the Krylov space and the tridiagonal
// T = tridiag(beta, alpha, beta) whose eigenvalues (Ritz values) approximate
// H's extreme eigenvalues and whose Gauss quadrature (krylov/quadrature.hpp)
// integrates f against the spectral measure of H seen from v_0.
// Reorthogonalization:
//   full     classical Gram–Schmidt twice against the whole basis, as two
//            BLAS-2 products per pass: orthogonality at rounding level.
//   partial  Simon's omega recurrence estimates the loss of orthogonality and
//            reorthogonalizes (twice, on two consecutive vectors) only when it
//            passes sqrt(eps): semi-orthogonality, which keeps T exact to
//            rounding (Simon 1984).
//   none     the plain recurrence (as the paper does), with three vectors of
//            memory; ghost copies of converged Ritz values appear, which are
//            harmless for quadrature but not for counting eigenvalues. With
//            the default inner product a step is two fused passes over the
//            vectors besides the product (8 vector reads and writes, not 11).
// Cost: m products with H, plus O(n m) flops (none), O(n m^2) (full), and in
// between for partial; memory 3n (none) or n m (partial, full, keep_basis).
// An invariant subspace (beta_j <= tol * |H| estimate) ends the run early with
// status invariant_subspace: not an error, the quadrature is then exact.
// alpha, beta and every reduction are in double; vectors are in the
// operator's scalar (float or double).
// References: Lanczos (1950); Paige (1976); H. D. Simon, "The Lanczos algorithm
// with partial reorthogonalization", Math. Comp. 42 (1984); Golub & Meurant,
// "Matrices, Moments and Quadrature" (2010).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/detail/huge_pages.hpp>
#include <blockspec/krylov/detail/partial_reorthogonalization.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/operator/concepts.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

enum class Reorthogonalization { none, partial, full };

/// How a Lanczos run ended.
enum class LanczosStatus {
  completed,           ///< all requested steps were taken
  invariant_subspace,  ///< beta fell below the breakdown tolerance: the Krylov space is invariant
  cancelled            ///< the progress callback asked to stop; the steps so far are valid
};

inline const char* to_string(LanczosStatus s) noexcept {
  switch (s) {
    case LanczosStatus::completed: return "completed";
    case LanczosStatus::invariant_subspace: return "invariant_subspace";
    case LanczosStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

inline const char* to_string(Reorthogonalization r) noexcept {
  switch (r) {
    case Reorthogonalization::none: return "none";
    case Reorthogonalization::partial: return "partial";
    case Reorthogonalization::full: return "full";
  }
  return "unknown";
}

/// Options of lanczos(); validated once, errors name the field.
struct LanczosOptions {
  /// Steps (products with H) to take; clamped to n (the result says so).
  int steps = 100;
  Reorthogonalization reorth = Reorthogonalization::full;
  /// Return the n-by-steps basis V in the result.
  bool keep_basis = false;
  /// Breakdown when beta_j <= tol * max_i |H v_i|; 0 means sqrt(eps) of the operator's scalar.
  double breakdown_tolerance = 0.0;
  /// Called after each step with the number of steps done; return false to stop (status cancelled).
  std::function<bool(int)> progress{};

  void validate(const std::string& where = "lanczos") const {
    detail::require(steps > 0, where, "steps must be positive, got " + std::to_string(steps));
    detail::require(std::isfinite(breakdown_tolerance) && breakdown_tolerance >= 0.0, where,
                    "breakdown_tolerance must be finite and >= 0 (0 = automatic)");
  }
};

/// The tridiagonal T of a Lanczos run, and how the run went.
template <class S>
struct LanczosResult {
  Eigen::VectorXd alpha;  ///< diagonal of T, length steps
  Eigen::VectorXd beta;   ///< beta[j] couples v_j and v_{j+1}; T uses beta[0..steps-2], beta[steps-1] is the final residual norm
  int steps = 0;          ///< steps taken (the order of T)
  int requested_steps = 0;
  bool steps_clamped = false;  ///< the request exceeded n and was clamped to n
  std::int64_t matvecs = 0;    ///< products with H
  LanczosStatus status = LanczosStatus::completed;
  double start_norm = 0.0;      ///< |start|, before normalization
  double norm_estimate = 0.0;   ///< max_j |H v_j|, a lower bound on |H|
  int reorthogonalizations = 0; ///< vectors that were reorthogonalized (partial, full)
  MatrixX<S> basis;             ///< n-by-steps, orthonormal columns, when keep_basis
};

namespace detail {

/// w -= V (V' w), twice (classical Gram–Schmidt with reorthogonalization, BLAS-2 shaped).
template <class S, class IP>
void gram_schmidt_twice(const Eigen::Ref<const MatrixX<S>>& V, Eigen::Ref<VectorX<S>> w, VectorX<S>& h,
                        const IP& ip) {
  h.resize(V.cols());
  for (int pass = 0; pass < 2; ++pass) {
    ip.template project<S>(V, w, h);
    w.noalias() -= V * h;
  }
}

/// One step of the plain three-term recurrence in two passes over the vectors. On entry u holds
/// v_j / inv (unnormalized), vp holds v_{j-1} (zero at the first step) and w holds H u. Pass one
/// gives alpha = <v_j, H v_j - beta_prev v_{j-1}> from <u, w> and <u, vp>; pass two writes
/// v_j = inv u into u and w = H v_j - alpha v_j - beta_prev v_{j-1} into w, accumulating |w|^2.
/// Returns alpha; beta = |w| goes to `beta`. Sums in double, four accumulators each.
template <class S>
double fused_recurrence(Eigen::Ref<VectorX<S>> u, const Eigen::Ref<const VectorX<S>>& vp, Eigen::Ref<VectorX<S>> w,
                        double inv, double beta_prev, double& beta) {
  const Eigen::Index n = u.size();
  S* up = u.data();
  S* wp = w.data();
  const S* pp = vp.data();
  double d1[4] = {0, 0, 0, 0}, d2[4] = {0, 0, 0, 0};
  Eigen::Index i = 0;
  for (; i + 4 <= n; i += 4)
    for (int t = 0; t < 4; ++t) {
      d1[t] += static_cast<double>(up[i + t]) * static_cast<double>(wp[i + t]);
      d2[t] += static_cast<double>(up[i + t]) * static_cast<double>(pp[i + t]);
    }
  for (; i < n; ++i) {
    d1[0] += static_cast<double>(up[i]) * static_cast<double>(wp[i]);
    d2[0] += static_cast<double>(up[i]) * static_cast<double>(pp[i]);
  }
  const double uw = (d1[0] + d1[1]) + (d1[2] + d1[3]);
  const double uv = (d2[0] + d2[1]) + (d2[2] + d2[3]);
  const double alpha = uw * inv * inv - beta_prev * uv * inv;
  const S s = static_cast<S>(inv), a = static_cast<S>(alpha), b = static_cast<S>(beta_prev);
  double q[4] = {0, 0, 0, 0};
  i = 0;
  for (; i + 4 <= n; i += 4)
    for (int t = 0; t < 4; ++t) {
      const S v = up[i + t] * s;
      const S r = wp[i + t] * s - a * v - b * pp[i + t];
      up[i + t] = v;
      wp[i + t] = r;
      q[t] += static_cast<double>(r) * static_cast<double>(r);
    }
  for (; i < n; ++i) {
    const S v = up[i] * s;
    const S r = wp[i] * s - a * v - b * pp[i];
    up[i] = v;
    wp[i] = r;
    q[0] += static_cast<double>(r) * static_cast<double>(r);
  }
  beta = std::sqrt((q[0] + q[1]) + (q[2] + q[3]));
  return alpha;
}

[[noreturn]] inline void throw_non_finite(int step) {
  throw numerical_error("lanczos: the operator returned a non-finite value (NaN or Inf) at step " +
                        std::to_string(step));
}

}  // namespace detail

namespace detail {

/// The engine's vectors, kept between runs by a caller that runs many (slq keeps one per
/// thread): a run of the same shape reuses the memory, whose pages are already touched.
template <class S>
struct LanczosWorkspace {
  MatrixX<S> V, Vprev, Vcur, W, Xs, Ws;
  VectorX<S> h;
};

/// The Lanczos engine shared by lanczos() (k = 1) and batched_lanczos():
/// k independent recurrences in lockstep, one per column of `starts`.
/// Per step: one apply_block on the active columns when Op is batched (one
/// apply per column otherwise, or when a single column is active), then each
/// column's own recurrence, reorthogonalization and breakdown test. A column
/// that breaks down drops out of the products. Vectors live in one n-by-(m k)
/// allocation, step-major (v_j of column c is column j k + c, so the block of
/// a step is contiguous for apply_block and each column's basis is a strided
/// view) when a basis is stored, or in three n-by-k blocks otherwise. `single` selects the messages
/// of lanczos() ("start vector", "at step j"). `workspace` (optional) holds the vectors.
template <class Op, class IP>
std::vector<LanczosResult<operator_scalar_t<Op>>> lanczos_engine(
    Op& op, const Eigen::Ref<const MatrixX<operator_scalar_t<Op>>>& starts, const LanczosOptions& options,
    const IP& ip, const std::string& where, bool single,
    LanczosWorkspace<operator_scalar_t<Op>>* workspace = nullptr) {
  using S = operator_scalar_t<Op>;
  options.validate(where);
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  const Eigen::Index k = starts.cols();
  detail::require(n > 0, where, "the operator's rows() must be positive, got " + std::to_string(n));
  detail::require(k > 0, where, "starts must have at least one column");
  auto name = [&](Eigen::Index c) { return single ? std::string("start vector") : "start column " + std::to_string(c); };
  detail::require(starts.rows() == n, where,
                  (single ? std::string("start vector has length ") : "starts have " ) + std::to_string(starts.rows()) +
                      (single ? "" : " rows") + " but the operator has " + std::to_string(n) + " rows");

  const int m = static_cast<int>(std::min<Eigen::Index>(options.steps, n));
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const double tol = options.breakdown_tolerance > 0.0 ? options.breakdown_tolerance : std::sqrt(eps);
  const Reorthogonalization reorth = options.reorth;
  const bool store = options.keep_basis || reorth != Reorthogonalization::none;

  std::vector<LanczosResult<S>> results(static_cast<std::size_t>(k));
  std::vector<double> anorm(static_cast<std::size_t>(k), 0.0);
  std::vector<char> active(static_cast<std::size_t>(k), 1);
  for (Eigen::Index c = 0; c < k; ++c) {
    const double start_norm = std::sqrt(ip.template dot<S>(starts.col(c), starts.col(c)));
    detail::require(std::isfinite(start_norm), where, name(c) + " has a non-finite entry");
    detail::require(start_norm > 0.0, where, name(c) + " is zero");
    LanczosResult<S>& r = results[static_cast<std::size_t>(c)];
    r.requested_steps = options.steps;
    r.steps_clamped = options.steps > n;
    r.start_norm = start_norm;
    r.alpha.resize(m);
    r.beta.resize(m);
  }

  // Workspace, allocated once (or kept by the caller). With a stored basis v_j of column c is
  // V.col(j k + c); otherwise v_{j-1}, v_j of column c are Vprev.col(c), Vcur.col(c).
  // Big arrays get huge pages before their first write (detail/huge_pages.hpp).
  auto fresh = [](MatrixX<S>& a, Eigen::Index rows, Eigen::Index cols) {
    if (a.rows() == rows && a.cols() == cols) return;  // a kept workspace of the same shape
    a.resize(rows, cols);
    advise_huge_pages(a.data(), static_cast<std::size_t>(a.size()) * sizeof(S));
  };
  LanczosWorkspace<S> local;
  LanczosWorkspace<S>& ws = workspace ? *workspace : local;
  MatrixX<S>&V = ws.V, &Vprev = ws.Vprev, &Vcur = ws.Vcur, &W = ws.W, &Xs = ws.Xs, &Ws = ws.Ws;
  VectorX<S>& h = ws.h;
  fresh(W, n, k);
  auto basis_col = [&](Eigen::Index c, int j) { return V.col(static_cast<Eigen::Index>(j) * k + c); };
  // v_0 .. v_{j} of column c: a strided view of V.
  using StridedBasis = Eigen::Map<const MatrixX<S>, 0, Eigen::OuterStride<>>;
  auto basis_of = [&](Eigen::Index c, int j) {
    return StridedBasis(V.data() + c * n, n, j + 1, Eigen::OuterStride<>(k * n));
  };
  if (store) {
    fresh(V, n, static_cast<Eigen::Index>(m) * k);
    for (Eigen::Index c = 0; c < k; ++c)
      basis_col(c, 0) = starts.col(c) / static_cast<S>(results[static_cast<std::size_t>(c)].start_norm);
  } else {
    fresh(Vprev, n, k);
    Vprev.setZero();
    fresh(Vcur, n, k);
    for (Eigen::Index c = 0; c < k; ++c)
      Vcur.col(c) = starts.col(c) / static_cast<S>(results[static_cast<std::size_t>(c)].start_norm);
  }
  // Without a stored basis and with local dot products, each step is two fused passes over its
  // vectors instead of five (detail::fused_recurrence), and v_{j+1} is left unnormalized in Vcur
  // (scale[c] = its norm) until the next step's second pass: eight vector reads and writes per
  // step instead of eleven. A distributed policy keeps the separate reductions.
  constexpr bool local_ip = std::is_same_v<IP, LocalInnerProduct>;
  const bool fused = local_ip && !store;
  std::vector<double> scale(static_cast<std::size_t>(k), 1.0);
  std::vector<PartialReorthogonalization> partial;
  if (reorth == Reorthogonalization::partial) {
    partial.resize(static_cast<std::size_t>(k));
    for (auto& p : partial) p.reset(m, n, eps);
  }

  auto throw_non_finite = [&](Eigen::Index c, int step) {
    if (single) detail::throw_non_finite(step);
    throw numerical_error(where + ": the operator returned a non-finite value (NaN or Inf) in column " +
                          std::to_string(c) + " at step " + std::to_string(step));
  };

  // One product per active column (operators without apply_block, or a single column left).
  auto apply_each = [&](int j) {
    for (Eigen::Index c = 0; c < k; ++c)
      if (active[static_cast<std::size_t>(c)]) {
        if (store)
          detail::apply(op, basis_col(c, j), W.col(c));
        else
          detail::apply(op, Vcur.col(c), W.col(c));
      }
  };

  Eigen::Index n_active = k;
  for (int j = 0; j < m && n_active > 0; ++j) {
    // W = H [v_j of every active column].
    if constexpr (BatchedLinearOperator<std::remove_reference_t<Op>>) {
      if (n_active == k && k > 1) {
        if (store) {
          detail::apply_block(op, V.middleCols(static_cast<Eigen::Index>(j) * k, k), W);
        } else {
          detail::apply_block(op, Vcur, W);
        }
      } else if (n_active > 1) {
        fresh(Xs, n, k);
        fresh(Ws, n, k);
        Eigen::Index s = 0;
        for (Eigen::Index c = 0; c < k; ++c)
          if (active[static_cast<std::size_t>(c)]) {
            if (store)
              Xs.col(s++) = basis_col(c, j);
            else
              Xs.col(s++) = Vcur.col(c);
          }
        detail::apply_block(op, Xs.leftCols(n_active), Ws.leftCols(n_active));
        s = 0;
        for (Eigen::Index c = 0; c < k; ++c)
          if (active[static_cast<std::size_t>(c)]) W.col(c) = Ws.col(s++);
      } else {
        apply_each(j);
      }
    } else {
      apply_each(j);
    }

    // Each column's recurrence.
    for (Eigen::Index c = 0; c < k; ++c) {
      if (!active[static_cast<std::size_t>(c)]) continue;
      LanczosResult<S>& r = results[static_cast<std::size_t>(c)];
      auto w = W.col(c);
      auto vj = [&]() -> Eigen::Ref<const VectorX<S>> {
        if (store) return basis_col(c, j);
        return Vcur.col(c);
      }();
      ++r.matvecs;
      const double beta_prev = j > 0 ? r.beta[j - 1] : 0.0;
      const auto basis = [&] { return basis_of(c, j); };
      double alpha = 0.0, beta = 0.0;
      if (fused) {
        alpha = detail::fused_recurrence<S>(Vcur.col(c), Vprev.col(c), w, 1.0 / scale[static_cast<std::size_t>(c)],
                                            beta_prev, beta);
        if (!std::isfinite(alpha)) throw_non_finite(c, j + 1);
      } else {
        if (j > 0) {
          if (store)
            w -= static_cast<S>(beta_prev) * basis_col(c, j - 1);
          else
            w -= static_cast<S>(beta_prev) * Vprev.col(c);
        }
        alpha = ip.template dot<S>(vj, w);
        if (!std::isfinite(alpha)) throw_non_finite(c, j + 1);
        w -= static_cast<S>(alpha) * vj;
        if (reorth == Reorthogonalization::full) {
          detail::gram_schmidt_twice<S>(basis(), w, h, ip);
          ++r.reorthogonalizations;
        }
        beta = std::sqrt(ip.template dot<S>(w, w));
      }
      r.alpha[j] = alpha;
      if (!std::isfinite(beta)) throw_non_finite(c, j + 1);
      double& an = anorm[static_cast<std::size_t>(c)];
      an = std::max(an, std::sqrt(alpha * alpha + beta * beta + beta_prev * beta_prev));

      if (reorth == Reorthogonalization::partial && j + 1 < m) {
        PartialReorthogonalization& p = partial[static_cast<std::size_t>(c)];
        if (p.must_reorthogonalize(r.alpha, r.beta, j, alpha, beta, beta_prev)) {
          detail::gram_schmidt_twice<S>(basis(), w, h, ip);
          ++r.reorthogonalizations;
          beta = std::sqrt(ip.template dot<S>(w, w));
          p.reorthogonalized(j);
        }
        p.advance();
      }

      r.beta[j] = beta;
      r.steps = j + 1;
      if (beta <= tol * an) {
        r.status = LanczosStatus::invariant_subspace;
        active[static_cast<std::size_t>(c)] = 0;
        --n_active;
      }
    }
    if (n_active == 0) break;
    if (options.progress && !options.progress(j + 1)) {
      for (Eigen::Index c = 0; c < k; ++c)
        if (active[static_cast<std::size_t>(c)]) results[static_cast<std::size_t>(c)].status = LanczosStatus::cancelled;
      break;
    }
    if (j + 1 < m) {
      if (store) {
        for (Eigen::Index c = 0; c < k; ++c)
          if (active[static_cast<std::size_t>(c)])
            basis_col(c, j + 1) = W.col(c) / static_cast<S>(results[static_cast<std::size_t>(c)].beta[j]);
      } else {
        std::swap(Vprev, Vcur);  // Vprev <- v_j
        std::swap(Vcur, W);      // Vcur <- w; W <- old v_{j-1} storage (overwritten next step)
        for (Eigen::Index c = 0; c < k; ++c)
          if (active[static_cast<std::size_t>(c)]) {
            if (fused)
              scale[static_cast<std::size_t>(c)] = results[static_cast<std::size_t>(c)].beta[j];  // normalized next step
            else
              Vcur.col(c) /= static_cast<S>(results[static_cast<std::size_t>(c)].beta[j]);
          }
      }
    }
  }

  for (Eigen::Index c = 0; c < k; ++c) {
    LanczosResult<S>& r = results[static_cast<std::size_t>(c)];
    r.norm_estimate = anorm[static_cast<std::size_t>(c)];
    r.alpha.conservativeResize(r.steps);
    r.beta.conservativeResize(r.steps);
    if (options.keep_basis) {
      if (k == 1) {
        if (r.steps < m) V.conservativeResize(n, r.steps);
        r.basis = std::move(V);
      } else {
        r.basis = basis_of(c, r.steps - 1);
      }
    }
  }
  return results;
}

}  // namespace detail

/// Runs `options.steps` Lanczos steps of `op` from `start` (normalized here; never modified).
/// \param op      any LinearOperator (taken by reference; a non-const apply is fine)
/// \param start   the start vector, length op.rows(), finite and non-zero
/// \param ip      the inner-product policy (default: local dot products)
/// Example:
///   auto r = blockspec::lanczos(H, v, {.steps = 50});
///   auto q = blockspec::gauss_quadrature(r);
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
LanczosResult<operator_scalar_t<Op>> lanczos(Op&& op, const Eigen::Ref<const VectorX<operator_scalar_t<Op>>>& start,
                                             const LanczosOptions& options = {}, const IP& ip = {}) {
  using S = operator_scalar_t<Op>;
  static_assert(InnerProductPolicy<IP, S>, "lanczos: IP must provide dot<S>(x, y) and project<S>(V, x, h)");
  const Eigen::Map<const MatrixX<S>> starts(start.data(), start.size(), 1);
  return std::move(detail::lanczos_engine(op, starts, options, ip, "lanczos", true).front());
}

}  // namespace blockspec
