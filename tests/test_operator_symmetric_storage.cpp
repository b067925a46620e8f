// Tests of the one-triangle and `symmetric` dense operators, threaded products, and the tiled
// sparse block product (operator/matrix.hpp, operator/detail/dense_kernels.hpp).
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/matrix.hpp>

#include <doctest/doctest.h>

#include <support/reference_matrices.hpp>

#include <limits>
#include <stdexcept>
#include <string>

namespace {

using blockspec::MatrixX;
using blockspec::VectorX;

template <class S>
MatrixX<S> random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  blockspec::Rng rng(seed, 0);
  MatrixX<S> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<S>(rng.normal());
  return m;
}

}  // namespace

TEST_CASE_TEMPLATE("dense_operator(A, upper_triangle / lower_triangle) reads one triangle", S, float, double) {
  const Eigen::Index n = 57;
  const MatrixX<S> g = random_matrix<S>(n, n, 1);
  const MatrixX<S> sym = g + g.transpose();
  // Garbage in the triangle that must not be read.
  MatrixX<S> upper = sym, lower = sym;
  upper.template triangularView<Eigen::StrictlyLower>().setConstant(std::numeric_limits<S>::quiet_NaN());
  lower.template triangularView<Eigen::StrictlyUpper>().setConstant(std::numeric_limits<S>::quiet_NaN());
  const auto full = blockspec::dense_operator(sym);
  const auto up = blockspec::dense_operator(upper, blockspec::upper_triangle);
  const auto lo = blockspec::dense_operator(lower, blockspec::lower_triangle);
  static_assert(blockspec::BatchedLinearOperator<decltype(up)>);
  static_assert(blockspec::is_thread_safe_v<decltype(lo)>);
  const MatrixX<S> x = random_matrix<S>(n, 5, 2);
  MatrixX<S> y_full(n, 5), y_up(n, 5), y_lo(n, 5);
  full.apply_block(x, y_full);
  up.apply_block(x, y_up);
  lo.apply_block(x, y_lo);
  // Same products summed in a different order: |error| <= n eps |A| |x| (Higham, Accuracy and Stability, 3.5).
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const double bound = static_cast<double>(n) * eps * static_cast<double>(sym.norm() * x.norm());
  CHECK(static_cast<double>((y_up - y_full).norm()) <= bound);
  CHECK(static_cast<double>((y_lo - y_full).norm()) <= bound);
  VectorX<S> y1(n);
  up.apply(x.col(3), y1);
  CHECK(static_cast<double>((y1 - y_full.col(3)).norm()) <= bound);
  CHECK(y1.allFinite());
}

TEST_CASE_TEMPLATE("dense_operator(A, symmetric): every block width, threads, strided blocks", S, float, double) {
  // n = 61: not a multiple of the kernel's 8 or 16 lanes, nor of its 2..8 lines per pass.
  const Eigen::Index n = 61;
  const MatrixX<S> g = random_matrix<S>(n, n, 3);
  const MatrixX<S> sym = g + g.transpose();
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const auto one = blockspec::dense_operator(sym, blockspec::symmetric);
  static_assert(blockspec::BatchedLinearOperator<decltype(one)>);
  static_assert(blockspec::is_thread_safe_v<decltype(one)>);
  for (Eigen::Index k : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 25}) {
    CAPTURE(k);
    const MatrixX<S> x = random_matrix<S>(n, k, static_cast<std::uint64_t>(10 + k));
    // Reference: the plain product in double. Each entry is a dot product of length n computed
    // in another order, so |error| <= n eps (|A| |x|) entrywise (Higham, Accuracy and Stability, 3.1).
    const Eigen::MatrixXd want = sym.template cast<double>() * x.template cast<double>();
    const Eigen::MatrixXd bound = static_cast<double>(n) * eps * (sym.template cast<double>().cwiseAbs() * x.template cast<double>().cwiseAbs());
    MatrixX<S> y1(n, k);
    one.apply_block(x, y1);
    CHECK(((y1.template cast<double>() - want).cwiseAbs().array() <= bound.array()).all());
    for (int threads : {1, 2, 3, 7}) {
      CAPTURE(threads);
      blockspec::Executor ex(threads);  // the block product splits its rows over the executor
      MatrixX<S> yt(n, k);
      one.apply_block(x, yt, ex);
      if (k <= 12)  // the line-dot kernel computes each row alone: bit-identical for every thread count
        CHECK(yt == y1);
      else
        CHECK(((yt.template cast<double>() - want).cwiseAbs().array() <= bound.array()).all());
    }
    VectorX<S> v(n);
    one.apply(x.col(0), v);
    CHECK(((v.template cast<double>() - want.col(0)).cwiseAbs().array() <= bound.col(0).array()).all());
  }
  // A block whose columns are strided (as a Map into a wider matrix), written into a strided output.
  MatrixX<S> wide = random_matrix<S>(n + 5, 9, 40), out = MatrixX<S>::Zero(n + 3, 9);
  const Eigen::Map<const MatrixX<S>, 0, Eigen::OuterStride<>> xs(wide.data(), n, 4, Eigen::OuterStride<>(2 * (n + 5)));
  Eigen::Map<MatrixX<S>, 0, Eigen::OuterStride<>> ys(out.data(), n, 4, Eigen::OuterStride<>(2 * (n + 3)));
  one.apply_block(xs, ys);
  const Eigen::MatrixXd want = sym.template cast<double>() * MatrixX<S>(xs).template cast<double>();
  const Eigen::MatrixXd bound = static_cast<double>(n) * eps * (sym.template cast<double>().cwiseAbs() * MatrixX<S>(xs).template cast<double>().cwiseAbs());
  CHECK(((MatrixX<S>(ys).template cast<double>() - want).cwiseAbs().array() <= bound.array()).all());
  CHECK(out.col(1).isZero());  // the columns between the strided ones are untouched
  CHECK(out.bottomRows(3).isZero());
}

