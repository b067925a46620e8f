// blockspec/spectral/trace.hpp — estimates of tr f(H), with confidence intervals, from an SLQ run.
//
// Method: probe i of a SpectralQuadrature gives the sample
//   X_i = s_i * sum_j w_ij f(theta_ij)            (s_i = n or |v_i|^2, see probes.hpp)
// an unbiased estimate of tr f(H) up to the Gauss quadrature error, which is
// zero for polynomials of degree <= 2m - 1 (m Lanczos steps) and decays like
// the error of the best polynomial approximation of f on the spectrum
// otherwise (Ubaru, Chen & Saad 2017). The estimate is the sample mean of the
// P samples, its standard error s / sqrt(P) (s the sample standard deviation),
// and the confidence interval mean +- t_{P-1, (1+c)/2} s / sqrt(P) with the
// Student-t quantile of spectral/detail/student_t.hpp (tested against Boost.Math). The interval accounts for the probe
// (Monte Carlo) error only, not for the quadrature bias; with one probe the
// standard error is unknown and reported as +infinity (interval the whole line).
// Quadrature check: every estimate from an slq() result also forms the same
// estimate from the Gauss rules of the first m/2 Lanczos steps of each probe
// (from the tridiagonal each probe keeps) and reports the change. It estimates
// the bias of the m/2-step rule, so it overstates that of the m-step rule: a
// conservative diagnostic. When it exceeds the probe standard error (and the
// rounding floor 64 m eps mean|X|), quadrature_warning is set and `warning`
// says so: the interval is then too narrow, and more steps are needed. This is
// what happens on an ill-conditioned H (kappa ~ 1e12) with 1/x or log x. A probe
// that ended on an invariant subspace, or ran n steps, has an exact rule.
// Ready-made functionals (each checks that the spectrum allows it, on the
// Ritz values, which lie in [lambda_min, lambda_max] of H):
//   Trace            f(x) = x                       any spectrum
//   LogDet           f(x) = log x                   every Ritz value > 0, else
//                    invalid_argument: a Ritz value <= 0 proves H is not positive definite;
//                    one within singular_tolerance(q) = n eps |H| of 0 means H looks
//                    singular (invalid_argument too: log det would be -inf, and any
//                    finite value rounding noise)
//   InverseTrace     f(x) = 1/x                     every Ritz value of one strict sign
//                    (H definite) and farther than n eps |H| from 0, else invalid_argument
//   SchattenPower{p} f(x) = |x|^p, p > 0            any spectrum; schatten_norm()
//                    maps the interval through t -> t^(1/p) to give |H|_p itself
//   EigenCount{a,b}  f(x) = 1 if a <= x <= b        a < b; Gauss quadrature of an indicator
//                    is coarse (each node carries its whole weight): expect an
//                    error of about one node weight times n near the edges a, b.
// Cost: O(P m) evaluations of f; no products with H.
// References: Hutchinson (1990); Ubaru, Chen & Saad, "Fast estimation of
// tr(f(A)) via stochastic Lanczos quadrature", SIAM J. Matrix Anal. Appl. 38
// (2017); Cortinovis & Kressner, "On randomized trace estimates for
// indefinite matrices with an application to determinants", FoCM (2021).
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/spectral/kernel.hpp>
#include <blockspec/spectral/spectral_quadrature.hpp>

#include <blockspec/spectral/detail/student_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// A Monte Carlo estimate with its standard error and Student-t confidence interval.
struct Estimate {
  double value = 0.0;      ///< sample mean
  double std_error = 0.0;  ///< s / sqrt(samples); +inf with one sample
  double ci_low = 0.0;
  double ci_high = 0.0;
  int samples = 0;
  double confidence = 0.95;
  /// The quadrature check (see the file comment); false for a hand-built quadrature (no
  /// tridiagonals) or probes of one step.
  bool quadrature_checked = false;
  double half_steps_value = 0.0;   ///< the estimate from the Gauss rules of each probe's first m/2 steps
  double quadrature_change = 0.0;  ///< |value - half_steps_value|, a conservative estimate of the bias
  bool quadrature_warning = false; ///< quadrature_change exceeds the probe error: the interval is too narrow
  std::string warning{};           ///< the warning in words; empty when there is none

  double half_width() const noexcept { return 0.5 * (ci_high - ci_low); }
};

