// blockspec/spectral/kernel.hpp — smoothing kernels that turn a discrete spectral measure into a density.
//
// A discrete measure sum_j w_j delta(x - theta_j) (Ritz nodes and Gauss weights,
// or exact eigenvalues with weights 1/n) becomes the density
//   phi(x) = sum_j w_j k(x, theta_j)
// for a kernel k(., theta) that is a probability density centred at theta:
//   GaussianKernel{sigma}  k = exp(-(x - theta)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))
//   CauchyKernel{gamma}    k = gamma / (pi ((x - theta)^2 + gamma^2))   (Lorentzian;
//                          heavy tails: a fraction of about 2 gamma / (pi d) of its
//                          mass lies farther than d from theta)
//   LogGaussianKernel{sigma}  a Gaussian in log units: ln x ~ N(ln theta, sigma^2), i.e.
//                          k = exp(-(ln x - ln theta)^2 / (2 sigma^2)) / (x sigma sqrt(2 pi))
//                          for x > 0 and 0 for x <= 0 (the 1/x is the Jacobian d ln x / dx,
//                          so k integrates to 1 over x > 0). Its median is theta and its
//                          width grows with theta (about theta sigma), so a spectrum spread
//                          over decades is smoothed evenly on a log grid. Positive nodes only.
//   ReflectedKernel<K>{base}  the base kernel reflected at 0: k(x) + k(-x) for x >= 0, 0 below,
//                          for nodes >= 0 (a positive semidefinite spectrum): the mass the
//                          base puts below 0 is folded back, so it integrates to 1 on [0, inf).
//                          Near 0 the curve is flat (zero slope), not the true density.
// Any callable k(x, node) -> double also works (concept DensityKernel). A kernel
// may also provide
//   double mass_outside(lo, hi, node)  the exact mass of k(., node) outside [lo, hi];
//   double support_radius()            k(x, node) == 0 in double for |x - node| > radius,
//                                      which lets density() skip those points;
//   std::pair<double, double> support(node)  the same as an interval (log and reflected kernels);
//   double width_at(node)              the kernel's width near node in x units, which
//                                      density() compares with the grid spacing there;
//   const char* node_rule(), bool accepts(node)  a restriction on the nodes (e.g. > 0).
// The built-in kernels provide them (erfc and arctan closed forms). For other
// kernels density() estimates the outside mass as 1 minus the grid integral.
// Widths are absolute here; DensityOptions (density.hpp) also accepts widths
// relative to the spectral range and resolves them into these kernels.
// Reference: Lin, Saad & Yang, "Approximating spectral densities of large
// matrices", SIAM Review 58 (2016), section 3 (kernel smoothing of SLQ).
#pragma once

#include <blockspec/error.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <numbers>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace blockspec {

/// A smoothing kernel: any callable k(x, node) returning the density at x of a unit mass at node.
template <class K>
concept DensityKernel = std::is_invocable_r_v<double, const K&, double, double>;

/// The normal density of standard deviation sigma (absolute units).
/// Example: `blockspec::GaussianKernel k{.sigma = 0.05};  double y = k(0.1, 0.0);`
struct GaussianKernel {
  double sigma = 0.0;

  void validate(const std::string& where = "GaussianKernel") const {
    detail::require(std::isfinite(sigma) && sigma > 0.0, where,
                    "sigma (the kernel width) must be finite and positive, got " + detail::format_double(sigma));
  }
  double operator()(double x, double node) const noexcept {
    const double z = (x - node) / sigma;
    return std::exp(-0.5 * z * z) / (sigma * std::sqrt(2.0 * std::numbers::pi));
  }
  /// Beyond 40 sigma the density is below 1e-347 / sigma: exactly zero in double.
  double support_radius() const noexcept { return 40.0 * sigma; }
  double width_at(double /*node*/) const noexcept { return sigma; }
  /// Mass of the kernel centred at node outside [lo, hi].
  double mass_outside(double lo, double hi, double node) const noexcept {
    const double s = sigma * std::numbers::sqrt2;
    return 0.5 * std::erfc((node - lo) / s) + 0.5 * std::erfc((hi - node) / s);
  }
};

/// The Cauchy (Lorentzian) density of half-width at half-maximum gamma (absolute units).
/// Example: `blockspec::CauchyKernel k{.gamma = 0.01};  double y = k(0.1, 0.0);`
struct CauchyKernel {
  double gamma = 0.0;

  void validate(const std::string& where = "CauchyKernel") const {
    detail::require(std::isfinite(gamma) && gamma > 0.0, where,
                    "gamma (the kernel width) must be finite and positive, got " + detail::format_double(gamma));
  }
  double operator()(double x, double node) const noexcept {
    const double d = x - node;
    return gamma / (std::numbers::pi * (d * d + gamma * gamma));
  }
  double width_at(double /*node*/) const noexcept { return gamma; }
  double mass_outside(double lo, double hi, double node) const noexcept {
    const double inside = (std::atan((hi - node) / gamma) - std::atan((lo - node) / gamma)) / std::numbers::pi;
    return inside >= 1.0 ? 0.0 : 1.0 - inside;
  }
};

