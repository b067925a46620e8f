// api_tour: the five-minute tour of README.md, compiled and run by the test
// build so that the README cannot drift from the API. Each section below is
// one README snippet.
#include <blockspec/blockspec.hpp>

#include <cstdio>

int main() {
  // 1. An operator is anything with Scalar, rows() and apply(x, y). Here a
  //    user-written "Hessian-vector product": a 3-block diagonal matrix.
  const Eigen::Index n = 300;
  Eigen::VectorXd diag(n);
  for (Eigen::Index i = 0; i < n; ++i) diag[i] = i < 100 ? 1.0 + i * 0.01 : (i < 200 ? 50.0 + i * 0.1 : 500.0 + i);
  auto H = blockspec::make_operator(n, [&](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    y = diag.cwiseProduct(x);
  });

  // 2. Lanczos and its Gauss quadrature; extreme eigenpairs with restarts.
  const auto run = blockspec::lanczos(H, Eigen::VectorXd::Ones(n), {.steps = 60});
  const auto quad = blockspec::gauss_quadrature(run);  // nodes, weights (sum to 1)
  const auto top = blockspec::extreme_eigenpairs(H, 3, {.which = blockspec::Which::largest, .tol = 1e-10});
  std::printf("largest Ritz value %.6f, top eigenvalues %.6f %.6f %.6f (%lld products)\n",
              quad.nodes[quad.nodes.size() - 1], top.values[0], top.values[1], top.values[2],
              static_cast<long long>(top.matvecs));

  // 3. SLQ: a spectral density and trace estimates with confidence intervals.
  const auto sq = blockspec::slq(H, {.probes = 20, .steps = 80, .probe = blockspec::Probe::gaussian, .seed = 1});
  const auto grid = blockspec::Grid::linear(0.0, 900.0, 2001);
  const auto dens = blockspec::density(sq, grid, blockspec::GaussianKernel{.sigma = 5.0});
  const auto ld = blockspec::logdet(sq);  // Estimate {value, std_error, ci_low, ci_high, samples, quadrature_warning, ...}
  std::printf("density mass %.3f; log det = %.2f, 95%% CI [%.2f, %.2f] (exact %.2f)\n",
              dens.values().dot(grid.weights()), ld.value, ld.ci_low, ld.ci_high, diag.array().log().sum());
  // The interval covers the probe error only; the quadrature check compares m with m/2 steps.
  if (ld.quadrature_warning) std::printf("warning: %s\n", ld.warning.c_str());

  // 4. Blockwise spectra and their Jensen-Shannon distances: block heterogeneity.
  const auto parts = blockspec::BlockPartition::from_sizes({{"embed", 100}, {"attn", 100}, {"mlp", 100}});
  const auto bw = blockspec::blockwise_spectra(H, parts, {.slq = {.probes = 10, .steps = 50}});
  std::printf("heterogeneity (mean JS distance, at most sqrt(ln 2) = 0.833): %.3f\n", *bw.heterogeneity);

  // 5. The paper's quadratic study: GD against Adam on a heterogeneous problem.
  auto problem = blockspec::paper_case<double>(3);  // blocks {1,2,3}, {99,100,101}, {4998,4999,5000}
  blockspec::Gd gd;
  const auto trace = blockspec::run(problem, gd, {.lr = blockspec::gd_optimal_step(problem), .max_steps = 40000});
  std::printf("GD with its optimal step: %s\n", trace.message.c_str());
  return 0;
}
