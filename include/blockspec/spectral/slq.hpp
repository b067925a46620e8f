// blockspec/spectral/slq.hpp — stochastic Lanczos quadrature (SLQ) on any LinearOperator.
//
// Method: for each of P random probes v_i (probes.hpp), m steps of Lanczos from
// u_i = v_i / |v_i| give a tridiagonal T_i whose eigenvalues theta_ij and
// squared first eigenvector components w_ij form the m-point Gauss quadrature
// of the spectral measure of H seen from u_i (krylov/quadrature.hpp). The
// result, a SpectralQuadrature, feeds
//   density()        the mean over probes of the smoothed measures (density.hpp),
//   trace_estimate() the samples s_i sum_j w_ij f(theta_ij) of tr f(H) (trace.hpp).
// Probe i of seed s is drawn from Rng(s, i), so a run is reproducible and
// independent of how probes are scheduled.
// Parallelism: the call runs on one Executor (executor.hpp: the caller's, or
// one made for the call with `threads` threads). Groups of block_size probes
// are handed out in order to min(threads, groups) lanes, each with its own
// Lanczos workspace, and the lanes run as one parallel_for; the operator is
// shared, so threads > 1 needs one that declares `static constexpr bool
// thread_safe = true`. The products of a group get the same executor, so a
// single group (block_size = probes) still uses every thread through an
// operator that splits its block products (dense_operator(A, symmetric)).
// Each probe's result goes to its own slot and nothing is reduced across
// threads, so the quadrature is bit-identical for every thread count.
// Inner products: the policy (krylov/inner_product.hpp) is handed to every
// Lanczos run; a step of a group makes the calls lanczos.hpp documents, once
// for all the group's probes. A policy for vectors split by rows draws the
// probes itself (p.template draw_probe<S>(kind, local_rows, seed, i): this
// part's rows of a counter-based probe, probes.hpp), and q.n is its
// global_rows(); with LocalInnerProduct probes come from draw_probe as before.
// Batching: with block_size > 1 the probes of a group run in lockstep
// (krylov/batched_lanczos.hpp) and a BatchedLinearOperator sees one block
// product per step (one GEMM for a dense H). Batched and one-at-a-time runs
// agree to rounding in moments and densities, not bit for bit;
// for a fixed block_size the result is still bit-identical across thread counts.
// Cost: P m products with H, plus the Lanczos vector work (O(n m) per probe
// without reorthogonalization, up to O(n m^2) with full) and O(m^2) per probe
// for the tridiagonal eigenvalues. Memory: n m scalars per running probe
// (partial, full) or 3n (none), times threads * block_size; each thread
// allocates its vectors once and reuses them for all its probe groups, so
// fresh pages are first-touched once per thread, not once per probe.
// Caveats: steps are clamped to n (the result says so). A probe that finds an
// invariant subspace stops early with an exact quadrature (status
// invariant_subspace). A non-finite value from the operator is a
// numerical_error naming the probe and the step. Cancelling from the progress
// callback returns the probes started so far (a prefix 0..k-1; running ones
// keep the steps they took, with status cancelled) and SlqStatus::cancelled.
// Adaptive mode (slq_adaptive): probes are added until the confidence-interval
// half-width of a chosen trace functional is at most max(abs_tolerance,
// rel_tolerance |estimate|), between min_probes and max_probes. The stopping
// point is checked after every single probe in probe order, so it does not
// depend on threads or block_size; the result says how many probes were used
// and why it stopped.
// References: Golub & Meurant, "Matrices, Moments and Quadrature" (2010);
// Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 38 (2017); Lin, Saad &
// Yang, SIAM Review 58 (2016); Ghorbani, Krishnan & Xiao, ICML 2019.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/krylov/batched_lanczos.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/spectral/probes.hpp>
#include <blockspec/spectral/spectral_quadrature.hpp>
#include <blockspec/spectral/trace.hpp>


#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace blockspec {

