// blockspec::mpi (adapters/mpi.hpp) under mpiexec -n 1, 2, 4. Each case is collective. The
// one-process reference of each case is computed on every rank itself (probe-parallel: slq() on a
// local replica; distributed vectors: the same distributed code on MPI_COMM_SELF with all rows), so
// one run checks "np ranks agree with 1 rank" without files.
#include <blockspec/adapters/mpi.hpp>
#include <blockspec/blockspec.hpp>

#include <doctest/doctest.h>

#include <Eigen/Sparse>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace bm = blockspec::mpi;

int world_rank() { return bm::detail::rank_of(MPI_COMM_WORLD); }
int world_size() { return bm::detail::size_of(MPI_COMM_WORLD); }

/// The g-by-g 5-point Laplacian as one sparse matrix (the replica of probe-parallel runs).
Eigen::SparseMatrix<double> laplacian(int g) {
  std::vector<Eigen::Triplet<double>> t;
  const auto id = [g](int l, int c) { return l * g + c; };
  for (int l = 0; l < g; ++l)
    for (int c = 0; c < g; ++c) {
      t.emplace_back(id(l, c), id(l, c), 4.0);
      if (c > 0) t.emplace_back(id(l, c), id(l, c - 1), -1.0);
      if (c + 1 < g) t.emplace_back(id(l, c), id(l, c + 1), -1.0);
      if (l > 0) t.emplace_back(id(l, c), id(l - 1, c), -1.0);
      if (l + 1 < g) t.emplace_back(id(l, c), id(l + 1, c), -1.0);
    }
  Eigen::SparseMatrix<double> A(g * g, g * g);
  A.setFromTriplets(t.begin(), t.end());
  return A;
}

/// The eigenvalues 4 - 2 cos(pi i/(g+1)) - 2 cos(pi j/(g+1)), descending, every copy.
std::vector<double> analytic_eigenvalues(int g) {
  std::vector<double> v;
  const double pi = 3.14159265358979323846;
  for (int i = 1; i <= g; ++i)
    for (int j = 1; j <= g; ++j) v.push_back(4.0 - 2.0 * std::cos(pi * i / (g + 1)) - 2.0 * std::cos(pi * j / (g + 1)));
  std::sort(v.begin(), v.end(), std::greater<>());
  return v;
}

/// True when f() throws blockspec::invalid_argument whose message contains `text`.
template <class F>
bool throws_invalid(F&& f, const std::string& text) {
  try {
    f();
  } catch (const blockspec::invalid_argument& e) {
    const std::string m = e.what();
    if (m.find(text) == std::string::npos) MESSAGE("unexpected message: " << m);
    return m.find(text) != std::string::npos;
  }
  return false;
}

double max_abs_diff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  REQUIRE(a.size() == b.size());
  return a.size() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("mpi: probe-parallel slq is bit-identical to one-process slq on every rank count") {
  const auto A = laplacian(20);  // n = 400
  auto op = blockspec::sparse_operator(A);
  for (const auto kind : {blockspec::Probe::rademacher, blockspec::Probe::gaussian, blockspec::Probe::sphere})
    for (const int bs : {1, 3}) {
      const std::string kind_name = blockspec::to_string(kind);
      CAPTURE(kind_name);
      CAPTURE(bs);
      // 11 probes: not a multiple of 2 or 4 ranks, nor of block_size 3 (the last group has 2).
      const blockspec::SlqOptions o{.probes = 11, .steps = 30, .probe = kind, .seed = 17, .block_size = bs};
      const blockspec::SpectralQuadrature ref = blockspec::slq(op, o);
      const blockspec::SpectralQuadrature q = bm::slq_probe_parallel(op, o, MPI_COMM_WORLD);
      REQUIRE(q.size() == ref.size());
      CHECK(q.n == ref.n);
      CHECK(q.matvecs == ref.matvecs);
      CHECK(q.status == ref.status);
      for (int i = 0; i < q.size(); ++i) {
        const auto& a = q.probes[static_cast<std::size_t>(i)];
        const auto& b = ref.probes[static_cast<std::size_t>(i)];
        CHECK(a.stream == static_cast<std::uint64_t>(i));
        CHECK(a.seed == b.seed);
        CHECK(a.steps == b.steps);
        CHECK(a.status == b.status);
        CHECK(a.scale == b.scale);  // exact: bit-identical is the claim
        CHECK(a.norm_estimate == b.norm_estimate);
        CHECK(a.nodes == b.nodes);
        CHECK(a.weights == b.weights);
      }
      CHECK(blockspec::logdet(q).value == blockspec::logdet(ref).value);
    }
}

