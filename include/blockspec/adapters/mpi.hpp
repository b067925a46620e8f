// blockspec/adapters/mpi.hpp — SLQ, Lanczos and extreme eigenpairs over MPI (component blockspec::mpi).
//
// Two modes; the core never includes mpi.h, this header alone does.
// 1. Probe-parallel SLQ (slq_probe_parallel): every rank holds a replica of
//    the operator and runs the probe groups g = rank, rank + size, ... (groups
//    of block_size probes, so with block_size 1 the probes i = rank (mod size)).
//    Probe i is drawn from (seed, i) as in a one-process slq(); the per-probe
//    quadratures are serialized, gathered on every rank with one
//    MPI_Allgatherv and put in probe-index order, so the result is
//    bit-identical to slq() on one process for any rank count.
//    Communication: one MPI_Allgather (the row counts), one MPI_Allreduce
//    (the failure flag), one MPI_Allgather of byte counts and one
//    MPI_Allgatherv of about 2 m + 10 doubles per probe, all at the end.
// 2. Distributed vectors (DistributedRows): the operator and its vectors are
//    split by rows over the ranks of a communicator; the user's operator
//    works on its local rows (its rows() is the local count) and does its own
//    halo exchange (Laplacian2D below). DistributedRows is an inner-product
//    policy (krylov/inner_product.hpp): every reduce() is one
//    MPI_Allreduce(MPI_IN_PLACE, SUM) of the call's scalars, so lanczos,
//    batched Lanczos (all probes of a step in one call), extreme_eigenpairs
//    and slq run unchanged; the reduce calls per step are those each
//    algorithm's header states. Probes are counter-based (probes.hpp,
//    draw_probe_rows): each rank draws only its rows of probe i, and they are
//    the same numbers on every rank count, 1 included. extreme_eigenpairs'
//    random vectors are counter-based Gaussians in the same way.
//    Results on 1, 2, 4 ranks agree to rounding, not bit for bit: the sum of
//    an inner product is formed in a different order (local sums, then the
//    MPI reduction), which changes each reduced value by at most about
//    n eps sum_k |x_k y_k|.
// Failure: an exception on one rank would leave the others waiting in a
// collective. slq_probe_parallel and the checks here are collective: a check
// that fails on any rank throws on every rank. For the user's own code,
// run_or_abort(f) runs f and, when it throws, prints
// "blockspec::mpi: rank R failed: <what>" to stderr and calls MPI_Abort, which
// ends every rank of the job.
// Cost: as the one-process algorithms per rank on n / size rows (distributed)
// or P / size probes (probe-parallel), plus the communication above and the
// operator's own (Laplacian2D: 2 g doubles sent per product by an interior rank).
// Caveats: distributed vectors: steps and ncv are clamped or checked against the
// local row count (lanczos.hpp, eigs.hpp see only op.rows()), so keep them below
// the smallest rank's rows; the algorithms' control flow (reorthogonalization
// decisions, convergence) follows the reduced values, so every rank must receive
// the same reduced values (Open MPI's allreduce does for a fixed rank count).
// Operators must not be thread_safe across MPI calls: use threads = 1 with
// distributed vectors. slq_probe_parallel does not take a progress callback
// (cancelling one rank's probes would leave the gather incomplete).
// References: Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 38 (2017) (SLQ);
// MPI Forum, "MPI: A Message-Passing Interface Standard", v3.1 (2015);
// Hernandez, Roman & Vidal, "SLEPc", ACM TOMS 31 (2005) (row-distributed Krylov solvers).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/krylov/eigs.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/random.hpp>
#include <blockspec/spectral/probes.hpp>
#include <blockspec/spectral/slq.hpp>
#include <blockspec/spectral/spectral_quadrature.hpp>

#include <mpi.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace blockspec::mpi {

namespace detail {

/// Throws invalid_argument when MPI is not initialized or comm is MPI_COMM_NULL (local: a rank
/// with MPI_COMM_NULL cannot talk to the others, so each such rank throws on its own).
inline void check_comm(MPI_Comm comm, const char* where) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  blockspec::detail::require(initialized != 0, where, "MPI is not initialized (call MPI_Init first)");
  blockspec::detail::require(comm != MPI_COMM_NULL, where,
                             "the communicator is MPI_COMM_NULL (e.g. from MPI_Comm_split with MPI_UNDEFINED)");
}

inline int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

