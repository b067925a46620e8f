// blockspec/operator/matrix.hpp — operators backed by an explicit Eigen matrix.
//
// dense_operator(M) wraps a square Eigen::Matrix; sparse_operator(M) wraps an
// Eigen::SparseMatrix (row- or column-major). Both are batched
// (apply_block is one GEMM / SpMM) and thread-safe (apply is const).
// Cost of apply: n^2 (dense) or nnz (sparse) multiply-adds.
// The matrix is held by reference when passed as an lvalue, moved in otherwise;
// it is never copied or modified. Symmetry is assumed, not checked: call
// symmetry_error() to check it.
// Symmetric storage, dense:
// - dense_operator(A, symmetric): A is stored in full and is symmetric (the
//   declaration is trusted). This is the fastest dense form: one vector goes
//   through one triangle (SYMV, half the bytes of GEMV), and a block of up to
//   12 vectors through blockspec's line-dot kernel (operator/detail/
//   dense_kernels.hpp: A is read once and each element used k times from
//   registers; bench/RESULTS.md compares it with Eigen's GEMM). Wider
//   blocks use Eigen's GEMM.
// - dense_operator(A, upper_triangle) (or lower_triangle) reads that triangle
//   only, through Eigen's selfadjointView: H = triu(A) + triu(A, 1)'. The other
//   triangle is never read, so it may hold anything. Use it when only one
//   triangle is valid.
// - Threads: the symmetric operator's block product (the line-dot kernel)
//   takes the executor of the calling algorithm (executor.hpp) and splits its
//   output rows over the executor's idle threads; its rows do not depend on
//   the split, so results are bit-identical for every thread count. Every
//   other product (one vector, the triangle forms, full storage) runs on the
//   calling thread: Eigen's kernels round a row differently depending on where
//   a split falls, so splitting them would make results depend on `threads`.
//   With slq(op, {.threads = 2, .block_size = 10}) one probe group uses both
//   cores through its products; with two or more groups the threads run groups.
// Sparse: sparse_operator(A, upper_triangle) (or lower_triangle) reads one
// triangle, which may be all the matrix stores (half the bytes); a sparse
// single product through one triangle is faster than the full SpMV.
// Sparse block products (apply_block) of the full-storage sparse operator use
// a tiled kernel: rows are processed in tiles whose nonzeros stay in cache
// while the columns of the block go through them four at a time, so the
// matrix is read from memory once per block and each nonzero is loaded once
// per four columns (Eigen's own sparse-times-dense product with several
// columns is slower than a loop of single products).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/executor.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/detail/dense_kernels.hpp>

#include <Eigen/SparseCore>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

