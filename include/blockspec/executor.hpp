// blockspec/executor.hpp — the one executor that runs all of blockspec's parallel work.
//
// Every parallel piece of the library (the probes of slq, the blocks of a
// blockwise run, the slices of one dense block product) is a call of
// Executor::parallel_for(count, f): f(0) ... f(count - 1) run on the calling
// thread and on whichever of the executor's workers are idle, and the call
// returns when all have finished. `threads` means one thing everywhere: the
// number of threads a call may use, the caller's included, so an executor of
// t threads has at most t - 1 workers and never more than t threads run its
// tasks at once, however the calls nest (blockwise -> slq -> product).
//
// Scheduling: the caller claims indices of its own job as the workers do (an
// index is claimed under the executor's lock, then run outside it), so a call
// made from inside a task never waits for a thread that is waiting for it: it
// runs its own indices when nobody is free, and then blocks on a condition
// variable only for indices already running elsewhere. Nothing spins. Which
// thread runs an index never changes a result: every index writes its own
// output, so results are bit-identical for every thread count.
//
// Lifetime and fork(): workers start on the first parallel_for that can use
// them and are joined by the destructor. Algorithms given no executor make
// one for the call, so no library thread outlives a call and a fork()ed
// child, a second caller thread or a nested call never finds one. An
// Executor owned by the caller may be used in a child after fork(): the
// child sees that its process id changed, abandons the parent's workers (it
// cannot join threads that do not exist in it; their state is leaked, not
// touched) and starts its own.
// Exceptions: an exception thrown by f(i) is kept, the remaining indices still
// run, and the one of the lowest index is rethrown to the caller.
// Why std::thread and not OpenMP or oneTBB: a header-only library cannot ask
// every consumer for -fopenmp, OpenMP regions cannot carry an exception out,
// and both keep process-wide pools that are not fork-safe.
#pragma once

#include <blockspec/error.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define BLOCKSPEC_HAVE_GETPID 1
#else
#define BLOCKSPEC_HAVE_GETPID 0
#endif

namespace blockspec {

/// A fixed-width pool of std::threads for fork-join loops (see the file comment).
/// Example:
///   blockspec::Executor ex(2);
///   ex.parallel_for(8, [&](int i) { out[i] = work(i); });
///   auto q = blockspec::slq(H, {.probes = 20, .executor = &ex});
class Executor {
 public:
  /// An executor whose calls use at most `threads` threads (the caller's included).
  explicit Executor(int threads = 1) : threads_(threads) {
    detail::require(threads >= 1, "Executor", "threads must be positive, got " + std::to_string(threads));
  }
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor() { shutdown(); }

  /// The width: threads a parallel_for may use, the calling thread included.
  int threads() const noexcept { return threads_; }

  /// Runs f(i) for i in [0, count) on the calling thread and idle workers; returns when all are done.
  template <class F>
  void parallel_for(int count, F&& f) {
    if (count <= 0) return;
    if (threads_ == 1 || count == 1) {
      for (int i = 0; i < count; ++i) f(i);  // inline: nothing to share
      return;
    }
    auto invoke = [](void* fn, int i) { (*static_cast<std::remove_reference_t<F>*>(fn))(i); };
    Job job(count, invoke, static_cast<void*>(std::addressof(f)));
    run_job(job);
    for (const auto& e : job.errors)
      if (e) std::rethrow_exception(e);
  }

  /// Workers alive now (at most threads() - 1).
  int workers() const {
    std::lock_guard<std::mutex> lock(state().mutex);
    return static_cast<int>(state().workers.size());
  }
  /// The most threads that ran this executor's shared tasks at the same time since it was made
  /// (tasks a call runs inline, when it has one task or the executor one thread, are not counted).
  int peak_concurrency() const {
    std::lock_guard<std::mutex> lock(state().mutex);
    return state().peak;
  }

