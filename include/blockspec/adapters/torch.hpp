// blockspec/adapters/torch.hpp — exact Hessians of LibTorch models as blockspec operators.
//
// Optional component (CMake target blockspec::torch, built only where find_package(Torch)
// succeeds); the core never includes this header. Inside namespace blockspec::torch LibTorch is
// spelled ::torch::.
//
// Method. A LossClosure is a list of named parameter tensors (or a torch::nn::Module's
// named_parameters()) and a callable loss(b) over a fixed list of B batches. The Hessian is the
// MEAN over the batches, H = (1/B) sum_b d^2 L_b / d theta^2, at the parameters' current values.
// Products are exact Hessian-vector products by double back-propagation (Pearlmutter 1994):
// g_b = grad(L_b, theta, create_graph = true), then H_b v = grad(g_b, theta, grad_outputs = v),
// i.e. the gradient of <g_b, v>. The flat parameter vector is the concatenation of the tensors
// in the closure's order, each flattened row-major (a weight d_out x d_in is W's rows in turn).
// HessianOperator models the LinearOperator concept with Scalar = double, so lanczos,
// extreme_eigenpairs, slq and the trace estimators apply as they are; the model may be float32
// or float64 (vectors are converted at the boundary, products summed in double).
//
// Principal blocks. HessianOperator::principal_block(block) is the operator of H_ll for any
// contiguous range: the gradient of <g_b[l], v_l> with respect to only the tensors that overlap
// the range (PyHessian's autograd.grad(g_l, W_l, v_l)), so blockwise_spectra(H, partition)
// uses it with no zero-padding and no full product. partition(options) builds a BlockPartition
// from the parameter names: by default every tensor with >= 2 dimensions is its own block named
// after it, with shape (d0, numel / d0) (a conv kernel (out, in, kh, kw) is (out, in*kh*kw));
// PartitionOptions adds 1-D tensors, filters by regex, and groups tensors whose names match a
// regex (e.g. one layer's q, k, v) into one block (they must be adjacent in parameter order).
//
// Graph modes (HessianOptions::mode) and their memory:
//  - cached: the create_graph gradient of every batch is built once, on first use, and retained
//    until release_graphs() or destruction. Memory: B retained double-backward graphs, each
//    about 2-3x the activation memory of one training step on that batch (the forward
//    activations plus the saved tensors of the gradient graph). Cost per product: one
//    double-backward per batch (per block for H_ll).
//  - recompute: the graph is rebuilt for every product and freed after it (the paper's code).
//    Memory: one batch's graph at a time. Cost per product: an extra forward and create_graph
//    backward per batch.
//
// Lockstep (lockstep_blockwise_spectra). Step j of EVERY block's Lanczos runs on one graph per
// batch, with one double-backward per block: H_ll v_l = grad(g_b[l], theta_l, v_l) for each l
// separately. (A single backward on v_1 (+) ... (+) v_L would give the rows l of H (v_1 (+) ...
// (+) v_L), i.e. sum_m H_lm v_m, not H_ll v_l.) In recompute mode the graph of a batch is built
// once per lockstep step and serves all blocks (and the full operator, when requested): L + 1
// double-backwards but one forward + create_graph backward per batch and step, instead of L + 1.
// Design: the library's own slq() runs for every block (and the full operator) unchanged, each
// in its own thread; their operators only post their vector to a rendezvous and wait. The calling
// thread serves a round when every live run has posted: all the products of the round on one
// graph per batch. All threads share one mutex, so exactly one thread runs at any time (the
// Lanczos arithmetic of the runs is serialized, and every LibTorch call is made from the calling
// thread). Seeds and options are those of blockwise_spectra, so the result equals
// blockwise_spectra(H, partition, options) to rounding (bitwise on a deterministic CPU build).
// Cost of lockstep: L (+ 1) threads, all but one blocked; the same double-backwards as block by
// block; in recompute mode one graph build per batch and round instead of one per product.
// Memory of lockstep: every run's Lanczos workspace at once, about (sum_l n_l + n) m doubles with
// partial or full reorthogonalization (m steps), where block by block needs max_l n_l m (+ n m).
// The progress callback sees (probe, step) of every run interleaved; returning false cancels all
// runs. SlqOptions::block_size > 1 is allowed but each column is then its own round.
//
// Thread safety. Autograd on one retained graph is not safe from several threads, so the
// operators declare thread_safe = false and slq refuses threads > 1 with them: probes run one
// after another; LibTorch's own intra-op threads (torch::set_num_threads) parallelize inside
// each product. Use the operators from one thread at a time.
//
// Checks for users' own models: check_symmetry (u'Hv against v'Hu) and
// check_finite_difference (Hv against central differences of the mean gradient) return the
// measured error and the error expected for the model's dtype.
//
// Errors: bad input (empty or non-floating parameters, mixed dtypes or devices, parameters not
// requiring grad, a loss that is not a scalar, a bad regex, vectors of the wrong length or
// non-finite) throws invalid_argument naming it; a non-finite loss, gradient or product throws
// numerical_error naming the batch (and block). Nothing the caller passed is modified:
// check_finite_difference perturbs the parameters' storage through .data() (no autograd
// version bump) and restores it bit for bit, also on exceptions.
// Caveats: the loss callable runs many times (once per batch and graph build, and for the
// gradients of the checks), so it must have no side effects: put BatchNorm and Dropout in eval
// mode. A parameter the loss does not use has zero rows and columns in H. Debian's
// libtorch 1.13 is CPU-only here; tensors on another device are converted with .to(device).
// Reference: Pearlmutter, Neural Computation 6 (1994); Yao et al., "PyHessian" (2020);
// Zhang et al., "Why Transformers Need Adam: A Hessian Perspective" (2024), §3.
#pragma once

