// blockspec/spectral/detail/student_t.hpp — the Student-t quantile, self-contained.
//
// student_t_quantile(df, p) is the t with P(T <= t) = p for T ~ Student-t with
// df > 0 degrees of freedom (df need not be an integer), p in (0, 1). It is what
// the confidence intervals of spectral/trace.hpp need, without Boost.Math.
//
// Method: the upper tail q(t) = P(T > t) = I_x(df/2, 1/2) / 2 with
// x = df / (df + t^2) (Abramowitz & Stegun 26.7.1), where the regularized
// incomplete beta I_x(a, b) is evaluated by its continued fraction (A&S 26.5.8)
// with the modified Lentz algorithm, on the side x < (a+1)/(a+b+2) where it
// converges (else through I_x(a,b) = 1 - I_{1-x}(b,a)); 1-x, log x and log(1-x)
// are formed from t^2/df directly (log1p), not by subtraction. The prefactor's
// log B(df/2, 1/2) = log Gamma(1/2) - [log Gamma(a+1/2) - log Gamma(a)] takes the
// bracket from the difference of two Stirling series (a >= 10, shifted up by the
// recurrence below that), so it keeps full precision for large df and never
// calls std::lgamma (which writes the global signgam: not thread safe).
// The quantile is then found by Newton's method, on monotone convergent
// branches: for q* >= q(1) (|t| <= 1) on q(t) itself from t = 0 (q is convex
// there, so iterates rise monotonically to the root); else on log q as a
// function of log t from t = 1 (log q is concave in log t: after the first
// step iterates fall monotonically to the root), which is nearly linear in the
// heavy tail, q ~ C t^-df (steps are capped while left of the root). df = 1 (Cauchy) and df = 2 have closed forms.
// Accuracy: relative error of t below ~1e-13 for 1 <= df <= 1e6 and
// p in [1e-12, 1 - 1e-12], checked against boost::math::students_t in
// tests/test_spectral_student_t.cpp. Cost: a few dozen continued-fraction
// terms per Newton step for small df (O(sqrt(df)) terms for large df),
// typically < 10 steps.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>

namespace blockspec::detail {

/// log Gamma(a + 1/2) - log Gamma(a), a > 0, to ~1e-16 absolute.
inline double log_gamma_half_ratio(double a) {
  double shift = 0.0;  // R(a) = R(a + 1) - log(a + 1/2) + log(a)
  while (a < 10.0) {
    shift += std::log(a / (a + 0.5));
    a += 1.0;
  }
  // Stirling: log Gamma(z) = (z - 1/2) log z - z + log(2 pi)/2 + S(z).
  auto series = [](double z) {
    const double r = 1.0 / z, r2 = r * r;
    return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188 +
                r2 * (-691.0 / 360360 + r2 * (1.0 / 156 + r2 * (-3617.0 / 122400))))))));
  };
  const double main = a * std::log1p(0.5 / a) - 0.5 + 0.5 * std::log(a);
  return shift + main + (series(a + 0.5) - series(a));
}

/// The continued fraction of I_x(a, b) (A&S 26.5.8), modified Lentz; x < (a+1)/(a+b+2).
inline double incomplete_beta_cf(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  constexpr double eps = std::numeric_limits<double>::epsilon();
  auto fix = [](double v) { return std::fabs(v) < tiny ? tiny : v; };
  double c = 1.0;
  double d = 1.0 / fix(1.0 - (a + b) * x / (a + 1.0));
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    const double md = m;
    double aa = md * (b - md) * x / ((a - 1.0 + 2 * md) * (a + 2 * md));
    d = 1.0 / fix(1.0 + aa * d);
    c = fix(1.0 + aa / c);
    h *= d * c;
    aa = -(a + md) * (a + b + md) * x / ((a + 2 * md) * (a + 1.0 + 2 * md));
    d = 1.0 / fix(1.0 + aa * d);
    c = fix(1.0 + aa / c);
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) <= eps) break;
  }
  return h;
}

