// bench/slq.cpp — SLQ (10 probes x 100 steps) on a dense GOE (n = 4000), the sparse
// 2-D Laplacian (n = 10^6) and a matrix-free 3-D 7-point stencil (n = 216^3 ~ 10^7).
//
// Each benchmark runs slq() once (Iterations(1), wall time) and reports:
//   matvecs          products with H (all probes)
//   matvec_s         the time of ONE single-vector product, median of 15, measured in the same run
//   floor_ratio      total time / (matvecs * matvec_s): 1 means "as fast as the products alone";
//                    below 1 is possible with block products (the operator is read once per block)
//   GBps             matvecs * (bytes one single product must read) / total time
//   l1_exact         (Laplacian) L1 distance between the smoothed SLQ density and the exact one
//   load             /proc/loadavg at the end (the machine is shared)
// Arguments: block_size, threads, reorth (0 none, 1 partial, 2 full); for the GOE a fourth,
// kept so that the rows keep the names of earlier runs (bench/RESULTS.md): the call runs with
// threads = args[1] * args[3]. slq_goe/10/1/1/2 is one group of 10 probes with threads = 2, whose
// block products split over the call's executor; slq_goe/5/2/1/1 is two groups on two lanes.
#include "bench_common.hpp"

#include <blockspec/krylov/batched_lanczos.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/slq.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

namespace {

template <class Op>
double single_matvec_seconds(const Op& op) {
  const Eigen::Index n = op.rows();
  Eigen::VectorXd x = Eigen::VectorXd::Random(n), y = Eigen::VectorXd::Zero(n);
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    op.apply(x, y);
    benchmark::DoNotOptimize(y.data());
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + 7, t.end());
  return t[7];
}

template <class Op>
blockspec::SpectralQuadrature run_slq(benchmark::State& state, const Op& op, double bytes_per_matvec,
                                      int threads_factor = 1) {
  const blockspec::SlqOptions o{.probes = 10,
                                .steps = 100,
                                .seed = 1,
                                .reorth = static_cast<blockspec::Reorthogonalization>(state.range(2)),
                                .threads = static_cast<int>(state.range(1)) * threads_factor,
                                .block_size = static_cast<int>(state.range(0))};
  const double tm = single_matvec_seconds(op);
  blockspec::SpectralQuadrature q;
  double total = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    q = blockspec::slq(op, o);
    total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(total);
  }
  state.counters["matvecs"] = static_cast<double>(q.matvecs);
  state.counters["matvec_s"] = tm;
  state.counters["floor_ratio"] = total / (static_cast<double>(q.matvecs) * tm);
  state.counters["GBps"] = static_cast<double>(q.matvecs) * bytes_per_matvec / total * 1e-9;
  state.counters["load"] = bench::load_average();
  return q;
}

void slq_goe(benchmark::State& state) {
  // Known symmetric: one vector through one triangle (SYMV), blocks through the line-dot kernel
  // (the fastest of each, operator_products). GBps counts the SYMV's bytes (half the matrix).
  const auto op = blockspec::dense_operator(bench::goe(4000), blockspec::symmetric);
  run_slq(state, op, 8.0 * 4000 * 4000 / 2, static_cast<int>(state.range(3)));
}

const Eigen::SparseMatrix<double, Eigen::RowMajor>& laplacian() {
  static const auto a = bench::laplacian_2d(1000);
  return a;
}

void slq_laplacian(benchmark::State& state) {
  const auto op = blockspec::sparse_operator(laplacian());
  const double bytes = 12.0 * static_cast<double>(laplacian().nonZeros()) + 8.0 * 1e6 * 3;
  const auto q = run_slq(state, op, bytes);
  // Accuracy: Gaussian smoothing with sigma = 1% of the spectrum's range [0, 8], 2001 points on [-0.4, 8.4].
  const double sigma = 0.08;
  static const auto grid = blockspec::Grid::linear(-0.4, 8.4, 2001);
  static const auto exact = bench::exact_laplacian_density(bench::laplacian_1d_eigenvalues(1000), 2, grid, sigma);
  const auto est = blockspec::density(q, grid, blockspec::GaussianKernel{.sigma = sigma});
  state.counters["l1_exact"] = blockspec::l1_distance(est, exact);
}

void slq_stencil(benchmark::State& state) {
  const bench::Stencil3d<double> op{216};
  run_slq(state, op, 8.0 * 2 * static_cast<double>(op.rows()));
}

}  // namespace

// args: block_size, threads, reorth
// GOE: one at a time and batched, with one thread and with two (two probe groups in parallel, or
// one group of 10 whose products use two threads).
BENCHMARK(slq_goe)->Args({1, 1, 1, 1})->Args({10, 1, 1, 1})->Args({1, 2, 1, 1})->Args({5, 2, 1, 1})->Args({10, 1, 1, 2})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(slq_laplacian)->Args({1, 1, 0})->Args({10, 1, 0})->Args({5, 2, 0})->Args({1, 1, 1})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(slq_stencil)->Args({1, 1, 0})->Args({10, 1, 0})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
