// blockspec/spectral/density.hpp — spectral densities on a grid: kernel-smoothed SLQ, exact, histogram.
//
// Method: the SLQ estimate of the spectral measure of H is the mean over the
// P probes of the Gauss measures sum_j w_ij delta(x - theta_ij) (each a
// probability measure; equal probe weights, as in the paper). Smoothing it
// with a kernel k gives
//   phi(x) = (1/P) sum_i sum_j w_ij k(x, theta_ij),
// evaluated at the points of a Grid and then divided by its grid integral
// sum_g weights_g phi(x_g), so that a Density integrates to exactly 1 (up to
// rounding) with the grid's own weights, as the paper normalizes its curve.
// The kernel mass that fell outside [lo, hi] before that normalization is
// reported by Density::mass_outside() (closed forms for the built-in kernels).
// exact_density() does the same for exact eigenvalues (weights 1/n), and
// ritz_histogram() bins the Ritz nodes by weight, with no kernel.
// Automatic grids and widths (DensityOptions):
//   range   the pooled node range [min, max] over all probes (default), or the
//           paper's rule [mean over probes of min node, mean of max node]
//           (RangeRule::probe_mean; then some nodes lie outside the grid and
//           their kernel mass shows up in mass_outside());
//   width   absolute, or relative to the pooled range max - min, resolved once;
//   padding added on each side: absolute, or relative to the range; for log
//           grids the padding is in natural-log units: [min e^-p, max e^p].
//   If max == min the "range" used for relative widths and padding is |max|,
//   or 1 when that is 0 too.
//   kernel  gaussian or cauchy (linear units), or log_gaussian: a Gaussian in
//           ln x (LogGaussianKernel; positive nodes; its relative width is a
//           fraction of ln(max / min)), which on a log grid smooths every
//           decade alike;
//   boundary reflect_at_zero folds the kernel mass below 0 back (nodes >= 0;
//           the grid then starts at max(lo, 0)), so a positive semidefinite
//           spectrum keeps all its mass on [0, inf): with the default width, a
//           linear kernel puts half the mass of a node near 0 below 0.
// Several runs (node_range of a span, e.g. the blocks of a partition) give
// the union of their ranges: the grid covers each run's own range under
// either rule, not their average.
// Defaults: Gaussian kernel with sigma = 1% of the range, 2001 linear points
// (about 18 points per sigma), padding 5% of the range (5 sigma: the mass of
// an edge node's kernel outside the grid is below 3e-7). This is scale-free:
// multiplying H by c scales grid and width by c. DensityOptions::paper() is
// the paper's choice: sigma^2 = 1e-5 absolute, 50,000 points, padding 1
// absolute, probe_mean range (docs/paper_method.md).
// Cost: O(G P m) kernel evaluations for G grid points, P probes, m nodes;
// kernels with support_radius() (Gaussian) or support(node) (log-Gaussian,
// reflected Gaussian) only touch the grid points within it (binary search on
// the sorted points); the resolution check adds one search per node.
// Checks: density() throws (naming the kernel, node, spacing and grid) when
// the kernel's width at a node inside the grid is below half the grid spacing
// there (min_width_per_spacing): the grid would miss the spikes and the
// normalization would hide it. paper()'s sigma = 0.0032 on its 50,000 points
// passes only for spectra narrower than about 316 (spacing < 2 sigma), so it
// suits spectra of order one; the default width is scale-free.
// Caveats: sigma should also exceed the typical gap between Ritz nodes (else
// the curve is a comb of spikes at the nodes; not checked).
// Reference: Lin, Saad & Yang, SIAM Review 58 (2016); Ghorbani, Krishnan &
// Xiao, "An investigation into neural net optimization via Hessian eigenvalue
// density", ICML 2019.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/spectral/grid.hpp>
#include <blockspec/spectral/kernel.hpp>
#include <blockspec/spectral/spectral_quadrature.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace blockspec {

