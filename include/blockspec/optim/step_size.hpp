// blockspec/optim/step_size.hpp — GD's optimal constant step from the extreme eigenvalues of the Hessian.
//
// Method: the smallest and largest eigenvalues lambda_min, lambda_max of the
// operator come from extreme_eigenpairs (krylov/eigs.hpp: thick-restart
// Lanczos, Which::both_ends, k = 2, no eigenvectors; k = 1 on a 1 x 1
// operator), each to the solver's tolerance tol * |H| on its residual.
// gd_optimal_step = 2/(lambda_max + lambda_min), the step minimizing GD's
// worst-case linear rate (kappa-1)/(kappa+1) on a quadratic. The problem
// overload reads the Hessian OPERATOR (never stored eigenvalues).
// If the solver stops at max_matvecs (status not_converged) its Ritz values
// are still inner estimates (theta_min >= lambda_min, theta_max <= lambda_max)
// and are used as they are (BlockwiseGd::estimates() keeps each status).
// Cost: that of extreme_eigenpairs for 2 pairs (a few ncv products with the
// operator per restart, plus verification's fresh start unless disabled).
// References: Lanczos (1950); B. N. Parlett, "The Symmetric Eigenvalue
// Problem" (1998), ch. 13; B. T. Polyak, "Introduction to Optimization"
// (1987), sec. 1.4 (the optimal GD step).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/eigs.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/optim/problem.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace blockspec {

/// The extreme eigenvalues of a symmetric operator, as extreme_eigenpairs found them.
struct ExtremeEigenvalues {
  double lambda_min = 0.0;    ///< smallest eigenvalue (Ritz value)
  double lambda_max = 0.0;    ///< largest eigenvalue (Ritz value)
  double residual_min = 0.0;  ///< residual estimate of the smallest pair
  double residual_max = 0.0;  ///< residual estimate of the largest pair
  std::int64_t matvecs = 0;   ///< products with the operator
  EigsStatus status = EigsStatus::not_converged;
};

namespace detail {

/// lambda_min and lambda_max of `op` by extreme_eigenpairs (Which::both_ends; `options.which` and
/// `options.vectors` are overridden). Internal: the public solver is extreme_eigenpairs.
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
ExtremeEigenvalues extreme_eigenvalues(Op&& op, EigsOptions options = {}) {
  const Eigen::Index n = static_cast<Eigen::Index>(op.rows());
  detail::require(n > 0, "extreme_eigenvalues", "the operator's rows() must be positive, got " + std::to_string(n));
  options.which = Which::both_ends;
  options.vectors = false;
  const int k = n >= 2 ? 2 : 1;
  const auto r = extreme_eigenpairs(std::forward<Op>(op), k, options);
  if (r.values.size() < k)
    throw numerical_error("extreme_eigenvalues: extreme_eigenpairs found " + std::to_string(r.values.size()) +
                          " of the 2 extreme eigenvalues within max_matvecs = " + std::to_string(options.max_matvecs) +
                          " (0 = automatic)");
  ExtremeEigenvalues e;
  e.lambda_min = r.values[0];  // both_ends: ascending
  e.lambda_max = r.values[k - 1];
  e.residual_min = r.residuals[0];
  e.residual_max = r.residuals[k - 1];
  e.matvecs = r.matvecs;
  e.status = r.status;
  return e;
}

}  // namespace detail

/// GD's optimal constant step 2/(lambda_max + lambda_min) of a positive definite operator.
/// Example: `double eta = blockspec::gd_optimal_step(H);`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
double gd_optimal_step(Op&& op, const EigsOptions& options = {}) {
  const ExtremeEigenvalues e = detail::extreme_eigenvalues(std::forward<Op>(op), options);
  detail::require(e.lambda_min > 0.0, "gd_optimal_step",
                  "the operator is not positive definite (smallest eigenvalue " + detail::format_double(e.lambda_min) +
                      ")");
  return 2.0 / (e.lambda_max + e.lambda_min);
}

/// GD's optimal constant step 2/(lambda_max + lambda_min) of problem.hessian().
/// Example: `auto trace = blockspec::run(q, gd, {.lr = blockspec::gd_optimal_step(q)});`
template <Problem P>
  requires HasHessian<P> && (!LinearOperator<P>)
double gd_optimal_step(const P& problem, const EigsOptions& options = {}) {
  return gd_optimal_step(problem.hessian(), options);
}

}  // namespace blockspec
