// blockspec/krylov/quadrature.hpp — from the Lanczos tridiagonal to Gauss quadrature and Ritz pairs.
//
// Method: T = S diag(theta) S' (Eigen's tridiagonal QR eigensolver, in double,
// with eigenvectors). The m-point Gauss rule of the spectral measure of H seen
// from the unit start vector v has nodes theta_i and weights S_{0i}^2; it
// integrates polynomials of degree <= 2m-1 exactly: sum_i w_i theta_i^p = v'H^p v
// (Golub & Meurant 2010, ch. 6). The Ritz residual |H y_i - theta_i y_i| equals
// |beta_m S_{m-1,i}| in exact arithmetic (Parlett, "The Symmetric Eigenvalue
// Problem", 13.2). Cost: O(m^2) for the values and O(m^3) with vectors; m is
// at most a few hundred here.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/lanczos.hpp>

#include <Eigen/Eigenvalues>

namespace blockspec {

/// A discrete measure: nodes (ascending) and non-negative weights summing to 1.
struct Quadrature {
  Eigen::VectorXd nodes;
  Eigen::VectorXd weights;
};

/// Eigen-decomposition of a symmetric tridiagonal matrix.
struct TridiagonalEigen {
  Eigen::VectorXd values;   ///< ascending
  Eigen::MatrixXd vectors;  ///< column i belongs to values[i]
};

/// Eigenpairs of tridiag(offdiag, diag, offdiag); offdiag has diag.size() - 1 entries.
inline TridiagonalEigen tridiagonal_eigen(const Eigen::VectorXd& diag, const Eigen::VectorXd& offdiag) {
  detail::require(diag.size() > 0, "tridiagonal_eigen", "the matrix is empty");
  detail::require(offdiag.size() == diag.size() - 1, "tridiagonal_eigen",
                  "offdiag must have diag.size() - 1 = " + std::to_string(diag.size() - 1) +
                      " entries, got " + std::to_string(offdiag.size()));
  detail::require(diag.allFinite() && offdiag.allFinite(), "tridiagonal_eigen",
                  std::string("entries must be finite: ") + (diag.allFinite() ? "offdiag" : "diag") + " has a non-finite entry");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(diag, offdiag, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success)
    throw numerical_error("tridiagonal_eigen: Eigen's tridiagonal eigensolver did not converge");
  return {es.eigenvalues(), es.eigenvectors()};
}

/// Eigenpairs of the run's T.
template <class S>
TridiagonalEigen tridiagonal_eigen(const LanczosResult<S>& r) {
  detail::require(r.steps > 0, "tridiagonal_eigen", "the Lanczos result has no steps");
  return tridiagonal_eigen(r.alpha.head(r.steps), r.beta.head(r.steps - 1));
}

/// The Gauss quadrature of a Lanczos run: Ritz values and squared first components.
/// Example: `auto q = blockspec::gauss_quadrature(blockspec::lanczos(H, v));`
template <class S>
Quadrature gauss_quadrature(const LanczosResult<S>& r) {
  TridiagonalEigen te = tridiagonal_eigen(r);
  Quadrature q;
  q.nodes = std::move(te.values);
  q.weights = te.vectors.row(0).transpose().array().square();
  return q;
}

/// Ritz values with the eigenvectors of T and the residual norms |beta_m s_{m-1,i}|.
struct RitzPairs {
  Eigen::VectorXd values;     ///< ascending
  Eigen::MatrixXd vectors;    ///< eigenvectors of T (the Ritz vectors are basis * vectors)
  Eigen::VectorXd residuals;  ///< residual norm estimate of each Ritz pair
};

template <class S>
RitzPairs ritz_pairs(const LanczosResult<S>& r) {
  TridiagonalEigen te = tridiagonal_eigen(r);
  RitzPairs p;
  p.residuals = (r.beta[r.steps - 1] * te.vectors.row(r.steps - 1).transpose()).cwiseAbs();
  p.values = std::move(te.values);
  p.vectors = std::move(te.vectors);
  return p;
}

}  // namespace blockspec
