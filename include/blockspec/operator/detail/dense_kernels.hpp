// blockspec/operator/detail/dense_kernels.hpp — thin-block products with a dense matrix (internal).
//
// Method: Y = A' X for a dense n x n matrix A whose storage lines (columns of a
// column-major A) are contiguous and a thin block X (k <= 12 columns). Each
// output row j is k dot products of line j with the columns of X; the kernel
// walks J lines at once, holding J x k accumulators of one cache line (64 B)
// each, so every element of A is loaded from memory once and used k times
// from registers, and X (n x k, in L2) is loaded once per J lines. For a
// symmetric A, A' X = A X.
// Cost: 2 n^2 k flops and n^2 scalars read, once per product.
// Why not Eigen's GEMM: it packs panels of A into a buffer before its kernel
// runs, which a 10-column right-hand side does not amortize (bench/RESULTS.md,
// "Symmetric storage and block products", compares the two); past 12 columns
// the packing pays off and Eigen's GEMM is used instead.
// Rows are independent: output row j is the same sum in the same order
// whichever range [j0, j1) it is computed in, so a product split into row
// ranges over threads gives the same bits for every split.
// Caveat: the J-by-k unroll is tuned by measurement (register pressure), not
// derived; accumulation order differs from GEMM's, so results differ from
// Eigen's in the last bits.
#pragma once

#include <blockspec/types.hpp>

#include <algorithm>
#include <utility>

namespace blockspec::detail {

/// Lines per pass for a k-column block: chosen by benchmark for register pressure (header comment).
constexpr int lines_per_pass(int k) { return k <= 2 ? 8 : k <= 4 ? 6 : k == 5 ? 4 : k == 6 ? 5 : k <= 10 ? 4 : 2; }

/// Largest block width the line-dot kernel handles; wider blocks go to Eigen's GEMM.
inline constexpr int max_kernel_columns = 12;

/// y(j, c) = dot(line j of A, column c of X) for j in [j0, j1): J lines at a time.
template <int K, int J, class S>
void line_dots(const S* a, Eigen::Index lda, Eigen::Index n, const S* x, Eigen::Index ldx, S* y, Eigen::Index ldy,
               Eigen::Index j0, Eigen::Index j1) {
  constexpr int L = 64 / static_cast<int>(sizeof(S));  // lanes: one cache line
  Eigen::Index j = j0;
  for (; j + J <= j1; j += J) {
    S acc[J][K][L] = {};
    const S* line[J];
    for (int q = 0; q < J; ++q) line[q] = a + (j + q) * lda;
    Eigen::Index i = 0;
    for (; i + L <= n; i += L) {
      for (int c = 0; c < K; ++c) {
        const S* xc = x + c * ldx + i;
        for (int l = 0; l < L; ++l) {
          const S xl = xc[l];
          for (int q = 0; q < J; ++q) acc[q][c][l] += line[q][i + l] * xl;
        }
      }
    }
    for (int q = 0; q < J; ++q)
      for (int c = 0; c < K; ++c) {
        S s = 0;
        for (int l = 0; l < L; ++l) s += acc[q][c][l];
        for (Eigen::Index r = i; r < n; ++r) s += line[q][r] * x[c * ldx + r];
        y[c * ldy + j + q] = s;
      }
  }
  if constexpr (J > 1) {
    if (j < j1) line_dots<K, 1, S>(a, lda, n, x, ldx, y, ldy, j, j1);
  }
}

/// Calls line_dots<k, lines_per_pass(k)> for the runtime width k in 1..sizeof...(K).
template <class S, std::size_t... K>
void line_dots_of_width(std::index_sequence<K...>, Eigen::Index k, const S* a, Eigen::Index lda, Eigen::Index n,
                        const S* x, Eigen::Index ldx, S* y, Eigen::Index ldy, Eigen::Index j0, Eigen::Index j1) {
  (void)((k == static_cast<Eigen::Index>(K + 1) &&
          (line_dots<K + 1, lines_per_pass(K + 1), S>(a, lda, n, x, ldx, y, ldy, j0, j1), true)) ||
         ...);
}

/// Y.row(j) = (line j of A) . X for j in [j0, j1), for 1 <= X.cols() <= max_kernel_columns.
/// `a` points at n lines of n scalars with stride lda (a column-major matrix's columns, a
/// row-major matrix's rows).
template <class S>
void lines_times_block(const S* a, Eigen::Index lda, Eigen::Index n, const Eigen::Ref<const MatrixX<S>>& X,
                       Eigen::Ref<MatrixX<S>> Y, Eigen::Index j0, Eigen::Index j1) {
  const S* x = X.data();
  S* y = Y.data();
  const Eigen::Index ldx = X.outerStride(), ldy = Y.outerStride();
  if (X.cols() <= max_kernel_columns) {
    line_dots_of_width<S>(std::make_index_sequence<max_kernel_columns>{}, X.cols(), a, lda, n, x, ldx, y, ldy, j0, j1);
    return;
  }
  // Wider blocks: 12 columns at a time (callers normally send these to Eigen's GEMM).
  for (Eigen::Index c = 0; c < X.cols(); c += max_kernel_columns) {
    const Eigen::Index w = std::min<Eigen::Index>(max_kernel_columns, X.cols() - c);
    lines_times_block<S>(a, lda, n, X.middleCols(c, w), Y.middleCols(c, w), j0, j1);
  }
}

}  // namespace blockspec::detail
