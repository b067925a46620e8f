// blockspec/krylov/batched_lanczos.hpp — k independent Lanczos recurrences in lockstep.
//
// Method: the k columns of `starts` each start their own Lanczos recurrence
// (krylov/lanczos.hpp); all advance one step at a time, so that the k
// products with H of a step become one block product H [v_j^(1) ... v_j^(k)]
// when the operator models BatchedLinearOperator (one GEMM / SpMM: a dense or
// sparse H is read once per step instead of k times). Operators without
// apply_block are applied column by column. Everything else (the recurrence,
// full / partial / no reorthogonalization, breakdown) is per column and is the
// very code of lanczos(): column c of a batched run and lanczos(op,
// starts.col(c)) execute the same floating-point operations except inside the
// block product, so their quadrature moments sum_i w_i theta_i^p and densities
// agree to rounding (alpha and beta themselves may drift apart after many
// steps, as Lanczos in finite precision does).
// Breakdown: a column whose beta falls below the tolerance stops with status
// invariant_subspace and drops out of the block products (its matvecs stop
// counting); the others go on. options.progress is called once per step (with
// the step count), and cancelling stops every column still running.
// Cost: m block products of width <= k, plus k times the vector work of
// lanczos(). Memory: k n m scalars in one allocation when a basis is stored
// (partial, full, keep_basis), 3 k n scalars otherwise (reorth = none).
// Reference: the block products are the "batched probes" of stochastic
// Lanczos quadrature, e.g. Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 38
// (2017); this is not block Lanczos (the recurrences never mix).
#pragma once

#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/operator/concepts.hpp>

#include <type_traits>
#include <vector>

namespace blockspec {

/// Runs lanczos() from each column of `starts` (n-by-k), the k recurrences in lockstep.
/// Result c belongs to starts.col(c) and has the fields and meaning of lanczos()'s result.
/// \param op      any LinearOperator; one apply_block per step when it is a BatchedLinearOperator
/// \param starts  n-by-k start vectors, each finite and non-zero (normalized here; never modified)
/// Example:
///   auto runs = blockspec::batched_lanczos(H, V, {.steps = 80, .reorth = blockspec::Reorthogonalization::partial});
///   auto q0 = blockspec::gauss_quadrature(runs[0]);
template <class Op, class IP = LocalInnerProduct>
  requires LinearOperator<std::remove_reference_t<Op>>
std::vector<LanczosResult<operator_scalar_t<Op>>> batched_lanczos(
    Op&& op, const Eigen::Ref<const MatrixX<operator_scalar_t<Op>>>& starts, const LanczosOptions& options = {},
    const IP& ip = {}) {
  static_assert(InnerProductPolicy<IP>, "batched_lanczos: IP must provide reduce(std::span<double>) (krylov/inner_product.hpp)");
  return detail::lanczos_engine(op, starts, options, ip, "batched_lanczos", false);
}

}  // namespace blockspec