namespace detail {
struct DensityAccess;
}

/// A probability density on a Grid: integrates to 1 with grid().weights().
/// Built by density(), exact_density() or Density::from_values(). A default-constructed
/// Density is empty (a placeholder that algorithms reject).
class Density {
 public:
  Density() = default;

  /// A density from user values on `grid`, normalized to integrate to 1 with the grid weights.
  /// Throws invalid_argument when the sizes differ or a value is negative, NaN/Inf, or all are zero.
  /// Example: `auto d = blockspec::Density::from_values(g, Eigen::VectorXd::Ones(g.size()));  // uniform`
  static Density from_values(Grid grid, Eigen::VectorXd values) {
    return make(std::move(grid), std::move(values), 0.0, "Density::from_values");
  }

  const Grid& grid() const noexcept { return grid_; }
  /// phi(x_g) at the grid points; grid().weights().dot(values()) == 1 up to rounding.
  const Eigen::VectorXd& values() const noexcept { return values_; }
  int size() const noexcept { return static_cast<int>(values_.size()); }
  bool empty() const noexcept { return values_.size() == 0; }
  /// The discrete measure the distances use: weights_g * values_g (sums to 1).
  Eigen::VectorXd masses() const { return grid_.weights().cwiseProduct(values_); }
  /// Fraction of kernel mass that fell outside [lo, hi] before normalization (0 for from_values).
  double mass_outside() const noexcept { return mass_outside_; }
  /// sum_g weights_g values_g x_g^k, the k-th raw moment on the grid (k >= 0).
  double moment(int k) const {
    detail::require(k >= 0, "Density::moment", "the order k must be >= 0, got " + std::to_string(k));
    double s = 0.0;
    for (int g = 0; g < size(); ++g) s += grid_.weights()[g] * values_[g] * std::pow(grid_.points()[g], k);
    return s;
  }
  double mean() const { return moment(1); }
  /// The central second moment on the grid.
  double variance() const {
    const double m = mean();
    double s = 0.0;
    for (int g = 0; g < size(); ++g) {
      const double d = grid_.points()[g] - m;
      s += grid_.weights()[g] * values_[g] * d * d;
    }
    return s;
  }

 private:
  friend struct detail::DensityAccess;

  static Density make(Grid grid, Eigen::VectorXd values, double outside, const char* where) {
    detail::require(!grid.empty(), where, "the grid is empty");
    detail::require(values.size() == grid.size(), where,
                    "values has " + std::to_string(values.size()) + " entries but the grid has " +
                        std::to_string(grid.size()) + " points");
    for (Eigen::Index g = 0; g < values.size(); ++g) {
      detail::require(std::isfinite(values[g]), where,
                      "value " + std::to_string(g) + " is not finite (NaN or Inf)");
      detail::require(values[g] >= 0.0, where,
                      "value " + std::to_string(g) + " is negative (" + detail::format_double(values[g]) + ")");
    }
    const double total = grid.weights().dot(values);
    detail::require(total > 0.0, where,
                    "the density is all zero on the grid (nothing to normalize)" +
                        std::string(outside > 0.0 ? "; the kernel mass fell outside " + grid.describe() : ""));
    detail::require(std::isfinite(total), where, "the grid integral of the values overflows");
    Density d;
    d.grid_ = std::move(grid);
    d.values_ = std::move(values);
    d.values_ /= total;
    d.mass_outside_ = outside;
    return d;
  }

  Grid grid_{};
  Eigen::VectorXd values_{};
  double mass_outside_ = 0.0;
};

/// Which node range an automatic grid covers.
enum class RangeRule {
  pooled,     ///< [min, max] over the nodes of every probe (no node outside the grid before padding)
  probe_mean  ///< the paper: [mean over probes of the min node, mean over probes of the max node]
};

