// blockspec/krylov/eigs.hpp — a few extreme eigenpairs by thick-restart Lanczos with locking.
//
// Method: thick-restart Lanczos (Wu & Simon 2000). A basis of at most ncv
// orthonormal vectors is built by Lanczos steps with full reorthogonalization
// (classical Gram–Schmidt against the locked vectors and the whole active
// basis, repeated only when the first pass cancelled more than 1/sqrt(2) of
// the norm: the DGKS criterion). When the basis is full, the Ritz pairs of the
// projected matrix T are computed; the wanted ones whose residual estimate
// |beta_m y_m| is below tol * |H| (|H| estimated by the largest |Ritz value|
// seen) are locked: they leave the active basis for good, and every later
// vector is orthogonalized against them. The restart keeps the l best Ritz
// vectors (l = remaining + min(locked + 2, half the free room): ARPACK's rule
// restated for locking) plus the last Lanczos vector; T restarts as
// diag(theta) bordered by the couplings beta_m y_m,i (an arrowhead), so no
// matvec is repeated. Thick restart is mathematically
// the implicitly restarted Lanczos of ARPACK and Spectra with exact shifts,
// without the QR sweeps.
// Structure: detail::ThickRestartLanczos::run() is the driver; its phases are
// start_vector, expand (Lanczos steps), rayleigh_ritz, lock_converged,
// convergence_test (including the verification pass), thick_restart /
// fresh_start, and answer, each a function of its own.
// The hard cases: a breakdown (beta ~ 0: the active basis spans an invariant
// subspace, e.g. the identity after one step, or a rank-one matrix after two)
// is not an error: its Ritz pairs are exact, and the basis is continued from
// a fresh random vector orthogonal to everything so far. Repeated eigenvalues:
// a Krylov space holds one vector of each eigenspace, so the second copy of a
// double eigenvalue is found only after the first is locked and projected out
// of every new vector (full reorthogonalization against the locked vectors);
// its component then grows from rounding level.
// Inner products: every inner product and norm of a Krylov vector goes
// through the inner-product policy (inner_product.hpp). Reduce calls: a
// Lanczos step makes 2 (alpha = <v_j, H v_j>; then the DGKS pass: the
// projections onto the locked vectors X and the basis V together with |w|^2),
// plus 1 per repeated DGKS pass (EigsResult::dgks_repeats, which also counts
// the one exact norm taken when all three passes cancel). Outside the steps: 1
// per random vector drawn (its norm and projections in one call,
// EigsResult::random_vectors), 1 per thick restart that continues from the
// last Lanczos vector, 1 per verification start (mixing the Ritz vector into
// the random one), each plus its DGKS repeats.
// Cost: per step one product with H and O(n (ncv + k)) for the
// reorthogonalization; per restart O(n ncv l) for the new basis.
// Memory: n (ncv + 1 + l) scalars plus n k for the locked vectors.
// Parallelism: the one product per step is a single vector; an operator that
// models ExecutorAwareOperator gets it as a one-column block with the call's
// executor (EigsOptions::threads / executor), any other through apply().
// Caveats: like every Krylov method it can miss a copy of a multiple
// eigenvalue whose second component never rises above rounding before the
// wanted count is reached (the verification pass, on by default, looks again
// from a fresh start); the Ritz residuals are the Lanczos estimates (the
// tests check the true residuals).
// References: K. Wu and H. Simon, "Thick-restart Lanczos method for large
// symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl. 22 (2000);
// J. W. Daniel, W. B. Gragg, L. Kaufman, G. W. Stewart, Math. Comp. 30 (1976);
// R. B. Lehoucq, D. C. Sorensen, C. Yang, ARPACK Users' Guide (1998).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/krylov/detail/huge_pages.hpp>
#include <blockspec/krylov/detail/symmetric_eigen.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/random.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace blockspec {

/// Which end of the spectrum extreme_eigenpairs() looks for.
enum class Which {
  largest,           ///< algebraically largest
  smallest,          ///< algebraically smallest
  both_ends,         ///< alternately largest and smallest (one more largest when k is odd)
  largest_magnitude  ///< largest |lambda|
};

/// How extreme_eigenpairs() ended.
enum class EigsStatus {
  converged,     ///< all k pairs meet the tolerance
  not_converged  ///< max_matvecs was reached; the result holds the best pairs found
};

inline const char* to_string(EigsStatus s) noexcept {
  return s == EigsStatus::converged ? "converged" : "not_converged";
}