/// Mean, standard error and Student-t interval of i.i.d. samples (at least one, all finite).
/// Example: `auto e = blockspec::estimate_from_samples(std::vector<double>{1.0, 2.0, 3.0}, 0.95);`
inline Estimate estimate_from_samples(std::span<const double> samples, double confidence = 0.95) {
  detail::require(std::isfinite(confidence) && confidence > 0.0 && confidence < 1.0, "trace_estimate",
                  "confidence must be in (0, 1), got " + detail::format_double(confidence));
  detail::require(!samples.empty(), "trace_estimate", "there are no samples (no probes)");
  const auto k = static_cast<double>(samples.size());
  double mean = 0.0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double x = samples[i];
    detail::require(std::isfinite(x), "trace_estimate",
                    "sample " + std::to_string(i) + " is not finite, got " + detail::format_double(x));
    mean += x;
  }
  mean /= k;
  Estimate e;
  e.value = mean;
  e.samples = static_cast<int>(samples.size());
  e.confidence = confidence;
  if (samples.size() < 2) {
    e.std_error = std::numeric_limits<double>::infinity();
    e.ci_low = -std::numeric_limits<double>::infinity();
    e.ci_high = std::numeric_limits<double>::infinity();
    return e;
  }
  double ss = 0.0;
  for (double x : samples) ss += (x - mean) * (x - mean);
  e.std_error = std::sqrt(ss / (k - 1.0)) / std::sqrt(k);
  const double t = detail::student_t_quantile(k - 1.0, 0.5 + 0.5 * confidence);
  e.ci_low = mean - t * e.std_error;
  e.ci_high = mean + t * e.std_error;
  return e;
}

/// The per-probe samples s_i sum_j w_ij f(theta_ij) of tr f(H).
template <class F>
std::vector<double> trace_samples(const SpectralQuadrature& q, F&& f) {
  detail::require(!q.probes.empty(), "trace_estimate", "the spectral quadrature has no probes");
  std::vector<double> samples;
  samples.reserve(q.probes.size());
  for (std::size_t i = 0; i < q.probes.size(); ++i) {
    const ProbeQuadrature& p = q.probes[i];
    double s = 0.0;
    for (Eigen::Index j = 0; j < p.nodes.size(); ++j) {
      const double fx = static_cast<double>(f(p.nodes[j]));
      detail::require(std::isfinite(fx), "trace_estimate",
                      "f returned a non-finite value at the Ritz value " + detail::format_double(p.nodes[j]) +
                          " of probe " + std::to_string(i));
      s += p.weights[j] * fx;
    }
    samples.push_back(p.scale * s);
  }
  return samples;
}

namespace detail {

/// Probe p's sample from the Gauss rule of the leading m/2 steps of its tridiagonal (the full
/// sample when its rule is exact); nullopt when p kept no tridiagonal or f is not finite there.
template <class F>
std::optional<double> half_steps_sample(const ProbeQuadrature& p, F& f, double full, Eigen::Index n) {
  const Eigen::Index m = p.alpha.size();
  if (m < 1 || p.beta.size() != m - 1) return std::nullopt;
  if (p.status == LanczosStatus::invariant_subspace || m >= n) return full;
  if (m < 2) return std::nullopt;
  const Eigen::Index h = m / 2;
  const TridiagonalEigen te = tridiagonal_eigen(p.alpha.head(h), p.beta.head(h - 1));
  double s = 0.0;
  for (Eigen::Index j = 0; j < h; ++j) {
    const double fx = static_cast<double>(f(te.values[j]));
    if (!std::isfinite(fx)) return std::nullopt;
    s += te.vectors(0, j) * te.vectors(0, j) * fx;
  }
  return p.scale * s;
}

/// Fills e's quadrature check from the probes' half-step samples (see the file comment).
template <class F>
void check_quadrature(const SpectralQuadrature& q, F& f, std::span<const double> samples, Estimate& e) {
  double half = 0.0, magnitude = 0.0;
  Eigen::Index steps = 1;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ProbeQuadrature& p = q.probes[i];
    const std::optional<double> h = half_steps_sample(p, f, samples[i], q.n);
    if (!h) return;
    half += *h;
    for (Eigen::Index j = 0; j < p.nodes.size(); ++j)
      magnitude += p.scale * p.weights[j] * std::abs(static_cast<double>(f(p.nodes[j])));
    steps = std::max(steps, p.nodes.size());
  }
  const auto k = static_cast<double>(samples.size());
  e.quadrature_checked = true;
  e.half_steps_value = half / k;
  e.quadrature_change = std::abs(e.value - e.half_steps_value);
  const double floor = 64.0 * static_cast<double>(steps) * std::numeric_limits<double>::epsilon() * magnitude / k;
  e.quadrature_warning = std::isfinite(e.std_error) && e.quadrature_change > std::max(e.std_error, floor);
  if (e.quadrature_warning)
    e.warning = "the quadrature has not converged: the estimate from half of the " + std::to_string(steps) +
                " Lanczos steps is " + detail::format_double(e.half_steps_value) + ", a change of " +
                detail::format_double(e.quadrature_change) + ", more than the probe standard error " +
                detail::format_double(e.std_error) + "; the interval covers the probe error only, so raise steps";
}

}  // namespace detail