/// The shape of a built-in kernel chosen by DensityOptions.
enum class KernelKind {
  gaussian,     ///< GaussianKernel: a normal density in x (linear units)
  cauchy,       ///< CauchyKernel: a Lorentzian in x
  log_gaussian  ///< LogGaussianKernel: a normal density in ln x (positive nodes only; pair it with a log grid)
};

/// What a kernel does at x = 0 (DensityOptions::boundary).
enum class Boundary {
  none,            ///< the kernel as it is: part of its mass may lie below 0
  reflect_at_zero  ///< ReflectedKernel: mass below 0 folded back (nodes >= 0; the grid starts at 0)
};

/// A length that is absolute, or a fraction of the spectral range when `relative`.
struct Width {
  double value = 0.01;
  bool relative = true;
};

/// Extent of a set of nodes: pooled min/max and the per-probe means of min/max.
struct NodeRange {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean_min = 0.0;  ///< mean over probes (measures) of each one's smallest node
  double mean_max = 0.0;
  int measures = 0;       ///< how many probes/measures were pooled

  /// Pools another range into this one: the probes of one run (mean_min, mean_max are means
  /// over all the probes pooled).
  void merge(const NodeRange& o) {
    if (o.measures == 0) return;
    const double a = measures, b = o.measures;
    mean_min = (a * mean_min + b * o.mean_min) / (a + b);
    mean_max = (a * mean_max + b * o.mean_max) / (a + b);
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    measures += o.measures;
  }
  /// The union with the range of another run (e.g. another block): min and max as merge(), but
  /// mean_min is the smaller of the two runs' mean_min and mean_max the larger of their mean_max,
  /// so a probe-mean grid of several runs covers each run's own probe-mean range.
  void unite(const NodeRange& o) {
    if (o.measures == 0) return;
    mean_min = measures == 0 ? o.mean_min : std::min(mean_min, o.mean_min);
    mean_max = measures == 0 ? o.mean_max : std::max(mean_max, o.mean_max);
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    measures += o.measures;
  }
  /// ln(max / min) for positive nodes (or 1 when max == min): the unit of relative log-kernel widths.
  double log_scale() const noexcept {
    const double r = min > 0.0 ? std::log(max / min) : 0.0;
    return r > 0.0 ? r : 1.0;
  }
  /// max - min, or |max| when that is 0, or 1 when both are 0: the unit of relative widths.
  double scale() const noexcept {
    const double r = max - min;
    if (r > 0.0) return r;
    if (max != 0.0) return std::abs(max);
    return 1.0;
  }
};

namespace detail {
struct DensityAccess {
  static Density make(Grid grid, Eigen::VectorXd values, double outside, const char* where) {
    return Density::make(std::move(grid), std::move(values), outside, where);
  }
};

inline NodeRange range_of(const Eigen::Ref<const Eigen::VectorXd>& nodes, const char* where) {
  require(nodes.size() > 0, where, "a measure has no nodes");
  require(nodes.allFinite(), where, "a node is not finite");
  NodeRange r;
  r.min = nodes.minCoeff();
  r.max = nodes.maxCoeff();
  r.mean_min = r.min;
  r.mean_max = r.max;
  r.measures = 1;
  return r;
}
}  // namespace detail

/// The node range of an SLQ run (every probe pooled).
inline NodeRange node_range(const SpectralQuadrature& q) {
  detail::require(!q.probes.empty(), "node_range", "the spectral quadrature has no probes");
  NodeRange r;
  for (const auto& p : q.probes) r.merge(detail::range_of(p.nodes, "node_range"));
  return r;
}
/// The node range of several SLQ runs (e.g. the blocks of a partition): their union
/// (NodeRange::unite), so that a grid built from it covers every run's own range under either rule.
inline NodeRange node_range(std::span<const SpectralQuadrature> qs) {
  detail::require(!qs.empty(), "node_range", "no spectral quadratures given");
  NodeRange r;
  for (const auto& q : qs) r.unite(node_range(q));
  return r;
}
/// The range of a plain list of nodes (e.g. exact eigenvalues): one measure.
inline NodeRange node_range(const Eigen::Ref<const Eigen::VectorXd>& nodes) {
  return detail::range_of(nodes, "node_range");
}

