// blockspec/operator/detail/dense_kernels.hpp — thin-block products with a dense matrix, and a
// parallel split of their output (internal).
//
// Method: Y = A' X for a dense n x n matrix A whose storage lines (columns of a
// column-major A) are contiguous and a thin block X (k <= 12 columns). Each
// output row j is k dot products of line j with the columns of X; the kernel
// walks J lines at once, holding J x k accumulators of one cache line (64 B)
// each, so every element of A is loaded from memory once and used k times
// from registers, and X (n x k, in L2) is loaded once per J lines. For a
// symmetric A, A' X = A X.
// Cost: 2 n^2 k flops and n^2 scalars read, once per product.
// Why not Eigen's GEMM: it packs panels of A into a buffer before its kernel
// runs, which a 10-column right-hand side does not amortize. Measured at
// n = 4000 on this project's machine (AMD EPYC) in -march=native (AVX-512),
// -mavx2 -mfma and baseline SSE2 builds: this kernel takes 0.3-1.0x the time
// of Eigen's GEMM for k in 2..10 (k = 10, -march=native: 9.5 ms against
// 15 ms); for k > 12 Eigen's GEMM is as fast or faster, and it is used instead.
// Caveat: the J-by-k unroll is tuned by measurement (register pressure), not
// derived; accumulation order differs from GEMM's, so results differ from
// Eigen's in the last bits.
#pragma once

#include <blockspec/types.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace blockspec::detail {

/// Persistent workers for parallel_slices: a product split over threads runs about every
/// millisecond, and threads started per product land on a busy core now and then (measured:
/// 100 two-thread n = 4000 block products took 0.54 to 1.0 s with fresh threads, against 0.50 s
/// isolated). The workers stay, sleep on a condition variable between jobs, and so keep
/// their cores. One job at a time: a caller that finds the pool busy gets `false` and starts
/// its own threads.
class SlicePool {
 public:
  static SlicePool& instance() {
    static SlicePool pool;
    return pool;
  }
  SlicePool(const SlicePool&) = delete;
  SlicePool& operator=(const SlicePool&) = delete;
  ~SlicePool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  /// Runs job(i) for i in [1, t) on the workers and job(0) on the calling thread, and returns
  /// when all are done; `job` must not throw. Returns false, having run nothing, when busy.
  bool try_run(int t, const std::function<void(int)>& job) {
    std::unique_lock<std::mutex> owner(owner_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(workers_.size()) < t - 1) {
        const int id = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, id] { work(id); });
      }
      job_ = &job;
      tasks_ = t - 1;
      pending_.store(t - 1, std::memory_order_relaxed);
      ++generation_;
    }
    wake_.notify_all();
    job(0);
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    return true;
  }

 private:
  SlicePool() = default;

  void work(int id) {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (id > tasks_) continue;  // this job needs fewer workers
      const std::function<void(int)>* job = job_;
      lock.unlock();
      (*job)(id);
      pending_.fetch_sub(1, std::memory_order_release);
      lock.lock();
    }
  }

  std::mutex owner_;  // held by the caller of the running job
  std::mutex mutex_;  // guards the fields below
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int tasks_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::atomic<int> pending_{0};
};