/// Upper tail P(T > t) of Student-t(df) for t >= 0, and its density at t.
struct StudentTail {
  double q;
  double pdf;
};

inline StudentTail student_t_tail(double df, double t) {
  const double a = 0.5 * df, b = 0.5;
  const double s = t * t / df;                       // t^2/df
  const double log_x = -std::log1p(s);               // log(df/(df+t^2))
  const double log_y = t == 0.0 ? -std::numeric_limits<double>::infinity()
                                : std::log(s) - std::log1p(s);  // log(t^2/(df+t^2))
  const double x = std::exp(log_x), y = std::exp(log_y);
  const double log_beta = 0.5 * std::log(std::numbers::pi) - log_gamma_half_ratio(a);  // log B(a, 1/2)
  const double front = std::exp(a * log_x + b * log_y - log_beta);
  double ix;  // I_x(a, b)
  if (x < (a + 1.0) / (a + b + 2.0)) ix = front * incomplete_beta_cf(a, b, x) / a;
  else ix = 1.0 - front * incomplete_beta_cf(b, a, y) / b;
  const double pdf = std::exp(-log_beta - 0.5 * std::log(df) - (df + 1.0) * 0.5 * std::log1p(s));
  return {0.5 * ix, pdf};
}

/// The t > 0 with P(T > t) = q for q in (0, 1/2].
inline double student_t_upper_quantile(double df, double q) {
  if (q >= 0.5) return 0.0;
  if (df == 1.0) return 1.0 / std::tan(std::numbers::pi * q);
  if (df == 2.0) return (1.0 - 2.0 * q) / std::sqrt(2.0 * q * (1.0 - q));
  constexpr double tol = 4 * std::numeric_limits<double>::epsilon();
  const StudentTail at_one = student_t_tail(df, 1.0);
  if (q >= at_one.q) {  // |t| <= 1: Newton on q(t), rising from t = 0
    double t = 0.0;
    for (int it = 0; it < 200; ++it) {
      const StudentTail v = student_t_tail(df, t);
      const double next = t + (v.q - q) / v.pdf;
      if (!(next > t) || next - t <= tol * next) return next > t ? next : t;
      t = next;
    }
    return t;
  }
  // t > 1: Newton on log q(e^u) - log q*. From the left of the root a step lands
  // right of it (concavity); it is capped at e^2 per step so that a light tail
  // (large df) cannot throw t where q underflows. From the right the iterates
  // fall monotonically; a step that stops shrinking means rounding level.
  const double log_q = std::log(q);
  double u = 0.0;
  StudentTail v = at_one;
  bool right_of_root = false;
  double prev_step = std::numeric_limits<double>::infinity();
  for (int it = 0; it < 400; ++it) {
    const double t = std::exp(u);
    double step = (std::log(v.q) - log_q) * v.q / (t * v.pdf);
    if (step > 0.0) {
      if (right_of_root) break;  // rounding level reached
      step = std::fmin(step, 2.0);
    } else {
      if (right_of_root && std::fabs(step) >= prev_step) break;
      right_of_root = true;
      prev_step = std::fabs(step);
    }
    double next = u + step;
    StudentTail w = student_t_tail(df, std::exp(next));
    while (!(w.q > 0.0) && step > 0.0) {  // overshot into underflow: halve
      step *= 0.5;
      next = u + step;
      w = student_t_tail(df, std::exp(next));
    }
    u = next;
    v = w;
    if (std::fabs(step) <= tol) break;
  }
  return std::exp(u);
}

/// Student-t quantile: the t with P(T <= t) = p, df > 0, p in (0, 1).
/// Example: `double t = blockspec::detail::student_t_quantile(9.0, 0.975);  // 2.2621571627...`
inline double student_t_quantile(double df, double p) {
  if (!(df > 0.0) || !(p > 0.0 && p < 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.5) return 0.0;
  return p > 0.5 ? student_t_upper_quantile(df, 1.0 - p) : -student_t_upper_quantile(df, p);
}

}  // namespace blockspec::detail