/// How density(quadrature, options) builds its grid and kernel; see the file comment.
struct DensityOptions {
  KernelKind kernel = KernelKind::gaussian;
  /// sigma (Gaussian) or gamma (Cauchy): default 1% of the pooled node range.
  Width width{.value = 0.01, .relative = true};
  GridKind grid = GridKind::linear;
  int points = 2001;
  /// Added on each side of the node range (log grids: in natural-log units).
  Width padding{.value = 0.05, .relative = true};
  RangeRule range = RangeRule::pooled;
  /// Symlog grids only: the linear threshold c; 0 = automatic (1e-3 of max |endpoint|).
  double linthresh = 0.0;
  /// reflect_at_zero: fold the kernel mass below 0 back (positive semidefinite spectra).
  Boundary boundary = Boundary::none;

  /// The paper's choice: Gaussian, sigma^2 = 1e-5 absolute, 50,000 linear points,
  /// [mean min node - 1, mean max node + 1].
  static DensityOptions paper() {
    return {.kernel = KernelKind::gaussian,
            .width = {.value = std::sqrt(1e-5), .relative = false},
            .grid = GridKind::linear,
            .points = 50000,
            .padding = {.value = 1.0, .relative = false},
            .range = RangeRule::probe_mean,
            .linthresh = 0.0,
            .boundary = Boundary::none};
  }

  void validate(const std::string& where = "DensityOptions") const {
    detail::require(std::isfinite(width.value) && width.value > 0.0, where,
                    "width.value (the kernel width) must be finite and positive, got " +
                        detail::format_double(width.value));
    detail::require(points >= 2, where, "points must be >= 2, got " + std::to_string(points));
    detail::require(std::isfinite(padding.value) && padding.value >= 0.0, where,
                    "padding.value must be finite and >= 0, got " + detail::format_double(padding.value));
    detail::require(std::isfinite(linthresh) && linthresh >= 0.0, where,
                    "linthresh must be finite and >= 0 (0 = automatic), got " + detail::format_double(linthresh));
    detail::require(kernel == KernelKind::gaussian || kernel == KernelKind::cauchy || kernel == KernelKind::log_gaussian,
                    where, "kernel is not a KernelKind value, got " + std::to_string(static_cast<int>(kernel)));
    detail::require(boundary == Boundary::none || boundary == Boundary::reflect_at_zero, where,
                    "boundary is not a Boundary value, got " + std::to_string(static_cast<int>(boundary)));
    detail::require(!(kernel == KernelKind::log_gaussian && boundary == Boundary::reflect_at_zero), where,
                    "boundary = reflect_at_zero with kernel = log_gaussian: the log-unit kernel has no mass "
                    "below 0 to reflect (use boundary = none)");
    detail::require(grid == GridKind::linear || grid == GridKind::log || grid == GridKind::symlog, where,
                    "grid is not a GridKind value, got " + std::to_string(static_cast<int>(grid)));
  }
};

