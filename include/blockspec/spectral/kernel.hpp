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
// Any callable k(x, node) -> double also works (concept DensityKernel). A kernel
// may also provide
//   double mass_outside(lo, hi, node)  the exact mass of k(., node) outside [lo, hi];
//   double support_radius()            k(x, node) == 0 in double for |x - node| > radius,
//                                      which lets density() skip those points.
// Both built-in kernels provide them (erfc and arctan closed forms). For other
// kernels density() estimates the outside mass as 1 minus the grid integral.
// Widths are absolute here; DensityOptions (density.hpp) also accepts widths
// relative to the spectral range and resolves them into these kernels.
// Reference: Lin, Saad & Yang, "Approximating spectral densities of large
// matrices", SIAM Review 58 (2016), section 3 (kernel smoothing of SLQ).
#pragma once

#include <blockspec/error.hpp>

#include <cmath>
#include <concepts>
#include <cstdio>
#include <numbers>
#include <string>
#include <type_traits>
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
  double mass_outside(double lo, double hi, double node) const noexcept {
    const double inside = (std::atan((hi - node) / gamma) - std::atan((lo - node) / gamma)) / std::numbers::pi;
    return inside >= 1.0 ? 0.0 : 1.0 - inside;
  }
};

/// One of the built-in kernels, as chosen by DensityOptions.
using AnyKernel = std::variant<GaussianKernel, CauchyKernel>;

namespace detail {

template <class K>
void validate_kernel(const K& k, const std::string& where) {
  if constexpr (requires { k.validate(where); }) k.validate(where);
}

/// The kernel's width for messages (sigma or gamma), or NaN for user kernels.
template <class K>
double kernel_width(const K& k) {
  if constexpr (std::is_same_v<K, GaussianKernel>)
    return k.sigma;
  else if constexpr (std::is_same_v<K, CauchyKernel>)
    return k.gamma;
  else
    return std::nan("");
}

}  // namespace detail
}  // namespace blockspec