#include <blockspec/analysis/blockwise.hpp>
#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/random.hpp>
#include <blockspec/spectral/slq.hpp>

#include <torch/torch.h>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace blockspec::torch {

/// A parameter tensor and its name (as in torch::nn::Module::named_parameters()).
struct NamedTensor {
  std::string name;
  ::torch::Tensor tensor;
};

/// How the gradient graph of each batch is kept (see the file comment for memory and cost).
enum class GraphMode { cached, recompute };

inline const char* to_string(GraphMode m) noexcept { return m == GraphMode::cached ? "cached" : "recompute"; }

/// Parameters plus a loss over a fixed list of batches; the Hessian is the mean over the batches.
class LossClosure {
 public:
  /// loss(b) for b in [0, batches) returns a scalar loss tensor computed from the parameters.
  using LossFn = std::function<::torch::Tensor(std::size_t batch)>;

  LossClosure(std::vector<NamedTensor> parameters, LossFn loss, std::size_t batches)
      : params_(std::move(parameters)), loss_(std::move(loss)), batches_(batches) {
    validate();
  }
  /// The trainable parameters of `model` (named_parameters(recurse = true) with requires_grad), in
  /// registration order; frozen ones are constants of the loss and have no rows in H.
  LossClosure(const ::torch::nn::Module& model, LossFn loss, std::size_t batches)
      : LossClosure(named(model), std::move(loss), batches) {}

  /// A closure over a list of batches: f(const Batch&) is the loss of one batch.
  /// Example: `auto c = LossClosure::over(model, batches, [&](const Pair& p) { return ce(net(p.x), p.y); });`
  template <class Params, class Batch, class F>
  static LossClosure over(const Params& params, std::vector<Batch> batches, F f) {
    auto shared = std::make_shared<std::vector<Batch>>(std::move(batches));
    const std::size_t count = shared->size();
    return LossClosure(params, [shared, f](std::size_t b) { return f((*shared)[b]); }, count);
  }

  const std::vector<NamedTensor>& parameters() const noexcept { return params_; }
  std::size_t batches() const noexcept { return batches_; }
  /// The length n of the flat parameter vector.
  Eigen::Index dimension() const noexcept { return n_; }
  ::torch::ScalarType dtype() const noexcept { return dtype_; }
  ::torch::Device device() const noexcept { return params_.front().tensor.device(); }
  /// Offset of parameter i in the flat vector.
  Eigen::Index offset(std::size_t i) const { return offsets_.at(i); }

  /// The loss of batch b, checked: a finite floating scalar that depends on the parameters.
  ::torch::Tensor loss(std::size_t b) const {
    ::torch::AutoGradMode grad_on(true);
    ::torch::Tensor l = loss_(b);
    const std::string where = "blockspec::torch::LossClosure: the loss of batch " + std::to_string(b);
    detail::require(l.defined(), where, "is an undefined tensor");
    detail::require(l.numel() == 1, where, "must be a scalar, got " + std::to_string(l.numel()) + " elements");
    detail::require(l.is_floating_point(), where, "must be a floating-point tensor");
    detail::require(l.requires_grad(), where, "does not depend on the parameters (requires_grad is false)");
    const double v = l.detach().to(::torch::kFloat64).item<double>();
    if (!std::isfinite(v)) throw numerical_error(where + " is " + detail::format_double(v));
    return l.reshape({});
  }

 private:
  static std::vector<NamedTensor> named(const ::torch::nn::Module& model) {
    std::vector<NamedTensor> out;
    for (const auto& item : model.named_parameters(true))
      if (item.value().requires_grad()) out.push_back({item.key(), item.value()});
    return out;
  }

