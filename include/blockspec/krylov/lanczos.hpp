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
// Inner products go through the policy (inner_product.hpp), batched over the
// columns of a batched run: a step makes 2 reduce calls (alpha, |w|) without
// reorthogonalization, 4 with full (alpha, two Gram–Schmidt passes, |w|), and
// with partial 2, plus 3 on a step where some column is reorthogonalized.
// Structure: detail::LanczosEngine runs the phases of a step in order —
// expand (the products), recurrence (alpha, the three-term update, |w|),
// reorthogonalize (full or partial), close (norm estimate, breakdown) and
// advance (the next basis vector) — after the start phase; each is a member
// function with one job. Without a stored basis the recurrence is two fused
// passes over the vectors with lazy normalization (detail::fused_alpha_pass,
// detail::fused_update_pass); with a basis it is the textbook update. Both
// give the same T to rounding (tested).
// An invariant subspace (beta_j <= tol * |H| estimate) ends the run early with
// status invariant_subspace: not an error, the quadrature is then exact.
// alpha, beta and every reduction are in double; vectors are in the
// operator's scalar (float or double).
// References: Lanczos (1950); Paige (1976); H. D. Simon, "The Lanczos algorithm
// with partial reorthogonalization", Math. Comp. 42 (1984); Golub & Meurant,
// "Matrices, Moments and Quadrature" (2010).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
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