/// Options of slq(); validated once, errors name the field.
struct SlqOptions {
  /// Number of probe vectors P.
  int probes = 10;
  /// Lanczos steps per probe (quadrature nodes); clamped to n.
  int steps = 100;
  Probe probe = Probe::rademacher;
  /// Probe i draws from Rng(seed, i).
  std::uint64_t seed = 0;
  Reorthogonalization reorth = Reorthogonalization::partial;
  /// Threads of the call (probe groups, and the products of a group); > 1 needs an operator that
  /// declares thread_safe. Results do not depend on it.
  int threads = 1;
  /// Probes per batched Lanczos run (one block product per step); 1 = one probe at a time.
  int block_size = 1;
  /// Called after each Lanczos step with (probe index, steps done); return false to cancel the run.
  /// With threads > 1 the calls come from worker threads but never overlap (they are serialized).
  std::function<bool(int probe, int step)> progress{};
  /// Passed to lanczos(): breakdown when beta <= tol |H|; 0 = sqrt(eps) of the operator's scalar.
  double breakdown_tolerance = 0.0;
  /// Run on this executor instead of one made for the call (then threads must be 1 or its width).
  Executor* executor = nullptr;
  /// Before the run, check H' = H with symmetry_error (operator/symmetry.hpp): 2 products per
  /// trial; invalid_argument when the error exceeds symmetry_tolerance. Off by default.
  bool check_symmetry = false;
  int symmetry_trials = 3;          ///< random pairs of the check (> 0)
  double symmetry_tolerance = 0.0;  ///< 0: symmetry_noise_floor, 32 sqrt(n) eps of the operator's scalar

  void validate(const std::string& where = "slq") const {
    detail::require(probes > 0, where, "probes must be positive, got " + std::to_string(probes));
    detail::require(steps > 0, where, "steps must be positive, got " + std::to_string(steps));
    detail::require(threads > 0, where, "threads must be positive, got " + std::to_string(threads));
    detail::require(block_size > 0, where, "block_size must be positive, got " + std::to_string(block_size));
    detail::require(probe == Probe::rademacher || probe == Probe::gaussian || probe == Probe::sphere, where,
                    "probe is not a Probe value, got " + std::to_string(static_cast<int>(probe)));
    detail::require(detail::valid(reorth), where,
                    "reorth is not a Reorthogonalization value, got " + std::to_string(static_cast<int>(reorth)));
    detail::require(std::isfinite(breakdown_tolerance) && breakdown_tolerance >= 0.0, where,
                    "breakdown_tolerance must be finite and >= 0 (0 = automatic), got " +
                        detail::format_double(breakdown_tolerance));
    detail::require(symmetry_trials > 0, where, "symmetry_trials must be positive, got " + std::to_string(symmetry_trials));
    detail::require(std::isfinite(symmetry_tolerance) && symmetry_tolerance >= 0.0, where,
                    "symmetry_tolerance must be finite and >= 0 (0 = automatic), got " +
                        detail::format_double(symmetry_tolerance));
  }
};

namespace detail {

/// Serializes the user's progress callback and carries the cancellation flag.
class SlqGate {
 public:
  explicit SlqGate(const std::function<bool(int, int)>& user) : user_(user) {}
  bool has_callback() const noexcept { return static_cast<bool>(user_); }
  bool stopped() const noexcept { return cancelled_.load() || failed_.load(); }
  bool cancelled() const noexcept { return cancelled_.load(); }
  void fail() noexcept { failed_.store(true); }
  /// Returns false when the run must stop.
  bool step(int probe, int step) {
    if (stopped()) return false;
    if (!user_) return true;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped()) return false;
    if (!user_(probe, step)) {
      cancelled_.store(true);
      return false;
    }
    return true;
  }

 private:
  const std::function<bool(int, int)>& user_;
  std::mutex mutex_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> failed_{false};
};

template <class S>
ProbeQuadrature probe_quadrature(const LanczosResult<S>& r, double scale, std::uint64_t seed, std::uint64_t stream) {
  Quadrature gq = gauss_quadrature(r);
  ProbeQuadrature p;
  p.nodes = std::move(gq.nodes);
  p.weights = std::move(gq.weights);
  p.scale = scale;
  p.seed = seed;
  p.stream = stream;
  p.steps = r.steps;
  p.status = r.status;
  p.matvecs = r.matvecs;
  p.norm_estimate = r.norm_estimate;
  p.alpha = r.alpha.head(r.steps);
  p.beta = r.beta.head(std::max(r.steps - 1, 0));
  return p;
}