  void validate() {
    const char* where = "blockspec::torch::LossClosure";
    detail::require(!params_.empty(), where, "no parameters: give at least one tensor");
    detail::require(static_cast<bool>(loss_), where, "the loss callable is empty");
    detail::require(batches_ > 0, where, "batches must be positive, got 0");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      const std::string id = "parameter " + std::to_string(i) + " ('" + p.name + "')";
      detail::require(!p.name.empty(), where, "parameter " + std::to_string(i) + " has an empty name");
      detail::require(p.tensor.defined(), where, id + " is an undefined tensor");
      detail::require(p.tensor.numel() > 0, where, id + " is empty");
      const auto st = p.tensor.scalar_type();
      detail::require(st == ::torch::kFloat32 || st == ::torch::kFloat64, where,
                      id + " must be float32 or float64, got " + std::string(c10::toString(st)));
      detail::require(p.tensor.requires_grad(), where,
                      id + " does not require grad: leave frozen tensors out of the list");
      detail::require(p.tensor.is_leaf(), where, id + " is not a leaf tensor (pass the parameters themselves)");
      if (i == 0) dtype_ = st;
      detail::require(st == dtype_, where,
                      id + " is " + std::string(c10::toString(st)) + " but parameter 0 is " +
                          std::string(c10::toString(dtype_)) + ": use one dtype");
      detail::require(p.tensor.device() == params_.front().tensor.device(), where,
                      id + " is on another device than parameter 0");
      for (std::size_t j = 0; j < i; ++j)
        detail::require(params_[j].name != p.name, where, id + ": duplicate name");
      offsets_.push_back(n_);
      n_ += static_cast<Eigen::Index>(p.tensor.numel());
    }
  }

  std::vector<NamedTensor> params_;
  LossFn loss_;
  std::size_t batches_ = 0;
  std::vector<Eigen::Index> offsets_;
  Eigen::Index n_ = 0;
  ::torch::ScalarType dtype_ = ::torch::kFloat64;
};

/// Options of HessianOperator.
struct HessianOptions {
  GraphMode mode = GraphMode::cached;
};

/// Options of HessianOperator::partition (see the file comment).
struct PartitionOptions {
  /// Also make blocks of tensors with fewer than 2 dimensions (biases, LayerNorm weights).
  bool include_vectors = false;
  /// Only tensors whose name matches this regex (std::regex_search; empty = all).
  std::string filter{};
  /// Leave out tensors whose name matches this regex (empty = none).
  std::string exclude{};
  /// {block name, regex}: the selected tensors whose names match form one block (adjacent in
  /// parameter order). A tensor goes to the first group it matches; each group must match one.
  std::vector<std::pair<std::string, std::string>> groups{};
};

namespace detail {

using blockspec::detail::format_double;
using blockspec::detail::require;

/// The part of parameter `param` in a block: its flat elements [begin, begin + length) are the
/// block's elements [at, at + length).
struct Segment {
  std::size_t param = 0;
  Eigen::Index begin = 0, length = 0, at = 0;
};

/// The shared state of a Hessian and its block operators: the closure, the cached graphs.
class HessianState {
 public:
  using Graph = std::vector<::torch::Tensor>;  // per parameter: the create_graph gradient (or undefined)

  HessianState(LossClosure c, HessianOptions o) : closure_(std::move(c)), options_(o) {
    require(o.mode == GraphMode::cached || o.mode == GraphMode::recompute, "blockspec::torch::HessianOperator",
            "mode is not a GraphMode value, got " + std::to_string(static_cast<int>(o.mode)));
  }

  const LossClosure& closure() const noexcept { return closure_; }
  GraphMode mode() const noexcept { return options_.mode; }
  Eigen::Index rows() const noexcept { return closure_.dimension(); }

  std::vector<Segment> segments(const Block& b) const {
    std::vector<Segment> out;
    const auto& ps = closure_.parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const Eigen::Index o = closure_.offset(i), n = static_cast<Eigen::Index>(ps[i].tensor.numel());
      const Eigen::Index lo = std::max(o, b.offset), hi = std::min(o + n, b.end());
      if (lo < hi) out.push_back({i, lo - o, hi - lo, lo - b.offset});
    }
    return out;
  }

  /// The gradient graph of batch b: the retained one (cached mode) or a fresh one.
  std::shared_ptr<const Graph> graph(std::size_t b) {
    if (options_.mode == GraphMode::cached) {
      if (cache_.size() != closure_.batches()) cache_.assign(closure_.batches(), nullptr);
      if (!cache_[b]) cache_[b] = build(b);
      return cache_[b];
    }
    return build(b);
  }

  void release() { cache_.clear(); }
  std::int64_t graph_builds() const noexcept { return builds_; }
  std::int64_t double_backwards() const noexcept { return backwards_; }

  /// y += scale * (H_b restricted to the segments) x, on graph g; `where` names the block.
  void accumulate(const Graph& g, std::size_t batch, const std::vector<Segment>& segs, const double* x,
                  double* y, double scale, const std::string& where) {
    ::torch::AutoGradMode grad_on(true);
    const auto& ps = closure_.parameters();
    std::vector<::torch::Tensor> outputs, grad_outputs, inputs;
    const auto opts = ::torch::TensorOptions().dtype(::torch::kFloat64);
    for (const auto& s : segs) {
      inputs.push_back(ps[s.param].tensor);
      const auto& gp = g[s.param];
      if (!gp.defined() || !gp.requires_grad()) continue;  // this gradient is constant: no curvature
      outputs.push_back(gp.reshape({-1}).narrow(0, s.begin, s.length));
      grad_outputs.push_back(::torch::from_blob(const_cast<double*>(x + s.at), {s.length}, opts)
                                 .to(closure_.device(), closure_.dtype(), false, true));
    }
    if (outputs.empty()) return;
    auto r = ::torch::autograd::grad(outputs, inputs, grad_outputs, /*retain_graph=*/true,
                                     /*create_graph=*/false, /*allow_unused=*/true);
    ++backwards_;
    for (std::size_t k = 0; k < segs.size(); ++k) {
      if (!r[k].defined()) continue;
      const auto& s = segs[k];
      ::torch::Tensor h = r[k].reshape({-1}).narrow(0, s.begin, s.length).to(::torch::kCPU, ::torch::kFloat64).contiguous();
      const double* hp = h.data_ptr<double>();
      for (Eigen::Index i = 0; i < s.length; ++i) {
        if (!std::isfinite(hp[i]))
          throw numerical_error("blockspec::torch: the Hessian-vector product of " + where + " on batch " +
                                std::to_string(batch) + " is " + format_double(hp[i]) + " at element " +
                                std::to_string(s.at + i));
        y[s.at + i] += scale * hp[i];
      }
    }
  }