/// Runs f(begin, end) on `threads` contiguous slices of [0, n) whose bounds are multiples of
/// `align` (except n); the first slice runs on the calling thread, the others on SlicePool's
/// workers (or on threads of their own when the pool is busy). An exception thrown by any
/// slice is rethrown after every slice has finished.
template <class F>
void parallel_slices(Eigen::Index n, int threads, Eigen::Index align, F&& f) {
  const Eigen::Index t = std::clamp<Eigen::Index>(threads, 1, std::max<Eigen::Index>(1, n / std::max<Eigen::Index>(align, 1)));
  if (t <= 1) {
    f(Eigen::Index{0}, n);
    return;
  }
  auto bound = [&](Eigen::Index i) {
    if (i >= t) return n;
    return std::min(n, (n * i / t) / align * align);
  };
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(t));
  const std::function<void(int)> slice = [&](int i) {
    try {
      f(bound(i), bound(i + 1));
    } catch (...) {
      errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  };
  if (!SlicePool::instance().try_run(static_cast<int>(t), slice)) {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(t - 1));
    for (int i = 1; i < static_cast<int>(t); ++i) pool.emplace_back(slice, i);
    slice(0);
    for (auto& th : pool) th.join();
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Lines per pass for a k-column block (measured; see the header comment).
constexpr int lines_per_pass(int k) { return k <= 2 ? 8 : k <= 4 ? 6 : k == 5 ? 4 : k == 6 ? 5 : k <= 10 ? 4 : 2; }

/// Largest block width the line-dot kernel handles; wider blocks go to Eigen's GEMM.
inline constexpr int max_kernel_columns = 12;

/// y(j, c) = dot(line j of A, column c of X) for j in [j0, j1): J lines at a time.
template <int K, int J, class S>
void line_dots(const S* a, Eigen::Index lda, Eigen::Index n, const S* x, Eigen::Index ldx, S* y, Eigen::Index ldy,
               Eigen::Index j0, Eigen::Index j1) {
  constexpr int L = 64 / static_cast<int>(sizeof(S));  // lanes: one cache line
  Eigen::Index j = j0;
  for (; j + J <= j1; j += J) {
    S acc[J][K][L] = {};
    const S* line[J];
    for (int q = 0; q < J; ++q) line[q] = a + (j + q) * lda;
    Eigen::Index i = 0;
    for (; i + L <= n; i += L) {
      for (int c = 0; c < K; ++c) {
        const S* xc = x + c * ldx + i;
        for (int l = 0; l < L; ++l) {
          const S xl = xc[l];
          for (int q = 0; q < J; ++q) acc[q][c][l] += line[q][i + l] * xl;
        }
      }
    }
    for (int q = 0; q < J; ++q)
      for (int c = 0; c < K; ++c) {
        S s = 0;
        for (int l = 0; l < L; ++l) s += acc[q][c][l];
        for (Eigen::Index r = i; r < n; ++r) s += line[q][r] * x[c * ldx + r];
        y[c * ldy + j + q] = s;
      }
  }
  if constexpr (J > 1) {
    if (j < j1) line_dots<K, 1, S>(a, lda, n, x, ldx, y, ldy, j, j1);
  }
}

/// Calls line_dots<k, lines_per_pass(k)> for the runtime width k in 1..sizeof...(K).
template <class S, std::size_t... K>
void line_dots_of_width(std::index_sequence<K...>, Eigen::Index k, const S* a, Eigen::Index lda, Eigen::Index n,
                        const S* x, Eigen::Index ldx, S* y, Eigen::Index ldy, Eigen::Index j0, Eigen::Index j1) {
  (void)((k == static_cast<Eigen::Index>(K + 1) &&
          (line_dots<K + 1, lines_per_pass(K + 1), S>(a, lda, n, x, ldx, y, ldy, j0, j1), true)) ||
         ...);
}

/// Y.row(j) = (line j of A) . X for j in [j0, j1), for 1 <= X.cols() <= max_kernel_columns.
/// `a` points at n lines of n scalars with stride lda (a column-major matrix's columns, a
/// row-major matrix's rows).
template <class S>
void lines_times_block(const S* a, Eigen::Index lda, Eigen::Index n, const Eigen::Ref<const MatrixX<S>>& X,
                       Eigen::Ref<MatrixX<S>> Y, Eigen::Index j0, Eigen::Index j1) {
  const S* x = X.data();
  S* y = Y.data();
  const Eigen::Index ldx = X.outerStride(), ldy = Y.outerStride();
  if (X.cols() <= max_kernel_columns) {
    line_dots_of_width<S>(std::make_index_sequence<max_kernel_columns>{}, X.cols(), a, lda, n, x, ldx, y, ldy, j0, j1);
    return;
  }
  // Wider blocks: 12 columns at a time (callers normally send these to Eigen's GEMM).
  for (Eigen::Index c = 0; c < X.cols(); c += max_kernel_columns) {
    const Eigen::Index w = std::min<Eigen::Index>(max_kernel_columns, X.cols() - c);
    lines_times_block<S>(a, lda, n, X.middleCols(c, w), Y.middleCols(c, w), j0, j1);
  }
}

}  // namespace blockspec::detail
