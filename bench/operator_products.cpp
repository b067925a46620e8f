// bench/operator_products.cpp — one product and block products: full vs one-triangle storage.
//
// Dense GOE n = 4000 (GEMV/GEMM vs SYMV/SYMM through selfadjointView vs the `symmetric`
// form: SYMV for one vector, the line-dot kernel for blocks, on an Executor of 1 or 2 threads) and the
// 2-D Laplacian n = 10^6 (full CSR vs upper triangle; Eigen's sparse-times-
// dense block product vs blockspec's tiled kernel). Counter `seconds_per_vector`
// is the time of one block product divided by its width k.
#include "bench_common.hpp"

#include <blockspec/operator/matrix.hpp>

#include <benchmark/benchmark.h>

namespace {

template <class Op>
void run_products(benchmark::State& state, const Op& op, int threads = 1) {
  const Eigen::Index k = state.range(0), n = op.rows();
  blockspec::Executor ex(threads);  // an ExecutorAwareOperator splits its block products over it
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(n, k), y = Eigen::MatrixXd::Zero(n, k);  // touched: no page faults in the loop
  for (auto _ : state) {
    if (k == 1)
      op.apply(x.col(0), y.col(0));
    else
      blockspec::detail::apply_block(op, x, y, ex);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["seconds_per_vector"] =
      benchmark::Counter(static_cast<double>(k), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["load"] = bench::load_average();
}

const Eigen::SparseMatrix<double, Eigen::RowMajor>& lap() {
  static const auto a = bench::laplacian_2d(1000);
  return a;
}
const Eigen::SparseMatrix<double, Eigen::RowMajor>& lap_upper() {
  static const Eigen::SparseMatrix<double, Eigen::RowMajor> u = lap().triangularView<Eigen::Upper>();
  return u;
}

void dense_full(benchmark::State& s) { run_products(s, blockspec::dense_operator(bench::goe(4000))); }
void dense_upper(benchmark::State& s) {
  run_products(s, blockspec::dense_operator(bench::goe(4000), blockspec::upper_triangle));
}
void dense_symmetric(benchmark::State& s) {
  // args: k, threads. One vector is SYMV on the calling thread whatever the threads (a split
  // would make its rounding depend on the thread count), so {1, 2} measures the same as {1, 1}.
  run_products(s, blockspec::dense_operator(bench::goe(4000), blockspec::symmetric), static_cast<int>(s.range(1)));
}
void sparse_full(benchmark::State& s) { run_products(s, blockspec::sparse_operator(lap())); }
void sparse_upper(benchmark::State& s) { run_products(s, blockspec::sparse_operator(lap_upper(), blockspec::upper_triangle)); }
/// Eigen's own sparse * dense block product, for comparison with the tiled kernel.
void sparse_eigen_block(benchmark::State& state) {
  const Eigen::Index k = state.range(0), n = lap().rows();
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(n, k), y = Eigen::MatrixXd::Zero(n, k);  // touched: no page faults in the loop
  for (auto _ : state) {
    y.noalias() = lap() * x;
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["seconds_per_vector"] =
      benchmark::Counter(static_cast<double>(k), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["load"] = bench::load_average();
}

}  // namespace

BENCHMARK(dense_full)->Arg(1)->Arg(10)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(dense_upper)->Arg(1)->Arg(10)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
// args: block width, threads per product
BENCHMARK(dense_symmetric)->Args({1, 1})->Args({5, 1})->Args({10, 1})->Args({16, 1})->Args({64, 1})->Args({1, 2})->Args({10, 2})->Unit(benchmark::kMillisecond);
BENCHMARK(sparse_full)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(sparse_upper)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(sparse_eigen_block)->Arg(10)->Unit(benchmark::kMillisecond);