/// Probes [first, first + count) of a run; slot k of the result is probe first + k. Only a
/// prefix of the slots is filled when the run was cancelled (`started` says how many).
struct SlqBatchResult {
  std::vector<ProbeQuadrature> probes;
  int started = 0;
};

/// Runs probes [first, first + count) of an slq call in groups of block_size, on lanes of one
/// executor (see the file comment). One job per member function: draw, run a group (batched or
/// one probe at a time), a lane's loop, and the prefix of finished probes.
template <class Op, class IP>
class SlqRunner {
 public:
  using S = operator_scalar_t<Op>;

  SlqRunner(Op& op, const IP& ip, const SlqOptions& o, int first, int count, const char* where, Executor& ex)
      : op_(op), ip_(ip), o_(o), first_(first), count_(count), where_(where), ex_(ex), gate_(o.progress),
        groups_((count + o.block_size - 1) / o.block_size), out_(static_cast<std::size_t>(count)),
        errors_(static_cast<std::size_t>(groups_)), started_(static_cast<std::size_t>(groups_), 0) {}

  SlqBatchResult run() {
    const int lanes = std::min(ex_.threads(), groups_);
    ex_.parallel_for(lanes, [&](int) { lane(); });
    for (const auto& e : errors_)
      if (e) std::rethrow_exception(e);  // the lowest probe index that failed
    return collect();
  }

 private:
  /// A lane: takes the next group in order until none is left; its workspace is touched once.
  void lane() {
    LanczosWorkspace<S> ws;
    while (!gate_.stopped()) {
      const int g = next_.fetch_add(1);
      if (g >= groups_) break;
      try {
        started_[static_cast<std::size_t>(g)] = run_group(g, ws);
      } catch (...) {
        errors_[static_cast<std::size_t>(g)] = std::current_exception();
        gate_.fail();
      }
    }
  }

  LanczosOptions lanczos_options(int probe_index, int probes_in_group) {
    LanczosOptions lo{.steps = o_.steps, .reorth = o_.reorth, .keep_basis = false,
                      .breakdown_tolerance = o_.breakdown_tolerance, .progress = {}, .threads = 1,
                      .executor = &ex_};
    if (gate_.has_callback() || ex_.threads() > 1)
      lo.progress = [this, probe_index, probes_in_group](int step) {
        for (int k = 0; k < probes_in_group; ++k)
          if (!gate_.step(probe_index + k, step)) return false;
        return true;
      };
    return lo;
  }

  /// Runs group g; returns how many of its probes ran (fewer only when cancelled).
  int run_group(int g, LanczosWorkspace<S>& ws) {
    const int g0 = g * o_.block_size;
    const int gc = std::min(o_.block_size, count_ - g0);
    std::vector<ProbeVector<S>> pv;
    pv.reserve(static_cast<std::size_t>(gc));
    const Eigen::Index n = static_cast<Eigen::Index>(op_.rows());
    for (int k = 0; k < gc; ++k)
      pv.push_back(draw_probe_for<S>(ip_, o_.probe, n, o_.seed, static_cast<std::uint64_t>(first_ + g0 + k)));
    if (gc > 1) return run_batched(g0, pv, ws);
    for (int k = 0; k < gc; ++k) {
      run_single(g0 + k, pv[static_cast<std::size_t>(k)], ws);
      if (gate_.cancelled()) return k + 1;  // later probes of this group never start
    }
    return gc;
  }

