// blockspec/optim/tune.hpp — pick the learning rate that reaches the target in the fewest steps.
//
// Method: the log grid lr_min * 10^(k / points_per_decade), k = 0..K, with
// lr_max included, is scanned from the largest rate down; each rate runs a
// fresh optimizer from the factory with the given RunOptions. The best rate
// is the one with the fewest steps to the target; ties go to the larger
// rate. With `prune`, a run is capped at (best so far - 1) steps, since it can
// only win by being strictly faster: this makes tuning cost about (grid
// points) x (best steps) instead of (grid points) x (step cap). This is how
// the paper tunes Adam on its quadratics. Deterministic given the seeds.
// When no rate of the grid reaches the target (every run diverged or hit its
// cap), that is an outcome, not an error: status none_reached, best_lr empty,
// and the per-rate statuses and steps say what each run did.
// Refinement (refine_points = r > 0): after the grid, r rates on each side of
// the best one at a grid step divided by (r + 1) (the next coarse points are
// not repeated), run with the same pruning; the best of all runs wins.
// tune_momentum does the same search for each beta of a small grid, pruned at
// the best step count over all betas so far (same budget rule), and returns
// the best (lr, beta). message() states the outcome in words, with the grid.
// Cost: one run per grid point (plus 2 r refinement runs), times the betas.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/optim/runner.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace blockspec {

/// Options of tune_learning_rate.
struct TuneOptions {
  double lr_min = 1e-6;        ///< smallest rate of the grid (> 0)
  double lr_max = 1.0;         ///< largest rate (>= lr_min)
  int points_per_decade = 4;   ///< grid density (> 0)
  bool prune = true;           ///< cap each run at the best step count so far
  int refine_points = 0;       ///< rates on each side of the best one after the grid (0: no refinement)
  RunOptions run{};            ///< options of every run (its lr is ignored)

  /// The most rates a grid (or one side of a refinement) may have.
  static constexpr int max_grid_points = 100000;

  void validate() const {
    const std::string where = "tune_learning_rate";
    detail::require(std::isfinite(lr_min) && lr_min > 0.0, where,
                    "lr_min must be finite and > 0, got " + detail::format_double(lr_min));
    detail::require(std::isfinite(lr_max) && lr_max >= lr_min, where,
                    "lr_max must be finite and >= lr_min = " + detail::format_double(lr_min) + ", got " +
                        detail::format_double(lr_max));
    detail::require(points_per_decade > 0, where,
                    "points_per_decade must be positive, got " + std::to_string(points_per_decade));
    detail::require(refine_points >= 0 && refine_points <= max_grid_points, where,
                    "refine_points must be in [0, " + std::to_string(max_grid_points) + "], got " +
                        std::to_string(refine_points));
    const double points = std::log10(lr_max / lr_min) * points_per_decade;
    detail::require(points <= max_grid_points, where,
                    "the grid [" + detail::format_double(lr_min) + ", " + detail::format_double(lr_max) + "] at " +
                        std::to_string(points_per_decade) + " points per decade has more than " +
                        std::to_string(max_grid_points) + " rates");
  }
  /// The grid, ascending.
  std::vector<double> grid() const {
    validate();
    const double decades = std::log10(lr_max / lr_min);
    const int k_max = static_cast<int>(std::floor(decades * points_per_decade + 1e-9));
    std::vector<double> g;
    for (int k = 0; k <= k_max; ++k) g.push_back(lr_min * std::pow(10.0, static_cast<double>(k) / points_per_decade));
    if (g.back() < lr_max * (1.0 - 1e-12)) g.push_back(lr_max);
    return g;
  }
};

/// How a learning-rate search ended.
enum class TuneStatus {
  reached,      ///< at least one rate of the grid reached the target
  none_reached  ///< no rate reached it (each diverged or hit its cap; see statuses)
};

inline const char* to_string(TuneStatus s) noexcept { return s == TuneStatus::reached ? "reached" : "none_reached"; }

/// The outcome of a learning-rate search.
struct TuneResult {
  TuneStatus status = TuneStatus::none_reached;
  std::optional<double> best_lr{};     ///< the best rate; empty when no rate reached the target
  int best_steps = -1;                 ///< steps of the best rate; -1 when none reached the target
  std::vector<double> lrs{};           ///< the grid, ascending
  std::vector<int> steps_to_target{};  ///< per rate; -1: not reached within its cap
  std::vector<int> caps{};             ///< the step cap each run had
  std::vector<RunStatus> statuses{};
  RunTrace best{};                     ///< the trace of the best run
  std::optional<double> best_beta{};   ///< tune_momentum only: the best beta
  std::vector<double> betas{};         ///< tune_momentum only: the beta grid

  bool reached() const noexcept { return status == TuneStatus::reached; }
  /// One line: the best rate and its steps, or "none of lr in [a, b] (k rates) reached the target".
  std::string message() const {
    auto f = [](double x) {
      char b[32];
      std::snprintf(b, sizeof b, "%.3g", x);
      return std::string(b);
    };
    std::string grid = lrs.empty() ? "[]" : "[" + f(lrs.front()) + ", " + f(lrs.back()) + "] (" +
                                                std::to_string(lrs.size()) + " rates)";
    if (!betas.empty()) {
      grid += " x beta in {";
      for (std::size_t i = 0; i < betas.size(); ++i) grid += (i ? ", " : "") + f(betas[i]);
      grid += "}";
    }
    if (!reached()) return "none of lr in " + grid + " converged (each diverged or hit its step cap)";
    std::string m = "best lr " + f(*best_lr);
    if (best_beta) m += ", beta " + f(*best_beta);
    return m + ": " + std::to_string(best_steps) + " steps (lr in " + grid + ")";
  }
};

