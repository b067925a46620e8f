// blockspec/krylov/inner_product.hpp — the inner-product policy of the Krylov and spectral layers.
//
// No algorithm of blockspec calls x.dot(y) or x.norm() on its Krylov vectors:
// it forms the local partial sums itself and hands them to a policy, which
// completes them. For vectors held in one process the partial sums are the
// sums (LocalInnerProduct, the default: nothing to do). For vectors split by
// rows over processes the policy adds the partial sums of all of them (one
// MPI_Allreduce), and the algorithm stays untouched.
// A policy P provides one member:
//   void p.reduce(std::span<double> partial)   in place: partial[i] becomes the
//                                               sum of partial[i] over every
//                                               part of the vectors
// Batching: every scalar an algorithm needs at one point of a step goes into
// one reduce call (each probe's alpha of a batched step, a reorthogonalization's
// k projections together with the norm), so a distributed run pays one
// latency per point of a step, not one per scalar. Each algorithm's header
// states how many calls a step makes.
// Partial sums are accumulated in double whatever the vectors' scalar.
// Optional members, detected, never required (a policy for vectors split by rows,
// e.g. blockspec::mpi::DistributedRows, provides them; LocalInnerProduct does not,
// so single-process runs draw exactly what they drew before):
//   p.global_rows()                          the dimension of the whole vectors
//   p.template fill_normal<S>(w, seed, i)    writes this part's rows of the random
//                                            vector i of `seed` (extreme_eigenpairs'
//                                            start and fresh vectors)
#pragma once

#include <blockspec/operator/symmetry.hpp>
#include <blockspec/types.hpp>

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// The inner product of vectors held entirely in this process: the partial sums are complete.
struct LocalInnerProduct {
  void reduce(std::span<double>) const noexcept {}
};

/// What the Krylov algorithms require of an inner-product policy.
template <class P>
concept InnerProductPolicy = requires(const P& p, std::span<double> partial) { p.reduce(partial); };

namespace detail {

/// The dimension of the whole vectors: p.global_rows() when the policy splits rows, else local_rows.
template <class IP>
Eigen::Index global_rows(const IP& ip, Eigen::Index local_rows) {
  if constexpr (requires { ip.global_rows(); })
    return static_cast<Eigen::Index>(ip.global_rows());
  else
    return local_rows;
}

/// The local partial sum of <x, y>, accumulated in double.
template <class S>
double local_dot(const Eigen::Ref<const VectorX<S>>& x, const Eigen::Ref<const VectorX<S>>& y) {
  if constexpr (std::is_same_v<S, double>)
    return x.dot(y);
  else
    return (x.template cast<double>().array() * y.template cast<double>().array()).sum();
}

/// <x, y> through the policy (one reduce call).
template <class S, class IP>
double dot(const IP& ip, const Eigen::Ref<const VectorX<S>>& x, const Eigen::Ref<const VectorX<S>>& y) {
  double v = local_dot<S>(x, y);
  ip.reduce(std::span<double>(&v, 1));
  return v;
}

/// Partial sums of one point of a step, reduced in one call: push the local values, reduce, read.
class Reduction {
 public:
  void clear() noexcept { values_.clear(); }
  /// Appends a local partial sum; returns its index.
  std::size_t push(double v) {
    values_.push_back(v);
    return values_.size() - 1;
  }
  /// Appends the local partial sums h = V' x (V is n-by-k); returns the index of the first.
  template <class S>
  std::size_t push_projection(const Eigen::Ref<const MatrixX<S>>& V, const Eigen::Ref<const VectorX<S>>& x,
                              VectorX<S>& scratch) {
    const std::size_t first = values_.size();
    scratch.noalias() = V.transpose() * x;
    for (Eigen::Index i = 0; i < scratch.size(); ++i) values_.push_back(static_cast<double>(scratch[i]));
    return first;
  }
  template <class IP>
  void reduce(const IP& ip) {
    if (!values_.empty()) ip.reduce(std::span<double>(values_.data(), values_.size()));
  }
  double operator[](std::size_t i) const noexcept { return values_[i]; }
  /// Copies the k reduced values from `first` into h.
  template <class S>
  void read(std::size_t first, VectorX<S>& h) const {
    for (Eigen::Index i = 0; i < h.size(); ++i) h[i] = static_cast<S>(values_[first + static_cast<std::size_t>(i)]);
  }

 private:
  std::vector<double> values_;
};

/// The `check_symmetry` option of slq and extreme_eigenpairs: require_symmetric before the run.
/// It needs whole vectors on one process, so a distributed inner product is refused.
template <class IP, class Op>
void check_symmetry_if_asked(Op& op, bool check, int trials, double tolerance, const std::string& where) {
  if (!check) return;
  if constexpr (!std::is_same_v<IP, LocalInnerProduct>)
    throw invalid_argument(where + ": check_symmetry needs whole vectors on one process; with a distributed "
                           "inner product call symmetry_error on the gathered operator instead");
  else
    require_symmetric(op, trials, tolerance, where);
}

}  // namespace detail
}  // namespace blockspec
