// blockspec/operator/symmetry.hpp — check that a user's operator is symmetric.
//
// symmetry_error(op, trials, seed) draws `trials` pairs of Gaussian vectors and
// returns max |x'Hy - y'Hx| / (|x| |Hy| + |y| |Hx|): about machine epsilon
// (times sqrt(n)) for a symmetric operator, O(1) for a badly asymmetric one,
// and 0 for the zero operator. Cost: 2 products per trial. Reductions in double.
// require_symmetric(op, ...) is the check behind the `check_symmetry` options of
// slq() and extreme_eigenpairs(): it throws when symmetry_error exceeds a
// tolerance, by default symmetry_noise_floor = 32 sqrt(n) eps(S), a few dozen times
// the typical rounding of one product (sqrt(n) eps |H||x|). Caveat: in float that
// floor is about 4e-6 sqrt(n / 100), so an asymmetry much below it (for example
// A + 1e-6 E) is rounding-level there and is not reported; in double it is reported.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace blockspec {

/// Largest relative asymmetry |x'Hy - y'Hx| / (|x||Hy| + |y||Hx|) over random pairs.
/// Example: `if (blockspec::symmetry_error(H, 5, 0) > 1e-8) warn();`
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
double symmetry_error(Op&& op, int trials = 3, std::uint64_t seed = 0) {
  using S = operator_scalar_t<Op>;
  detail::require(trials > 0, "symmetry_error", "trials must be positive, got " + std::to_string(trials));
  const Eigen::Index n = op.rows();
  detail::require(n > 0, "symmetry_error", "the operator's rows() must be positive");
  VectorX<S> x(n), y(n), hx(n), hy(n);
  double worst = 0.0;
  for (int t = 0; t < trials; ++t) {
    Rng rng(seed, static_cast<std::uint64_t>(t));
    for (Eigen::Index i = 0; i < n; ++i) x[i] = static_cast<S>(rng.normal());
    for (Eigen::Index i = 0; i < n; ++i) y[i] = static_cast<S>(rng.normal());
    detail::apply(op, x, hx);
    detail::apply(op, y, hy);
    const double xhy = x.template cast<double>().dot(hy.template cast<double>());
    const double yhx = y.template cast<double>().dot(hx.template cast<double>());
    if (!std::isfinite(xhy) || !std::isfinite(yhx))
      throw numerical_error("symmetry_error: the operator returned a non-finite value in trial " + std::to_string(t));
    const double scale = static_cast<double>(x.norm()) * static_cast<double>(hy.norm()) +
                         static_cast<double>(y.norm()) * static_cast<double>(hx.norm());
    if (scale > 0.0) worst = std::max(worst, std::abs(xhy - yhx) / scale);
  }
  return worst;
}

/// The automatic tolerance of require_symmetric: 32 sqrt(n) eps of the operator's scalar.
template <class S>
double symmetry_noise_floor(Eigen::Index n) {
  return 32.0 * std::sqrt(static_cast<double>(std::max<Eigen::Index>(n, 1))) *
         static_cast<double>(std::numeric_limits<S>::epsilon());
}

/// Throws invalid_argument naming `where` when symmetry_error(op, trials, seed) exceeds
/// `tolerance` (0: symmetry_noise_floor<S>(n)). The algorithms that assume H' = H call it
/// when their options ask for `check_symmetry`.
template <class Op>
  requires LinearOperator<std::remove_reference_t<Op>>
void require_symmetric(Op&& op, int trials, double tolerance, const std::string& where) {
  using S = operator_scalar_t<Op>;
  detail::require(std::isfinite(tolerance) && tolerance >= 0.0, where,
                  "symmetry_tolerance must be finite and >= 0 (0 = automatic), got " + detail::format_double(tolerance));
  detail::require(trials > 0, where, "symmetry_trials must be positive, got " + std::to_string(trials));
  const double tol = tolerance > 0.0 ? tolerance : symmetry_noise_floor<S>(static_cast<Eigen::Index>(op.rows()));
  const double err = symmetry_error(op, trials, 0x5EEDu);
  if (err > tol)
    throw invalid_argument(where + ": check_symmetry: the operator is not symmetric: symmetry_error = " +
                           detail::format_double(err) + " exceeds the tolerance " + detail::format_double(tol) +
                           " (|x'Hy - y'Hx| / (|x||Hy| + |y||Hx|) over " + std::to_string(trials) +
                           " random pairs); Lanczos assumes H' = H");
}

}  // namespace blockspec