// Distributed vectors: the tolerance. A reduced inner product of n = 1600 terms is summed in a
// different order on 1, 2 and 4 ranks (local sums, then MPI's reduction), so each differs by at
// most gamma_n sum |x_k y_k| with gamma_n = n eps ~ 3.6e-13 for unit vectors. The Lanczos
// coefficients and Gauss nodes (|H| <= 8) inherit perturbations of that order, grown modestly over
// 40 steps with reorthogonalization; 1e-11 absolute on nodes, coefficients and weights (<= 1)
// allows a growth of about 30 over gamma_n, while a wrong probe row, a missing halo entry or a lost
// reduction changes them at O(1e-3) or more. The case prints the measured differences.
constexpr double kDistributedTol = 1e-11;

TEST_CASE("mpi: distributed-vector lanczos and slq agree with one rank to rounding") {
  const int g = 40;
  bm::Laplacian2D op(MPI_COMM_WORLD, g);
  const bm::DistributedRows rows(MPI_COMM_WORLD, op.rows());
  bm::Laplacian2D whole(MPI_COMM_SELF, g);
  const bm::DistributedRows all(MPI_COMM_SELF, whole.rows());
  REQUIRE(rows.global_rows() == g * g);
  REQUIRE(rows.first_row() == op.first_row());

  SUBCASE("lanczos: alpha and beta") {
    double sq = 0.0;
    const Eigen::VectorXd v = blockspec::draw_probe_rows<double>(blockspec::Probe::gaussian, rows.first_row(),
                                                                 rows.local_rows(), 5, 0, sq);
    const Eigen::VectorXd w = blockspec::draw_probe_rows<double>(blockspec::Probe::gaussian, 0, whole.rows(), 5, 0, sq);
    CHECK(v == w.segment(rows.first_row(), rows.local_rows()));  // counter-based: the same rows
    const blockspec::LanczosOptions lo{.steps = 40, .reorth = blockspec::Reorthogonalization::full};
    const auto r = blockspec::lanczos(op, v, lo, rows);
    const auto ref = blockspec::lanczos(whole, w, lo, all);
    const double da = max_abs_diff(r.alpha, ref.alpha), db = max_abs_diff(r.beta, ref.beta);
    if (world_rank() == 0) MESSAGE("lanczos |alpha - alpha_1| = " << da << ", |beta - beta_1| = " << db);
    CHECK(da <= kDistributedTol);
    CHECK(db <= kDistributedTol);
  }
  SUBCASE("slq, one probe at a time and batched") {
    for (const auto kind : {blockspec::Probe::rademacher, blockspec::Probe::gaussian, blockspec::Probe::sphere})
      for (const int bs : {1, 3}) {
        const std::string kind_name = blockspec::to_string(kind);
        CAPTURE(kind_name);
        CAPTURE(bs);
        const blockspec::SlqOptions o{.probes = 6, .steps = 40, .probe = kind, .seed = 3, .block_size = bs};
        const auto q = bm::slq(op, o, rows);
        const auto ref = bm::slq(whole, o, all);
        CHECK(q.n == g * g);
        REQUIRE(q.size() == ref.size());
        double dn = 0.0, dw = 0.0, ds = 0.0;
        for (int i = 0; i < q.size(); ++i) {
          const auto& a = q.probes[static_cast<std::size_t>(i)];
          const auto& b = ref.probes[static_cast<std::size_t>(i)];
          REQUIRE(a.steps == b.steps);
          dn = std::max(dn, max_abs_diff(a.nodes, b.nodes));
          dw = std::max(dw, max_abs_diff(a.weights, b.weights));
          ds = std::max(ds, std::abs(a.scale - b.scale) / b.scale);
        }
        if (world_rank() == 0)
          MESSAGE(kind_name << " bs " << bs << ": |nodes - nodes_1| = " << dn
                                             << ", |weights - weights_1| = " << dw << ", rel |scale| = " << ds);
        CHECK(dn <= kDistributedTol);
        CHECK(dw <= kDistributedTol);
        CHECK(ds <= 1e-12);  // a sum of n squares in another order: n eps relative at most
        // tr H = 4 n exactly; each sample is v'Hv, so the mean is close to it (loose statistical check:
        // a wrong probe scale or missing rows is off by a factor of the rank count).
        const auto tr = blockspec::trace_estimate(q, [](double x) { return x; });
        CHECK(std::abs(tr.value - 4.0 * g * g) <= 0.1 * 4.0 * g * g);
      }
  }
}