/// Options of extreme_eigenpairs(); validated once, errors name the field and its value.
struct EigsOptions {
  Which which = Which::largest;
  /// A pair is converged when its residual estimate is <= tol * |H| (|H| estimated by the largest |Ritz value|).
  double tol = 1e-10;
  /// Stop (status not_converged) after this many products with H; 0 means 1000 * ncv.
  std::int64_t max_matvecs = 0;
  /// Largest basis size (locked vectors included); 0 means min(n, max(2 k + 1, 20)). Must exceed k.
  int ncv = 0;
  /// Seed of the start vector and of any fresh vector after a breakdown.
  std::uint64_t seed = 0;
  /// Return the eigenvectors (n-by-k); false saves n k scalars in the result.
  bool vectors = true;
  /// After k pairs converged, look from a fresh random start for a copy of a
  /// multiple eigenvalue that the first start vector missed (costs about the
  /// matvecs of one more eigenpair; false gives ARPACK's behaviour).
  bool verify = true;
  /// Threads of the executor made for the call when `executor` is null; with an executor, 1 or its width.
  int threads = 1;
  /// The caller's executor, handed to an ExecutorAwareOperator's products; null: one made for the call.
  Executor* executor = nullptr;
  /// Before the run, check H' = H with symmetry_error (operator/symmetry.hpp): 2 products per
  /// trial; invalid_argument when the error exceeds symmetry_tolerance. Off by default.
  bool check_symmetry = false;
  int symmetry_trials = 3;          ///< random pairs of the check (> 0)
  double symmetry_tolerance = 0.0;  ///< 0: symmetry_noise_floor, 32 sqrt(n) eps of the operator's scalar

  void validate(int k, Eigen::Index n) const {
    const std::string where = "extreme_eigenpairs";
    const int w = static_cast<int>(which);
    detail::require(w >= static_cast<int>(Which::largest) && w <= static_cast<int>(Which::largest_magnitude), where,
                    "which = " + std::to_string(w) +
                        " is not a Which value (largest, smallest, both_ends, largest_magnitude)");
    detail::require(k > 0, where, "k must be positive, got " + std::to_string(k));
    detail::require(k <= n, where, "k = " + std::to_string(k) + " exceeds the dimension " + std::to_string(n));
    detail::require(std::isfinite(tol) && tol > 0.0, where,
                    "tol must be positive and finite, got " + detail::format_double(tol));
    detail::require(max_matvecs >= 0, where,
                    "max_matvecs must be >= 0 (0 = automatic), got " + std::to_string(max_matvecs));
    detail::require(ncv >= 0, where, "ncv must be >= 0 (0 = automatic), got " + std::to_string(ncv));
    detail::require(ncv == 0 || ncv > k || ncv == n, where,
                    "ncv = " + std::to_string(ncv) + " must exceed k = " + std::to_string(k));
    detail::require(ncv <= n, where, "ncv = " + std::to_string(ncv) + " exceeds the dimension " + std::to_string(n));
    detail::require(symmetry_trials > 0, where, "symmetry_trials must be positive, got " + std::to_string(symmetry_trials));
    detail::require(std::isfinite(symmetry_tolerance) && symmetry_tolerance >= 0.0, where,
                    "symmetry_tolerance must be finite and >= 0 (0 = automatic), got " +
                        detail::format_double(symmetry_tolerance));
  }
};

/// Eigenpairs found by extreme_eigenpairs(), in the order of `which` (largest:
/// descending; smallest: ascending; largest_magnitude: descending |lambda|;
/// both_ends: ascending).
template <class S>
struct EigsResult {
  Eigen::VectorXd values;     ///< k eigenvalues (fewer only if not converged and fewer were found)
  MatrixX<S> vectors;         ///< n-by-k orthonormal eigenvectors (empty when options.vectors is false)
  Eigen::VectorXd residuals;  ///< residual estimate |H x - lambda x| of each pair
  std::int64_t matvecs = 0;   ///< products with H, one per Lanczos step
  int restarts = 0;           ///< thick restarts and verification starts
  int fresh_starts = 0;       ///< verification starts (from a fresh random vector) among the restarts
  int converged = 0;          ///< pairs that met the tolerance
  /// DGKS passes after the first (and exact norms after three cancelling passes): one reduce call each.
  std::int64_t dgks_repeats = 0;
  std::int64_t random_vectors = 0;  ///< random vectors drawn (start, breakdowns, verification)
  EigsStatus status = EigsStatus::not_converged;
};