  int run_batched(int g0, const std::vector<ProbeVector<S>>& pv, LanczosWorkspace<S>& ws) {
    const int gc = static_cast<int>(pv.size());
    const int p0 = first_ + g0;
    MatrixX<S> starts(static_cast<Eigen::Index>(op_.rows()), gc);
    for (int k = 0; k < gc; ++k) starts.col(k) = pv[static_cast<std::size_t>(k)].vector;
    const LanczosOptions lo = lanczos_options(p0, gc);
    std::vector<LanczosResult<S>> rs;
    try {
      rs = lanczos_engine(op_, starts, lo, ip_, "batched_lanczos", false, &ws);
    } catch (const numerical_error& e) {
      throw numerical_error(std::string(where_) + ": in the group of probes " + std::to_string(p0) + " to " +
                            std::to_string(p0 + gc - 1) + " (column c is probe " + std::to_string(p0) +
                            " + c): " + e.what());
    }
    for (int k = 0; k < gc; ++k)
      out_[static_cast<std::size_t>(g0 + k)] = probe_quadrature(
          rs[static_cast<std::size_t>(k)], pv[static_cast<std::size_t>(k)].scale, o_.seed,
          static_cast<std::uint64_t>(p0 + k));
    return gc;
  }

  void run_single(int slot, const ProbeVector<S>& v, LanczosWorkspace<S>& ws) {
    const int pi = first_ + slot;
    LanczosResult<S> r;
    try {
      const Eigen::Map<const MatrixX<S>> start(v.vector.data(), v.vector.size(), 1);
      r = std::move(lanczos_engine(op_, start, lanczos_options(pi, 1), ip_, "lanczos", true, &ws).front());
    } catch (const numerical_error& e) {
      throw numerical_error(std::string(where_) + ": probe " + std::to_string(pi) + ": " + e.what());
    }
    out_[static_cast<std::size_t>(slot)] = probe_quadrature(r, v.scale, o_.seed, static_cast<std::uint64_t>(pi));
  }

  /// The probes that ran form a prefix (groups are handed out in order).
  SlqBatchResult collect() {
    int started = 0;
    for (int g = 0; g < groups_; ++g) {
      const int s = started_[static_cast<std::size_t>(g)];
      started += s;
      if (s < std::min(o_.block_size, count_ - g * o_.block_size)) break;
    }
    out_.resize(static_cast<std::size_t>(started));
    return SlqBatchResult{std::move(out_), started};
  }

  Op& op_;
  const IP& ip_;
  const SlqOptions& o_;
  int first_, count_;
  const char* where_;
  Executor& ex_;
  SlqGate gate_;
  int groups_;
  std::vector<ProbeQuadrature> out_;
  std::vector<std::exception_ptr> errors_;
  std::vector<int> started_;  // probes that ran in each group
  std::atomic<int> next_{0};
};

template <class Op, class IP>
SlqBatchResult run_probes(Op& op, const IP& ip, const SlqOptions& o, int first, int count, const char* where,
                          Executor& ex) {
  SlqRunner<Op, IP> runner(op, ip, o, first, count, where, ex);
  return runner.run();
}

template <class Op>
void check_slq_operator(const Op& op, const SlqOptions& o, const char* where) {
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  require(n > 0, where, "the operator's rows() must be positive, got " + std::to_string(n));
  const int threads = o.executor ? o.executor->threads() : o.threads;
  if (threads > 1 && !is_thread_safe_v<Op>)
    throw invalid_argument(std::string(where) + ": threads = " + std::to_string(threads) +
                           " needs an operator that declares `static constexpr bool thread_safe = true` "
                           "(dense_operator, sparse_operator, make_operator(n, f, declare_thread_safe) do); "
                           "use threads = 1 for this operator");
}

template <class Op, class IP = LocalInnerProduct>
SpectralQuadrature empty_quadrature(const Op& op, const SlqOptions& o, const IP& ip = {}) {
  SpectralQuadrature q;
  q.n = global_rows(ip, static_cast<Eigen::Index>(op.rows()));
  q.probe = o.probe;
  q.seed = o.seed;
  q.requested_probes = o.probes;
  q.requested_steps = o.steps;
  q.reorth = o.reorth;
  q.steps_clamped = static_cast<Eigen::Index>(o.steps) > q.n;
  q.epsilon = static_cast<double>(std::numeric_limits<operator_scalar_t<Op>>::epsilon());
  return q;
}

}  // namespace detail

