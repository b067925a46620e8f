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
// Cost: one run per grid point.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/optim/runner.hpp>

#include <algorithm>
#include <cmath>
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
  RunOptions run{};            ///< options of every run (its lr is ignored)

  void validate() const {
    const std::string where = "tune_learning_rate";
    detail::require(std::isfinite(lr_min) && lr_min > 0.0, where,
                    "lr_min must be finite and > 0, got " + detail::format_double(lr_min));
    detail::require(std::isfinite(lr_max) && lr_max >= lr_min, where,
                    "lr_max must be finite and >= lr_min = " + detail::format_double(lr_min) + ", got " +
                        detail::format_double(lr_max));
    detail::require(points_per_decade > 0, where,
                    "points_per_decade must be positive, got " + std::to_string(points_per_decade));
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

  bool reached() const noexcept { return status == TuneStatus::reached; }
};

/// Tunes the learning rate of the optimizers made by `factory()` on `problem`.
/// Example:
///   auto r = blockspec::tune_learning_rate(q, [] { return blockspec::Adam(); },
///                                          {.lr_min = 1e-4, .lr_max = 1, .run = {.max_steps = 20000}});
template <class P, class Factory>
  requires Problem<std::remove_cvref_t<P>>
TuneResult tune_learning_rate(const P& problem, Factory&& factory, const TuneOptions& options) {
  TuneResult r;
  r.lrs = options.grid();
  const std::size_t k = r.lrs.size();
  r.steps_to_target.assign(k, -1);
  r.caps.assign(k, 0);
  r.statuses.assign(k, RunStatus::step_limit);
  for (std::size_t i = k; i-- > 0;) {
    RunOptions ro = options.run;
    ro.lr = r.lrs[i];
    if (options.prune && r.best_steps >= 0) {
      if (r.best_steps <= 1) {  // nothing can beat 0 or 1 steps strictly... except 0
        r.caps[i] = 0;
        continue;
      }
      ro.max_steps = std::min(ro.max_steps, r.best_steps - 1);
    }
    r.caps[i] = ro.max_steps;
    auto opt = factory();
    RunTrace tr = run(problem, opt, ro);
    r.statuses[i] = tr.status;
    r.steps_to_target[i] = tr.steps_to_target;
    if (tr.steps_to_target >= 0 && (r.best_steps < 0 || tr.steps_to_target < r.best_steps)) {
      r.best_steps = tr.steps_to_target;
      r.best_lr = r.lrs[i];
      r.status = TuneStatus::reached;
      r.best = std::move(tr);
    }
  }
  return r;
}

}  // namespace blockspec