TEST_CASE("mpi: extreme_eigenpairs finds the 10 largest eigenpairs of the 2-D Laplacian, both copies") {
  const int g = 30;  // n = 900; the top 10 hold the double pairs (i, j), (j, i)
  bm::Laplacian2D op(MPI_COMM_WORLD, g);
  const bm::DistributedRows rows(MPI_COMM_WORLD, op.rows());
  bm::Laplacian2D whole(MPI_COMM_SELF, g);
  const bm::DistributedRows all(MPI_COMM_SELF, whole.rows());
  const blockspec::EigsOptions eo{.which = blockspec::Which::largest, .tol = 1e-10, .seed = 1};
  const auto e = bm::extreme_eigenpairs(op, 10, eo, rows);
  const auto ref = bm::extreme_eigenpairs(whole, 10, eo, all);
  REQUIRE(e.status == blockspec::EigsStatus::converged);
  REQUIRE(ref.status == blockspec::EigsStatus::converged);
  const std::vector<double> exact = analytic_eigenvalues(g);
  // tol 1e-10 bounds each residual by 1e-10 |H| <= 8e-10, and an eigenvalue's error by the residual
  // (symmetric H): 1e-8 leaves room; a missed copy of a double eigenvalue is off by the gap (> 1e-2).
  double d_exact = 0.0, d_one = 0.0, resid = 0.0;
  for (int i = 0; i < 10; ++i) {
    d_exact = std::max(d_exact, std::abs(e.values[i] - exact[static_cast<std::size_t>(i)]));
    d_one = std::max(d_one, std::abs(e.values[i] - ref.values[i]));
    Eigen::VectorXd hx(op.rows());
    op.apply(e.vectors.col(i), hx);
    double r2 = (hx - e.values[i] * e.vectors.col(i)).squaredNorm();
    rows.reduce(std::span<double>(&r2, 1));
    resid = std::max(resid, std::sqrt(r2));
  }
  if (world_rank() == 0)
    MESSAGE("eigs: |lambda - exact| = " << d_exact << ", |lambda - lambda_1rank| = " << d_one
                                        << ", max |H x - lambda x| = " << resid << ", matvecs " << e.matvecs);
  CHECK(d_exact <= 1e-8);
  CHECK(d_one <= 1e-8);
  CHECK(resid <= 1e-8);
  // both copies: values 2-3, 4-5, ... of the exact list are doubles, and so are the computed ones
  CHECK(exact[1] == doctest::Approx(exact[2]).epsilon(1e-14));
  CHECK(std::abs(e.values[1] - e.values[2]) <= 1e-8);
}

TEST_CASE("mpi: the halo exchange sends only the neighbour lines") {
  const int g = 40;
  bm::Laplacian2D op(MPI_COMM_WORLD, g);
  const Eigen::VectorXd x = Eigen::VectorXd::Ones(op.rows());
  Eigen::VectorXd y(op.rows());
  op.apply(x, y);
  const int r = world_rank(), s = world_size();
  const std::int64_t neighbours = (r > 0) + (r + 1 < s);
  CHECK(op.halo_bytes_sent() == neighbours * g * 8);  // interior rank: 2 g 8 bytes, not n 8
  if (s > 2 && r == 1) CHECK(op.halo_bytes_sent() == 2 * g * 8);
  CHECK(op.halo_bytes_sent() < g * g * 8);
  // y = H 1: 4 minus the number of neighbours of each grid point; right only with the halo
  const bm::DistributedRows rows(MPI_COMM_WORLD, op.rows());
  const auto A = laplacian(g);
  const Eigen::VectorXd ref = (A * Eigen::VectorXd::Ones(g * g)).segment(rows.first_row(), rows.local_rows());
  CHECK(y == ref);
}

TEST_CASE("mpi: MPI_COMM_NULL is a clear error on every rank") {
  MPI_Comm none = MPI_COMM_WORLD;
  MPI_Comm_split(MPI_COMM_WORLD, MPI_UNDEFINED, 0, &none);
  REQUIRE(none == MPI_COMM_NULL);
  const auto A = laplacian(6);
  auto op = blockspec::sparse_operator(A);
  CHECK(throws_invalid([&] { bm::AllreduceInnerProduct p(none); }, "MPI_COMM_NULL"));
  CHECK(throws_invalid([&] { bm::DistributedRows p(none, 10); }, "MPI_COMM_NULL"));
  CHECK(throws_invalid([&] { bm::Laplacian2D p(none, 10); }, "MPI_COMM_NULL"));
  CHECK(throws_invalid([&] { bm::slq_probe_parallel(op, {.probes = 2, .steps = 5}, none); }, "MPI_COMM_NULL"));
}