/// A normal density in ln x: the log-normal density of median `node` and log-standard-deviation
/// sigma (natural-log units), 0 for x <= 0. Only for positive nodes (density() rejects others).
/// Example: `blockspec::LogGaussianKernel k{.sigma = 0.05};  double y = k(110.0, 100.0);`
struct LogGaussianKernel {
  double sigma = 0.0;

  void validate(const std::string& where = "LogGaussianKernel") const {
    detail::require(std::isfinite(sigma) && sigma > 0.0, where,
                    "sigma (the kernel width, in natural-log units) must be finite and positive, got " +
                        detail::format_double(sigma));
  }
  double operator()(double x, double node) const noexcept {
    if (!(x > 0.0) || !(node > 0.0)) return 0.0;
    const double z = std::log(x / node) / sigma;
    return std::exp(-0.5 * z * z) / (x * sigma * std::sqrt(2.0 * std::numbers::pi));
  }
  /// Beyond 40 sigma in ln x the density is exactly zero in double.
  std::pair<double, double> support(double node) const noexcept {
    return {node * std::exp(-40.0 * sigma), node * std::exp(40.0 * sigma)};
  }
  /// Mass outside [lo, hi] (none of it lies below 0).
  double mass_outside(double lo, double hi, double node) const noexcept {
    const double s = sigma * std::numbers::sqrt2;
    const double below = lo > 0.0 ? 0.5 * std::erfc(std::log(node / lo) / s) : 0.0;
    const double above = hi > 0.0 ? 0.5 * std::erfc(std::log(hi / node) / s) : 1.0;
    return below + above;
  }
  /// The standard deviation of ln x times node: the width near node in x units (sigma << 1).
  double width_at(double node) const noexcept { return sigma * node; }
  static const char* node_rule() noexcept { return "> 0 (a log-unit kernel needs positive nodes)"; }
  static bool accepts(double node) noexcept { return node > 0.0; }
};

/// `base` reflected at 0: base(x, node) + base(-x, node) for x >= 0, 0 for x < 0 (nodes >= 0).
/// Example: `blockspec::ReflectedKernel<blockspec::GaussianKernel> k{.base = {.sigma = 0.5}};`
template <class K>
struct ReflectedKernel {
  K base{};

  void validate(const std::string& where = "ReflectedKernel") const { base.validate(where); }
  double operator()(double x, double node) const noexcept {
    if (x < 0.0) return 0.0;
    return base(x, node) + base(-x, node);
  }
  /// Mass outside [lo, hi]: 1 - (base mass in [max(lo, 0), hi]) - (base mass in [-hi, -max(lo, 0)]).
  double mass_outside(double lo, double hi, double node) const noexcept {
    const double a = std::max(lo, 0.0);
    if (hi <= a) return 1.0;
    const double inside = (1.0 - base.mass_outside(a, hi, node)) + (1.0 - base.mass_outside(-hi, -a, node));
    return std::clamp(1.0 - inside, 0.0, 1.0);
  }
  std::pair<double, double> support(double node) const noexcept
    requires requires(const K& k) { k.support_radius(); }
  {
    const double r = base.support_radius();
    return {std::max(0.0, node - r), std::max(0.0, node + r)};
  }
  double width_at(double node) const noexcept { return base.width_at(node); }
  static const char* node_rule() noexcept { return ">= 0 (reflection at 0 is for a positive semidefinite spectrum)"; }
  static bool accepts(double node) noexcept { return node >= 0.0; }
};

/// One of the built-in kernels, as chosen by DensityOptions.
using AnyKernel = std::variant<GaussianKernel, CauchyKernel, LogGaussianKernel, ReflectedKernel<GaussianKernel>,
                               ReflectedKernel<CauchyKernel>>;

namespace detail {

template <class K>
void validate_kernel(const K& k, const std::string& where) {
  if constexpr (requires { k.validate(where); }) k.validate(where);
}

/// The kernel's width for messages (sigma or gamma), or NaN for user kernels.
template <class K>
double kernel_width(const K& k) {
  if constexpr (std::is_same_v<K, GaussianKernel> || std::is_same_v<K, LogGaussianKernel>)
    return k.sigma;
  else if constexpr (std::is_same_v<K, CauchyKernel>)
    return k.gamma;
  else if constexpr (requires { k.base; })
    return kernel_width(k.base);
  else
    return std::nan("");
}

/// The kernel for messages: "Gaussian sigma = 0.5", "log-Gaussian sigma = 0.1 (natural-log units)", ...
template <class K>
std::string describe_kernel(const K& k) {
  if constexpr (std::is_same_v<K, GaussianKernel>)
    return "Gaussian sigma = " + format_double(k.sigma);
  else if constexpr (std::is_same_v<K, CauchyKernel>)
    return "Cauchy gamma = " + format_double(k.gamma);
  else if constexpr (std::is_same_v<K, LogGaussianKernel>)
    return "log-Gaussian sigma = " + format_double(k.sigma) + " (natural-log units)";
  else if constexpr (requires { k.base; })
    return describe_kernel(k.base) + ", reflected at 0";
  else
    return "user kernel";
}

}  // namespace detail
}  // namespace blockspec