inline int size_of(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

/// Every rank's value of x (one MPI_Allgather).
inline std::vector<long long> allgather(MPI_Comm comm, long long x) {
  std::vector<long long> all(static_cast<std::size_t>(size_of(comm)));
  MPI_Allgather(&x, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, comm);
  return all;
}

/// Collective check: when `ok` is false on any rank, every rank throws invalid_argument; the message
/// names the first failing rank and its own text (sent from that rank).
inline void require_all(MPI_Comm comm, bool ok, const std::string& where, const std::string& what) {
  const std::vector<long long> flags = allgather(comm, ok ? 1 : 0);
  const auto bad = std::find(flags.begin(), flags.end(), 0LL);
  if (bad == flags.end()) return;
  const int culprit = static_cast<int>(bad - flags.begin());
  long long len = static_cast<long long>(what.size());
  MPI_Bcast(&len, 1, MPI_LONG_LONG, culprit, comm);
  std::string text = what;
  text.resize(static_cast<std::size_t>(len));
  MPI_Bcast(text.data(), static_cast<int>(len), MPI_CHAR, culprit, comm);
  throw invalid_argument(where + ": rank " + std::to_string(culprit) + ": " + text);
}

}  // namespace detail

/// Runs f() and returns its result; when f throws, prints "blockspec::mpi: rank R failed: <what>"
/// (R the rank in MPI_COMM_WORLD) to stderr and calls MPI_Abort(comm, 1), which ends every rank, so
/// no rank is left waiting in a collective for one that failed.
/// Example:  blockspec::mpi::run_or_abort([&] { auto q = blockspec::mpi::slq(op, o, rows); ... });
template <class F>
decltype(auto) run_or_abort(F&& f, MPI_Comm comm = MPI_COMM_WORLD) {
  auto fail = [comm](const char* what) {
    int rank = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "blockspec::mpi: rank %d failed: %s\n", rank, what);
    std::fflush(stderr);
    MPI_Abort(comm, 1);
    std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] paths honest
  };
  try {
    return std::forward<F>(f)();
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("an exception not derived from std::exception");
  }
  std::abort();
}

/// The inner-product policy of vectors split by rows over `comm`: reduce() is one
/// MPI_Allreduce(MPI_IN_PLACE, MPI_SUM) of the call's scalars.
class AllreduceInnerProduct {
 public:
  /// Throws invalid_argument for MPI_COMM_NULL or when MPI is not initialized.
  explicit AllreduceInnerProduct(MPI_Comm comm) : comm_(comm) {
    detail::check_comm(comm, "mpi::AllreduceInnerProduct");
  }
  void reduce(std::span<double> partial) const {
    if (partial.empty()) return;
    MPI_Allreduce(MPI_IN_PLACE, partial.data(), static_cast<int>(partial.size()), MPI_DOUBLE, MPI_SUM, comm_);
  }
  MPI_Comm comm() const noexcept { return comm_; }
  int rank() const { return detail::rank_of(comm_); }
  int size() const { return detail::size_of(comm_); }

 private:
  MPI_Comm comm_;
};

/// Rows [first_row, first_row + local_rows) of vectors of global_rows() rows, split in rank order over
/// comm; the policy of the distributed-vector mode (see the file comment). Construction is collective.
class DistributedRows : public AllreduceInnerProduct {
 public:
  /// Collective: every rank passes its own local row count (> 0); rank r's rows follow rank r - 1's.
  /// Throws invalid_argument on every rank when any rank's count is not positive.
  DistributedRows(MPI_Comm comm, Eigen::Index local_rows) : AllreduceInnerProduct(comm), local_(local_rows) {
    detail::require_all(comm, local_rows > 0, "mpi::DistributedRows",
                        "local_rows must be positive, got " + std::to_string(local_rows));
    const std::vector<long long> all = detail::allgather(comm, static_cast<long long>(local_rows));
    const int r = rank();
    first_ = static_cast<Eigen::Index>(std::accumulate(all.begin(), all.begin() + r, 0LL));
    global_ = static_cast<Eigen::Index>(std::accumulate(all.begin(), all.end(), 0LL));
  }
  Eigen::Index local_rows() const noexcept { return local_; }
  Eigen::Index first_row() const noexcept { return first_; }
  Eigen::Index global_rows() const noexcept { return global_; }