TEST_CASE("mpi: local sizes that disagree are a clear error on every rank") {
  const int r = world_rank(), s = world_size();
  SUBCASE("a rank with no rows") {
    const Eigen::Index mine = r == s - 1 ? 0 : 10;
    CHECK(throws_invalid([&] { bm::DistributedRows p(MPI_COMM_WORLD, mine); },
                         "rank " + std::to_string(s - 1) + ": local_rows must be positive, got 0"));
  }
  SUBCASE("an operator whose rows differ from the layout's") {
    bm::Laplacian2D op(MPI_COMM_WORLD, 8);
    const bm::DistributedRows rows(MPI_COMM_WORLD, op.rows() + (r == 0 ? 1 : 0));
    CHECK(throws_invalid([&] { bm::slq(op, {.probes = 2, .steps = 5}, rows); }, "rank 0: the operator has"));
    CHECK(throws_invalid([&] { bm::extreme_eigenpairs(op, 2, {}, rows); }, "rank 0: the operator has"));
  }
  SUBCASE("probe-parallel replicas of different sizes") {
    if (s == 1) return;  // one rank cannot disagree with itself
    const auto A = laplacian(r == s - 1 ? 7 : 6);
    auto op = blockspec::sparse_operator(A);
    CHECK(throws_invalid([&] { bm::slq_probe_parallel(op, {.probes = 4, .steps = 5}, MPI_COMM_WORLD); },
                         "rank " + std::to_string(s - 1) + ": the operator's rows() differ between ranks"));
  }
  SUBCASE("a grid narrower than the rank count") {
    if (s == 1) return;
    CHECK(throws_invalid([&] { bm::Laplacian2D op(MPI_COMM_WORLD, s - 1); }, "must be at least the rank count"));
  }
}

TEST_CASE("mpi: a failing probe on one rank is an exception on every rank, not a hang") {
  const int r = world_rank();
  const auto A = laplacian(6);
  // Rank 0's replica returns NaN; the others are fine. Probe 0 runs on rank 0.
  auto op = blockspec::make_operator(36, [&](const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> y) {
    y = A * x;
    if (r == 0) y[0] = std::numeric_limits<double>::quiet_NaN();
  });
  bool threw = false;
  try {
    bm::slq_probe_parallel(op, {.probes = 4, .steps = 5}, MPI_COMM_WORLD);
  } catch (const blockspec::numerical_error& e) {
    threw = r == 0;
    CHECK(std::string(e.what()).find("probe 0") != std::string::npos);
  } catch (const blockspec::error& e) {
    threw = r != 0;
    CHECK(std::string(e.what()).find("rank 0 failed") != std::string::npos);
  }
  CHECK(threw);
}

namespace {
/// DistributedRows that counts its MPI_Allreduce calls and the scalars they carry.
struct CountingRows {
  const bm::DistributedRows& rows;
  mutable long long calls = 0, scalars = 0;
  void reduce(std::span<double> partial) const {
    ++calls;
    scalars += static_cast<long long>(partial.size());
    rows.reduce(partial);
  }
};
}  // namespace

TEST_CASE("mpi: batched Lanczos reduces all probes' scalars of a step in one allreduce") {
  const int g = 24;
  bm::Laplacian2D op(MPI_COMM_WORLD, g);
  const bm::DistributedRows rows(MPI_COMM_WORLD, op.rows());
  const int k = 4;
  Eigen::MatrixXd V(op.rows(), k);
  for (int c = 0; c < k; ++c) {
    double sq = 0.0;
    V.col(c) = blockspec::draw_probe_rows<double>(blockspec::Probe::rademacher, rows.first_row(), rows.local_rows(),
                                                  9, static_cast<std::uint64_t>(c), sq);
  }
  const blockspec::LanczosOptions lo{.steps = 20, .reorth = blockspec::Reorthogonalization::none};
  CountingRows one{rows}, batch{rows};
  const auto r1 = blockspec::lanczos(op, V.col(0), lo, one);
  const auto rk = blockspec::batched_lanczos(op, V, lo, batch);
  REQUIRE(rk.size() == static_cast<std::size_t>(k));
  // The same number of calls for k probes as for one: the k probes' scalars share each call.
  CHECK(batch.calls == one.calls);
  CHECK(batch.scalars == k * one.scalars);
  CHECK(max_abs_diff(rk[0].alpha, r1.alpha) <= kDistributedTol);
}