  /// y = (mean over batches of H_b) x restricted to `segs` (a whole block of length len).
  void product(const std::vector<Segment>& segs, Eigen::Index len, const double* x, double* y,
               const std::string& where) {
    std::fill(y, y + len, 0.0);
    const double scale = 1.0 / static_cast<double>(closure_.batches());
    for (std::size_t b = 0; b < closure_.batches(); ++b) {
      auto g = graph(b);
      accumulate(*g, b, segs, x, y, scale, where);
    }
  }

  /// The mean gradient at the current parameters (no graph kept).
  Eigen::VectorXd gradient() {
    Eigen::VectorXd out = Eigen::VectorXd::Zero(rows());
    const auto& ps = closure_.parameters();
    std::vector<::torch::Tensor> inputs;
    for (const auto& p : ps) inputs.push_back(p.tensor);
    for (std::size_t b = 0; b < closure_.batches(); ++b) {
      auto l = closure_.loss(b);
      auto r = ::torch::autograd::grad({l}, inputs, {}, false, false, true);
      for (std::size_t i = 0; i < ps.size(); ++i) {
        if (!r[i].defined()) continue;
        ::torch::Tensor h = r[i].reshape({-1}).to(::torch::kCPU, ::torch::kFloat64).contiguous();
        const Eigen::Map<const Eigen::VectorXd> hv(h.data_ptr<double>(), h.numel());
        out.segment(closure_.offset(i), hv.size()) += hv / static_cast<double>(closure_.batches());
      }
    }
    if (!out.allFinite()) throw numerical_error("blockspec::torch: the mean gradient is not finite");
    return out;
  }

 private:
  std::shared_ptr<const Graph> build(std::size_t b) {
    ::torch::AutoGradMode grad_on(true);
    auto l = closure_.loss(b);
    std::vector<::torch::Tensor> inputs;
    for (const auto& p : closure_.parameters()) inputs.push_back(p.tensor);
    auto g = std::make_shared<Graph>(::torch::autograd::grad({l}, inputs, {}, /*retain_graph=*/true,
                                                             /*create_graph=*/true, /*allow_unused=*/true));
    ++builds_;
    for (std::size_t i = 0; i < g->size(); ++i) {
      const auto& gi = (*g)[i];
      if (gi.defined() && !::torch::isfinite(gi.detach()).all().item<bool>())
        throw numerical_error("blockspec::torch: the gradient of batch " + std::to_string(b) + " is not finite in '" +
                              closure_.parameters()[i].name + "'");
    }
    return g;
  }

  LossClosure closure_;
  HessianOptions options_;
  std::vector<std::shared_ptr<const Graph>> cache_;
  std::int64_t builds_ = 0, backwards_ = 0;
};

inline void check_vectors(Eigen::Index n, Eigen::Index xs, Eigen::Index ys, const double* x, const char* where) {
  require(xs == n, where, "x has length " + std::to_string(xs) + ", the operator " + std::to_string(n));
  require(ys == n, where, "y has length " + std::to_string(ys) + ", the operator " + std::to_string(n));
  for (Eigen::Index i = 0; i < n; ++i)
    require(std::isfinite(x[i]), where, "x[" + std::to_string(i) + "] is " + format_double(x[i]));
}

}  // namespace detail

/// The operator of a principal block H_ll of a LibTorch Hessian (made by HessianOperator::principal_block).
class BlockHessianOperator {
 public:
  using Scalar = double;
  static constexpr bool thread_safe = false;

  BlockHessianOperator(std::shared_ptr<detail::HessianState> s, Block b)
      : s_(std::move(s)), block_(std::move(b)), segs_(s_->segments(block_)) {}

  Eigen::Index rows() const noexcept { return block_.size; }
  const Block& block() const noexcept { return block_; }
  const std::vector<detail::Segment>& segments() const noexcept { return segs_; }

  void apply(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    detail::check_vectors(rows(), x.size(), y.size(), x.data(), "blockspec::torch::BlockHessianOperator::apply");
    s_->product(segs_, rows(), x.data(), y.data(), "block '" + block_.name + "'");
    ++products_;
  }
  std::int64_t products() const noexcept { return products_; }

 private:
  std::shared_ptr<detail::HessianState> s_;
  Block block_;
  std::vector<detail::Segment> segs_;
  std::int64_t products_ = 0;
};