namespace detail {

/// Positions of `theta` in the priority order of `which` (best first).
inline std::vector<int> eigs_priority(const Eigen::VectorXd& theta, Which which) {
  const int m = static_cast<int>(theta.size());
  std::vector<int> idx(static_cast<std::size_t>(m));
  std::iota(idx.begin(), idx.end(), 0);
  auto by = [&](auto key) {
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return key(a) > key(b); });
  };
  switch (which) {
    case Which::largest: by([&](int i) { return theta[i]; }); break;
    case Which::smallest: by([&](int i) { return -theta[i]; }); break;
    case Which::largest_magnitude: by([&](int i) { return std::abs(theta[i]); }); break;
    case Which::both_ends: {
      by([&](int i) { return theta[i]; });
      std::vector<int> mixed;
      int lo = m - 1, hi = 0;
      for (int t = 0; t < m; ++t) mixed.push_back(t % 2 == 0 ? idx[static_cast<std::size_t>(hi++)] : idx[static_cast<std::size_t>(lo--)]);
      idx = std::move(mixed);
      break;
    }
  }
  return idx;
}

/// Key of a value on a side: side 0 is the end `which` asks for (the upper end
/// for both_ends), side 1 the lower end of both_ends. Larger is better.
inline double eigs_key(double v, Which which, int side) {
  if (side == 1) return -v;
  switch (which) {
    case Which::smallest: return -v;
    case Which::largest_magnitude: return std::abs(v);
    default: return v;
  }
}

/// Picks the best need[0] values on side 0 and need[1] on side 1 from the
/// locked values (each on its own side) and the candidates (either side).
/// Returns the side each candidate was picked for (-1: not picked) and, for
/// the locked ones, whether they were picked.
struct EigsSelection {
  std::vector<int> candidate_side;
  std::vector<char> locked_picked;
};
inline EigsSelection eigs_select(const std::vector<double>& locked, const std::vector<int>& locked_side,
                                 const Eigen::VectorXd& candidates, Which which, int need0, int need1) {
  const int nl = static_cast<int>(locked.size());
  const int nc = static_cast<int>(candidates.size());
  EigsSelection sel{std::vector<int>(static_cast<std::size_t>(nc), -1), std::vector<char>(static_cast<std::size_t>(nl), 0)};
  for (int side = 0; side < 2; ++side) {
    const int need = side == 0 ? need0 : need1;
    if (need <= 0) continue;
    // Pool entries: i >= 0 a locked value, i < 0 the candidate -i-1.
    std::vector<int> pool;
    for (int i = 0; i < nl; ++i)
      if (locked_side[static_cast<std::size_t>(i)] == side) pool.push_back(i);
    for (int c = 0; c < nc; ++c)
      if (sel.candidate_side[static_cast<std::size_t>(c)] < 0) pool.push_back(-c - 1);
    auto value = [&](int e) { return e >= 0 ? locked[static_cast<std::size_t>(e)] : candidates[-e - 1]; };
    std::stable_sort(pool.begin(), pool.end(),
                     [&](int a, int b) { return eigs_key(value(a), which, side) > eigs_key(value(b), which, side); });
    for (int t = 0; t < std::min<int>(need, static_cast<int>(pool.size())); ++t) {
      const int e = pool[static_cast<std::size_t>(t)];
      if (e >= 0)
        sel.locked_picked[static_cast<std::size_t>(e)] = 1;
      else
        sel.candidate_side[static_cast<std::size_t>(-e - 1)] = side;
    }
  }
  return sel;
}

/// Orthogonalizes w against the columns of X and V (classical Gram–Schmidt, a
/// second pass when the first removed more than 1/sqrt(2) of the norm: DGKS;
/// at most three passes). Returns |w| afterwards and the coefficients of V
/// from all passes in hv. Each pass is one reduce call: the projections X'w,
/// V'w and |w|^2 before the pass together. The norm after a pass is taken by
/// Pythagoras, |w_after|^2 = |w|^2 - |h|^2 (h = [X V]'w): the DGKS test passes
/// only when |w_after|^2 > |w|^2 / 2, and then the cancellation loses at most
/// a factor (|w|^2 + |h|^2) / |w_after|^2 <= 3, i.e. the value is exact to
/// ~3 eps relative (plus ~ncv eps from the columns' own orthonormality). When
/// the test fails the next pass reduces the exact |w|^2; after three failing
/// passes (w in the span: a breakdown) one more call takes the exact norm.
/// `repeats` counts the calls after the first; `before2`, when given, receives
/// |w|^2 as it came in (from the first call). The norms are in double.
template <class S, class IP>
double orthogonalize_dgks(const IP& ip, Reduction& red, const Eigen::Ref<const MatrixX<S>>& X,
                          const Eigen::Ref<const MatrixX<S>>& V, Eigen::Ref<VectorX<S>> w, VectorX<S>& hx,
                          VectorX<S>& hv, std::int64_t& repeats, double* before2 = nullptr) {
  VectorX<S> total_v = VectorX<S>::Zero(V.cols());
  for (int pass = 0; pass < 3; ++pass) {
    if (pass > 0) ++repeats;
    red.clear();
    const std::size_t ix = red.push_projection<S>(X, w, hx);
    const std::size_t iv = red.push_projection<S>(V, w, hv);
    const std::size_t iw = red.push(local_dot<S>(w, w));
    red.reduce(ip);
    red.read(ix, hx);
    red.read(iv, hv);
    double h2 = 0.0;
    for (std::size_t i = ix; i < iw; ++i) h2 += red[i] * red[i];
    if (X.cols() > 0) w.noalias() -= X * hx;
    if (V.cols() > 0) {
      w.noalias() -= V * hv;
      total_v += hv;
    }
    if (pass == 0 && before2) *before2 = red[iw];
    const double after2 = red[iw] - h2;
    if (after2 > 0.5 * red[iw]) {  // DGKS: no severe cancellation, orthogonal to rounding
      hv = total_v;
      return std::sqrt(after2);
    }
  }
  ++repeats;
  hv = total_v;
  return std::sqrt(dot<S>(ip, w, w));  // w is rounding-level: only the exact norm is meaningful
}