/// Tunes the learning rate of the optimizers made by `factory()` on `problem`.
/// Example:
///   auto r = blockspec::tune_learning_rate(q, [] { return blockspec::Adam(); },
///                                          {.lr_min = 1e-4, .lr_max = 1, .run = {.max_steps = 20000}});
namespace detail {

/// One pruned run at rate lr, folded into r (the rate is appended to r's lists).
template <class P, class Factory>
void tune_one(const P& problem, Factory& factory, const TuneOptions& options, double lr, TuneResult& r) {
  RunOptions ro = options.run;
  ro.lr = lr;
  r.lrs.push_back(lr);
  r.steps_to_target.push_back(-1);
  r.statuses.push_back(RunStatus::step_limit);
  if (options.prune && r.best_steps >= 0) {
    if (r.best_steps <= 1) {  // nothing can beat 0 or 1 steps strictly
      r.caps.push_back(0);
      return;
    }
    ro.max_steps = std::min(ro.max_steps, r.best_steps - 1);
  }
  r.caps.push_back(ro.max_steps);
  auto opt = factory();
  RunTrace tr = run(problem, opt, ro);
  r.statuses.back() = tr.status;
  r.steps_to_target.back() = tr.steps_to_target;
  if (tr.steps_to_target >= 0 && (r.best_steps < 0 || tr.steps_to_target < r.best_steps)) {
    r.best_steps = tr.steps_to_target;
    r.best_lr = lr;
    r.status = TuneStatus::reached;
    r.best = std::move(tr);
  }
}

/// Sorts the per-rate lists of r by rate (ascending).
inline void sort_by_rate(TuneResult& r) {
  std::vector<std::size_t> idx(r.lrs.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return r.lrs[a] < r.lrs[b]; });
  TuneResult s = r;
  for (std::size_t i = 0; i < idx.size(); ++i) {
    s.lrs[i] = r.lrs[idx[i]];
    s.steps_to_target[i] = r.steps_to_target[idx[i]];
    s.caps[i] = r.caps[idx[i]];
    s.statuses[i] = r.statuses[idx[i]];
  }
  r.lrs = std::move(s.lrs);
  r.steps_to_target = std::move(s.steps_to_target);
  r.caps = std::move(s.caps);
  r.statuses = std::move(s.statuses);
}

/// The grid scan (largest rate first), then the refinement around the best rate; r may already
/// hold a best step count (tune_momentum), which then prunes these runs too.
template <class P, class Factory>
void tune_scan(const P& problem, Factory& factory, const TuneOptions& options, TuneResult& r) {
  const std::vector<double> grid = options.grid();
  const std::optional<double> before = r.best_lr;
  for (std::size_t i = grid.size(); i-- > 0;) tune_one(problem, factory, options, grid[i], r);
  if (options.refine_points > 0 && r.best_lr && r.best_lr != before) {
    const double centre = *r.best_lr;
    const double step = std::pow(10.0, 1.0 / (options.points_per_decade * (options.refine_points + 1.0)));
    for (int k = options.refine_points; k >= -options.refine_points; --k)
      if (k != 0) tune_one(problem, factory, options, centre * std::pow(step, k), r);
  }
}

}  // namespace detail

/// Tunes the learning rate of the optimizers made by `factory()` on `problem`.
/// Example:
///   auto r = blockspec::tune_learning_rate(q, [] { return blockspec::Adam(); },
///                                          {.lr_min = 1e-4, .lr_max = 1, .run = {.max_steps = 20000}});
template <class P, class Factory>
  requires Problem<std::remove_cvref_t<P>>
TuneResult tune_learning_rate(const P& problem, Factory&& factory, const TuneOptions& options) {
  options.validate();
  TuneResult r;
  detail::tune_scan(problem, factory, options, r);
  detail::sort_by_rate(r);
  return r;
}

/// Tunes (lr, beta) of the optimizers made by `factory(beta)`: the lr search of tune_learning_rate
/// for each beta of `betas` (each in [0, 1)), all pruned at the best step count so far.
/// The per-rate lists hold every (beta, lr) run, sorted by rate.
/// Example:
///   auto r = blockspec::tune_momentum(q, [](double b) { return blockspec::HeavyBall({.momentum = b}); },
///                                     {0.5, 0.9, 0.99}, {.lr_min = 1e-5, .lr_max = 1});
template <class P, class Factory>
  requires Problem<std::remove_cvref_t<P>>
TuneResult tune_momentum(const P& problem, Factory&& factory, const std::vector<double>& betas,
                         const TuneOptions& options) {
  options.validate();
  detail::require(!betas.empty(), "tune_momentum", "the beta grid is empty");
  for (double b : betas)
    detail::require(std::isfinite(b) && b >= 0.0 && b < 1.0, "tune_momentum",
                    "every beta must be in [0, 1), got " + detail::format_double(b));
  TuneResult r;
  r.betas = betas;
  for (double b : betas) {
    auto make = [&] { return factory(b); };
    const int before_steps = r.best_steps;
    detail::tune_scan(problem, make, options, r);
    if (r.best_steps != before_steps) r.best_beta = b;  // the best only changes when strictly faster
  }
  detail::sort_by_rate(r);
  return r;
}

}  // namespace blockspec