 private:
  struct Job {
    Job(int n, void (*call)(void*, int), void* fn) : count(n), invoke(call), f(fn), errors(static_cast<std::size_t>(n)) {}
    int count;
    void (*invoke)(void*, int);
    void* f;
    int next = 0;  // the next unclaimed index; guarded by the state's mutex, as are the fields below
    int done = 0;
    std::vector<std::exception_ptr> errors;
    std::condition_variable finished;
  };

  struct State {
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job*> open;  // jobs with unclaimed indices
    std::vector<std::thread> workers;
    bool stop = false;
    int running = 0;  // threads inside a task now
    int peak = 0;
    long pid = current_pid();
  };

  static long current_pid() noexcept {
#if BLOCKSPEC_HAVE_GETPID
    return static_cast<long>(::getpid());
#else
    return 0;
#endif
  }

  State& state() const { return *state_; }

  /// After fork() the child owns none of the parent's workers: leak their state, start afresh.
  void adopt_after_fork() {
    if (state_->pid == current_pid()) return;
    (void)state_.release();  // NOLINT: the parent's threads do not exist here; never join or destroy them
    state_ = std::make_unique<State>();
  }

  void run_job(Job& job) {
    adopt_after_fork();
    State& s = state();
    std::unique_lock<std::mutex> lock(s.mutex);
    s.open.push_back(&job);
    const int wanted = std::min(threads_ - 1, job.count - 1);
    while (static_cast<int>(s.workers.size()) < wanted) s.workers.emplace_back([this, &s] { work(s); });
    s.wake.notify_all();
    help(job, lock);
    job.finished.wait(lock, [&] { return job.done == job.count; });
    forget(job);
  }

  /// Claims and runs indices of `job` until none is left; called and returns with the lock held.
  void help(Job& job, std::unique_lock<std::mutex>& lock) {
    State& s = state();
    while (job.next < job.count) {
      const int i = job.next++;
      if (job.next == job.count) forget(job);  // nothing left to claim
      const bool outermost = task_depth() == 0;  // a nested task runs on a thread already counted
      if (outermost) s.peak = std::max(s.peak, ++s.running);
      ++task_depth();
      lock.unlock();
      try {
        job.invoke(job.f, i);
      } catch (...) {
        job.errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
      lock.lock();
      --task_depth();
      if (outermost) --s.running;
      if (++job.done == job.count) {
        job.finished.notify_all();
        return;  // the job may be gone once the lock is released
      }
    }
  }

  /// How many shared tasks the calling thread is inside (nested calls), for the concurrency count.
  static int& task_depth() noexcept {
    thread_local int depth = 0;
    return depth;
  }

  void forget(Job& job) {
    auto& open = state().open;
    const auto it = std::find(open.begin(), open.end(), &job);
    if (it != open.end()) open.erase(it);
  }

  void work(State& s) {
    std::unique_lock<std::mutex> lock(s.mutex);
    while (true) {
      s.wake.wait(lock, [&] { return s.stop || !s.open.empty(); });
      if (s.stop) return;
      help(*s.open.front(), lock);
    }
  }

  void shutdown() {
    if (!state_) return;
    if (state_->pid != current_pid()) {  // a forked child never joins (or destroys) the parent's threads
      (void)state_.release();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->stop = true;
    }
    state_->wake.notify_all();
    for (auto& w : state_->workers) w.join();
  }

  int threads_ = 1;
  std::unique_ptr<State> state_ = std::make_unique<State>();
};

namespace detail {

/// The executor a call runs on: the caller's, or one made for the call with `threads` threads.
class CallExecutor {
 public:
  CallExecutor(Executor* given, int threads, const std::string& where) {
    if (given) {
      require(threads == 1 || threads == given->threads(), where,
              "threads = " + std::to_string(threads) + " differs from the given executor's " +
                  std::to_string(given->threads()) + " (leave threads at 1 to use the executor's)");
      ex_ = given;
    } else {
      require(threads >= 1, where, "threads must be positive, got " + std::to_string(threads));
      own_.emplace(threads);
      ex_ = &*own_;
    }
  }
  Executor& get() noexcept { return *ex_; }

 private:
  std::optional<Executor> own_;
  Executor* ex_ = nullptr;
};

}  // namespace detail
}  // namespace blockspec
