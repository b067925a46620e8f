// blockspec/operator/block.hpp — named parameter blocks and the diagonal blocks H_ll of an operator.
//
// A BlockPartition is an ordered list of named, non-empty, non-overlapping
// index ranges of a vector of length `dimension()`, sorted by offset. It need
// not cover the whole vector (a user may study some tensors only);
// `covers()` says whether it does, and the factories from sizes always do.
// principal_block(op, block) is the operator of H_ll: it uses the operator's own
// `principal_block(block)` member when it has one, and otherwise zero-pads x to
// length n, applies H and keeps the block's rows (one full product per product).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/concepts.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace blockspec {

/// A named contiguous range [offset, offset + size) of a parameter vector.
/// `shape` optionally says how the range is laid out as a tensor: empty for a
/// plain vector block; {rows, cols} for a matrix W stored row-major (a weight
/// d_out x d_in); a conv kernel (out, in, kh, kw) is viewed as (out, in*kh*kw).
/// When non-empty, the product of its extents must equal `size` (BlockPartition
/// checks it). Algorithms that only need the range ignore it.
struct Block {
  std::string name;
  Eigen::Index offset = 0;
  Eigen::Index size = 0;
  std::vector<Eigen::Index> shape{};

  /// offset + size; call it only on a block known to lie inside some [0, n) (see inside()).
  Eigen::Index end() const noexcept { return offset + size; }
  /// True when size > 0 and [offset, offset + size) lies inside [0, n); computed
  /// without forming offset + size, so it cannot overflow.
  bool inside(Eigen::Index n) const noexcept { return size > 0 && offset >= 0 && size <= n && offset <= n - size; }
  /// Rows of the block viewed as a matrix: shape[0], or size for a vector block.
  Eigen::Index matrix_rows() const noexcept { return shape.empty() ? size : shape.front(); }
  /// Columns of the block viewed as a matrix: the product of the other extents, or 1.
  Eigen::Index matrix_cols() const noexcept {
    if (shape.empty()) return 1;
    Eigen::Index c = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) c *= shape[i];
    return c;
  }
  friend bool operator==(const Block&, const Block&) = default;
};

/// An ordered set of named, non-overlapping blocks of a vector of length dimension().
class BlockPartition {
 public:
  BlockPartition() = default;

  /// Validates: dimension > 0, at least one block, every size > 0, in range,
  /// sorted by offset, non-overlapping, unique non-empty names.
  BlockPartition(std::vector<Block> blocks, Eigen::Index dimension) : blocks_(std::move(blocks)), n_(dimension) {
    const std::string where = "BlockPartition";
    detail::require(n_ > 0, where, "dimension must be positive, got " + std::to_string(n_));
    detail::require(!blocks_.empty(), where, "the partition is empty: give at least one block");
    std::unordered_set<std::string> names;
    Eigen::Index prev_end = 0, covered = 0;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      const Block& b = blocks_[i];
      const std::string id = "block " + std::to_string(i) + " ('" + b.name + "')";
      detail::require(!b.name.empty(), where, "block " + std::to_string(i) + " has an empty name");
      detail::require(names.insert(b.name).second, where, id + ": duplicate name");
      detail::require(b.size > 0, where, id + ": size must be positive, got " + std::to_string(b.size));
      if (!b.shape.empty()) {
        Eigen::Index prod = 1;
        for (const Eigen::Index e : b.shape) {
          detail::require(e > 0, where, id + ": every shape extent must be positive, got " + std::to_string(e));
          detail::require(prod <= b.size / e, where, id + ": the shape's extents multiply to more than size " +
                                                         std::to_string(b.size));
          prod *= e;
        }
        detail::require(prod == b.size, where,
                        id + ": the shape's extents multiply to " + std::to_string(prod) + ", not size " +
                            std::to_string(b.size));
      }
      detail::require(b.inside(n_), where,
                      id + ": offset " + std::to_string(b.offset) + " + size " + std::to_string(b.size) +
                          " is outside [0, " + std::to_string(n_) + ")");
      detail::require(b.offset >= prev_end, where,
                      id + ": overlaps the previous block or is out of order (offset " + std::to_string(b.offset) +
                          " < " + std::to_string(prev_end) + ")");
      prev_end = b.end();
      covered += b.size;
    }
    covers_ = covered == n_;
  }

  /// Contiguous blocks covering [0, sum of sizes), named as given.
  static BlockPartition from_sizes(const std::vector<std::pair<std::string, Eigen::Index>>& named_sizes) {
    std::vector<Block> blocks;
    Eigen::Index offset = 0;
    for (const auto& [name, size] : named_sizes) {
      detail::require(size > 0, "BlockPartition::from_sizes",
                      "block '" + name + "': size must be positive, got " + std::to_string(size));
      detail::require(size <= std::numeric_limits<Eigen::Index>::max() - offset, "BlockPartition::from_sizes",
                      "block '" + name + "': size " + std::to_string(size) + " after offset " +
                          std::to_string(offset) + " overflows the index type");
      blocks.push_back({name, offset, size});
      offset += size;
    }
    return BlockPartition(std::move(blocks), offset);
  }

  /// `count` contiguous blocks of `size` each, named prefix0, prefix1, ...
  static BlockPartition uniform(int count, Eigen::Index size, const std::string& prefix = "block") {
    detail::require(count > 0, "BlockPartition::uniform", "count must be positive, got " + std::to_string(count));
    detail::require(size > 0, "BlockPartition::uniform", "size must be positive, got " + std::to_string(size));
    detail::require(size <= std::numeric_limits<Eigen::Index>::max() / count, "BlockPartition::uniform",
                    "count " + std::to_string(count) + " x size " + std::to_string(size) +
                        " overflows the index type");
    std::vector<std::pair<std::string, Eigen::Index>> named;
    for (int i = 0; i < count; ++i) named.emplace_back(prefix + std::to_string(i), size);
    return from_sizes(named);
  }

  std::size_t size() const noexcept { return blocks_.size(); }
  bool empty() const noexcept { return blocks_.empty(); }
  Eigen::Index dimension() const noexcept { return n_; }
  /// True when the blocks cover every index of the vector.
  bool covers() const noexcept { return covers_; }
  const Block& operator[](std::size_t i) const { return blocks_[i]; }
  const Block& at(std::size_t i) const {
    detail::require(i < blocks_.size(), "BlockPartition::at", "index " + std::to_string(i) + " out of range");
    return blocks_[i];
  }
  auto begin() const noexcept { return blocks_.begin(); }
  auto end() const noexcept { return blocks_.end(); }
  const std::vector<Block>& blocks() const noexcept { return blocks_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& b : blocks_) out.push_back(b.name);
    return out;
  }
  /// The block with this name; invalid_argument when there is none.
  const Block& find(const std::string& name) const {
    for (const auto& b : blocks_)
      if (b.name == name) return b;
    throw invalid_argument("BlockPartition::find: no block named '" + name + "'");
  }

 private:
  std::vector<Block> blocks_;
  Eigen::Index n_ = 0;
  bool covers_ = false;
};

