// Tests of Block, BlockPartition and principal_block.
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/counted.hpp>
#include <blockspec/operator/lambda.hpp>
#include <blockspec/operator/matrix.hpp>

#include <doctest/doctest.h>

#include <limits>

#include "support/reference_matrices.hpp"

using blockspec::Block;
using blockspec::BlockPartition;

TEST_CASE("a valid partition keeps its order, names and coverage") {
  const auto p = BlockPartition::from_sizes({{"embed", 3}, {"attn", 4}, {"mlp", 5}});
  CHECK(p.size() == 3);
  CHECK(p.dimension() == 12);
  CHECK(p.covers());
  CHECK(p[1] == Block{"attn", 3, 4});
  CHECK(p.find("mlp").offset == 7);
  CHECK(p.names() == std::vector<std::string>{"embed", "attn", "mlp"});
  const BlockPartition partial({{"a", 0, 2}, {"b", 5, 3}}, 10);
  CHECK_FALSE(partial.covers());
  const auto u = BlockPartition::uniform(4, 25, "layer");
  CHECK(u.dimension() == 100);
  CHECK(u[3].name == "layer3");
  CHECK_THROWS_WITH_AS(p.find("nope"), doctest::Contains("no block named 'nope'"), blockspec::invalid_argument);
}

TEST_CASE("bad partitions are errors that name the problem") {
  CHECK_THROWS_WITH_AS(BlockPartition({}, 5), doctest::Contains("empty"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 0, 3}, {"b", 2, 3}}, 10), doctest::Contains("overlaps"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 8, 3}}, 10), doctest::Contains("outside"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", -1, 3}}, 10), doctest::Contains("outside"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 0, 0}}, 10), doctest::Contains("size must be positive"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 0, 2}, {"a", 2, 2}}, 10), doctest::Contains("duplicate"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"", 0, 2}}, 10), doctest::Contains("empty name"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 0, 2}}, 0), doctest::Contains("dimension"), blockspec::invalid_argument);
  CHECK_THROWS_AS(BlockPartition::uniform(0, 3), blockspec::invalid_argument);
}

TEST_CASE("principal_block applies the diagonal block H_ll exactly") {
  const Eigen::MatrixXd a = blockspec::test::with_spectrum(Eigen::VectorXd::LinSpaced(20, 1.0, 20.0), 3);
  const Block b{"mid", 5, 7};
  auto full = blockspec::counted(blockspec::dense_operator(a));
  auto pb = blockspec::principal_block(full, b);
  CHECK(pb.rows() == 7);
  static_assert(blockspec::BatchedLinearOperator<decltype(pb)>);
  const Eigen::VectorXd x = blockspec::test::gaussian_vector(7, 4);
  Eigen::VectorXd y(7);
  pb.apply(x, y);
  const Eigen::VectorXd expected = a.block(5, 5, 7, 7) * x;
  // Zero padding adds exact zeros to each dot product, so only the summation
  // order differs from the submatrix product: a 20-term dot product bound.
  CHECK((y - expected).norm() <= 20 * 1e-16 * a.norm() * x.norm() * 4);
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(7, 3), Y(7, 3);
  pb.apply_block(X, Y);
  CHECK((Y - a.block(5, 5, 7, 7) * X).norm() <= 20 * 1e-16 * a.norm() * X.norm() * 4);
  CHECK(full.count() == 1 + 3);

  CHECK_THROWS_WITH_AS(blockspec::principal_block(full, Block{"big", 15, 10}), doctest::Contains("outside"),
                       blockspec::invalid_argument);
}

namespace {
// An operator with its own, cheaper principal_block member.
struct WithOwnBlocks {
  using Scalar = double;
  Eigen::Index rows() const { return 10; }
  void apply(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    ++full_products;
    y = 2.0 * x;
  }
  auto principal_block(const Block& b) {
    return blockspec::make_operator(b.size, [](const auto& x) -> Eigen::VectorXd { return 2.0 * x; });
  }
  int full_products = 0;
};
}  // namespace

TEST_CASE("principal_block uses an operator's own member when it has one") {
  WithOwnBlocks op;
  auto pb = blockspec::principal_block(op, Block{"b", 2, 3});
  Eigen::VectorXd y(3);
  pb.apply(Eigen::VectorXd::Ones(3), y);
  CHECK(y == Eigen::VectorXd::Constant(3, 2.0));
  CHECK(op.full_products == 0);  // the full operator was never applied
}

TEST_CASE("a block may carry a tensor shape whose extents multiply to its size") {
  // A 4 x 3 weight and a conv kernel (2, 1, 3, 3) viewed as (out, in*kh*kw) = (2, 9).
  const BlockPartition p({{"w", 0, 12, {4, 3}}, {"conv", 12, 18, {2, 1, 3, 3}}, {"bias", 30, 4}}, 34);
  CHECK(p[0].matrix_rows() == 4);
  CHECK(p[0].matrix_cols() == 3);
  CHECK(p[1].matrix_rows() == 2);
  CHECK(p[1].matrix_cols() == 9);
  CHECK(p[2].shape.empty());
  CHECK(p[2].matrix_rows() == 4);
  CHECK(p[2].matrix_cols() == 1);
  CHECK_THROWS_WITH_AS(BlockPartition({{"w", 0, 12, {4, 4}}}, 12), doctest::Contains("'w'"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"w", 0, 12, {5, 2}}}, 12), doctest::Contains("multiply to 10, not size 12"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"w", 0, 12, {12, 0}}}, 12), doctest::Contains("extent must be positive"),
                       blockspec::invalid_argument);
}

TEST_CASE("offsets and sizes near the index limit are refused without signed overflow") {
  // Before the fix, offset + size wrapped around (UBSan: signed overflow) and the block was accepted.
  const Eigen::Index big = std::numeric_limits<Eigen::Index>::max();
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", 0, 2}, {"b", big - 1, 4}}, 10), doctest::Contains("'b'): offset"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition({{"a", big, big}}, big), doctest::Contains("outside"),
                       blockspec::invalid_argument);
  CHECK(Block{"x", big - 4, 4}.inside(big));
  CHECK_FALSE(Block{"x", big - 3, 4}.inside(big));
  CHECK_THROWS_WITH_AS(BlockPartition::from_sizes({{"a", big}, {"b", 2}}), doctest::Contains("overflows"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition::uniform(3, big / 2), doctest::Contains("overflows"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(BlockPartition::uniform(3, 0), doctest::Contains("size must be positive, got 0"),
                       blockspec::invalid_argument);
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(5, 5);
  auto op = blockspec::dense_operator(eye);
  CHECK_THROWS_WITH_AS(blockspec::principal_block(op, Block{"w", big - 1, 4}), doctest::Contains("'w' offset"),
                       blockspec::invalid_argument);
}