/// The Ritz pairs of the projected matrix T (m-by-m) and their residual estimates |beta_m y_m,i|.
struct RitzPairs {
  Eigen::VectorXd theta;  ///< ascending
  Eigen::MatrixXd Y;      ///< eigenvectors of T, column i for theta[i]
  Eigen::VectorXd resid;
};
inline RitzPairs rayleigh_ritz(const Eigen::MatrixXd& T, double beta_m) {
  TridiagonalEigen te = symmetric_eigen(T);
  RitzPairs rp{std::move(te.values), std::move(te.vectors), Eigen::VectorXd()};
  rp.resid = (beta_m * rp.Y.row(T.rows() - 1).transpose()).cwiseAbs();
  return rp;
}

/// Which selected Ritz pairs lock now (residual <= threshold), and what the
/// convergence test needs of the rest: per side the best key locked now and
/// the best key + residual of the open ones, and the count of open ones.
struct LockPlan {
  std::vector<int> side;   ///< side each Ritz pair was selected for (-1: not selected)
  std::vector<char> taken;  ///< locked now
  std::array<double, 2> best_new{-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  std::array<double, 2> best_open{-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  std::array<bool, 2> locked_now{false, false};
  int wanted = 0;  ///< selected pairs left open
};
inline LockPlan eigs_lock_plan(const RitzPairs& rp, std::vector<int> side, Which which, double threshold) {
  LockPlan p;
  p.side = std::move(side);
  p.taken.assign(p.side.size(), 0);
  for (std::size_t i = 0; i < p.side.size(); ++i) {
    const int sd = p.side[i];
    if (sd < 0) continue;
    const auto s = static_cast<std::size_t>(sd);
    const Eigen::Index e = static_cast<Eigen::Index>(i);
    const double key = eigs_key(rp.theta[e], which, sd);
    if (rp.resid[e] <= threshold) {
      p.taken[i] = 1;
      p.locked_now[s] = true;
      p.best_new[s] = std::max(p.best_new[s], key);
    } else {
      ++p.wanted;
      p.best_open[s] = std::max(p.best_open[s], key + rp.resid[e]);
    }
  }
  return p;
}

/// The verification pass's test: each side is settled when its best new pair
/// (locked now) or every open candidate (Ritz value plus residual) is not
/// better than the answer's worst value `boundary`; a better locked pair was a
/// missed copy: look for one more (need = have + 1). Updates `need`; true when
/// both sides are settled.
inline bool eigs_verification_settled(std::array<int, 2>& need, const std::array<int, 2>& have,
                                      const std::array<int, 2>& want, const LockPlan& p,
                                      const std::array<double, 2>& boundary, double threshold) {
  bool settled = true;
  for (std::size_t sd = 0; sd < 2; ++sd) {
    if (want[sd] == 0 || (!p.locked_now[sd] && need[sd] <= have[sd])) continue;
    if (p.locked_now[sd]) {
      const bool missed_copy = p.best_new[sd] > boundary[sd] + threshold;
      need[sd] = missed_copy ? have[sd] + 1 : have[sd];
      settled = settled && !missed_copy;
    } else if (p.best_open[sd] < boundary[sd]) {
      need[sd] = have[sd];  // clearly worse than the answer: done
    } else {
      settled = false;
    }
  }
  return settled;
}

/// The thick restart's keep rule: the wanted open pairs plus min(locked + 2, half
/// the free room), at least one extra, leaving a column for the continuation
/// vector. This is ARPACK's rule (dsaup2: nev + min(nconv, np / 2)) restated for
/// locking: ARPACK keeps its converged vectors in the basis and adds as many
/// unconverged ones; ours have left the basis, and two extra vectors from the
/// start cover the pair next to the wanted ones.
inline int eigs_keep_count(int wanted, int locked, int room) {
  const int extra = std::max(1, std::min(locked + 2, (room - wanted) / 2));
  return std::max(0, std::min(wanted + extra, room - 1));
}

/// The Ritz pairs a thick restart keeps: the open selected ones in index order,
/// then the best others in the priority order of `which`, `target` in all.
inline std::vector<int> eigs_keep_indices(const RitzPairs& rp, const LockPlan& p, Which which, int target) {
  std::vector<int> keep;
  const int m = static_cast<int>(rp.theta.size());
  for (int i = 0; i < m && static_cast<int>(keep.size()) < target; ++i)
    if (!p.taken[static_cast<std::size_t>(i)] && p.side[static_cast<std::size_t>(i)] >= 0) keep.push_back(i);
  for (int i : eigs_priority(rp.theta, which)) {
    if (static_cast<int>(keep.size()) >= target) break;
    if (!p.taken[static_cast<std::size_t>(i)] && std::find(keep.begin(), keep.end(), i) == keep.end()) keep.push_back(i);
  }
  return keep;
}

/// The state of one extreme_eigenpairs() call and its phases; run() is the driver.
template <class Op, class IP>
class ThickRestartLanczos {
 public:
  using S = typename Op::Scalar;

  ThickRestartLanczos(Op& op, int k, const EigsOptions& options, const IP& ip, Executor& executor)
      : op_(op), ip_(ip), ex_(executor), opt_(options), k_(k), n_(static_cast<Eigen::Index>(op.rows())),
        ncv_(options.ncv > 0 ? options.ncv : static_cast<int>(std::min<Eigen::Index>(n_, std::max(2 * k + 1, 20)))),
        max_matvecs_(options.max_matvecs > 0 ? options.max_matvecs : std::int64_t{1000} * ncv_),
        final_{options.which == Which::both_ends ? (k + 1) / 2 : k, options.which == Which::both_ends ? k / 2 : 0},
        need_(final_), X_(n_, k), V_(n_, ncv_ + 1), Vnew_(n_, ncv_ + 1),
        T_(Eigen::MatrixXd::Zero(ncv_, ncv_)), w_(n_) {
    advise_huge_pages(V_.data(), static_cast<std::size_t>(V_.size()) * sizeof(S));
    advise_huge_pages(Vnew_.data(), static_cast<std::size_t>(Vnew_.size()) * sizeof(S));
  }

  EigsResult<S> run() {
    start_vector();
    while (true) {
      const Expansion e = expand();
      const RitzPairs rp = rayleigh_ritz(T_.topLeftCorner(e.m, e.m), e.beta_m);
      const std::array<double, 2> boundary = boundaries();
      LockPlan plan = lock_converged(rp);
      if (e.exhausted || result_.matvecs >= max_matvecs_) {
        lock_open(rp, plan, e.exhausted);  // the best pairs found: exact when the space was exhausted
        break;
      }
      const Next next = convergence_test(plan, boundary);
      if (next == Next::stop) break;
      ++result_.restarts;
      const bool going = next == Next::fresh_start ? fresh_start(rp, plan) : thick_restart(rp, plan, e.beta_m);
      if (!going) break;
    }
    return answer();
  }

 private:
  struct Expansion {
    int m;          // active basis size reached
    double beta_m;  // coupling to the next Lanczos vector V.col(m) (0: none)
    bool exhausted; // no vector orthogonal to everything so far exists
  };
  enum class Next { stop, thick_restart, fresh_start };

  int locked() const { return static_cast<int>(values_.size()); }
  int room() const { return ncv_ - std::min(locked(), k_); }
  double threshold() const { return opt_.tol * anorm_; }
  double orthogonalize(int cols, Eigen::Ref<VectorX<S>> w, double* before2 = nullptr) {
    return orthogonalize_dgks<S>(ip_, red_, X_.leftCols(locked()), V_.leftCols(cols), w, hx_, hv_,
                                 result_.dgks_repeats, before2);
  }

  /// A unit random vector orthogonal to the locked vectors and V's first `cols`
  /// columns, written to V.col(cols); false when none exists (the space is full).
  bool fresh_vector(int cols) {
    if (locked() + cols >= n_) return false;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if constexpr (requires { ip_.template fill_normal<S>(Eigen::Ref<VectorX<S>>(w_), opt_.seed, stream_); }) {
        ip_.template fill_normal<S>(Eigen::Ref<VectorX<S>>(w_), opt_.seed, stream_++);  // this part's rows
      } else {
        Rng rng(opt_.seed, stream_++);
        for (Eigen::Index i = 0; i < n_; ++i) w_[i] = static_cast<S>(rng.normal());
      }
      ++result_.random_vectors;
      double before2 = 0.0;  // |w|^2 comes with the first DGKS pass's reduce call
      const double after = orthogonalize(cols, w_, &before2);
      if (after > 1e-3 * std::sqrt(before2)) {
        V_.col(cols) = w_ / static_cast<S>(after);
        return true;
      }
    }
    return false;
  }

  /// Phase: the start vector.
  void start_vector() { fresh_vector(0); }

  /// w = H v_j: as a one-column block with the executor when the operator can use it.
  /// One vector: the operator's single product (for a dense symmetric matrix SYMV, which reads
  /// half the bytes of the block kernel), on the calling thread.
  void product(int j) {
    detail::apply(op_, V_.col(j), w_);
    ++result_.matvecs;
  }

  /// One Lanczos step on column j: alpha (one reduce call), the known
  /// components (three-term, or the arrowhead after a restart), DGKS (one call
  /// plus repeats). Returns beta; w holds the unnormalized next vector.
  double lanczos_step(int j) {
    product(j);
    const double alpha = dot<S>(ip_, V_.col(j), w_);
    if (!std::isfinite(alpha))
      throw numerical_error("extreme_eigenpairs: the operator returned a non-finite value (NaN or Inf) at product " +
                            std::to_string(result_.matvecs));
    w_ -= static_cast<S>(alpha) * V_.col(j);
    if (j == l_ && l_ > 0)
      w_.noalias() -= V_.leftCols(l_) * s_.template cast<S>();
    else if (j > 0)
      w_ -= static_cast<S>(T_(j - 1, j)) * V_.col(j - 1);
    const double beta = orthogonalize(j + 1, w_);
    T_(j, j) = alpha + static_cast<double>(hv_[j]);
    anorm_ = std::max({anorm_, std::abs(T_(j, j)), beta});
    return beta;
  }

  /// Phase: Lanczos steps from column cur_ until the active basis is full, the
  /// space is exhausted or the matvec budget is spent.
  Expansion expand() {
    const int m_max = room();
    for (int j = cur_; j < m_max; ++j) {
      const double beta = lanczos_step(j);
      const bool breakdown = beta <= break_tol_ * anorm_;
      if (j + 1 < m_max) {
        if (breakdown) {
          // The active basis spans an invariant subspace: continue from a fresh vector, coupling 0.
          if (!fresh_vector(j + 1)) return {j + 1, 0.0, true};
          T_(j, j + 1) = T_(j + 1, j) = 0.0;
        } else {
          V_.col(j + 1) = w_ / static_cast<S>(beta);
          T_(j, j + 1) = T_(j + 1, j) = beta;
        }
      } else if (!breakdown) {
        V_.col(m_max) = w_ / static_cast<S>(beta);
      }
      if (j + 1 == m_max || result_.matvecs >= max_matvecs_) return {j + 1, breakdown ? 0.0 : beta, false};
    }
    return {m_max, 0.0, false};  // not reached: cur_ < m_max after every restart
  }

  void lock_pair(const RitzPairs& rp, int i, int side, double residual) {
    if (locked() == X_.cols()) X_.conservativeResize(n_, X_.cols() + k_);
    const int m = static_cast<int>(rp.theta.size());
    X_.col(locked()).noalias() = V_.leftCols(m) * rp.Y.col(i).template cast<S>();
    values_.push_back(rp.theta[i]);
    residuals_.push_back(residual);
    side_.push_back(side);
    ++have_[static_cast<std::size_t>(side)];
  }

  /// Phase: lock the converged pairs among the wanted ones (|H| first updated by the Ritz values).
  LockPlan lock_converged(const RitzPairs& rp) {
    anorm_ = std::max(anorm_, rp.theta.cwiseAbs().maxCoeff());
    EigsSelection sel = eigs_select(values_, side_, rp.theta, opt_.which, need_[0], need_[1]);
    LockPlan plan = eigs_lock_plan(rp, std::move(sel.candidate_side), opt_.which, threshold());
    for (std::size_t i = 0; i < plan.taken.size(); ++i)
      if (plan.taken[i]) lock_pair(rp, static_cast<int>(i), plan.side[i], rp.resid[static_cast<Eigen::Index>(i)]);
    return plan;
  }

  /// Locks the wanted open pairs as they are (end of the budget or of the space).
  void lock_open(const RitzPairs& rp, const LockPlan& plan, bool exact) {
    for (std::size_t i = 0; i < plan.taken.size(); ++i)
      if (!plan.taken[i] && plan.side[i] >= 0)
        lock_pair(rp, static_cast<int>(i), plan.side[i], exact ? 0.0 : rp.resid[static_cast<Eigen::Index>(i)]);
  }

  /// The worst key of the current answer on each side (-inf while it is incomplete).
  std::array<double, 2> boundaries() const {
    const EigsSelection f = eigs_select(values_, side_, Eigen::VectorXd(), opt_.which, final_[0], final_[1]);
    std::array<double, 2> bnd{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
    std::array<int, 2> cnt{0, 0};
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (!f.locked_picked[i]) continue;
      const auto sd = static_cast<std::size_t>(side_[i]);
      bnd[sd] = std::min(bnd[sd], eigs_key(values_[i], opt_.which, side_[i]));
      ++cnt[sd];
    }
    for (std::size_t sd = 0; sd < 2; ++sd)
      if (cnt[sd] < final_[sd]) bnd[sd] = -std::numeric_limits<double>::infinity();
    return bnd;
  }

  /// Phase: the convergence test. The first phase ends when the wanted pairs are
  /// locked; then (verify) the verification pass looks for one more pair at each
  /// wanted end from a fresh random start, which has components along every copy
  /// of a multiple eigenvalue, until eigs_verification_settled.
  Next convergence_test(LockPlan& plan, const std::array<double, 2>& boundary) {
    if (!verifying_) {
      if (have_[0] < need_[0] || have_[1] < need_[1]) return Next::thick_restart;
      if (!opt_.verify) return Next::stop;
      verifying_ = true;
      for (std::size_t sd = 0; sd < 2; ++sd) need_[sd] = have_[sd] + (final_[sd] > 0 ? 1 : 0);
      return Next::fresh_start;
    }
    if (eigs_verification_settled(need_, have_, final_, plan, boundary, threshold())) return Next::stop;
    plan.wanted = (need_[0] - have_[0]) + (need_[1] - have_[1]);
    return Next::thick_restart;
  }

  /// Phase: restart from a unit random vector plus the best unlocked Ritz vector:
  /// the random part has a component along every copy the first start missed,
  /// and the Ritz part is the pair next to the answer, which the verification
  /// must find to settle. False when no fresh vector exists.
  bool fresh_start(const RitzPairs& rp, const LockPlan& plan) {
    ++result_.fresh_starts;
    VectorX<S> u;
    for (int i : eigs_priority(rp.theta, opt_.which))
      if (!plan.taken[static_cast<std::size_t>(i)]) {
        u.noalias() = V_.leftCols(rp.theta.size()) * rp.Y.col(i).template cast<S>();
        break;
      }
    l_ = 0;
    cur_ = 0;
    T_.setZero();
    if (!fresh_vector(0)) return false;
    if (u.size() > 0) {
      w_ = V_.col(0) + u;
      const double after = orthogonalize(0, w_);
      if (after > 0.0) V_.col(0) = w_ / static_cast<S>(after);
    }
    return true;
  }

  /// Phase: thick restart. Keeps eigs_keep_count Ritz vectors at the head of V,
  /// T becomes diag(theta) bordered by the couplings beta_m y_m,i, and the last
  /// Lanczos vector, cleaned of rounding along the locked and kept vectors,
  /// continues the basis (a fresh vector when beta_m = 0). False when none exists.
  bool thick_restart(const RitzPairs& rp, const LockPlan& plan, double beta_m) {
    const int m = static_cast<int>(rp.theta.size());
    const std::vector<int> keep =
        eigs_keep_indices(rp, plan, opt_.which, eigs_keep_count(plan.wanted, locked(), room()));
    l_ = static_cast<int>(keep.size());
    Eigen::MatrixXd Yk(m, l_);
    s_.resize(l_);
    T_.setZero();
    for (int c = 0; c < l_; ++c) {
      const int i = keep[static_cast<std::size_t>(c)];
      Yk.col(c) = rp.Y.col(i);
      T_(c, c) = rp.theta[i];
      s_[c] = beta_m * rp.Y(m - 1, i);
    }
    Vnew_.leftCols(l_).noalias() = V_.leftCols(m) * Yk.template cast<S>();
    std::swap(V_, Vnew_);
    if (beta_m > 0.0) {
      V_.col(l_) = Vnew_.col(m);
      const double norm = orthogonalize(l_, V_.col(l_));  // one reduce call (plus repeats)
      V_.col(l_) /= static_cast<S>(norm);
    } else {
      s_.setZero();
      if (!fresh_vector(l_)) return false;
    }
    for (int c = 0; c < l_; ++c) T_(c, l_) = T_(l_, c) = s_[c];
    cur_ = l_;
    return true;
  }

  /// Phase: the answer, the best final_[0] + final_[1] locked pairs in the order of `which`.
  EigsResult<S> answer() {
    const EigsSelection sel = eigs_select(values_, side_, Eigen::VectorXd(), opt_.which, final_[0], final_[1]);
    std::vector<int> picked;
    for (int i = 0; i < locked(); ++i)
      if (sel.locked_picked[static_cast<std::size_t>(i)]) picked.push_back(i);
    std::stable_sort(picked.begin(), picked.end(), [&](int a, int b) {
      const double va = values_[static_cast<std::size_t>(a)], vb = values_[static_cast<std::size_t>(b)];
      return opt_.which == Which::both_ends ? va < vb
                                            : eigs_key(va, opt_.which, 0) > eigs_key(vb, opt_.which, 0);
    });
    const int out = static_cast<int>(picked.size());
    result_.values.resize(out);
    result_.residuals.resize(out);
    if (opt_.vectors) result_.vectors.resize(n_, out);
    result_.converged = 0;
    for (int t = 0; t < out; ++t) {
      const auto i = static_cast<std::size_t>(picked[static_cast<std::size_t>(t)]);
      result_.values[t] = values_[i];
      result_.residuals[t] = residuals_[i];
      if (opt_.vectors) result_.vectors.col(t) = X_.col(static_cast<Eigen::Index>(i));
      if (result_.residuals[t] <= threshold()) ++result_.converged;
    }
    result_.status = result_.converged == k_ ? EigsStatus::converged : EigsStatus::not_converged;
    return std::move(result_);
  }

  Op& op_;
  const IP& ip_;
  Executor& ex_;
  const EigsOptions& opt_;
  const int k_;
  const Eigen::Index n_;
  const int ncv_;
  const std::int64_t max_matvecs_;
  const double break_tol_ = std::sqrt(static_cast<double>(std::numeric_limits<S>::epsilon()));
  const std::array<int, 2> final_;  // pairs of the answer on each side (side 1: the lower end of both_ends)
  std::array<int, 2> need_;         // pairs to lock on each side in the current phase
  std::array<int, 2> have_{0, 0};   // pairs locked on each side
  bool verifying_ = false;          // looking for copies the first start vector missed
  MatrixX<S> X_;                    // locked eigenvectors, and their values, residuals and sides
  std::vector<double> values_, residuals_;
  std::vector<int> side_;           // 0: the end `which` asks for (upper for both_ends), 1: lower end of both_ends
  MatrixX<S> V_, Vnew_;
  Eigen::MatrixXd T_;
  VectorX<S> w_, hx_, hv_;
  Reduction red_;
  Eigen::VectorXd s_;               // couplings of the kept Ritz vectors to V.col(l_)
  int l_ = 0;                       // kept Ritz vectors at the head of V (the arrowhead part of T)
  int cur_ = 0;                     // next basis column to expand
  std::uint64_t stream_ = 0;
  double anorm_ = 0.0;
  EigsResult<S> result_;
};

}  // namespace detail