/// H_ll by zero-padding: x (length b.size) -> rows b of H [0; x; 0].
template <class Op>
class PrincipalBlockOperator {
  using Inner = std::remove_reference_t<Op>;

 public:
  using Scalar = typename std::remove_cvref_t<Op>::Scalar;
  static constexpr bool thread_safe = is_thread_safe_v<Op>;

  template <class O>
  PrincipalBlockOperator(O&& op, Block block) : op_(std::forward<O>(op)), block_(std::move(block)) {
    const Eigen::Index n = op_.rows();
    detail::require(block_.inside(n), "principal_block",
                    "block '" + block_.name + "' offset " + std::to_string(block_.offset) + " + size " +
                        std::to_string(block_.size) + " is empty or outside the operator's [0, " +
                        std::to_string(n) + ")");
  }
  Eigen::Index rows() const noexcept { return block_.size; }
  const Block& block() const noexcept { return block_; }

  void apply(Eigen::Ref<const VectorX<Scalar>> x, Eigen::Ref<VectorX<Scalar>> y) {
    if constexpr (thread_safe) {
      VectorX<Scalar> xf = VectorX<Scalar>::Zero(op_.rows()), yf(op_.rows());
      run(x, y, xf, yf);
    } else {
      if (xf_.size() != op_.rows()) {
        xf_ = VectorX<Scalar>::Zero(op_.rows());
        yf_.resize(op_.rows());
      }
      run(x, y, xf_, yf_);
    }
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y)
    requires BatchedLinearOperator<Inner>
  {
    MatrixX<Scalar> XF = MatrixX<Scalar>::Zero(op_.rows(), X.cols()), YF(op_.rows(), X.cols());
    XF.middleRows(block_.offset, block_.size) = X;
    op_.apply_block(XF, YF);
    Y = YF.middleRows(block_.offset, block_.size);
  }
  void apply_block(Eigen::Ref<const MatrixX<Scalar>> X, Eigen::Ref<MatrixX<Scalar>> Y, Executor& executor)
    requires ExecutorAwareOperator<Inner>
  {
    MatrixX<Scalar> XF = MatrixX<Scalar>::Zero(op_.rows(), X.cols()), YF(op_.rows(), X.cols());
    XF.middleRows(block_.offset, block_.size) = X;
    op_.apply_block(XF, YF, executor);
    Y = YF.middleRows(block_.offset, block_.size);
  }

 private:
  void run(const Eigen::Ref<const VectorX<Scalar>>& x, Eigen::Ref<VectorX<Scalar>> y, VectorX<Scalar>& xf,
           VectorX<Scalar>& yf) {
    xf.segment(block_.offset, block_.size) = x;
    detail::apply(op_, xf, yf);
    y = yf.segment(block_.offset, block_.size);
  }

  Op op_;
  Block block_;
  VectorX<Scalar> xf_, yf_;  // outside the block xf_ stays zero
};

/// The operator of the diagonal block H_ll for `block` (see the file comment).
/// Example: `auto Hqq = blockspec::principal_block(H, partition.find("attn.q"));`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
auto principal_block(Op&& op, const Block& block) {
  if constexpr (requires { op.principal_block(block); }) {
    detail::require(block.inside(op.rows()), "principal_block",
                    "block '" + block.name + "' offset " + std::to_string(block.offset) + " + size " +
                        std::to_string(block.size) + " is empty or outside the operator's [0, " +
                        std::to_string(op.rows()) + ")");
    return op.principal_block(block);
  } else {
    return PrincipalBlockOperator<detail::stored_t<Op>>(std::forward<Op>(op), block);
  }
}

}  // namespace blockspec
