// Tests of the operator adapters: every one against the dense product it stands for.
#include <blockspec/operator/operator.hpp>
#include <blockspec/operator/xtensor.hpp>

#include <doctest/doctest.h>

#include "support/reference_matrices.hpp"

#include <cmath>
#include <limits>

using blockspec::MatrixX;
using blockspec::VectorX;

namespace {

template <class S>
MatrixX<S> random_symmetric(Eigen::Index n, std::uint64_t seed) {
  blockspec::Rng rng(seed);
  MatrixX<S> a(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i <= j; ++i) a(i, j) = a(j, i) = static_cast<S>(rng.normal());
  return a;
}

template <class S>
VectorX<S> random_vector(Eigen::Index n, std::uint64_t seed) {
  return blockspec::test::gaussian_vector(n, seed).cast<S>();
}

// A product of an n x n matrix with a vector computed two ways (different
// summation orders) differs by at most ~ n eps |A| |x| (Higham, Accuracy and
// Stability, 3.5); tests compare with this bound.
template <class S>
double product_tolerance(const MatrixX<S>& a, const VectorX<S>& x) {
  return 2.0 * static_cast<double>(a.rows()) * static_cast<double>(std::numeric_limits<S>::epsilon()) *
         static_cast<double>(a.norm() * x.norm());
}

struct SpectraStyle {  // the Spectra MatOp convention, without Spectra
  using Scalar = double;
  const Eigen::MatrixXd* a;
  Eigen::Index rows() const { return a->rows(); }
  Eigen::Index cols() const { return a->cols(); }
  void perform_op(const double* x, double* y) const {
    Eigen::Map<Eigen::VectorXd>(y, rows()) = *a * Eigen::Map<const Eigen::VectorXd>(x, rows());
  }
};

}  // namespace

TEST_CASE_TEMPLATE("make_operator accepts the three callable forms and they agree", S, float, double) {
  const Eigen::Index n = 30;
  const MatrixX<S> a = random_symmetric<S>(n, 1);
  const VectorX<S> x = random_vector<S>(n, 2);
  const VectorX<S> expected = a * x;
  VectorX<S> y(n);

  auto f1 = blockspec::make_operator<S>(n, [&](Eigen::Ref<const VectorX<S>> in, Eigen::Ref<VectorX<S>> out) {
    out.noalias() = a * in;
  });
  f1.apply(x, y);
  CHECK((y - expected).norm() <= product_tolerance(a, x));

  auto f2 = blockspec::make_operator<S>(n, [&](const VectorX<S>& in, VectorX<S>& out) { out = a * in; });
  y.setZero();
  f2.apply(x, y);
  CHECK((y - expected).norm() <= product_tolerance(a, x));

  auto f3 = blockspec::make_operator<S>(n, [&](const auto& in) -> VectorX<S> { return a * in; });
  y.setZero();
  f3.apply(x, y);
  CHECK((y - expected).norm() <= product_tolerance(a, x));

  CHECK(f1.rows() == n);
  CHECK_FALSE(blockspec::is_thread_safe_v<decltype(f1)>);
  auto ts = blockspec::make_operator<S>(
      n, [&](Eigen::Ref<const VectorX<S>> in, Eigen::Ref<VectorX<S>> out) { out.noalias() = a * in; },
      blockspec::declare_thread_safe);
  CHECK(blockspec::is_thread_safe_v<decltype(ts)>);
}

TEST_CASE("make_operator holds an lvalue callable by reference and moves an rvalue in") {
  int calls = 0;
  auto f = [&calls](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    ++calls;
    y = x;
  };
  auto op = blockspec::make_operator(3, f);
  static_assert(std::is_same_v<decltype(op), blockspec::LambdaOperator<double, decltype(f)&, false>>);
  auto owned = blockspec::make_operator(3, std::move(f));
  static_assert(std::is_same_v<decltype(owned), blockspec::LambdaOperator<double, decltype(f), false>>);
  Eigen::VectorXd y(3);
  op.apply(Eigen::VectorXd::Ones(3), y);
  owned.apply(Eigen::VectorXd::Ones(3), y);
  CHECK(calls == 2);
}