/// Stochastic Lanczos quadrature: per-probe Gauss quadratures of H's spectral measure.
/// \param op  any LinearOperator (held by reference for the call; threads > 1 needs thread_safe)
/// \param ip  the inner-product policy (default: local dot products)
/// Example:
///   auto q = blockspec::slq(H, {.probes = 20, .steps = 80, .seed = 7});
///   auto d = blockspec::density(q);  auto ld = blockspec::logdet(q);
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
SpectralQuadrature slq(Op&& op, const SlqOptions& options = {}, const IP& ip = {}) {
  static_assert(InnerProductPolicy<IP>, "slq: IP must provide reduce(std::span<double>) (krylov/inner_product.hpp)");
  options.validate("slq");
  detail::check_slq_operator(op, options, "slq");
  detail::check_symmetry_if_asked<IP>(op, options.check_symmetry, options.symmetry_trials,
                                      options.symmetry_tolerance, "slq");
  detail::CallExecutor ex(options.executor, options.threads, "slq");
  SpectralQuadrature q = detail::empty_quadrature(op, options, ip);
  detail::SlqBatchResult r = detail::run_probes(op, ip, options, 0, options.probes, "slq", ex.get());
  q.probes = std::move(r.probes);
  for (const auto& p : q.probes) q.matvecs += p.matvecs;
  q.status = q.size() < options.probes || std::any_of(q.probes.begin(), q.probes.end(), [](const auto& p) {
               return p.status == LanczosStatus::cancelled;
             })
                 ? SlqStatus::cancelled
                 : SlqStatus::completed;
  return q;
}

/// Why slq_adaptive stopped.
enum class AdaptiveStop {
  tolerance_met,  ///< the interval half-width reached the tolerance
  max_probes,     ///< max_probes were used before that
  cancelled       ///< the progress callback asked to stop
};

inline const char* to_string(AdaptiveStop s) noexcept {
  switch (s) {
    case AdaptiveStop::tolerance_met: return "tolerance_met";
    case AdaptiveStop::max_probes: return "max_probes";
    case AdaptiveStop::cancelled: return "cancelled";
  }
  return "unknown";
}

/// Options of slq_adaptive() (SlqOptions::probes is ignored there).
struct AdaptiveOptions {
  int min_probes = 10;
  int max_probes = 1000;
  /// Stop when the half-width <= max(abs_tolerance, rel_tolerance * |estimate|); at least one > 0.
  double abs_tolerance = 0.0;
  double rel_tolerance = 1e-2;
  double confidence = 0.95;

  void validate(const std::string& where = "slq_adaptive") const {
    detail::require(min_probes >= 2, where,
                    "min_probes must be >= 2 (an interval needs two samples), got " + std::to_string(min_probes));
    detail::require(max_probes >= min_probes, where,
                    "max_probes must be >= min_probes, got " + std::to_string(max_probes) + " < " +
                        std::to_string(min_probes));
    detail::require(std::isfinite(abs_tolerance) && abs_tolerance >= 0.0, where,
                    "abs_tolerance must be finite and >= 0, got " + detail::format_double(abs_tolerance));
    detail::require(std::isfinite(rel_tolerance) && rel_tolerance >= 0.0, where,
                    "rel_tolerance must be finite and >= 0, got " + detail::format_double(rel_tolerance));
    detail::require(abs_tolerance > 0.0 || rel_tolerance > 0.0, where,
                    "abs_tolerance or rel_tolerance must be positive, got both 0");
    detail::require(std::isfinite(confidence) && confidence > 0.0 && confidence < 1.0, where,
                    "confidence must be in (0, 1), got " + detail::format_double(confidence));
  }
};

/// The result of slq_adaptive: the quadrature of the probes used and the final estimate.
struct AdaptiveSlqResult {
  SpectralQuadrature quadrature;  ///< exactly the probes used (0 .. probes_used - 1)
  Estimate estimate;              ///< of the functional, over those probes
  int probes_used = 0;
  AdaptiveStop stop = AdaptiveStop::max_probes;
  std::int64_t matvecs_total = 0;  ///< including probes computed in the last round but not used
};

