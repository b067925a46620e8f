// fork() after the library has started threads, then the library again in the child: the child
// must neither hang nor differ. The parent runs a threads = 2 product that demonstrably started a
// worker, forks, and the child recomputes with the same (caller-owned) executor and with a fresh
// one; the parent compares the child's bytes with its own. ctest runs this file with TIMEOUT 30
// (tests/CMakeLists.txt), in the release and ASan builds; ThreadSanitizer refuses fork() after
// threads started, so the TSan build leaves it out.
#include <blockspec/executor.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/slq.hpp>

#include <doctest/doctest.h>

#include "support/reference_matrices.hpp"

#include <cstring>
#include <vector>

#if __has_include(<sys/wait.h>) && __has_include(<unistd.h>)
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::vector<double> flatten(const blockspec::SpectralQuadrature& q) {
  std::vector<double> out;
  for (const auto& p : q.probes) {
    out.insert(out.end(), p.nodes.data(), p.nodes.data() + p.nodes.size());
    out.insert(out.end(), p.weights.data(), p.weights.data() + p.weights.size());
  }
  return out;
}

bool write_all(int fd, const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t w = ::write(fd, p, bytes);
    if (w <= 0) return false;
    p += w;
    bytes -= static_cast<std::size_t>(w);
  }
  return true;
}

std::vector<double> read_all(int fd, std::size_t count) {
  std::vector<double> out(count);
  char* p = reinterpret_cast<char*>(out.data());
  std::size_t bytes = count * sizeof(double), got = 0;
  while (got < bytes) {
    const ssize_t r = ::read(fd, p + got, bytes - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got / sizeof(double));
  return out;
}

}  // namespace

TEST_CASE("fork after use: the child's threads = 2 results equal the parent's bit for bit") {
  const Eigen::MatrixXd a = blockspec::test::with_spectrum(Eigen::VectorXd::LinSpaced(500, 0.0, 3.0), 2);
  const auto H = blockspec::dense_operator(a, blockspec::symmetric);
  blockspec::Executor ex(2);
  // One group of 6 probes: the parallel part is the split block product.
  const blockspec::SlqOptions o{.probes = 6, .steps = 30, .seed = 8, .block_size = 6, .executor = &ex};
  const std::vector<double> parent = flatten(blockspec::slq(H, o));
  REQUIRE(ex.workers() == 1);  // a worker thread exists when we fork

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const std::vector<double> owned = flatten(blockspec::slq(H, o));  // the parent's executor, adopted
    blockspec::SlqOptions fresh = o;
    fresh.executor = nullptr;
    fresh.threads = 2;
    const std::vector<double> made = flatten(blockspec::slq(H, fresh));  // one made for the call
    const bool ok = write_all(fds[1], owned.data(), owned.size() * sizeof(double)) &&
                    write_all(fds[1], made.data(), made.size() * sizeof(double));
    ::close(fds[1]);
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  const std::vector<double> owned = read_all(fds[0], parent.size());
  const std::vector<double> made = read_all(fds[0], parent.size());
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(owned.size() == parent.size());
  REQUIRE(made.size() == parent.size());
  CHECK(std::memcmp(owned.data(), parent.data(), parent.size() * sizeof(double)) == 0);
  CHECK(std::memcmp(made.data(), parent.data(), parent.size() * sizeof(double)) == 0);
}
#else
TEST_CASE("fork after use (not a POSIX system: nothing to test)") { CHECK(true); }
#endif