/// tr f(H) from an SLQ run: value, standard error and Student-t interval over the probes, and
/// the quadrature check (quadrature_change, quadrature_warning: see the file comment).
/// When F has a member `check(const SpectralQuadrature&)` it is called first (the functionals below).
/// Example:
///   auto q = blockspec::slq(H, {.probes = 30, .steps = 40});
///   auto e = blockspec::trace_estimate(q, [](double x) { return std::exp(x); });  // tr exp(H)
template <class F>
Estimate trace_estimate(const SpectralQuadrature& q, F&& f, double confidence = 0.95) {
  if constexpr (requires { f.check(q); }) f.check(q);
  const std::vector<double> samples = trace_samples(q, f);
  Estimate e = estimate_from_samples(samples, confidence);
  detail::check_quadrature(q, f, samples, e);
  return e;
}

namespace detail {
template <class Pred>
void check_nodes(const SpectralQuadrature& q, Pred ok, const char* where, const std::string& why) {
  require(!q.probes.empty(), where, "the spectral quadrature has no probes");
  for (std::size_t i = 0; i < q.probes.size(); ++i)
    for (Eigen::Index j = 0; j < q.probes[i].nodes.size(); ++j)
      if (!std::isfinite(q.probes[i].nodes[j]))
        throw invalid_argument(std::string(where) + ": probe " + std::to_string(i) + " has the non-finite Ritz value " +
                               detail::format_double(q.probes[i].nodes[j]) + " (a corrupted quadrature)");
      else if (!ok(q.probes[i].nodes[j]))
        throw invalid_argument(std::string(where) + ": probe " + std::to_string(i) + " has the Ritz value " +
                               detail::format_double(q.probes[i].nodes[j]) + "; " + why);
}
}  // namespace detail

/// f(x) = x: tr(H).
struct Trace {
  double operator()(double x) const noexcept { return x; }
};

/// The tolerance below which a Ritz value counts as zero: n eps |H| (eps of the operator's scalar,
/// q.epsilon: a float operator's rounding is 5e8 times double's), with |H| estimated by the
/// largest of the probes' norm estimates and |Ritz values| (each a lower bound on |H|). A Ritz
/// value within it of 0 is rounding noise of a (numerically) singular H, not evidence of a tiny
/// eigenvalue, so the functionals singular at 0 refuse it.
inline double singular_tolerance(const SpectralQuadrature& q) {
  double norm = 0.0;
  for (const auto& p : q.probes) {
    norm = std::max(norm, p.norm_estimate);
    if (p.nodes.size() > 0) norm = std::max({norm, std::abs(p.nodes[0]), std::abs(p.nodes[p.nodes.size() - 1])});
  }
  return static_cast<double>(std::max<Eigen::Index>(q.n, 1)) * q.epsilon * norm;
}

namespace detail {
inline std::string singular_message(double tau) {
  return "it is within the singularity tolerance n eps |H| = " + detail::format_double(tau) +
         " of 0, so H looks singular at that tolerance (its smallest eigenvalue is indistinguishable from 0 in "
         "double precision) and f is singular at 0: the estimate would be meaningless";
}
}  // namespace detail

/// f(x) = log x: log det(H) for a symmetric positive definite H. Throws invalid_argument when a
/// Ritz value is <= 0 (H is not positive definite) or within singular_tolerance(q) of 0 (H looks
/// singular: log det would be -infinity, and a finite value would be rounding noise).
struct LogDet {
  double operator()(double x) const { return std::log(x); }
  void check(const SpectralQuadrature& q) const {
    const double tau = singular_tolerance(q);
    detail::check_nodes(q, [tau](double x) { return std::abs(x) > tau; }, "logdet", detail::singular_message(tau));
    detail::check_nodes(
        q, [](double x) { return x > 0.0; }, "logdet",
        "Ritz values lie in [lambda_min, lambda_max], so H has an eigenvalue <= 0: it is not positive "
        "definite and log det(H) is undefined (for a semi-definite H shift it: shifted(op, sigma))");
  }
};