/// The Hessian of a LossClosure (mean over its batches) as a LinearOperator (Scalar double).
/// Copies share the closure and the cached graphs.
/// Example:
///   blockspec::torch::HessianOperator H({model, loss, 2});
///   auto q = blockspec::slq(H, {.probes = 10, .steps = 100});
class HessianOperator {
 public:
  using Scalar = double;
  static constexpr bool thread_safe = false;

  explicit HessianOperator(LossClosure closure, HessianOptions options = {})
      : s_(std::make_shared<detail::HessianState>(std::move(closure), options)) {}

  Eigen::Index rows() const noexcept { return s_->rows(); }
  GraphMode mode() const noexcept { return s_->mode(); }
  const LossClosure& closure() const noexcept { return s_->closure(); }

  /// y = H x (one double-backward per batch, plus a graph build per batch in recompute mode).
  void apply(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) {
    detail::check_vectors(rows(), x.size(), y.size(), x.data(), "blockspec::torch::HessianOperator::apply");
    s_->product(full_segments(), rows(), x.data(), y.data(), "the full Hessian");
    ++products_;
  }

  /// The operator of H_ll for a contiguous range (used by blockspec::principal_block and blockwise_spectra).
  BlockHessianOperator principal_block(const Block& block) const {
    blockspec::detail::require(block.size > 0 && block.offset >= 0 && block.end() <= rows(),
                               "blockspec::torch::HessianOperator::principal_block",
                               "block '" + block.name + "' [" + std::to_string(block.offset) + ", " +
                                   std::to_string(block.end()) + ") is empty or outside [0, " +
                                   std::to_string(rows()) + ")");
    return BlockHessianOperator(s_, block);
  }

  /// Blocks from the parameter names (see PartitionOptions and the file comment).
  BlockPartition partition(const PartitionOptions& options = {}) const;

  /// The mean gradient at the current parameters, flat (float64).
  Eigen::VectorXd gradient() const { return s_->gradient(); }
  /// The current parameters as one flat float64 vector.
  Eigen::VectorXd parameter_vector() const {
    Eigen::VectorXd out(rows());
    const auto& ps = closure().parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      ::torch::Tensor t = ps[i].tensor.detach().reshape({-1}).to(::torch::kCPU, ::torch::kFloat64).contiguous();
      std::memcpy(out.data() + closure().offset(i), t.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(t.numel()));
    }
    return out;
  }

  /// Frees the retained graphs (cached mode); they are rebuilt on the next product.
  void release_graphs() { s_->release(); }
  std::int64_t products() const noexcept { return products_; }
  /// Forward + create_graph backward passes so far (this operator and its blocks together).
  std::int64_t graph_builds() const noexcept { return s_->graph_builds(); }
  /// Double-backward passes so far (this operator and its blocks together).
  std::int64_t double_backwards() const noexcept { return s_->double_backwards(); }
  const std::shared_ptr<detail::HessianState>& state() const noexcept { return s_; }

 private:
  const std::vector<detail::Segment>& full_segments() {
    if (full_.empty()) full_ = s_->segments(Block{"all", 0, rows(), {}});
    return full_;
  }
  std::shared_ptr<detail::HessianState> s_;
  std::vector<detail::Segment> full_;
  std::int64_t products_ = 0;
};

namespace detail {

inline std::regex make_regex(const std::string& pattern, const std::string& field) {
  try {
    return std::regex(pattern);
  } catch (const std::regex_error& e) {
    throw invalid_argument("blockspec::torch::HessianOperator::partition: " + field + " '" + pattern +
                           "' is not a valid regex: " + e.what());
  }
}

inline std::vector<Eigen::Index> matrix_shape(const ::torch::Tensor& t) {
  if (t.dim() < 2) return {};
  const auto rows = static_cast<Eigen::Index>(t.size(0));
  return {rows, static_cast<Eigen::Index>(t.numel()) / rows};
}

}  // namespace detail