  /// This rank's rows of the counter-based probe `index` (probes.hpp, draw_probe_rows); the scale is
  /// that of the whole vector (one reduce call for Gaussian and sphere probes).
  template <Scalar S>
  ProbeVector<S> draw_probe(Probe kind, Eigen::Index rows, std::uint64_t seed, std::uint64_t index) const {
    blockspec::detail::require(rows == local_, "mpi::DistributedRows::draw_probe",
                               "the operator has " + std::to_string(rows) + " rows on rank " +
                                   std::to_string(rank()) + " but the layout has " + std::to_string(local_));
    double sq = 0.0;
    ProbeVector<S> p;
    p.vector = draw_probe_rows<S>(kind, first_, local_, seed, index, sq);
    const double n = static_cast<double>(global_);
    if (kind == Probe::rademacher) {
      p.scale = n;
      return p;
    }
    reduce(std::span<double>(&sq, 1));
    if (kind == Probe::gaussian) {
      p.scale = sq;
    } else {
      p.vector = (p.vector.template cast<double>() * (std::sqrt(n) / std::sqrt(sq))).template cast<S>();
      p.scale = n;
    }
    return p;
  }

  /// This rank's rows of the counter-based Gaussian vector `stream` of `seed` (extreme_eigenpairs).
  template <Scalar S>
  void fill_normal(Eigen::Ref<VectorX<S>> w, std::uint64_t seed, std::uint64_t stream) const {
    double sq = 0.0;
    w = draw_probe_rows<S>(Probe::gaussian, first_, w.size(), seed, stream, sq);
  }

 private:
  Eigen::Index local_ = 0, first_ = 0, global_ = 0;
};

/// Collective: throws invalid_argument on every rank unless op.rows() == rows.local_rows() on every rank.
template <class Op>
void check_rows(const Op& op, const DistributedRows& rows, const char* where) {
  const auto n = static_cast<Eigen::Index>(op.rows());
  detail::require_all(rows.comm(), n == rows.local_rows(), where,
                      "the operator has " + std::to_string(n) + " local rows but the layout has " +
                          std::to_string(rows.local_rows()));
}

/// SLQ on an operator split by rows (collective; see the file comment). Same result type as slq();
/// q.n is the global dimension.
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
SpectralQuadrature slq(Op&& op, const SlqOptions& options, const DistributedRows& rows) {
  check_rows(op, rows, "mpi::slq");
  return blockspec::slq(std::forward<Op>(op), options, rows);
}

/// extreme_eigenpairs on an operator split by rows (collective); the vectors hold this rank's rows.
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
EigsResult<operator_scalar_t<Op>> extreme_eigenpairs(Op&& op, int k, const EigsOptions& options,
                                                     const DistributedRows& rows) {
  check_rows(op, rows, "mpi::extreme_eigenpairs");
  return blockspec::extreme_eigenpairs(std::forward<Op>(op), k, options, rows);
}

