// blockspec/optim/optimizer.hpp — the optimizer interface: reset(problem), then step(w, g, t, lr).
//
// Valid expressions (Optimizer for a Problem P with scalar S):
//   o.reset(p)             before a run: size the state; blockwise methods read
//                          p.partition(), blockwise GD also p.hessian()
//   o.step(w, g, t, lr)    one update of w (Ref<VectorX<S>>) in place, from the
//                          gradient g at w (Ref<const VectorX<S>>); t >= 1 is the
//                          number of this step (bias corrections use it); lr >= 0
//                          is this step's learning rate (the runner owns the
//                          schedule and passes lr = base rate * schedule factor)
//   o.name()               a short label, e.g. "adam"
// Every optimizer keeps its state in double, whatever S, and works for float
// and double problems. OptimizerBase implements the float/double overloads
// of step and the checks shared by all optimizers.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/block.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/types.hpp>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>

namespace blockspec {

/// An optimizer usable on problem P: reset(p), step(w, g, t, lr), name().
template <class O, class P>
concept OptimizerFor =
    Problem<P> && requires(O& o, const P& p, Eigen::Ref<VectorX<typename P::Scalar>> w,
                           Eigen::Ref<const VectorX<typename P::Scalar>> g, std::int64_t t, double lr) {
      o.reset(p);
      o.step(w, g, t, lr);
      { o.name() } -> std::convertible_to<std::string>;
    };

namespace detail {

/// CRTP base: Derived provides init(n, partition_or_null) and
/// template <class S> update(Ref<VectorX<S>> w, Ref<const VectorX<S>> g, t, lr).
template <class Derived>
class OptimizerBase {
 public:
  /// Sizes the state for `problem` (reads its partition when it has one).
  template <Problem P>
  void reset(const P& problem) {
    const Eigen::Index n = problem.dimension();
    require(n > 0, derived().name(), "the problem's dimension must be positive");
    n_ = n;
    derived().init(n, problem_partition(problem, derived().name() + "::reset"));
    ready_ = true;
  }
  void step(Eigen::Ref<Eigen::VectorXd> w, Eigen::Ref<const Eigen::VectorXd> g, std::int64_t t, double lr) {
    check(w.size(), g.size(), t, lr);
    derived().template update<double>(w, g, t, lr);
  }
  void step(Eigen::Ref<Eigen::VectorXf> w, Eigen::Ref<const Eigen::VectorXf> g, std::int64_t t, double lr) {
    check(w.size(), g.size(), t, lr);
    derived().template update<float>(w, g, t, lr);
  }
  Eigen::Index dimension() const noexcept { return n_; }

 protected:
  Eigen::Index n_ = 0;

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }
  void check(Eigen::Index wn, Eigen::Index gn, std::int64_t t, double lr) {
    const std::string where = derived().name() + "::step";
    require(ready_, where, "call reset(problem) before step()");
    require(wn == n_ && gn == n_, where,
            "w and g must have the problem's dimension " + std::to_string(n_) + ", got " + std::to_string(wn) +
                " and " + std::to_string(gn));
    require(t >= 1, where, "the step number t starts at 1, got " + std::to_string(t));
    require(std::isfinite(lr) && lr >= 0.0, where, "learning rate (lr) must be finite and >= 0, got " + detail::format_double(lr));
  }
  bool ready_ = false;
};

/// Requires a hyper-parameter in [lo, hi] (finite).
inline void require_in(double v, double lo, double hi, const std::string& where, const std::string& field) {
  require(std::isfinite(v) && v >= lo && v <= hi, where,
          field + " must be in [" + detail::format_double(lo) + ", " + detail::format_double(hi) + "], got " + detail::format_double(v));
}

}  // namespace detail
}  // namespace blockspec
