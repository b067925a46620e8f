// Tests of executor.hpp: the one executor of all parallel work. Every index runs once, errors
// come back, nested calls (blockwise -> slq -> product) neither deadlock nor exceed the width,
// two caller threads can run slq at once, and results never depend on the thread count.
#include <blockspec/analysis/blockwise.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/slq.hpp>

#include <doctest/doctest.h>

#include "support/reference_matrices.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

// A 600 x 600 symmetric matrix with a known spread spectrum; products of a block go through the
// line-dot kernel, which splits its rows over the executor.
const Eigen::MatrixXd& matrix() {
  static const Eigen::MatrixXd a =
      blockspec::test::with_spectrum(Eigen::VectorXd::LinSpaced(600, -2.0, 5.0), 17);
  return a;
}

bool same(const blockspec::SpectralQuadrature& a, const blockspec::SpectralQuadrature& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i)
    if (a.probes[static_cast<std::size_t>(i)].nodes != b.probes[static_cast<std::size_t>(i)].nodes ||
        a.probes[static_cast<std::size_t>(i)].weights != b.probes[static_cast<std::size_t>(i)].weights)
      return false;
  return true;
}

}  // namespace

TEST_CASE("parallel_for runs every index exactly once and rethrows the lowest failing index") {
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    blockspec::Executor ex(threads);
    std::vector<std::atomic<int>> hits(200);
    for (int rep = 0; rep < 20; ++rep) ex.parallel_for(200, [&](int i) { hits[static_cast<std::size_t>(i)]++; });
    for (const auto& h : hits) CHECK(h.load() == 20);
    std::atomic<int> ran{0};
    try {
      ex.parallel_for(10, [&](int i) {
        ++ran;
        if (i == 3 || i == 7) throw std::runtime_error("index " + std::to_string(i));
      });
      FAIL("expected an exception");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "index 3");
    }
    if (threads > 1) CHECK(ran.load() == 10);  // the other indices still ran
    CHECK(ex.workers() <= threads - 1);
  }
  CHECK_THROWS_WITH_AS(blockspec::Executor(0), doctest::Contains("threads must be positive, got 0"),
                       blockspec::invalid_argument);
}

TEST_CASE("nested calls share the executor: no deadlock, at most `threads` threads at once") {
  blockspec::Executor ex(2);
  std::atomic<int> inside{0}, most{0};
  ex.parallel_for(6, [&](int) {
    ex.parallel_for(6, [&](int) {
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      --inside;
    });
  });
  CHECK(most.load() <= 2);
  CHECK(ex.workers() == 1);
  CHECK(ex.peak_concurrency() <= 2);

  // blockwise_spectra -> slq -> block products, all on one executor of width 2: one probe group
  // per block (block_size = probes), so the products are the parallel part.
  const auto H = blockspec::dense_operator(matrix(), blockspec::symmetric);
  const auto part = blockspec::BlockPartition::from_sizes({{"a", 200}, {"b", 250}, {"c", 150}});
  const blockspec::SlqOptions slq{.probes = 4, .steps = 20, .seed = 5, .block_size = 4};
  blockspec::Executor shared(2);
  blockspec::SlqOptions on_shared = slq;
  on_shared.executor = &shared;
  const auto r2 = blockspec::blockwise_spectra(H, part, {.slq = on_shared});
  const auto r1 = blockspec::blockwise_spectra(H, part, {.slq = slq});
  CHECK(shared.workers() == 1);            // the products did start a worker ...
  CHECK(shared.peak_concurrency() <= 2);   // ... and never more than two threads ran tasks
  REQUIRE(r1.quadratures.size() == r2.quadratures.size());
  for (std::size_t l = 0; l < r1.quadratures.size(); ++l) CHECK(same(r1.quadratures[l], r2.quadratures[l]));
  CHECK(r1.js_distance == r2.js_distance);
}

TEST_CASE("slq results are bit-identical for every thread count, in groups and in split products") {
  const auto H = blockspec::dense_operator(matrix(), blockspec::symmetric);
  for (int block : {1, 3, 8}) {
    CAPTURE(block);
    const blockspec::SlqOptions base{.probes = 8, .steps = 25, .seed = 11, .threads = 1, .block_size = block};
    const auto one = blockspec::slq(H, base);
    for (int threads : {2, 3}) {
      CAPTURE(threads);
      blockspec::SlqOptions o = base;
      o.threads = threads;
      CHECK(same(one, blockspec::slq(H, o)));
    }
  }
  blockspec::Executor ex(2);
  CHECK_THROWS_WITH_AS(blockspec::slq(H, {.threads = 3, .executor = &ex}), doctest::Contains("threads = 3"),
                       blockspec::invalid_argument);
}

TEST_CASE("two caller threads may run slq at once, each with threads = 2") {
  const auto H = blockspec::dense_operator(matrix(), blockspec::symmetric);
  const blockspec::SlqOptions o{.probes = 6, .steps = 20, .seed = 3, .threads = 2, .block_size = 3};
  const auto want = blockspec::slq(H, o);
  blockspec::SpectralQuadrature a, b;
  std::thread t1([&] { a = blockspec::slq(H, o); });
  std::thread t2([&] { b = blockspec::slq(H, o); });
  t1.join();
  t2.join();
  CHECK(same(a, want));
  CHECK(same(b, want));
}