namespace detail {

/// Probe quadratures as bytes: per probe a header of 9 words, then nodes, weights, alpha and beta.
inline void pack(const ProbeQuadrature& p, std::vector<double>& out) {
  const auto word = [&](std::uint64_t u) { out.push_back(std::bit_cast<double>(u)); };
  word(p.stream);
  word(p.seed);
  word(static_cast<std::uint64_t>(p.steps));
  word(static_cast<std::uint64_t>(p.status));
  word(static_cast<std::uint64_t>(p.matvecs));
  word(static_cast<std::uint64_t>(p.nodes.size()));
  const bool tridiagonal = p.alpha.size() > 0 && p.beta.size() == p.alpha.size() - 1;
  word(static_cast<std::uint64_t>(tridiagonal ? p.alpha.size() : 0));
  out.push_back(p.scale);
  out.push_back(p.norm_estimate);
  out.insert(out.end(), p.nodes.data(), p.nodes.data() + p.nodes.size());
  out.insert(out.end(), p.weights.data(), p.weights.data() + p.weights.size());
  if (!tridiagonal) return;
  out.insert(out.end(), p.alpha.data(), p.alpha.data() + p.alpha.size());
  out.insert(out.end(), p.beta.data(), p.beta.data() + p.beta.size());
}

inline std::vector<ProbeQuadrature> unpack(const std::vector<double>& in) {
  std::vector<ProbeQuadrature> out;
  std::size_t i = 0;
  const auto word = [&] { return std::bit_cast<std::uint64_t>(in[i++]); };
  while (i < in.size()) {
    ProbeQuadrature p;
    p.stream = word();
    p.seed = word();
    p.steps = static_cast<int>(word());
    p.status = static_cast<LanczosStatus>(word());
    p.matvecs = static_cast<std::int64_t>(word());
    const auto m = static_cast<Eigen::Index>(word());
    const auto t = static_cast<Eigen::Index>(word());
    p.scale = in[i++];
    p.norm_estimate = in[i++];
    const auto take = [&](Eigen::VectorXd& v, Eigen::Index size) {
      v = Eigen::Map<const Eigen::VectorXd>(in.data() + i, size);
      i += static_cast<std::size_t>(size);
    };
    take(p.nodes, m);
    take(p.weights, m);
    take(p.alpha, t);
    take(p.beta, t > 0 ? t - 1 : 0);
    out.push_back(std::move(p));
  }
  return out;
}

/// Every rank's bytes, concatenated in rank order (MPI_Allgather of counts, MPI_Allgatherv).
inline std::vector<double> allgatherv(MPI_Comm comm, const std::vector<double>& mine) {
  const std::vector<long long> counts = allgather(comm, static_cast<long long>(mine.size()));
  std::vector<int> bytes(counts.size()), displs(counts.size());
  long long total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    blockspec::detail::require(total + counts[r] <= (1LL << 28), "mpi::slq_probe_parallel",
                               "the gathered quadratures exceed 2 GiB");
    displs[r] = static_cast<int>(total * 8);
    bytes[r] = static_cast<int>(counts[r] * 8);
    total += counts[r];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(mine.data(), static_cast<int>(mine.size() * 8), MPI_BYTE, all.data(), bytes.data(),
                 displs.data(), MPI_BYTE, comm);
  return all;
}

/// Runs this rank's probe groups; returns their packed quadratures. An exception is caught into
/// `failure` and reported collectively by the caller.
template <class Op>
std::vector<double> run_my_groups(Op& op, const SlqOptions& o, int rank, int size, std::exception_ptr& failure) {
  std::vector<double> packed;
  try {
    blockspec::detail::CallExecutor ex(o.executor, o.threads, "mpi::slq_probe_parallel");
    const int groups = (o.probes + o.block_size - 1) / o.block_size;
    for (int g = rank; g < groups; g += size) {
      const int first = g * o.block_size;
      const int count = std::min(o.block_size, o.probes - first);
      blockspec::detail::SlqBatchResult r = blockspec::detail::run_probes(
          op, LocalInnerProduct{}, o, first, count, "mpi::slq_probe_parallel", ex.get());
      for (const auto& p : r.probes) pack(p, packed);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  return packed;
}

}  // namespace detail

/// Probe-parallel SLQ (collective over comm): every rank holds a replica of op and runs the probe
/// groups g = rank (mod size); the result, on every rank, is bit-identical to slq(op, options) on one
/// process. An exception on a rank (a non-finite operator value, ...) is rethrown there unchanged, and
/// every other rank throws blockspec::error naming the first failing rank. Throws invalid_argument on
/// every rank when op.rows() differs between ranks or options.progress is set.
/// Example:
///   auto q = blockspec::mpi::slq_probe_parallel(H, {.probes = 64, .steps = 80, .seed = 7}, MPI_COMM_WORLD);
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
SpectralQuadrature slq_probe_parallel(Op&& op, const SlqOptions& options, MPI_Comm comm) {
  const char* where = "mpi::slq_probe_parallel";
  detail::check_comm(comm, where);
  options.validate(where);
  blockspec::detail::require(!options.progress, where,
                             "options.progress must be empty (cancelling one rank's probes would leave the "
                             "gather incomplete)");
  const auto n = static_cast<long long>(op.rows());
  const std::vector<long long> rows = detail::allgather(comm, n);
  detail::require_all(comm, n == rows[0], where,
                      "the operator's rows() differ between ranks (rank 0 has " + std::to_string(rows[0]) +
                          ", this rank " + std::to_string(n) + "); every rank needs the same operator");
  blockspec::detail::check_slq_operator(op, options, where);
  std::exception_ptr failure;
  const std::vector<double> mine =
      detail::run_my_groups(op, options, detail::rank_of(comm), detail::size_of(comm), failure);
  const std::vector<long long> failed = detail::allgather(comm, failure ? 1 : 0);
  const auto bad = std::find(failed.begin(), failed.end(), 1LL);
  if (bad != failed.end()) {
    const int culprit = static_cast<int>(bad - failed.begin());
    if (failure) std::rethrow_exception(failure);  // this rank's own error, unchanged
    throw error(std::string(where) + ": rank " + std::to_string(culprit) +
                " failed (its exception is thrown on that rank)");
  }
  std::vector<ProbeQuadrature> all = detail::unpack(detail::allgatherv(comm, mine));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.stream < b.stream; });
  SpectralQuadrature q = blockspec::detail::empty_quadrature(op, options);
  q.probes = std::move(all);
  for (const auto& p : q.probes) q.matvecs += p.matvecs;
  q.status = SlqStatus::completed;
  return q;
}