/// The automatic grid of DensityOptions for a node range (the paper's "range of the nodes, padded").
/// Example:
///   auto grid = blockspec::make_grid(blockspec::node_range(q), blockspec::DensityOptions::paper());
inline Grid make_grid(const NodeRange& r, const DensityOptions& options = {}) {
  options.validate("make_grid");
  detail::require(r.measures > 0, "make_grid", "the node range is empty");
  const double lo0 = options.range == RangeRule::pooled ? r.min : r.mean_min;
  const double hi0 = options.range == RangeRule::pooled ? r.max : r.mean_max;
  if (options.grid == GridKind::log) {
    detail::require(lo0 > 0.0, "make_grid",
                    "a log grid needs positive nodes, but the smallest is " + detail::format_double(lo0) +
                        " (use a linear or symlog grid)");
    const double lr = std::log(hi0 / lo0);
    double pad = options.padding.relative ? options.padding.value * (lr > 0.0 ? lr : 1.0) : options.padding.value;
    if (hi0 == lo0 && pad == 0.0) pad = 1.0;
    return Grid::log(lo0 * std::exp(-pad), hi0 * std::exp(pad), options.points);
  }
  double pad = options.padding.relative ? options.padding.value * r.scale() : options.padding.value;
  if (hi0 <= lo0 && pad == 0.0) pad = 0.5 * r.scale();  // a degenerate range still needs lo < hi
  double lo = lo0 - pad;
  const double hi = hi0 + pad;
  if (options.boundary == Boundary::reflect_at_zero) {
    detail::require(r.min >= 0.0, "make_grid",
                    "boundary = reflect_at_zero needs nodes >= 0 (a positive semidefinite spectrum), but the "
                    "smallest is " + detail::format_double(r.min) + " (use boundary = none)");
    lo = std::max(lo, 0.0);  // the reflected density is 0 below 0
  }
  if (options.grid == GridKind::symlog) {
    const double c = options.linthresh > 0.0 ? options.linthresh : 1e-3 * std::max(std::abs(lo), std::abs(hi));
    return Grid::symlog(lo, hi, options.points, c);
  }
  return Grid::linear(lo, hi, options.points);
}
inline Grid make_grid(const SpectralQuadrature& q, const DensityOptions& options = {}) {
  return make_grid(node_range(q), options);
}
inline Grid make_grid(std::span<const SpectralQuadrature> qs, const DensityOptions& options = {}) {
  return make_grid(node_range(qs), options);
}

/// The kernel of DensityOptions, its width resolved (once) against a node range: a relative width
/// is a fraction of max - min, or for log_gaussian of ln(max / min) (natural-log units).
inline AnyKernel make_kernel(const NodeRange& r, const DensityOptions& options = {}) {
  const char* where = "make_kernel";
  options.validate(where);
  if (options.kernel == KernelKind::log_gaussian) {
    detail::require(r.measures == 0 || r.min > 0.0, where,
                    "kernel = log_gaussian needs positive nodes, but the smallest is " + detail::format_double(r.min) +
                        " (use a linear-unit kernel, with boundary = reflect_at_zero for a semidefinite spectrum)");
    LogGaussianKernel k{.sigma = options.width.relative ? options.width.value * r.log_scale() : options.width.value};
    k.validate(where);
    return k;
  }
  const double w = options.width.relative ? options.width.value * r.scale() : options.width.value;
  const bool reflect = options.boundary == Boundary::reflect_at_zero;
  if (reflect)
    detail::require(r.measures == 0 || r.min >= 0.0, where,
                    "boundary = reflect_at_zero needs nodes >= 0 (a positive semidefinite spectrum), but the "
                    "smallest is " + detail::format_double(r.min) + " (use boundary = none)");
  if (options.kernel == KernelKind::cauchy) {
    CauchyKernel k{.gamma = w};
    k.validate(where);
    if (reflect) return ReflectedKernel<CauchyKernel>{k};
    return k;
  }
  GaussianKernel k{.sigma = w};
  k.validate(where);
  if (reflect) return ReflectedKernel<GaussianKernel>{k};
  return k;
}

