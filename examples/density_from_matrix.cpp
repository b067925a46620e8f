// density_from_matrix: the spectral density and log-determinant of a sparse symmetric matrix.
//
//   density_from_matrix [matrix.mtx] [--probes 30] [--steps 40] [--seed 0] [--out DIR]
//
// With a Matrix Market file (coordinate real/integer/pattern, general or
// symmetric) the matrix is loaded with blockspec::read_matrix_market; without
// one, the 2-D Laplacian plus the identity on a --side x --side grid is built
// (5-point stencil, Dirichlet boundary; SPD with eigenvalues in (1, 9)).
// SLQ (Rademacher probes, partial reorthogonalization) gives the density on an
// automatic grid (DensityOptions defaults: Gaussian kernel of width 1% of the
// spectral range) and log det(H) with a 95% Student-t interval over probes.
// Writes DIR/density.npy (values) and DIR/grid.npy (points), atomically, and
// prints a short summary; --exact also computes log det by a sparse Cholesky
// factorization (Eigen's SimplicialLLT) to compare.
#include <blockspec/io/matrix_market.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/spectral/density.hpp>
#include <blockspec/spectral/slq.hpp>
#include <blockspec/spectral/trace.hpp>

#include "cli/density_from_matrix_args.hpp"

#include <CLI/CLI.hpp>
#include <Eigen/SparseCholesky>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// L + I for the 5-point Laplacian L on a side x side grid (Dirichlet): n = side^2.
Eigen::SparseMatrix<double> laplacian_plus_identity(int side) {
  const int n = side * side;
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(static_cast<std::size_t>(5 * n));
  for (int i = 0; i < side; ++i)
    for (int j = 0; j < side; ++j) {
      const int k = i * side + j;
      t.emplace_back(k, k, 5.0);  // 4 from the stencil + 1 from the identity
      if (i > 0) t.emplace_back(k, k - side, -1.0);
      if (i + 1 < side) t.emplace_back(k, k + side, -1.0);
      if (j > 0) t.emplace_back(k, k - 1, -1.0);
      if (j + 1 < side) t.emplace_back(k, k + 1, -1.0);
    }
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(t.begin(), t.end());
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Spectral density and log-determinant of a sparse symmetric matrix by SLQ"};
  density_cli::Args args;
  density_cli::add_options(app, args);
  CLI11_PARSE(app, argc, argv);

  try {
    const Eigen::SparseMatrix<double> A = args.file.empty() ? laplacian_plus_identity(args.side) : blockspec::read_matrix_market(args.file);
    if (A.rows() != A.cols()) {
      std::fprintf(stderr, "error: the matrix is %ld x %ld, not square\n", static_cast<long>(A.rows()),
                   static_cast<long>(A.cols()));
      return 1;
    }
    const Eigen::SparseMatrix<double> At = A.transpose();
    const double asym = (A - At).norm() / std::max(A.norm(), 1e-300);
    std::printf("matrix: %s, n = %ld, nnz = %ld, relative asymmetry %.1e\n",
                args.file.empty() ? ("2-D Laplacian + I, " + std::to_string(args.side) + " x " + std::to_string(args.side)).c_str()
                             : args.file.c_str(),
                static_cast<long>(A.rows()), static_cast<long>(A.nonZeros()), asym);
    if (asym > 1e-12) std::printf("warning: the matrix is not symmetric; SLQ sees its symmetric part only approximately\n");

    const auto H = blockspec::sparse_operator(A);
    const auto q = blockspec::slq(H, {.probes = args.probes, .steps = args.steps, .seed = args.seed});
    const auto d = blockspec::density(q);  // automatic grid and kernel (DensityOptions defaults)
    const auto range = blockspec::node_range(q);
    std::printf("SLQ: %d probes x %d steps%s, %ld matrix-vector products\n", q.size(), q.requested_steps,
                q.steps_clamped ? " (clamped to n)" : "", static_cast<long>(q.matvecs));
    std::printf("Ritz values in [%.6g, %.6g]; density on %s\n", range.min, range.max, d.grid().describe().c_str());
    std::printf("density mean %.6g (estimates tr(H)/n), variance %.6g, mass outside the grid %.1e\n", d.mean(), d.variance(),
                d.mass_outside());

    try {
      const auto ld = blockspec::logdet(q, 0.95);
      std::printf("log det(H) ~ %.10g, 95%% CI [%.10g, %.10g] (std error %.3g, %d probes)\n", ld.value, ld.ci_low,
                  ld.ci_high, ld.std_error, ld.samples);
      if (ld.quadrature_warning) std::printf("warning: log det: %s\n", ld.warning.c_str());
      if (args.exact) {
        Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(A);
        if (llt.info() != Eigen::Success) {
          std::printf("exact: the Cholesky factorization failed (not positive definite?)\n");
        } else {
          const double truth = 2.0 * llt.matrixL().toDense().diagonal().array().log().sum();
          std::printf("exact log det (sparse Cholesky) = %.10g, relative error %.2e, %s the interval\n", truth,
                      std::abs(ld.value - truth) / std::abs(truth),
                      (truth >= ld.ci_low && truth <= ld.ci_high) ? "inside" : "outside");
        }
      }
    } catch (const blockspec::invalid_argument& e) {
      std::printf("log det not available: %s\n", e.what());
    }

    std::filesystem::create_directories(args.out);
    blockspec::write_npy(std::filesystem::path(args.out) / "density.npy", d.values());
    blockspec::write_npy(std::filesystem::path(args.out) / "grid.npy", d.grid().points());
    std::printf("wrote %s/density.npy and %s/grid.npy\n", args.out.c_str(), args.out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