namespace detail {
inline bool valid(Reorthogonalization r) noexcept {
  return r == Reorthogonalization::none || r == Reorthogonalization::partial || r == Reorthogonalization::full;
}
}  // namespace detail

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
  /// Threads of the call (executor.hpp): an operator with apply_block(X, Y, Executor&) splits its
  /// block products over them. Results do not depend on it.
  int threads = 1;
  /// Run on this executor instead of one made for the call (then threads must be 1 or its width).
  Executor* executor = nullptr;

  void validate(const std::string& where = "lanczos") const {
    detail::require(steps > 0, where, "steps must be positive, got " + std::to_string(steps));
    detail::require(detail::valid(reorth), where,
                    "reorth is not a Reorthogonalization value, got " + std::to_string(static_cast<int>(reorth)));
    detail::require(std::isfinite(breakdown_tolerance) && breakdown_tolerance >= 0.0, where,
                    "breakdown_tolerance must be finite and >= 0 (0 = automatic), got " +
                        detail::format_double(breakdown_tolerance));
    detail::require(threads > 0, where, "threads must be positive, got " + std::to_string(threads));
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

/// Pass one of a fused step. On entry u holds v_j / inv (unnormalized), vp holds v_{j-1} (zero at
/// the first step) and w holds H u. Returns the local partial sums <u, w> and <u, vp> (double,
/// four accumulators each), from which alpha = <u,w> inv^2 - beta_prev <u,vp> inv.
template <class S>
std::pair<double, double> fused_alpha_pass(const Eigen::Ref<const VectorX<S>>& u, const Eigen::Ref<const VectorX<S>>& vp,
                                           const Eigen::Ref<const VectorX<S>>& w) {
  const Eigen::Index n = u.size();
  const S *up = u.data(), *wp = w.data(), *pp = vp.data();
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
  return {(d1[0] + d1[1]) + (d1[2] + d1[3]), (d2[0] + d2[1]) + (d2[2] + d2[3])};
}

/// Pass two of a fused step: writes v_j = inv u into u and w = H v_j - alpha v_j - beta_prev v_{j-1}
/// into w; returns the local partial sum |w|^2 (double, four accumulators).
template <class S>
double fused_update_pass(Eigen::Ref<VectorX<S>> u, const Eigen::Ref<const VectorX<S>>& vp, Eigen::Ref<VectorX<S>> w,
                         double inv, double alpha, double beta_prev) {
  const Eigen::Index n = u.size();
  S* up = u.data();
  S* wp = w.data();
  const S* pp = vp.data();
  const S s = static_cast<S>(inv), a = static_cast<S>(alpha), b = static_cast<S>(beta_prev);
  double q[4] = {0, 0, 0, 0};
  Eigen::Index i = 0;
  auto one = [&](Eigen::Index r, int t) {
    const S v = up[r] * s;
    const S x = wp[r] * s - a * v - b * pp[r];
    up[r] = v;
    wp[r] = x;
    q[t] += static_cast<double>(x) * static_cast<double>(x);
  };
  for (; i + 4 <= n; i += 4)
    for (int t = 0; t < 4; ++t) one(i + t, t);
  for (; i < n; ++i) one(i, 0);
  return (q[0] + q[1]) + (q[2] + q[3]);
}

/// The engine's vectors, kept between runs by a caller that runs many (slq keeps one per
/// thread): a run of the same shape reuses the memory, whose pages are already touched.
template <class S>
struct LanczosWorkspace {
  MatrixX<S> V, Vprev, Vcur, W, Xs, Ws;
  VectorX<S> h;
};

/// Resizes a work array unless it already has the shape; big arrays get huge pages first.
template <class S>
void fresh_array(MatrixX<S>& a, Eigen::Index rows, Eigen::Index cols) {
  if (a.rows() == rows && a.cols() == cols) return;
  a.resize(rows, cols);
  advise_huge_pages(a.data(), static_cast<std::size_t>(a.size()) * sizeof(S));
}

/// k independent Lanczos recurrences in lockstep, one per column of the start block: the engine
/// of lanczos() (k = 1), batched_lanczos() and slq(). A column that breaks down drops out of the
/// products. With a stored basis v_j of column c is V.col(j k + c) (step-major, so a step's block
/// is contiguous and each column's basis is a strided view); otherwise v_{j-1}, v_j of column c
/// are Vprev.col(c), Vcur.col(c). `single` selects lanczos()'s messages ("start vector").
template <class Op, class IP>
class LanczosEngine {
 public:
  using S = operator_scalar_t<Op>;

  LanczosEngine(Op& op, const IP& ip, const LanczosOptions& options, std::string where, bool single,
                Executor& executor, LanczosWorkspace<S>* workspace)
      : op_(op), ip_(ip), o_(options), where_(std::move(where)), single_(single), ex_(executor),
        ws_(workspace ? *workspace : own_) {}

  std::vector<LanczosResult<S>> run(const Eigen::Ref<const MatrixX<S>>& starts) {
    start(starts);
    if (stored_)
      loop<true>();
    else
      loop<false>();
    return finish();
  }

 private:
  template <bool Stored>
  void loop() {
    for (int j = 0; j < m_ && active_count_ > 0; ++j) {
      expand<Stored>(j);
      recurrence<Stored>(j);
      reorthogonalize(j);
      close_step(j);
      if (active_count_ == 0 || cancelled(j)) break;
      if (j + 1 < m_) advance<Stored>(j);
    }
  }

  // ---- phase: start vectors -----------------------------------------------------------------
  void start(const Eigen::Ref<const MatrixX<S>>& starts) {
    o_.validate(where_);
    n_ = static_cast<Eigen::Index>(op_.rows());
    k_ = starts.cols();
    require(n_ > 0, where_, "the operator's rows() must be positive, got " + std::to_string(n_));
    require(k_ > 0, where_, "starts must have at least one column");
    require(starts.rows() == n_, where_,
            (single_ ? std::string("start vector has length ") : std::string("starts have ")) +
                std::to_string(starts.rows()) + (single_ ? "" : " rows") + " but the operator has " +
                std::to_string(n_) + " rows");
    m_ = static_cast<int>(std::min<Eigen::Index>(o_.steps, n_));
    eps_ = static_cast<double>(std::numeric_limits<S>::epsilon());
    tol_ = o_.breakdown_tolerance > 0.0 ? o_.breakdown_tolerance : std::sqrt(eps_);
    stored_ = o_.keep_basis || o_.reorth != Reorthogonalization::none;
    const std::vector<double> norms = start_norms(starts);
    results_.assign(static_cast<std::size_t>(k_), LanczosResult<S>{});
    for (Eigen::Index c = 0; c < k_; ++c) {
      LanczosResult<S>& r = result(c);
      r.requested_steps = o_.steps;
      r.steps_clamped = o_.steps > n_;
      r.start_norm = norms[static_cast<std::size_t>(c)];
      r.alpha.resize(m_);
      r.beta.resize(m_);
    }
    anorm_.assign(static_cast<std::size_t>(k_), 0.0);
    active_.assign(static_cast<std::size_t>(k_), 1);
    scale_.assign(static_cast<std::size_t>(k_), 1.0);
    active_count_ = k_;
    if (o_.reorth == Reorthogonalization::partial) {
      partial_.assign(static_cast<std::size_t>(k_), PartialReorthogonalization{});
      for (auto& p : partial_) p.reset(m_, n_, eps_);
    }
    place_starts(starts);
  }

  /// |start column c| for every c, in one reduce call; each must be finite and non-zero.
  std::vector<double> start_norms(const Eigen::Ref<const MatrixX<S>>& starts) {
    red_.clear();
    for (Eigen::Index c = 0; c < k_; ++c) red_.push(local_dot<S>(starts.col(c), starts.col(c)));
    red_.reduce(ip_);
    std::vector<double> norms(static_cast<std::size_t>(k_));
    for (Eigen::Index c = 0; c < k_; ++c) {
      const double nc = std::sqrt(red_[static_cast<std::size_t>(c)]);
      require(std::isfinite(nc), where_, column_name(c) + " has a non-finite entry");
      require(nc > 0.0, where_, column_name(c) + " is zero");
      norms[static_cast<std::size_t>(c)] = nc;
    }
    return norms;
  }

  void place_starts(const Eigen::Ref<const MatrixX<S>>& starts) {
    fresh_array(ws_.W, n_, k_);
    if (stored_) {
      fresh_array(ws_.V, n_, static_cast<Eigen::Index>(m_) * k_);
      for (Eigen::Index c = 0; c < k_; ++c) basis_col(c, 0) = starts.col(c) / static_cast<S>(result(c).start_norm);
    } else {
      fresh_array(ws_.Vprev, n_, k_);
      ws_.Vprev.setZero();
      fresh_array(ws_.Vcur, n_, k_);
      for (Eigen::Index c = 0; c < k_; ++c) ws_.Vcur.col(c) = starts.col(c) / static_cast<S>(result(c).start_norm);
    }
  }

  // ---- phase: expand (W = H [v_j of every active column]) -----------------------------------
  template <bool Stored>
  void expand(int j) {
    if constexpr (BatchedLinearOperator<std::remove_reference_t<Op>>) {
      if (active_count_ == k_ && k_ > 1) {
        if constexpr (Stored)
          apply_block(op_, ws_.V.middleCols(static_cast<Eigen::Index>(j) * k_, k_), ws_.W, ex_);
        else
          apply_block(op_, ws_.Vcur, ws_.W, ex_);
        return;
      }
      if (active_count_ > 1) {
        expand_active<Stored>(j);
        return;
      }
    }
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c)) apply(op_, current<Stored>(c, j), ws_.W.col(c));
  }

  /// Some columns have dropped out: gather the active ones into one block product.
  template <bool Stored>
  void expand_active(int j) {
    fresh_array(ws_.Xs, n_, k_);
    fresh_array(ws_.Ws, n_, k_);
    Eigen::Index s = 0;
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c)) ws_.Xs.col(s++) = current<Stored>(c, j);
    apply_block(op_, ws_.Xs.leftCols(active_count_), ws_.Ws.leftCols(active_count_), ex_);
    s = 0;
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c)) ws_.W.col(c) = ws_.Ws.col(s++);
  }

  // ---- phase: recurrence (alpha_j, w = H v_j - alpha_j v_j - beta_{j-1} v_{j-1}, |w|) --------
  template <bool Stored>
  void recurrence(int j) {
    if constexpr (Stored)
      recurrence_stored(j);
    else
      recurrence_fused(j);
  }

  /// Two fused passes per column; one reduce call after each pass, for all columns.
  void recurrence_fused(int j) {
    red_.clear();
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      const auto [uw, uv] = fused_alpha_pass<S>(ws_.Vcur.col(c), ws_.Vprev.col(c), ws_.W.col(c));
      red_.push(uw);
      red_.push(uv);
    }
    red_.reduce(ip_);
    std::size_t slot = 0;
    std::vector<double>& alpha = scratch_;
    alpha.assign(static_cast<std::size_t>(k_), 0.0);
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      const double inv = 1.0 / scale_[static_cast<std::size_t>(c)];
      alpha[static_cast<std::size_t>(c)] = red_[slot] * inv * inv - beta_prev(c, j) * red_[slot + 1] * inv;
      slot += 2;
      check_finite(alpha[static_cast<std::size_t>(c)], c, j);
    }
    red_.clear();
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c))
        red_.push(fused_update_pass<S>(ws_.Vcur.col(c), ws_.Vprev.col(c), ws_.W.col(c),
                                       1.0 / scale_[static_cast<std::size_t>(c)], alpha[static_cast<std::size_t>(c)],
                                       beta_prev(c, j)));
    red_.reduce(ip_);
    store_alpha_beta(j, alpha);
  }

  /// The textbook update against the stored basis; one reduce call for alpha, one for |w|.
  void recurrence_stored(int j) {
    red_.clear();
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      auto w = ws_.W.col(c);
      if (j > 0) w -= static_cast<S>(beta_prev(c, j)) * basis_col(c, j - 1);
      red_.push(local_dot<S>(basis_col(c, j), w));
    }
    red_.reduce(ip_);
    std::vector<double>& alpha = scratch_;
    alpha.assign(static_cast<std::size_t>(k_), 0.0);
    std::size_t slot = 0;
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      const double a = red_[slot++];
      check_finite(a, c, j);
      alpha[static_cast<std::size_t>(c)] = a;
      ws_.W.col(c) -= static_cast<S>(a) * basis_col(c, j);
    }
    if (o_.reorth == Reorthogonalization::full) gram_schmidt_twice(j, every);
    squared_norms(every);
    store_alpha_beta(j, alpha);
  }

  /// red_ = |w_c|^2 of the active columns `pick` selects (in column order), reduced in one call.
  template <class Pick>
  void squared_norms(Pick pick) {
    red_.clear();
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c) && pick(c)) red_.push(local_dot<S>(ws_.W.col(c), ws_.W.col(c)));
    red_.reduce(ip_);
  }
  static bool every(Eigen::Index) noexcept { return true; }

  /// alpha from `alpha`, beta = sqrt of the reduced |w|^2 in red_ (in active-column order).
  void store_alpha_beta(int j, const std::vector<double>& alpha) {
    std::size_t slot = 0;
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      LanczosResult<S>& r = result(c);
      ++r.matvecs;
      const double a = alpha[static_cast<std::size_t>(c)], b = std::sqrt(red_[slot++]), bp = beta_prev(c, j);
      check_finite(b, c, j);
      r.alpha[j] = a;
      r.beta[j] = b;
      double& an = anorm_[static_cast<std::size_t>(c)];  // before any reorthogonalization of w
      an = std::max(an, std::sqrt(a * a + b * b + bp * bp));
    }
  }

  // ---- phase: reorthogonalize ---------------------------------------------------------------
  /// w_c -= V_c (V_c' w_c), twice, for the columns `pick` selects: one reduce call per pass.
  template <class Pick>
  void gram_schmidt_twice(int j, Pick pick) {
    for (int pass = 0; pass < 2; ++pass) {
      red_.clear();
      std::vector<std::size_t> first(static_cast<std::size_t>(k_), 0);
      for (Eigen::Index c = 0; c < k_; ++c)
        if (is_active(c) && pick(c)) first[static_cast<std::size_t>(c)] = red_.push_projection<S>(basis_of(c, j), ws_.W.col(c), ws_.h);
      red_.reduce(ip_);
      for (Eigen::Index c = 0; c < k_; ++c) {
        if (!is_active(c) || !pick(c)) continue;
        ws_.h.resize(j + 1);
        red_.read<S>(first[static_cast<std::size_t>(c)], ws_.h);
        ws_.W.col(c).noalias() -= basis_of(c, j) * ws_.h;
      }
    }
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c) && pick(c)) ++result(c).reorthogonalizations;
  }

  /// Partial: Simon's estimates decide, per column, whether w is reorthogonalized (then its
  /// |w| is recomputed: one more reduce call). Full was done inside the recurrence.
  void reorthogonalize(int j) {
    if (o_.reorth != Reorthogonalization::partial || j + 1 >= m_) return;
    std::vector<char> due(static_cast<std::size_t>(k_), 0);
    bool any = false;
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      const LanczosResult<S>& r = result(c);
      due[static_cast<std::size_t>(c)] = partial_[static_cast<std::size_t>(c)].must_reorthogonalize(
          r.alpha, r.beta, j, r.alpha[j], r.beta[j], beta_prev(c, j));
      any = any || due[static_cast<std::size_t>(c)];
    }
    if (any) {
      auto pick = [&](Eigen::Index c) { return due[static_cast<std::size_t>(c)] != 0; };
      gram_schmidt_twice(j, pick);
      squared_norms(pick);
      std::size_t slot = 0;
      for (Eigen::Index c = 0; c < k_; ++c)
        if (is_active(c) && pick(c)) {
          result(c).beta[j] = std::sqrt(red_[slot++]);
          partial_[static_cast<std::size_t>(c)].reorthogonalized(j);
        }
    }
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c)) partial_[static_cast<std::size_t>(c)].advance();
  }

  // ---- phase: close the step (norm estimate, breakdown) -------------------------------------
  void close_step(int j) {
    for (Eigen::Index c = 0; c < k_; ++c) {
      if (!is_active(c)) continue;
      LanczosResult<S>& r = result(c);
      r.steps = j + 1;
      if (r.beta[j] <= tol_ * anorm_[static_cast<std::size_t>(c)]) {
        r.status = LanczosStatus::invariant_subspace;
        active_[static_cast<std::size_t>(c)] = 0;
        --active_count_;
      }
    }
  }

  bool cancelled(int j) {
    if (!o_.progress || o_.progress(j + 1)) return false;
    for (Eigen::Index c = 0; c < k_; ++c)
      if (is_active(c)) result(c).status = LanczosStatus::cancelled;
    return true;
  }

  // ---- phase: advance (the next basis vector) -----------------------------------------------
  template <bool Stored>
  void advance(int j) {
    if constexpr (Stored) {
      for (Eigen::Index c = 0; c < k_; ++c)
        if (is_active(c)) basis_col(c, j + 1) = ws_.W.col(c) / static_cast<S>(result(c).beta[j]);
    } else {
      std::swap(ws_.Vprev, ws_.Vcur);  // Vprev <- v_j
      std::swap(ws_.Vcur, ws_.W);      // Vcur <- w (normalized lazily by the next step); W <- spare
      for (Eigen::Index c = 0; c < k_; ++c)
        if (is_active(c)) scale_[static_cast<std::size_t>(c)] = result(c).beta[j];
    }
  }

  std::vector<LanczosResult<S>> finish() {
    for (Eigen::Index c = 0; c < k_; ++c) {
      LanczosResult<S>& r = result(c);
      r.norm_estimate = anorm_[static_cast<std::size_t>(c)];
      r.alpha.conservativeResize(r.steps);
      r.beta.conservativeResize(r.steps);
      if (!o_.keep_basis) continue;
      if (k_ == 1) {
        if (r.steps < m_) ws_.V.conservativeResize(n_, r.steps);
        r.basis = std::move(ws_.V);
      } else {
        r.basis = basis_of(c, r.steps - 1);
      }
    }
    return std::move(results_);
  }

  // ---- helpers ------------------------------------------------------------------------------
  using StridedBasis = Eigen::Map<const MatrixX<S>, 0, Eigen::OuterStride<>>;
  auto basis_col(Eigen::Index c, int j) { return ws_.V.col(static_cast<Eigen::Index>(j) * k_ + c); }
  /// v_0 .. v_j of column c: a strided view of V.
  StridedBasis basis_of(Eigen::Index c, int j) const {
    return StridedBasis(ws_.V.data() + c * n_, n_, j + 1, Eigen::OuterStride<>(k_ * n_));
  }
  template <bool Stored>
  Eigen::Ref<const VectorX<S>> current(Eigen::Index c, int j) {
    if constexpr (Stored) return basis_col(c, j);
    return ws_.Vcur.col(c);
  }
  LanczosResult<S>& result(Eigen::Index c) { return results_[static_cast<std::size_t>(c)]; }
  bool is_active(Eigen::Index c) const { return active_[static_cast<std::size_t>(c)] != 0; }
  double beta_prev(Eigen::Index c, int j) { return j > 0 ? result(c).beta[j - 1] : 0.0; }
  std::string column_name(Eigen::Index c) const {
    return single_ ? std::string("start vector") : "start column " + std::to_string(c);
  }
  void check_finite(double x, Eigen::Index c, int j) const {
    if (std::isfinite(x)) return;
    if (single_)
      throw numerical_error("lanczos: the operator returned a non-finite value (NaN or Inf) at step " +
                            std::to_string(j + 1));
    throw numerical_error(where_ + ": the operator returned a non-finite value (NaN or Inf) in column " +
                          std::to_string(c) + " at step " + std::to_string(j + 1));
  }

  Op& op_;
  const IP& ip_;
  const LanczosOptions& o_;
  std::string where_;
  bool single_;
  Executor& ex_;
  LanczosWorkspace<S> own_;
  LanczosWorkspace<S>& ws_;
  Eigen::Index n_ = 0, k_ = 0, active_count_ = 0;
  int m_ = 0;
  double eps_ = 0.0, tol_ = 0.0;
  bool stored_ = false;
  std::vector<LanczosResult<S>> results_;
  std::vector<double> anorm_, scale_, scratch_;
  std::vector<char> active_;
  std::vector<PartialReorthogonalization> partial_;
  Reduction red_;
};

/// Runs the engine on `starts` with the executor the options name (or one made for the call).
template <class Op, class IP>
std::vector<LanczosResult<operator_scalar_t<Op>>> lanczos_engine(
    Op& op, const Eigen::Ref<const MatrixX<operator_scalar_t<Op>>>& starts, const LanczosOptions& options,
    const IP& ip, const std::string& where, bool single,
    LanczosWorkspace<operator_scalar_t<Op>>* workspace = nullptr) {
  CallExecutor ex(options.executor, options.threads, where);
  LanczosEngine<Op, IP> engine(op, ip, options, where, single, ex.get(), workspace);
  return engine.run(starts);
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
  static_assert(InnerProductPolicy<IP>, "lanczos: IP must provide reduce(std::span<double>) (krylov/inner_product.hpp)");
  const Eigen::Map<const MatrixX<S>> starts(start.data(), start.size(), 1);
  return std::move(detail::lanczos_engine(op, starts, options, ip, "lanczos", true).front());
}

}  // namespace blockspec