TEST_CASE_TEMPLATE("dense_operator: every storage form, with and without an executor, gives the product", S, float,
                   double) {
  const Eigen::Index n = 45;
  const MatrixX<S> g = random_matrix<S>(n, n, 5);
  const MatrixX<S> sym = g + g.transpose();
  MatrixX<S> upper = sym;
  upper.template triangularView<Eigen::StrictlyLower>().setConstant(std::numeric_limits<S>::quiet_NaN());
  const MatrixX<S> x = random_matrix<S>(n, 7, 6);
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  // n eps (|A| |x|) entrywise: a dot product of length n in another order (Higham 3.1).
  const Eigen::MatrixXd want = sym.template cast<double>() * x.template cast<double>();
  const Eigen::MatrixXd bound = static_cast<double>(n) * eps * (sym.template cast<double>().cwiseAbs() * x.template cast<double>().cwiseAbs());
  auto close = [&](const MatrixX<S>& y, Eigen::Index cols) {
    return ((y.template cast<double>() - want.leftCols(cols)).cwiseAbs().array() <= bound.leftCols(cols).array()).all();
  };
  const auto general = blockspec::dense_operator(sym);
  const auto up = blockspec::dense_operator(upper, blockspec::upper_triangle);
  for (int threads : {1, 2, 4}) {
    CAPTURE(threads);
    blockspec::Executor ex(threads);
    MatrixX<S> y(n, 7);
    blockspec::detail::apply_block(general, x, y, ex);
    CHECK(close(y, 7));
    blockspec::detail::apply_block(up, x, y, ex);  // the other triangle (NaN) is never read
    CHECK(close(y, 7));
  }
  MatrixX<S> v(n, 1);
  general.apply(x.col(0), v.col(0));
  CHECK(close(v, 1));
  up.apply(x.col(0), v.col(0));
  CHECK(close(v, 1));
}

TEST_CASE_TEMPLATE("sparse_operator: one stored triangle, and the tiled block product", S, float, double) {
  const Eigen::SparseMatrix<S> lap = blockspec::test::laplacian_2d(13).cast<S>();
  const Eigen::Index n = lap.rows();
  const Eigen::SparseMatrix<S> upper = lap.template triangularView<Eigen::Upper>();
  const Eigen::SparseMatrix<S, Eigen::RowMajor> lower_rm = lap.template triangularView<Eigen::Lower>();
  const Eigen::SparseMatrix<S, Eigen::RowMajor> row_major = lap;
  Eigen::SparseMatrix<S> uncompressed = lap;
  uncompressed.coeffRef(0, 5) = S(0);  // an explicit extra entry leaves the matrix uncompressed
  REQUIRE(!uncompressed.isCompressed());
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  for (Eigen::Index k = 1; k <= 9; ++k) {  // every remainder of the groups of 4 and 2
    CAPTURE(k);
    const MatrixX<S> x = random_matrix<S>(n, k, static_cast<std::uint64_t>(k));
    const MatrixX<S> want = MatrixX<S>(lap) * x;
    // 5 terms per row of an exactly representable matrix: error <= 5 eps |row| |x| per entry.
    const double bound = 5 * 8 * eps * static_cast<double>(x.cwiseAbs().maxCoeff());
    MatrixX<S> y(n, k);
    blockspec::sparse_operator(lap).apply_block(x, y);
    CHECK(static_cast<double>((y - want).cwiseAbs().maxCoeff()) <= bound);
    blockspec::sparse_operator(row_major).apply_block(x, y);
    CHECK(static_cast<double>((y - want).cwiseAbs().maxCoeff()) <= bound);
    blockspec::sparse_operator(uncompressed).apply_block(x, y);
    CHECK(static_cast<double>((y - want).cwiseAbs().maxCoeff()) <= bound);
    blockspec::sparse_operator(upper, blockspec::upper_triangle).apply_block(x, y);
    CHECK(static_cast<double>((y - want).cwiseAbs().maxCoeff()) <= bound);
    blockspec::sparse_operator(lower_rm, blockspec::lower_triangle).apply_block(x, y);
    CHECK(static_cast<double>((y - want).cwiseAbs().maxCoeff()) <= bound);
    VectorX<S> y1(n);
    blockspec::sparse_operator(upper, blockspec::upper_triangle).apply(x.col(0), y1);
    CHECK(static_cast<double>((y1 - want.col(0)).cwiseAbs().maxCoeff()) <= bound);
  }
}

TEST_CASE("one-triangle operators reject non-square matrices") {
  const Eigen::MatrixXd a(3, 4);
  CHECK_THROWS_WITH_AS(blockspec::dense_operator(a, blockspec::upper_triangle), doctest::Contains("square"),
                       blockspec::invalid_argument);
  const Eigen::SparseMatrix<double> s(4, 3);
  CHECK_THROWS_WITH_AS(blockspec::sparse_operator(s, blockspec::lower_triangle), doctest::Contains("square"),
                       blockspec::invalid_argument);
}
