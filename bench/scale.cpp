// bench/scale.cpp — the scale run: SLQ density of the matrix-free 3-D 7-point stencil at n ~ 10^8.
//
// Usage: bench_scale [grid=464] [probes=10] [steps=100] [block_size=1]
// (464^3 = 99,897,344). Reorthogonalization none: three vectors per probe in
// flight, no basis. Run it under /usr/bin/time -v for the peak resident memory.
// Prints one JSON object: n, probes, steps, matvecs, seconds, the time of one
// product, the floor ratio, and the density's mass inside the exact spectrum
// [0, 12] with its smoothed L1 distance to the exact density.
#include "bench_common.hpp"

#include <blockspec/krylov/batched_lanczos.hpp>
#include <blockspec/spectral/slq.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const Eigen::Index g = argc > 1 ? std::atol(argv[1]) : 464;
  const int probes = argc > 2 ? std::atoi(argv[2]) : 10;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 100;
  const int block = argc > 4 ? std::atoi(argv[4]) : 1;
  const bench::Stencil3d<double> op{g};
  const Eigen::Index n = op.rows();

  double tm = 0;
  {
    Eigen::VectorXd x = Eigen::VectorXd::Ones(n), y = Eigen::VectorXd::Zero(n);
    const auto t0 = std::chrono::steady_clock::now();
    op.apply(x, y);
    tm = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto q = blockspec::slq(op, {.probes = probes,
                                     .steps = steps,
                                     .seed = 1,
                                     .reorth = blockspec::Reorthogonalization::none,
                                     .threads = 1,
                                     .block_size = block});
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double sigma = 0.12;
  const auto grid = blockspec::Grid::linear(-0.6, 12.6, 2001);
  const auto est = blockspec::density(q, grid, blockspec::GaussianKernel{.sigma = sigma});
  const auto e1 = bench::laplacian_1d_eigenvalues(std::min<Eigen::Index>(g, 200));  // density of the 200^3 grid: same law
  const auto exact = bench::exact_laplacian_density(e1, 3, grid, sigma);
  std::printf(
      "{\"n\": %lld, \"probes\": %d, \"steps\": %d, \"block_size\": %d, \"matvecs\": %lld, \"seconds\": %.3f, "
      "\"matvec_s\": %.4f, \"floor_ratio\": %.3f, \"l1_vs_200cubed_exact\": %.5f, \"load\": %.2f}\n",
      static_cast<long long>(n), probes, steps, block, static_cast<long long>(q.matvecs), total, tm,
      total / (static_cast<double>(q.matvecs) * tm), blockspec::l1_distance(est, exact), bench::load_average());
  return 0;
}