namespace blockspec {

/// Tag: only the upper triangle (with the diagonal) of the matrix is read.
struct upper_triangle_t {
  static constexpr int mode = Eigen::Upper;
};
/// Tag: only the lower triangle (with the diagonal) of the matrix is read.
struct lower_triangle_t {
  static constexpr int mode = Eigen::Lower;
};
inline constexpr upper_triangle_t upper_triangle{};
inline constexpr lower_triangle_t lower_triangle{};
/// Tag: the dense matrix is stored in full and is symmetric; the operator reads whichever part is faster.
struct symmetric_t {
  static constexpr int mode = -1;
};
inline constexpr symmetric_t symmetric{};

namespace detail {

/// Columns [c0, c0 + W) of Y = A X for rows (row-major A) or columns
/// (column-major A) [o0, o1): each nonzero is loaded once for W columns.
template <int W, class Sparse, class S>
void sparse_times_columns(const Sparse& a, const Eigen::Ref<const MatrixX<S>>& x, Eigen::Ref<MatrixX<S>> y,
                          Eigen::Index c0, Eigen::Index o0, Eigen::Index o1) {
  using Index = typename Sparse::StorageIndex;
  const Index* starts = a.outerIndexPtr();
  const Index* counts = a.isCompressed() ? nullptr : a.innerNonZeroPtr();
  const Index* inner = a.innerIndexPtr();
  const auto* values = a.valuePtr();
  const S* xc[W];
  S* yc[W];
  for (int w = 0; w < W; ++w) {
    xc[w] = x.col(c0 + w).data();
    yc[w] = y.col(c0 + w).data();
  }
  for (Eigen::Index o = o0; o < o1; ++o) {
    const Index begin = starts[o], end = counts ? starts[o] + counts[o] : starts[o + 1];
    if constexpr (Sparse::IsRowMajor) {
      S sum[W] = {};
      for (Index p = begin; p < end; ++p) {
        const S v = values[p];
        const Index j = inner[p];
        for (int w = 0; w < W; ++w) sum[w] += v * xc[w][j];
      }
      for (int w = 0; w < W; ++w) yc[w][o] = sum[w];
    } else {
      S xo[W];
      for (int w = 0; w < W; ++w) xo[w] = xc[w][o];
      for (Index p = begin; p < end; ++p) {
        const S v = values[p];
        const Index i = inner[p];
        for (int w = 0; w < W; ++w) yc[w][i] += v * xo[w];
      }
    }
  }
}

/// Y = A X for a sparse A, in tiles of about 32k nonzeros of rows (row-major A)
/// or columns (column-major A); within a tile the columns of X go through in
/// groups of 4, so each nonzero and index is loaded once per 4 columns and
/// the tile stays in cache across the groups.
template <class Sparse, class S>
void sparse_times_block(const Sparse& a, const Eigen::Ref<const MatrixX<S>>& x, Eigen::Ref<MatrixX<S>> y) {
  const Eigen::Index outer = a.outerSize(), k = x.cols();
  const Eigen::Index nnz = a.nonZeros();
  const Eigen::Index tile = std::max<Eigen::Index>(64, outer * 32768 / std::max<Eigen::Index>(nnz, 1));
  if constexpr (!Sparse::IsRowMajor) y.setZero();
  for (Eigen::Index o0 = 0; o0 < outer; o0 += tile) {
    const Eigen::Index o1 = std::min(outer, o0 + tile);
    Eigen::Index c = 0;
    for (; c + 4 <= k; c += 4) sparse_times_columns<4, Sparse, S>(a, x, y, c, o0, o1);
    for (; c + 2 <= k; c += 2) sparse_times_columns<2, Sparse, S>(a, x, y, c, o0, o1);
    for (; c < k; ++c) sparse_times_columns<1, Sparse, S>(a, x, y, c, o0, o1);
  }
}

template <class M>
void require_square(const M& m, const char* where) {
  require(m.rows() == m.cols() && m.rows() > 0, where,
          "the matrix must be square and non-empty, got " + std::to_string(m.rows()) + "x" +
              std::to_string(m.cols()));
}
}  // namespace detail

/// y = A x for a dense square matrix A (stored type M: a reference or a value).
/// Storage = 0 reads the whole matrix as it is; Eigen::Upper or Eigen::Lower reads that triangle
/// only; symmetric_t::mode (-1) trusts that the full matrix is symmetric and picks the faster part.
template <class M, int Storage = 0>
class DenseOperator {
  using Matrix = std::remove_cvref_t<M>;
  static constexpr bool direct_lines = requires(const Matrix& m) {
    m.data();
    m.outerStride();
  } && Matrix::InnerStrideAtCompileTime == 1;

 public:
  using Scalar = typename Matrix::Scalar;
  static constexpr bool thread_safe = true;

  template <class A>
  explicit DenseOperator(A&& a) : a_(std::forward<A>(a)) {
    detail::require_square(a_, "dense_operator");
  }

  Eigen::Index rows() const noexcept { return a_.rows(); }

  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) const {
    if constexpr (Storage == Eigen::Upper || Storage == Eigen::Lower)
      y.noalias() = a_.template selfadjointView<Storage>() * x;
    else if constexpr (Storage == symmetric_t::mode)
      y.noalias() = a_.template selfadjointView<Eigen::Upper>() * x;  // SYMV: half the bytes
    else
      y.noalias() = a_ * x;
  }

  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y) const {
    block_product(X, Y, nullptr);
  }

  /// Y = A X; the symmetric line-dot path splits its rows over `executor` (see the file comment).
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y, Executor& executor) const {
    block_product(X, Y, &executor);
  }
  const Matrix& matrix() const noexcept { return a_; }

 private:
  void block_product(const Eigen::Ref<const MatrixX<Scalar>>& X, Eigen::Ref<MatrixX<Scalar>> Y,
                     Executor* executor) const {
    if constexpr (Storage == Eigen::Upper || Storage == Eigen::Lower) {
      Y.noalias() = a_.template selfadjointView<Storage>() * X;
    } else if constexpr (Storage == symmetric_t::mode && direct_lines) {
      if (X.cols() <= detail::max_kernel_columns) {
        const Eigen::Index n = a_.rows();
        const int threads = executor ? executor->threads() : 1;
        if (threads == 1) {
          detail::lines_times_block<Scalar>(a_.data(), a_.outerStride(), n, X, Y, 0, n);
          return;
        }
        // A few ranges per thread, multiples of 8 lines, so a late worker still finds work.
        const Eigen::Index parts = std::clamp<Eigen::Index>(4 * threads, 1, std::max<Eigen::Index>(1, n / 64));
        auto bound = [&](Eigen::Index i) { return i >= parts ? n : (n * i / parts) / 8 * 8; };
        executor->parallel_for(static_cast<int>(parts), [&](int i) {
          detail::lines_times_block<Scalar>(a_.data(), a_.outerStride(), n, X, Y, bound(i), bound(i + 1));
        });
      } else {
        Y.noalias() = a_ * X;
      }
    } else {
      Y.noalias() = a_ * X;
    }
  }

  M a_;
};