/// f(x) = 1/x: tr(H^-1) for a definite H. Throws invalid_argument when the Ritz values change
/// sign, or one lies within singular_tolerance(q) of 0 (H looks singular: tr H^-1 is infinite).
struct InverseTrace {
  double operator()(double x) const { return 1.0 / x; }
  void check(const SpectralQuadrature& q) const {
    detail::require(!q.probes.empty(), "trace_inverse", "the spectral quadrature has no probes");
    const double tau = singular_tolerance(q);
    detail::check_nodes(q, [tau](double x) { return std::abs(x) > tau; }, "trace_inverse",
                        detail::singular_message(tau));
    const bool positive = q.probes.front().nodes.size() > 0 && q.probes.front().nodes[0] > 0.0;
    detail::check_nodes(
        q, [positive](double x) { return positive ? x > 0.0 : x < 0.0; }, "trace_inverse",
        "its sign differs from that of probe 0's first Ritz value " +
            detail::format_double(q.probes.front().nodes.size() > 0 ? q.probes.front().nodes[0] : 0.0) +
            ", so H is not definite (it has eigenvalues of both signs or 0) and the Gauss quadrature of 1/x is "
            "not reliable");
  }
};

/// f(x) = |x|^p (p > 0): tr |H|^p, the p-th power of the Schatten-p norm.
struct SchattenPower {
  double p = 2.0;
  double operator()(double x) const { return std::pow(std::abs(x), p); }
  void check(const SpectralQuadrature&) const {
    detail::require(std::isfinite(p) && p > 0.0, "schatten",
                    "the order p must be finite and positive, got " + detail::format_double(p));
  }
};

/// f(x) = 1 on [a, b], 0 elsewhere: the number of eigenvalues in [a, b].
struct EigenCount {
  double a = 0.0;
  double b = 0.0;
  double operator()(double x) const noexcept { return (x >= a && x <= b) ? 1.0 : 0.0; }
  void check(const SpectralQuadrature&) const {
    detail::require(!std::isnan(a) && !std::isnan(b) && a < b, "eigenvalue_count",
                    "the interval needs a < b, got [" + detail::format_double(a) + ", " + detail::format_double(b) +
                        "]");
  }
};

/// tr(H). Example: `auto t = blockspec::trace_of(blockspec::slq(H));`
inline Estimate trace_of(const SpectralQuadrature& q, double confidence = 0.95) {
  return trace_estimate(q, Trace{}, confidence);
}
/// log det(H) for an SPD H (invalid_argument naming the offending Ritz value otherwise).
/// Example: `auto ld = blockspec::logdet(blockspec::slq(H, {.probes = 30, .steps = 40}));`
inline Estimate logdet(const SpectralQuadrature& q, double confidence = 0.95) {
  return trace_estimate(q, LogDet{}, confidence);
}
/// tr(H^-1) for a definite H.
inline Estimate trace_inverse(const SpectralQuadrature& q, double confidence = 0.95) {
  return trace_estimate(q, InverseTrace{}, confidence);
}
/// The number of eigenvalues in [a, b].
inline Estimate eigenvalue_count(const SpectralQuadrature& q, double a, double b, double confidence = 0.95) {
  return trace_estimate(q, EigenCount{.a = a, .b = b}, confidence);
}
/// The Schatten-p norm |H|_p = (tr |H|^p)^(1/p): the estimate and interval of tr |H|^p mapped
/// through t -> max(t, 0)^(1/p) (monotone, so the coverage is kept); std_error by the delta method.
inline Estimate schatten_norm(const SpectralQuadrature& q, double p, double confidence = 0.95) {
  Estimate e = trace_estimate(q, SchattenPower{.p = p}, confidence);
  auto root = [p](double t) { return t <= 0.0 ? 0.0 : std::pow(t, 1.0 / p); };
  const double v = root(e.value);
  e.std_error = v > 0.0 ? e.std_error * v / (p * e.value) : e.std_error;
  e.value = v;
  e.ci_low = std::isinf(e.ci_low) ? 0.0 : root(e.ci_low);
  e.ci_high = root(e.ci_high);
  e.half_steps_value = root(e.half_steps_value);
  e.quadrature_change = std::abs(e.value - e.half_steps_value);
  return e;
}

}  // namespace blockspec