namespace detail {

/// sum_j c * w_j * k(x_g, node_j) accumulated into `values`; returns sum_j w_j * (mass outside).
template <class K>
double accumulate_kernel(const Grid& grid, const Eigen::Ref<const Eigen::VectorXd>& nodes,
                         const Eigen::Ref<const Eigen::VectorXd>& weights, double c, const K& kernel,
                         Eigen::VectorXd& values) {
  const Eigen::VectorXd& x = grid.points();
  const double* xb = x.data();
  const double* xe = x.data() + x.size();
  double outside = 0.0;
  for (Eigen::Index j = 0; j < nodes.size(); ++j) {
    const double t = nodes[j];
    const double wj = c * weights[j];
    Eigen::Index g0 = 0, g1 = x.size();
    if constexpr (requires { kernel.support(t); }) {
      const auto [a, b] = kernel.support(t);
      g0 = std::lower_bound(xb, xe, a) - xb;
      g1 = std::upper_bound(xb, xe, b) - xb;
    } else if constexpr (requires { kernel.support_radius(); }) {
      const double rad = kernel.support_radius();
      g0 = std::lower_bound(xb, xe, t - rad) - xb;
      g1 = std::upper_bound(xb, xe, t + rad) - xb;
    }
    for (Eigen::Index g = g0; g < g1; ++g) values[g] += wj * static_cast<double>(kernel(x[g], t));
    if constexpr (requires { kernel.mass_outside(0.0, 1.0, 0.0); })
      outside += weights[j] * kernel.mass_outside(grid.lo(), grid.hi(), t);
  }
  return outside;
}

template <class K>
constexpr bool has_mass_outside = requires(const K& k) { k.mass_outside(0.0, 1.0, 0.0); };

/// The smallest kernel width, in grid spacings, that a density accepts: at width = spacing / 2 the
/// grid sum of one Gaussian already errs by up to 2 exp(-pi^2 / 2) ~ 1.4% (Poisson summation);
/// narrower kernels give a comb of spikes (or nothing) at the grid points.
inline constexpr double min_width_per_spacing = 0.5;

/// Throws when a node violates the kernel's node rule (e.g. log kernel and a node <= 0), or when the
/// kernel is narrower than min_width_per_spacing grid spacings at a node inside the grid.
template <class K>
void check_nodes_and_resolution(const Grid& grid, const Eigen::VectorXd& nodes, const Eigen::VectorXd& weights,
                                const K& kernel, const char* where) {
  const Eigen::VectorXd& x = grid.points();
  for (Eigen::Index j = 0; j < nodes.size(); ++j) {
    const double t = nodes[j];
    if constexpr (requires { K::accepts(t); })
      require(K::accepts(t), where,
              "node " + format_double(t) + ": the kernel (" + describe_kernel(kernel) + ") needs nodes " +
                  K::node_rule());
    if constexpr (requires { kernel.width_at(t); }) {
      if (!(weights[j] > 0.0) || t < x[0] || t > x[x.size() - 1]) continue;
      Eigen::Index g = std::upper_bound(x.data(), x.data() + x.size(), t) - x.data() - 1;
      g = std::clamp<Eigen::Index>(g, 0, x.size() - 2);
      const double h = x[g + 1] - x[g], w = kernel.width_at(t);
      if (w >= min_width_per_spacing * h) continue;
      const double need = std::ceil((grid.hi() - grid.lo()) / (w / min_width_per_spacing)) + 1.0;
      require(false, where,
              "the kernel (" + describe_kernel(kernel) + ") has width " + format_double(w) + " at node " +
                  format_double(t) + ", less than half the grid spacing " + format_double(h) + " there (on the " +
                  grid.describe() + "): the density would be a comb of spikes the grid misses; use a wider "
                  "kernel or more grid points" +
                  (grid.kind() == GridKind::linear ? " (at least " + format_double(need) + " on this range)" : ""));
    }
  }
}

/// The smoothed density of a list of (nodes, weights) measures, averaged with equal weights.
template <class K>
Density smooth_measures(std::span<const Eigen::VectorXd* const> nodes, std::span<const Eigen::VectorXd* const> weights,
                        const Grid& grid, const K& kernel, const char* where) {
  require(!grid.empty(), where, "the grid is empty");
  validate_kernel(kernel, where);
  require(!nodes.empty(), where, "there is no measure to smooth (no probes)");
  Eigen::VectorXd values = Eigen::VectorXd::Zero(grid.size());
  const double c = 1.0 / static_cast<double>(nodes.size());
  double outside = 0.0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    require(nodes[i]->size() == weights[i]->size(), where, "a measure has different numbers of nodes and weights");
    require(nodes[i]->size() > 0, where, "a measure has no nodes");
    require(nodes[i]->allFinite() && weights[i]->allFinite(), where, "a node or weight is not finite");
    check_nodes_and_resolution(grid, *nodes[i], *weights[i], kernel, where);
    outside += c * accumulate_kernel(grid, *nodes[i], *weights[i], c, kernel, values);
  }
  if constexpr (!has_mass_outside<K>) {
    // Generic kernel: the mass missing from the grid integral (includes quadrature error).
    double total_w = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) total_w += c * weights[i]->sum();
    const double inside = grid.weights().dot(values);
    outside = total_w > 0.0 ? std::clamp(1.0 - inside / total_w, 0.0, 1.0) : 0.0;
  }
  outside = std::clamp(outside, 0.0, 1.0);
  return DensityAccess::make(grid, std::move(values), outside, where);
}

}  // namespace detail

