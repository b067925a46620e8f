// blockspec/optim/blockwise_gd.hpp — gradient descent with one learning rate per block.
//
// Method: at reset(problem), for each block l of problem.partition(),
// extreme_eigenpairs (krylov/eigs.hpp, both ends, via optim/step_size.hpp) on
// principal_block(problem.hessian(), block) finds the block's extreme
// eigenvalues mu_l, L_l; the block's step is
// eta_l = 2/(L_l + mu_l), GD's optimal step for H_ll alone. Each step does
//   w_l <- w_l - lr eta_l g_l
// so lr is a dimensionless multiplier (1 = each block's optimal step). The
// stored eigenvalues of a BlockQuadratic are never read: only the operator.
// On a block-diagonal quadratic the blocks decouple and block l converges at
// (kappa_l - 1)/(kappa_l + 1) per step: the complexity is ~max_l kappa_l
// instead of GD's ~kappa(H) — the gain the paper attributes to per-block rates.
// Cost: reset costs one extreme_eigenpairs run (2 pairs) per block, in products with H_ll; a step O(n).
// Caveat: on a non-block-diagonal H the coupling between blocks can make
// per-block optimal steps unstable; lower lr then.
// Reference: Zhang et al., "Why Transformers Need Adam: A Hessian
// Perspective", NeurIPS 2024, sec. 4 (blockwise learning rates on quadratics).
#pragma once

#include <blockspec/operator/block.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/step_size.hpp>

#include <string>
#include <vector>

namespace blockspec {

/// Options of BlockwiseGd.
struct BlockwiseGdOptions {
  /// The eigensolver of every block (which and vectors are set by BlockwiseGd); block l uses
  /// seed eigs.seed + l. Its fields are checked by extreme_eigenpairs at reset.
  EigsOptions eigs{};

  void validate(const std::string&) const {}
};

/// GD with eta_l = 2/(L_l + mu_l) per block, from extreme_eigenpairs on H_ll.
/// Example: `blockspec::BlockwiseGd bgd;  auto trace = blockspec::run(q, bgd, {.lr = 1.0});`
class BlockwiseGd : public detail::OptimizerBase<BlockwiseGd> {
 public:
  explicit BlockwiseGd(BlockwiseGdOptions o = {}) : o_(o) { o_.validate("blockwise_gd"); }
  std::string name() const { return "blockwise_gd"; }

  /// Reads the partition and, block by block, the Hessian operator.
  template <Problem P>
  void reset(const P& problem) {
    const std::string where = "blockwise_gd::reset";
    if constexpr (!HasPartition<P> || !HasHessian<P>) {
      (void)problem;
      throw invalid_argument(where + ": the problem must provide partition() and hessian()");
    } else {
      const BlockPartition* part = detail::problem_partition(problem, where);
      detail::require(part != nullptr, where, "the problem has no partition");
      detail::require(part->covers(), where, "the problem's partition must cover every coordinate");
      blocks_.clear();
      estimates_.clear();
      auto&& h = problem.hessian();
      detail::require(static_cast<Eigen::Index>(h.rows()) == part->dimension(), where,
                      "the Hessian has " + std::to_string(static_cast<Eigen::Index>(h.rows())) +
                          " rows but the partition's dimension is " + std::to_string(part->dimension()));
      for (std::size_t l = 0; l < part->size(); ++l) {
        const Block& b = (*part)[l];
        auto hl = principal_block(h, b);
        const ExtremeEigenvalues e =
            detail::extreme_eigenvalues(hl, with_seed(o_.eigs, o_.eigs.seed + l));
        detail::require(e.lambda_min > 0.0, where,
                        "block '" + b.name + "' is not positive definite (smallest eigenvalue " +
                            detail::format_double(e.lambda_min) + ")");
        estimates_.push_back(e);
        blocks_.push_back({b.offset, b.size, 2.0 / (e.lambda_max + e.lambda_min)});
      }
      OptimizerBase::reset(problem);
    }
  }
  void init(Eigen::Index, const BlockPartition*) {}
  template <class S>
  void update(Eigen::Ref<VectorX<S>> w, Eigen::Ref<const VectorX<S>> g, std::int64_t, double lr) {
    for (const auto& b : blocks_) w.segment(b.offset, b.size) -= static_cast<S>(lr * b.eta) * g.segment(b.offset, b.size);
  }
  /// The extreme eigenvalues of each block and their solver status (after reset).
  const std::vector<ExtremeEigenvalues>& estimates() const noexcept { return estimates_; }
  /// The per-block steps eta_l (after reset).
  std::vector<double> block_steps() const {
    std::vector<double> out;
    for (const auto& b : blocks_) out.push_back(b.eta);
    return out;
  }

 private:
  static EigsOptions with_seed(EigsOptions o, std::uint64_t seed) {
    o.seed = seed;
    return o;
  }
  struct Entry {
    Eigen::Index offset, size;
    double eta;
  };
  BlockwiseGdOptions o_;
  std::vector<Entry> blocks_;
  std::vector<ExtremeEigenvalues> estimates_;
};

}  // namespace blockspec