inline BlockPartition HessianOperator::partition(const PartitionOptions& options) const {
  const char* where = "blockspec::torch::HessianOperator::partition";
  const auto& ps = closure().parameters();
  std::optional<std::regex> filter, exclude;
  if (!options.filter.empty()) filter = detail::make_regex(options.filter, "filter");
  if (!options.exclude.empty()) exclude = detail::make_regex(options.exclude, "exclude");
  std::vector<std::regex> groups;
  for (const auto& [name, pattern] : options.groups) {
    blockspec::detail::require(!name.empty(), where, "a group has an empty name (pattern '" + pattern + "')");
    groups.push_back(detail::make_regex(pattern, "the pattern of group '" + name + "'"));
  }
  // Per group: the tensors it holds, in order; per ungrouped selected tensor: its own block.
  struct Pending {
    std::string name;
    std::vector<std::size_t> params;
  };
  std::vector<Pending> blocks;
  std::vector<int> group_block(groups.size(), -1);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const std::string& nm = ps[i].name;
    if (filter && !std::regex_search(nm, *filter)) continue;
    if (exclude && std::regex_search(nm, *exclude)) continue;
    if (ps[i].tensor.dim() < 2 && !options.include_vectors) continue;
    std::size_t g = 0;
    while (g < groups.size() && !std::regex_search(nm, groups[g])) ++g;
    if (g == groups.size()) {
      blocks.push_back({nm, {i}});
      continue;
    }
    if (group_block[g] < 0) {
      group_block[g] = static_cast<int>(blocks.size());
      blocks.push_back({options.groups[g].first, {}});
    }
    auto& members = blocks[static_cast<std::size_t>(group_block[g])].params;
    if (!members.empty() && members.back() + 1 != i)
      throw invalid_argument(std::string(where) + ": group '" + options.groups[g].first + "': '" + nm +
                             "' is not adjacent to '" + ps[members.back()].name +
                             "' in parameter order (a block is one contiguous range)");
    members.push_back(i);
  }
  for (std::size_t g = 0; g < groups.size(); ++g)
    blockspec::detail::require(group_block[g] >= 0, where,
                               "group '" + options.groups[g].first + "' (pattern '" + options.groups[g].second +
                                   "') matches no selected parameter");
  blockspec::detail::require(!blocks.empty(), where,
                             "no parameter is selected (include_vectors = " +
                                 std::string(options.include_vectors ? "true" : "false") + ", filter '" +
                                 options.filter + "', exclude '" + options.exclude + "')");
  std::vector<Block> out;
  for (const auto& pb : blocks) {
    Block b;
    b.name = pb.name;
    b.offset = closure().offset(pb.params.front());
    for (const std::size_t i : pb.params) b.size += static_cast<Eigen::Index>(ps[i].tensor.numel());
    // One tensor: its matrix view. A group: stacked rows when every member has the same columns.
    std::vector<Eigen::Index> shape = detail::matrix_shape(ps[pb.params.front()].tensor);
    for (std::size_t k = 1; k < pb.params.size() && !shape.empty(); ++k) {
      const auto s = detail::matrix_shape(ps[pb.params[k]].tensor);
      if (s.empty() || s[1] != shape[1]) shape.clear();
      else shape[0] += s[0];
    }
    b.shape = std::move(shape);
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const Block& a, const Block& b) { return a.offset < b.offset; });
  return BlockPartition(std::move(out), rows());
}

// ---------------------------------------------------------------- lockstep blockwise spectra

namespace detail {

struct LockstepAborted {};

/// The rendezvous of the lockstep runs (see the file comment): one mutex held by whichever
/// thread runs; a round is served when every live run has posted its product.
class Lockstep {
 public:
  Lockstep(HessianState& s, std::vector<std::vector<Segment>> segs, std::vector<Eigen::Index> sizes,
           std::vector<std::string> names)
      : s_(s), segs_(std::move(segs)), sizes_(std::move(sizes)), names_(std::move(names)),
        req_(segs_.size()), locks_(segs_.size(), nullptr) {}

  /// Called by run l's operator (on its thread, holding the mutex through locks_[l]).
  void submit(std::size_t l, const double* x, double* y) {
    auto& lk = *locks_[l];
    if (abort_) throw LockstepAborted{};
    req_[l] = {x, y, true};
    ++pending_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return !req_[l].posted || abort_; });
    if (req_[l].posted) throw LockstepAborted{};
  }

  /// Runs body(l) for every run l on its own thread, serving rounds on the calling thread.
  template <class Body>
  void run(Body body) {
    const std::size_t k = segs_.size();
    std::vector<std::exception_ptr> errors(k);
    std::exception_ptr served_error;
    std::vector<std::thread> threads;
    {
      std::unique_lock<std::mutex> lk(m_);
      active_ = k;
      for (std::size_t l = 0; l < k; ++l)
        threads.emplace_back([this, l, &body, &errors] {
          std::unique_lock<std::mutex> wl(m_);
          locks_[l] = &wl;
          try {
            body(l);
          } catch (const LockstepAborted&) {
          } catch (...) {
            errors[l] = std::current_exception();
            abort_ = true;
          }
          --active_;
          cv_.notify_all();
        });
      serve_rounds(lk, served_error);
    }
    for (auto& t : threads) t.join();
    if (served_error) std::rethrow_exception(served_error);
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  std::int64_t rounds() const noexcept { return rounds_; }

 private:
  struct Request {
    const double* x = nullptr;
    double* y = nullptr;
    bool posted = false;
  };

  void serve_rounds(std::unique_lock<std::mutex>& lk, std::exception_ptr& error) {
    while (true) {
      cv_.wait(lk, [&] { return pending_ == active_ || abort_; });
      if (abort_ || active_ == 0) break;
      try {
        serve();
      } catch (...) {
        error = std::current_exception();
        abort_ = true;
        break;
      }
      for (auto& r : req_) r.posted = false;
      pending_ = 0;
      cv_.notify_all();
    }
    cv_.notify_all();
    cv_.wait(lk, [&] { return active_ == 0; });
  }

  /// One round: per batch one graph, one double-backward per posted run.
  void serve() {
    ++rounds_;
    const std::size_t B = s_.closure().batches();
    const double scale = 1.0 / static_cast<double>(B);
    for (std::size_t l = 0; l < req_.size(); ++l)
      if (req_[l].posted) std::fill(req_[l].y, req_[l].y + sizes_[l], 0.0);
    for (std::size_t b = 0; b < B; ++b) {
      auto g = s_.graph(b);
      for (std::size_t l = 0; l < req_.size(); ++l)
        if (req_[l].posted) s_.accumulate(*g, b, segs_[l], req_[l].x, req_[l].y, scale, names_[l]);
    }
  }

  HessianState& s_;
  std::vector<std::vector<Segment>> segs_;
  std::vector<Eigen::Index> sizes_;
  std::vector<std::string> names_;
  std::vector<Request> req_;
  std::vector<std::unique_lock<std::mutex>*> locks_;
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t active_ = 0, pending_ = 0;
  bool abort_ = false;
  std::int64_t rounds_ = 0;
};