/// The kernel-smoothed SLQ density: the mean over probes of sum_j w_ij k(x, theta_ij), normalized on `grid`.
/// \param kernel  GaussianKernel, CauchyKernel, AnyKernel, or any callable k(x, node)
/// Example:
///   auto q = blockspec::slq(H, {.probes = 20, .steps = 100});
///   auto d = blockspec::density(q, blockspec::Grid::linear(-3, 3, 2001), blockspec::GaussianKernel{.sigma = 0.05});
template <class K>
  requires DensityKernel<K>
Density density(const SpectralQuadrature& q, const Grid& grid, const K& kernel) {
  detail::require(!q.probes.empty(), "density", "the spectral quadrature has no probes");
  std::vector<const Eigen::VectorXd*> nodes, weights;
  for (const auto& p : q.probes) {
    nodes.push_back(&p.nodes);
    weights.push_back(&p.weights);
  }
  return detail::smooth_measures<K>(nodes, weights, grid, kernel, "density");
}

/// The smoothed density of one discrete measure (e.g. one probe's Gauss quadrature).
template <class K>
  requires DensityKernel<K>
Density density(const Quadrature& q, const Grid& grid, const K& kernel) {
  const Eigen::VectorXd* n = &q.nodes;
  const Eigen::VectorXd* w = &q.weights;
  return detail::smooth_measures<K>(std::span<const Eigen::VectorXd* const>(&n, 1),
                                    std::span<const Eigen::VectorXd* const>(&w, 1), grid, kernel, "density");
}

/// The smoothed density of exact eigenvalues (each of mass 1/n), to compare with SLQ.
/// Example: `auto d = blockspec::exact_density(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(A).eigenvalues(), grid, k);`
template <class K>
  requires DensityKernel<K>
Density exact_density(const Eigen::Ref<const Eigen::VectorXd>& eigenvalues, const Grid& grid, const K& kernel) {
  detail::require(eigenvalues.size() > 0, "exact_density", "no eigenvalues given");
  const Eigen::VectorXd nodes = eigenvalues;
  const Eigen::VectorXd w = Eigen::VectorXd::Constant(nodes.size(), 1.0 / static_cast<double>(nodes.size()));
  const Eigen::VectorXd* n = &nodes;
  const Eigen::VectorXd* pw = &w;
  return detail::smooth_measures<K>(std::span<const Eigen::VectorXd* const>(&n, 1),
                                    std::span<const Eigen::VectorXd* const>(&pw, 1), grid, kernel, "exact_density");
}

inline Density density(const SpectralQuadrature& q, const Grid& grid, const AnyKernel& kernel) {
  return std::visit([&](const auto& k) { return density(q, grid, k); }, kernel);
}
inline Density density(const Quadrature& q, const Grid& grid, const AnyKernel& kernel) {
  return std::visit([&](const auto& k) { return density(q, grid, k); }, kernel);
}
inline Density exact_density(const Eigen::Ref<const Eigen::VectorXd>& eigenvalues, const Grid& grid,
                             const AnyKernel& kernel) {
  return std::visit([&](const auto& k) { return exact_density(eigenvalues, grid, k); }, kernel);
}