/// The 5-point Laplacian of a g-by-g grid (Dirichlet boundary, h = 1: 4 on the diagonal, -1 to each
/// neighbour), rows split by grid lines over comm: rank r owns lines [line_begin, line_end) (balanced,
/// in rank order), i.e. the rows line * g + column. A product sends the first and last local line to
/// the ranks above and below (MPI_Sendrecv) and nothing else: 2 g doubles for an interior rank, g
/// for the first and last. Eigenvalues 4 - 2 cos(pi i / (g + 1)) - 2 cos(pi j / (g + 1)), 1 <= i, j <= g.
class Laplacian2D {
 public:
  using Scalar = double;

  /// Collective. Throws invalid_argument for MPI_COMM_NULL or when g < size (every rank needs a line).
  Laplacian2D(MPI_Comm comm, int g) : comm_(comm), g_(g) {
    detail::check_comm(comm, "mpi::Laplacian2D");
    rank_ = detail::rank_of(comm);
    size_ = detail::size_of(comm);
    blockspec::detail::require(g >= size_, "mpi::Laplacian2D",
                               "the grid width g = " + std::to_string(g) + " must be at least the rank count " +
                                   std::to_string(size_) + " (each rank owns whole grid lines)");
    line_begin_ = static_cast<int>(static_cast<long long>(g) * rank_ / size_);
    line_end_ = static_cast<int>(static_cast<long long>(g) * (rank_ + 1) / size_);
    lines_ = line_end_ - line_begin_;
    ghost_.resize(static_cast<Eigen::Index>(g) * (lines_ + 2));
  }

  Eigen::Index rows() const noexcept { return static_cast<Eigen::Index>(g_) * lines_; }
  Eigen::Index global_rows() const noexcept { return static_cast<Eigen::Index>(g_) * g_; }
  Eigen::Index first_row() const noexcept { return static_cast<Eigen::Index>(g_) * line_begin_; }
  int width() const noexcept { return g_; }
  /// Bytes this rank sent in its last product (the halo).
  std::int64_t halo_bytes_sent() const noexcept { return halo_bytes_; }

  void apply(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> y) {
    exchange(x);
    const Eigen::Index g = g_;
    for (Eigen::Index l = 0; l < lines_; ++l) {
      const double* up = ghost_.data() + l * g;        // line above (zero at the boundary)
      const double* mid = ghost_.data() + (l + 1) * g;
      const double* down = ghost_.data() + (l + 2) * g;
      for (Eigen::Index c = 0; c < g; ++c) {
        const double left = c > 0 ? mid[c - 1] : 0.0;
        const double right = c + 1 < g ? mid[c + 1] : 0.0;
        y[l * g + c] = 4.0 * mid[c] - left - right - up[c] - down[c];
      }
    }
  }

 private:
  /// ghost_ = [line above | local lines | line below], the outer ones from the neighbour ranks.
  void exchange(const Eigen::Ref<const Eigen::VectorXd>& x) {
    const int g = g_;
    ghost_.segment(g, x.size()) = x;
    const int above = rank_ > 0 ? rank_ - 1 : MPI_PROC_NULL;
    const int below = rank_ + 1 < size_ ? rank_ + 1 : MPI_PROC_NULL;
    ghost_.head(g).setZero();
    ghost_.tail(g).setZero();
    // Send my first line up, receive the line below from below; then the mirror.
    MPI_Sendrecv(ghost_.data() + g, g, MPI_DOUBLE, above, 0, ghost_.data() + static_cast<Eigen::Index>(g) * (lines_ + 1),
                 g, MPI_DOUBLE, below, 0, comm_, MPI_STATUS_IGNORE);
    MPI_Sendrecv(ghost_.data() + static_cast<Eigen::Index>(g) * lines_, g, MPI_DOUBLE, below, 1, ghost_.data(), g,
                 MPI_DOUBLE, above, 1, comm_, MPI_STATUS_IGNORE);
    halo_bytes_ = static_cast<std::int64_t>(g) * 8 * ((above != MPI_PROC_NULL) + (below != MPI_PROC_NULL));
  }

  MPI_Comm comm_;
  int g_, rank_ = 0, size_ = 1, line_begin_ = 0, line_end_ = 0, lines_ = 0;
  Eigen::VectorXd ghost_;
  std::int64_t halo_bytes_ = 0;
};

}  // namespace blockspec::mpi