/// The operator a lockstep run sees: it posts its vector and waits for the round.
class LockstepOperator {
 public:
  using Scalar = double;
  static constexpr bool thread_safe = false;
  LockstepOperator(Lockstep& ls, std::size_t l, Eigen::Index n) : ls_(ls), l_(l), n_(n) {}
  Eigen::Index rows() const noexcept { return n_; }
  void apply(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> y) { ls_.submit(l_, x.data(), y.data()); }

 private:
  Lockstep& ls_;
  std::size_t l_;
  Eigen::Index n_;
};

}  // namespace detail

/// blockwise_spectra(H, partition, options) with all blocks (and the full operator, when
/// options.full_operator) advanced in lockstep on one graph per batch and step (see the file
/// comment). Same seeds and result as blockwise_spectra; options.slq.threads must be 1.
/// Example: `auto r = blockspec::torch::lockstep_blockwise_spectra(H, H.partition(), {.slq = {.probes = 5, .steps = 50}});`
inline BlockwiseSpectra lockstep_blockwise_spectra(HessianOperator& H, const BlockPartition& partition,
                                                   const BlockwiseOptions& options = {}) {
  const char* where = "blockspec::torch::lockstep_blockwise_spectra";
  blockspec::detail::require(!partition.empty(), where, "the partition is empty: give at least one block");
  blockspec::detail::require(partition.dimension() == H.rows(), where,
                             "the partition's dimension " + std::to_string(partition.dimension()) +
                                 " differs from the operator's " + std::to_string(H.rows()));
  options.validate(where);
  blockspec::detail::require(options.slq.threads == 1 && options.slq.executor == nullptr, where,
                             "slq.threads must be 1 and slq.executor null: the operator is not thread_safe "
                             "(LibTorch's intra-op threads work inside each product)");
  const std::size_t L = partition.size();
  const std::size_t runs = L + (options.full_operator ? 1 : 0);
  std::vector<std::vector<detail::Segment>> segs;
  std::vector<Eigen::Index> sizes;
  std::vector<std::string> names;
  for (const auto& b : partition) {
    segs.push_back(H.state()->segments(b));
    sizes.push_back(b.size);
    names.push_back("block '" + b.name + "'");
  }
  if (options.full_operator) {
    segs.push_back(H.state()->segments(Block{"all", 0, H.rows(), {}}));
    sizes.push_back(H.rows());
    names.push_back("the full Hessian");
  }
  detail::Lockstep ls(*H.state(), segs, sizes, names);
  std::vector<SpectralQuadrature> quads(runs);
  bool cancelled = false;  // one run cancelled by the progress callback cancels all
  ls.run([&](std::size_t l) {
    SlqOptions o = options.slq;
    o.seed = blockspec::detail::block_seed(options.slq.seed, l < L ? blockspec::detail::block_stream_base + l
                                                                   : blockspec::detail::full_stream);
    o.progress = [&, user = options.slq.progress](int probe, int step) {
      if (cancelled) return false;
      if (user && !user(probe, step)) cancelled = true;
      return !cancelled;
    };
    detail::LockstepOperator op(ls, l, sizes[l]);
    quads[l] = slq(op, o);
  });
  std::optional<SpectralQuadrature> full;
  if (options.full_operator) {
    full = std::move(quads.back());
    quads.pop_back();
  }
  return assemble_blockwise(partition.blocks(), std::move(quads), std::move(full), options);
}

// ---------------------------------------------------------------- checks

/// The machine epsilon of the model's dtype.
inline double dtype_epsilon(::torch::ScalarType t) {
  return t == ::torch::kFloat32 ? static_cast<double>(std::numeric_limits<float>::epsilon())
                                : std::numeric_limits<double>::epsilon();
}

/// The result of check_symmetry: measured and expected relative asymmetry.
struct SymmetryCheck {
  double uhv = 0.0;       ///< u' H v
  double vhu = 0.0;       ///< v' H u
  double error = 0.0;     ///< |u'Hv - v'Hu| / (|u| |Hv| + |v| |Hu|)
  double expected = 0.0;  ///< 10 sqrt(n) eps(dtype): the bound rounding alone stays within
  bool passed() const noexcept { return error <= expected; }
};