TEST_CASE("operators reject a non-positive dimension and non-square matrices") {
  auto f = [](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) { y = x; };
  CHECK_THROWS_WITH_AS(blockspec::make_operator(0, f), doctest::Contains("dimension n must be positive"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::dense_operator(Eigen::MatrixXd(3, 4)), doctest::Contains("square"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::sparse_operator(Eigen::SparseMatrix<double>(0, 0)), doctest::Contains("square"),
                       blockspec::invalid_argument);
  CHECK_THROWS_AS(blockspec::xtensor_operator(-2, [](const auto&, auto&) {}), blockspec::invalid_argument);
}

TEST_CASE_TEMPLATE("dense and sparse operators, row- and column-major, single and batched", S, float, double) {
  const Eigen::Index n = 40;
  const MatrixX<S> a = random_symmetric<S>(n, 3);
  const Eigen::SparseMatrix<S, Eigen::ColMajor> sc = a.sparseView();
  const Eigen::SparseMatrix<S, Eigen::RowMajor> sr = a.sparseView();
  const VectorX<S> x = random_vector<S>(n, 4);
  const VectorX<S> expected = a * x;
  MatrixX<S> X(n, 3);
  for (int c = 0; c < 3; ++c) X.col(c) = random_vector<S>(n, 10 + c);
  const MatrixX<S> expected_block = a * X;

  auto d = blockspec::dense_operator(a);
  auto c = blockspec::sparse_operator(sc);
  auto r = blockspec::sparse_operator(sr);
  VectorX<S> y(n);
  MatrixX<S> Y(n, 3);
  for (auto* name : {"dense", "sparse col", "sparse row"}) {
    CAPTURE(name);
    const std::string which = name;
    if (which == "dense") {
      d.apply(x, y);
      d.apply_block(X, Y);
    } else if (which == "sparse col") {
      c.apply(x, y);
      c.apply_block(X, Y);
    } else {
      r.apply(x, y);
      r.apply_block(X, Y);
    }
    CHECK((y - expected).norm() <= product_tolerance(a, x));
    for (int k = 0; k < 3; ++k)
      CHECK((Y.col(k) - expected_block.col(k)).norm() <= product_tolerance<S>(a, X.col(k)));
  }
}

TEST_CASE("an lvalue matrix is held by reference (no copy), an rvalue is moved in") {
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(4, 4);
  auto op = blockspec::dense_operator(a);
  CHECK(&op.matrix() == &a);
  a(0, 0) = 5.0;  // the operator sees the change: it holds a reference
  Eigen::VectorXd y(4);
  op.apply(Eigen::VectorXd::Ones(4), y);
  CHECK(y[0] == 5.0);

  Eigen::MatrixXd b = Eigen::MatrixXd::Identity(4, 4);
  const double* data = b.data();
  auto owned = blockspec::dense_operator(std::move(b));
  CHECK(owned.matrix().data() == data);  // moved: the same storage, not a copy
}

TEST_CASE_TEMPLATE("shifted, scaled and counted", S, float, double) {
  const Eigen::Index n = 25;
  const MatrixX<S> a = random_symmetric<S>(n, 5);
  const VectorX<S> x = random_vector<S>(n, 6);
  auto base = blockspec::counted(blockspec::dense_operator(a));
  auto sh = blockspec::shifted(base, 0.5);
  auto sc = blockspec::scaled(sh, -2.0);
  static_assert(blockspec::BatchedLinearOperator<decltype(sc)>);
  static_assert(blockspec::is_thread_safe_v<decltype(sc)>);
  VectorX<S> y(n);
  sc.apply(x, y);
  const VectorX<S> expected = S(-2) * (a * x + S(0.5) * x);
  // Two extra roundings (shift add and scaling) on top of the product bound.
  CHECK((y - expected).norm() <= 2.0 * product_tolerance(a, x));
  MatrixX<S> X = MatrixX<S>::Ones(n, 4), Y(n, 4);
  sc.apply_block(X, Y);
  CHECK(base.count() == 1 + 4);  // a block of k columns counts k
  base.reset();
  CHECK(base.count() == 0);
  CHECK_THROWS_AS(blockspec::shifted(base, std::nan("")), blockspec::invalid_argument);
  CHECK_THROWS_AS(blockspec::scaled(base, INFINITY), blockspec::invalid_argument);
}

TEST_CASE("the xtensor operator works on views of blockspec's buffers, without copying") {
  const Eigen::Index n = 16;
  const double* seen_in = nullptr;
  double* seen_out = nullptr;
  auto op = blockspec::xtensor_operator(
      n, [&](const blockspec::xtensor_const_vector<double>& x, blockspec::xtensor_vector<double>& y) {
        seen_in = x.data();
        seen_out = y.data();
        y = 3.0 * x;
      });
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(n, 1.0, 16.0), y(n);
  op.apply(x, y);
  CHECK(seen_in == x.data());
  CHECK(seen_out == y.data());
  CHECK(y.isApprox(3.0 * x, 0.0));  // exact: one rounding-free scaling by 3 of small integers
}

TEST_CASE("Spectra-style operators come in unchanged and ours go out to Spectra") {
  const Eigen::MatrixXd a = random_symmetric<double>(20, 7);
  SpectraStyle s{&a};
  auto op = blockspec::from_spectra(s);
  static_assert(blockspec::LinearOperator<decltype(op)>);
  const Eigen::VectorXd x = random_vector<double>(20, 8);
  Eigen::VectorXd y(20), z(20);
  op.apply(x, y);
  CHECK((y - a * x).norm() == 0.0);  // the same Eigen product, bit for bit
  auto back = blockspec::to_spectra(op);
  static_assert(blockspec::SpectraStyleOperator<decltype(back)>);
  back.perform_op(x.data(), z.data());
  CHECK((z - y).norm() == 0.0);
  CHECK(back.rows() == 20);
  CHECK(back.cols() == 20);
}

TEST_CASE("hvp_from_gradient: exact on quadratics, second order on a quartic") {
  const Eigen::Index n = 10;
  const Eigen::MatrixXd a = random_symmetric<double>(n, 9);
  const Eigen::VectorXd w = random_vector<double>(n, 10);
  const Eigen::VectorXd v = random_vector<double>(n, 11);

  // f = 1/2 w'Aw: the central difference of g = Aw is exact up to rounding,
  // (|g| eps / t relative to |A v| with t ~ cbrt(eps) |w|): eps^(2/3) ~ 4e-11.
  auto quad = blockspec::hvp_from_gradient([&](const auto& x) -> Eigen::VectorXd { return a * x; }, w);
  Eigen::VectorXd y(n);
  quad.apply(v, y);
  CHECK((y - a * v).norm() <= 1e-9 * (a * v).norm());

  // f = sum w_i^4 / 4: g_i = w_i^3, H = diag(3 w_i^2); the truncation error is
  // t^2 |v|^2 max|v_i|^3-ish * 1 (the fourth derivative 6 over 3!), about 1e-10
  // at the default t, and rounding about eps^(2/3) |g|: a 1e-7 relative bound holds.
  auto quartic = blockspec::hvp_from_gradient(
      [](Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> g) { g = x.array().cube(); }, w);
  quartic.apply(v, y);
  const Eigen::VectorXd exact = (3.0 * w.array().square() * v.array()).matrix();
  CHECK((y - exact).norm() <= 1e-7 * exact.norm());
  CHECK(quartic.step() > 0.0);
  Eigen::VectorXd zero = Eigen::VectorXd::Zero(n);
  quartic.apply(zero, y);
  CHECK(y.isZero(0.0));
  CHECK_THROWS_AS(blockspec::hvp_from_gradient([](const auto& x) -> Eigen::VectorXd { return x; }, w, -1.0),
                  blockspec::invalid_argument);
}

TEST_CASE("symmetry_error tells symmetric from asymmetric operators") {
  const Eigen::Index n = 50;
  const Eigen::MatrixXd a = random_symmetric<double>(n, 12);
  // Symmetric: the only asymmetry is rounding, at most ~ n eps relative.
  CHECK(blockspec::symmetry_error(blockspec::dense_operator(a), 5, 1) <= n * 1e-16 * 4);
  Eigen::MatrixXd b = a;
  b(0, 1) += 10.0;  // a clearly asymmetric perturbation
  CHECK(blockspec::symmetry_error(blockspec::dense_operator(b), 5, 1) > 1e-3);
  CHECK_THROWS_AS(blockspec::symmetry_error(blockspec::dense_operator(a), 0, 1), blockspec::invalid_argument);
  auto nan_op = blockspec::make_operator(3, [](const auto& x) -> Eigen::VectorXd {
    Eigen::VectorXd y = x;
    y[1] = std::numeric_limits<double>::quiet_NaN();
    return y;
  });
  CHECK_THROWS_AS(blockspec::symmetry_error(nan_op, 1, 0), blockspec::numerical_error);
}