/// The k extreme eigenpairs of a symmetric operator, by thick-restart Lanczos with locking.
/// Every inner product goes through `ip` (inner_product.hpp); products with an
/// ExecutorAwareOperator get the call's executor. Never throws for non-convergence: check `status`.
/// Example:
///   auto e = blockspec::extreme_eigenpairs(H, 10, {.which = blockspec::Which::largest, .tol = 1e-10});
///   if (e.status == blockspec::EigsStatus::converged) use(e.values, e.vectors);
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
EigsResult<operator_scalar_t<Op>> extreme_eigenpairs(Op&& op, int k, const EigsOptions& options = {},
                                                     const IP& ip = {}) {
  static_assert(InnerProductPolicy<IP>, "extreme_eigenpairs: IP must provide void reduce(std::span<double>) const");
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  detail::require(n > 0, "extreme_eigenpairs", "the operator's rows() must be positive, got " + std::to_string(n));
  options.validate(k, n);
  detail::check_symmetry_if_asked<IP>(op, options.check_symmetry, options.symmetry_trials, options.symmetry_tolerance,
                                      "extreme_eigenpairs");
  detail::CallExecutor executor(options.executor, options.threads, "extreme_eigenpairs");
  detail::ThickRestartLanczos<std::remove_reference_t<Op>, IP> solver(op, k, options, ip, executor.get());
  return solver.run();
}

}  // namespace blockspec