/// u'Hv against v'Hu for Gaussian u, v drawn from Rng(seed, 0) and Rng(seed, 1).
template <class Op>
SymmetryCheck check_symmetry(Op& H, ::torch::ScalarType dtype, std::uint64_t seed = 0) {
  const Eigen::Index n = H.rows();
  Eigen::VectorXd u(n), v(n), hu(n), hv(n);
  Rng ru(seed, 0), rv(seed, 1);
  for (Eigen::Index i = 0; i < n; ++i) u[i] = ru.normal();
  for (Eigen::Index i = 0; i < n; ++i) v[i] = rv.normal();
  H.apply(u, hu);
  H.apply(v, hv);
  SymmetryCheck c;
  c.uhv = u.dot(hv);
  c.vhu = v.dot(hu);
  const double scale = u.norm() * hv.norm() + v.norm() * hu.norm();
  c.error = scale > 0.0 ? std::abs(c.uhv - c.vhu) / scale : 0.0;
  c.expected = 10.0 * std::sqrt(static_cast<double>(n)) * dtype_epsilon(dtype);
  return c;
}
inline SymmetryCheck check_symmetry(HessianOperator& H, std::uint64_t seed = 0) {
  return check_symmetry(H, H.closure().dtype(), seed);
}

/// The result of check_finite_difference.
struct FiniteDifferenceCheck {
  double error = 0.0;     ///< |fd - Hv| / |Hv| (or |fd| when Hv = 0)
  double expected = 0.0;  ///< the error expected for the dtype (see check_finite_difference)
  double step = 0.0;      ///< h, the step along the unit vector v
  double hv_norm = 0.0;   ///< |Hv|
  bool passed() const noexcept { return error <= expected; }
};

namespace detail {

/// Restores the parameters' storage bit for bit when it goes out of scope.
class ParameterRestore {
 public:
  explicit ParameterRestore(const std::vector<NamedTensor>& ps) : ps_(ps) {
    ::torch::NoGradGuard ng;
    for (const auto& p : ps_) saved_.push_back(p.tensor.detach().clone());
  }
  ~ParameterRestore() { set(0.0, nullptr, 0); }
  ParameterRestore(const ParameterRestore&) = delete;
  ParameterRestore& operator=(const ParameterRestore&) = delete;

  /// theta = saved + h v (v flat float64; nullptr = restore).
  void set(double h, const double* v, Eigen::Index n) {
    ::torch::NoGradGuard ng;
    Eigen::Index at = 0;
    for (std::size_t i = 0; i < ps_.size(); ++i) {
      ::torch::Tensor d = ps_[i].tensor.data();  // shares storage, no version bump
      if (v == nullptr) {
        d.copy_(saved_[i]);
        continue;
      }
      const auto len = saved_[i].numel();
      BLOCKSPEC_ASSERT(at + len <= n);
      ::torch::Tensor dv = ::torch::from_blob(const_cast<double*>(v + at), {len}, ::torch::kFloat64)
                               .to(saved_[i].device(), ::torch::kFloat64);
      d.copy_((saved_[i].to(::torch::kFloat64).reshape({-1}) + h * dv).reshape(saved_[i].sizes()));
      at += len;
    }
  }

 private:
  const std::vector<NamedTensor>& ps_;
  std::vector<::torch::Tensor> saved_;
};

}  // namespace detail

/// Hv against (grad(theta + h v) - grad(theta - h v)) / (2h) of the mean gradient, for a unit
/// Gaussian v from Rng(seed, 0). Default h = eps^(1/3) max(1, |theta|_inf) (eps of the dtype),
/// which balances truncation O(h^2) and rounding O(eps |g| / h): the expected relative error is
/// 100 eps^(2/3) (1 + |g| / |Hv|), about 4e-9 (1 + |g|/|Hv|) in float64 and 2.4e-3 (1 + |g|/|Hv|)
/// in float32. Costs 2 gradients per batch and one product. The parameters are restored bit for
/// bit (see the file comment); cached graphs stay valid.
inline FiniteDifferenceCheck check_finite_difference(HessianOperator& H, std::uint64_t seed = 0, double step = 0.0) {
  const char* where = "blockspec::torch::check_finite_difference";
  blockspec::detail::require(std::isfinite(step) && step >= 0.0, where,
                             "step must be finite and >= 0 (0 = automatic), got " + blockspec::detail::format_double(step));
  const Eigen::Index n = H.rows();
  const double eps = dtype_epsilon(H.closure().dtype());
  Eigen::VectorXd v(n), hv(n);
  Rng rng(seed, 0);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = rng.normal();
  v.normalize();
  H.apply(v, hv);
  const Eigen::VectorXd theta = H.parameter_vector();
  FiniteDifferenceCheck c;
  c.step = step > 0.0 ? step : std::cbrt(eps) * std::max(1.0, theta.lpNorm<Eigen::Infinity>());
  Eigen::VectorXd gp, gm, g0;
  {
    detail::ParameterRestore restore(H.closure().parameters());
    restore.set(c.step, v.data(), n);
    gp = H.gradient();
    restore.set(-c.step, v.data(), n);
    gm = H.gradient();
  }
  g0 = H.gradient();
  const Eigen::VectorXd fd = (gp - gm) / (2.0 * c.step);
  c.hv_norm = hv.norm();
  c.error = c.hv_norm > 0.0 ? (fd - hv).norm() / c.hv_norm : fd.norm();
  c.expected = 100.0 * std::pow(eps, 2.0 / 3.0) * (1.0 + (c.hv_norm > 0.0 ? g0.norm() / c.hv_norm : 1.0));
  return c;
}

}  // namespace blockspec::torch