/// y = A x for an Eigen::SparseMatrix A (row- or column-major).
/// UpLo = 0 reads the whole matrix; Eigen::Upper or Eigen::Lower reads that triangle only.
template <class M, int UpLo = 0>
class SparseOperator {
  using Matrix = std::remove_cvref_t<M>;

 public:
  using Scalar = typename Matrix::Scalar;
  static constexpr bool thread_safe = true;

  template <class A>
  explicit SparseOperator(A&& a) : a_(std::forward<A>(a)) {
    detail::require_square(a_, "sparse_operator");
  }

  Eigen::Index rows() const noexcept { return a_.rows(); }
  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) const {
    if constexpr (UpLo == 0)
      y.noalias() = a_ * x;
    else
      y.noalias() = a_.template selfadjointView<UpLo>() * x;
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y) const {
    if constexpr (UpLo == 0) {
      detail::sparse_times_block<Matrix, Scalar>(a_, X, Y);
    } else {
      for (Eigen::Index c = 0; c < X.cols(); ++c) Y.col(c).noalias() = a_.template selfadjointView<UpLo>() * X.col(c);
    }
  }
  const Matrix& matrix() const noexcept { return a_; }

 private:
  M a_;
};

/// Wraps a dense square Eigen matrix (float or double); products read the whole matrix.
/// Example: `auto H = blockspec::dense_operator(A);  // A is held by reference`
template <class M>
  requires std::is_base_of_v<Eigen::MatrixBase<std::remove_cvref_t<M>>, std::remove_cvref_t<M>>
auto dense_operator(M&& a) {
  static_assert(Scalar<typename std::remove_cvref_t<M>::Scalar>, "dense_operator: scalar must be float or double");
  return DenseOperator<detail::stored_t<M>>(std::forward<M>(a));
}

/// Wraps an Eigen::SparseMatrix (either storage order).
template <class M>
  requires std::is_base_of_v<Eigen::SparseMatrixBase<std::remove_cvref_t<M>>, std::remove_cvref_t<M>>
auto sparse_operator(M&& a) {
  static_assert(Scalar<typename std::remove_cvref_t<M>::Scalar>, "sparse_operator: scalar must be float or double");
  return SparseOperator<detail::stored_t<M>>(std::forward<M>(a));
}

/// Wraps a dense symmetric matrix: `symmetric` (stored in full; the fastest products), or
/// `upper_triangle` / `lower_triangle` (only that triangle is read; the other may hold anything).
/// Example: `auto H = blockspec::dense_operator(A, blockspec::symmetric);`
template <class M, class Tag>
  requires std::is_base_of_v<Eigen::MatrixBase<std::remove_cvref_t<M>>, std::remove_cvref_t<M>> &&
           (std::is_same_v<Tag, upper_triangle_t> || std::is_same_v<Tag, lower_triangle_t> ||
            std::is_same_v<Tag, symmetric_t>)
auto dense_operator(M&& a, Tag) {
  static_assert(Scalar<typename std::remove_cvref_t<M>::Scalar>, "dense_operator: scalar must be float or double");
  return DenseOperator<detail::stored_t<M>, Tag::mode>(std::forward<M>(a));
}

/// Wraps a sparse symmetric matrix of which only one triangle is read (it may store only that triangle).
/// Example: `auto H = blockspec::sparse_operator(U, blockspec::upper_triangle);  // U = A.triangularView<Eigen::Upper>()`
template <class M, class Triangle>
  requires std::is_base_of_v<Eigen::SparseMatrixBase<std::remove_cvref_t<M>>, std::remove_cvref_t<M>> &&
           (std::is_same_v<Triangle, upper_triangle_t> || std::is_same_v<Triangle, lower_triangle_t>)
auto sparse_operator(M&& a, Triangle) {
  static_assert(Scalar<typename std::remove_cvref_t<M>::Scalar>, "sparse_operator: scalar must be float or double");
  return SparseOperator<detail::stored_t<M>, Triangle::mode>(std::forward<M>(a));
}

}  // namespace blockspec