/// The density with the grid and kernel of `options`, resolved against q's own node range.
/// (For several quadratures on one common grid, resolve once: make_grid(node_range(span), options)
/// and make_kernel(node_range(span), options), then call density(q, grid, kernel) for each.)
/// Example: `auto d = blockspec::density(blockspec::slq(H), blockspec::DensityOptions::paper());`
inline Density density(const SpectralQuadrature& q, const DensityOptions& options = {}) {
  const NodeRange r = node_range(q);
  return density(q, make_grid(r, options), make_kernel(r, options));
}

/// exact_density with the grid and kernel of `options`, resolved against the eigenvalues' range.
inline Density exact_density(const Eigen::Ref<const Eigen::VectorXd>& eigenvalues,
                             const DensityOptions& options = {}) {
  const NodeRange r = node_range(eigenvalues);
  return exact_density(eigenvalues, make_grid(r, options), make_kernel(r, options));
}

/// Ritz nodes binned by Gauss weight (probes averaged with equal weights); no kernel.
struct Histogram {
  Eigen::VectorXd edges;   ///< bins + 1 ascending edges; bin b is [edges[b], edges[b+1]) (last one closed)
  Eigen::VectorXd masses;  ///< weight in each bin; sums to 1 - mass_outside
  double mass_outside = 0.0;  ///< weight of the nodes outside [edges[0], edges[bins]]
  /// masses divided by bin widths: a piecewise-constant density.
  Eigen::VectorXd densities() const {
    Eigen::VectorXd d(masses.size());
    for (Eigen::Index b = 0; b < masses.size(); ++b) d[b] = masses[b] / (edges[b + 1] - edges[b]);
    return d;
  }
};

/// A histogram of the Ritz nodes on `bins` equal bins of [lo, hi].
/// Example: `auto h = blockspec::ritz_histogram(q, 50, -2.0, 2.0);`
inline Histogram ritz_histogram(const SpectralQuadrature& q, int bins, double lo, double hi) {
  detail::require(!q.probes.empty(), "ritz_histogram", "the spectral quadrature has no probes");
  detail::require(bins >= 1, "ritz_histogram", "bins must be >= 1, got " + std::to_string(bins));
  detail::require(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "ritz_histogram",
                  "need finite lo < hi, got lo = " + detail::format_double(lo) + ", hi = " + detail::format_double(hi));
  Histogram h;
  h.edges.resize(bins + 1);
  const double width = (hi - lo) / bins;
  for (int b = 0; b <= bins; ++b) h.edges[b] = lo + b * width;
  h.edges[bins] = hi;
  h.masses = Eigen::VectorXd::Zero(bins);
  const double c = 1.0 / static_cast<double>(q.probes.size());
  for (const auto& p : q.probes) {
    for (Eigen::Index j = 0; j < p.nodes.size(); ++j) {
      const double t = p.nodes[j];
      const double m = c * p.weights[j];
      if (!(t >= lo && t <= hi)) {
        h.mass_outside += m;
        continue;
      }
      int b = static_cast<int>(std::upper_bound(h.edges.data(), h.edges.data() + bins + 1, t) - h.edges.data()) - 1;
      b = std::clamp(b, 0, bins - 1);
      h.masses[b] += m;
    }
  }
  return h;
}

/// A histogram on `bins` equal bins of the pooled node range.
inline Histogram ritz_histogram(const SpectralQuadrature& q, int bins) {
  const NodeRange r = node_range(q);
  const double lo = r.max > r.min ? r.min : r.min - 0.5 * r.scale();
  const double hi = r.max > r.min ? r.max : r.max + 0.5 * r.scale();
  return ritz_histogram(q, bins, lo, hi);
}

}  // namespace blockspec
