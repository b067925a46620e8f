// blockspec/krylov/detail/symmetric_eigen.hpp — eigenpairs of a small dense symmetric matrix.
//
// Method: Householder reduction to tridiagonal form, A = Q T Q' (Golub & Van
// Loan, "Matrix Computations", 4th ed., algorithm 8.3.1: one reflector per
// column, the trailing block updated by the symmetric rank-2 form
// A22 -= v w' + w v'), then the implicit-QL tridiagonal solver
// (krylov/quadrature.hpp, tridiagonal_eigen), and the eigenvectors Q Z by
// applying the reflectors to Z in reverse order. Backward stable: each
// eigenvalue is within a small multiple of n eps |A| of the exact one.
// Cost: 4/3 n^3 flops for T, 2 n^3 more for the vectors, unblocked (level-2
// products): meant for the Rayleigh-Ritz matrices of eigs (n of a few
// dozen) and the blocks of a quadratic problem. It replaces Eigen's dense
// SelfAdjointEigenSolver::compute, whose blocked Householder code is the
// costliest template instantiation of a translation unit that uses eigs.
// Caveat: the upper triangle is read as the mirror of the lower one.
#pragma once

#include <blockspec/krylov/quadrature.hpp>

#include <Eigen/Core>

#include <cmath>
#include <vector>

namespace blockspec::detail {

/// Eigenvalues (ascending) and, when `vectors`, orthonormal eigenvectors of the symmetric matrix
/// `a` (its lower triangle). Throws numerical_error when the tridiagonal solver does not converge.
inline TridiagonalEigen symmetric_eigen(Eigen::MatrixXd a, bool vectors = true) {
  const Eigen::Index n = a.rows();
  require(n > 0 && a.cols() == n, "symmetric_eigen",
          "the matrix must be square and not empty, got " + std::to_string(n) + " x " + std::to_string(a.cols()));
  a.triangularView<Eigen::StrictlyUpper>() = a.transpose();
  require(a.allFinite(), "symmetric_eigen", "the matrix has a non-finite entry");
  std::vector<Eigen::VectorXd> reflectors;  // v_k of H_k = I - beta_k v_k v_k' (acting on rows k+1..n-1)
  std::vector<double> betas;
  Eigen::VectorXd offdiag(n > 1 ? n - 1 : 0);
  for (Eigen::Index k = 0; k + 2 < n; ++k) {
    const Eigen::Index m = n - k - 1;
    Eigen::VectorXd v = a.col(k).tail(m);
    const double norm = v.norm();
    double beta = 0.0;
    if (norm > 0.0) {
      const double alpha = v[0] > 0.0 ? -norm : norm;  // v[0] - alpha never cancels
      v[0] -= alpha;
      beta = 2.0 / v.squaredNorm();
      offdiag[k] = alpha;
      auto a22 = a.bottomRightCorner(m, m);
      const Eigen::VectorXd p = beta * (a22 * v);
      const Eigen::VectorXd w = p - (0.5 * beta * p.dot(v)) * v;
      a22.noalias() -= v * w.transpose();
      a22.noalias() -= w * v.transpose();
    } else {
      offdiag[k] = 0.0;  // the column is already reduced
    }
    reflectors.push_back(std::move(v));
    betas.push_back(beta);
  }
  if (n > 1) offdiag[n - 2] = a(n - 1, n - 2);
  TridiagonalEigen te = tridiagonal_eigen(a.diagonal(), offdiag);
  if (!vectors) {
    te.vectors.resize(0, 0);
    return te;
  }
  for (Eigen::Index k = static_cast<Eigen::Index>(reflectors.size()) - 1; k >= 0; --k) {
    const auto& v = reflectors[static_cast<std::size_t>(k)];
    const double beta = betas[static_cast<std::size_t>(k)];
    if (beta == 0.0) continue;
    auto rows = te.vectors.bottomRows(n - k - 1);
    const Eigen::RowVectorXd vz = v.transpose() * rows;
    rows.noalias() -= (beta * v) * vz;
  }
  return te;
}

}  // namespace blockspec::detail