namespace detail {

/// Folds one round of probes into an adaptive run: their samples, the stopping rule checked after
/// every probe in probe order. Returns true when the run must stop (res.stop says why).
template <class F>
bool absorb_round(AdaptiveSlqResult& res, SlqBatchResult&& r, int count, F& functional, const AdaptiveOptions& adaptive,
                  std::vector<double>& samples, int& k) {
  const bool cancelled = r.started < count || std::any_of(r.probes.begin(), r.probes.end(), [](const auto& p) {
                           return p.status == LanczosStatus::cancelled;
                         });
  SpectralQuadrature fresh;
  fresh.probes = r.probes;
  for (const auto& p : r.probes) res.matvecs_total += p.matvecs;
  if (!fresh.probes.empty()) {
    if constexpr (requires { functional.check(fresh); }) functional.check(fresh);
    const std::vector<double> s = trace_samples(fresh, functional);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  for (std::size_t i = 0; i < r.probes.size(); ++i) {
    res.quadrature.probes.push_back(std::move(r.probes[i]));
    ++k;
    if (k < adaptive.min_probes || cancelled) continue;
    const Estimate e = estimate_from_samples(std::span<const double>(samples.data(), static_cast<std::size_t>(k)),
                                             adaptive.confidence);
    if (e.half_width() <= std::max(adaptive.abs_tolerance, adaptive.rel_tolerance * std::abs(e.value))) {
      res.stop = AdaptiveStop::tolerance_met;
      return true;
    }
  }
  if (cancelled) res.stop = AdaptiveStop::cancelled;
  else if (k >= adaptive.max_probes) res.stop = AdaptiveStop::max_probes;
  return cancelled || k >= adaptive.max_probes;
}

}  // namespace detail

/// SLQ that adds probes until the interval of tr f(H) is tight enough (see the file comment).
/// The probes used are those slq() with .probes = probes_used would draw.
/// Example:
///   auto r = blockspec::slq_adaptive(H, blockspec::LogDet{}, {.steps = 40}, {.rel_tolerance = 1e-3});
///   // r.estimate.value, r.probes_used, r.stop
template <class Op, class F, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
AdaptiveSlqResult slq_adaptive(Op&& op, F&& functional, const SlqOptions& options = {},
                               const AdaptiveOptions& adaptive = {}, const IP& ip = {}) {
  static_assert(InnerProductPolicy<IP>, "slq_adaptive: IP must provide reduce(std::span<double>)");
  SlqOptions o = options;
  o.probes = adaptive.max_probes;
  o.validate("slq_adaptive");
  adaptive.validate("slq_adaptive");
  detail::check_slq_operator(op, o, "slq_adaptive");
  detail::check_symmetry_if_asked<IP>(op, o.check_symmetry, o.symmetry_trials, o.symmetry_tolerance,
                                      "slq_adaptive");
  detail::CallExecutor ex(o.executor, o.threads, "slq_adaptive");
  AdaptiveSlqResult res;
  res.quadrature = detail::empty_quadrature(op, o, ip);
  std::vector<double> samples;
  const int round = o.block_size * ex.get().threads();
  int k = 0;
  for (bool stopped = false; !stopped;) {
    int want = k < adaptive.min_probes ? adaptive.min_probes - k : round;
    want = ((want + o.block_size - 1) / o.block_size) * o.block_size;  // keep groups aligned
    const int count = std::min(want, adaptive.max_probes - k);
    stopped = detail::absorb_round(res, detail::run_probes(op, ip, o, k, count, "slq_adaptive", ex.get()), count,
                                   functional, adaptive, samples, k);
  }
  detail::require(k > 0, "slq_adaptive", "the run was cancelled before any probe finished a step");
  SpectralQuadrature& q = res.quadrature;
  q.requested_probes = k;
  for (const auto& p : q.probes) q.matvecs += p.matvecs;
  q.status = res.stop == AdaptiveStop::cancelled ? SlqStatus::cancelled : SlqStatus::completed;
  res.probes_used = k;
  const std::span<const double> used(samples.data(), static_cast<std::size_t>(k));
  res.estimate = estimate_from_samples(used, adaptive.confidence);
  detail::check_quadrature(q, functional, used, res.estimate);
  return res;
}

}  // namespace blockspec
