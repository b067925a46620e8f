// examples/fair_table.hpp — the fair-baselines table shared by reproduce_paper and quadratic_lab:
// per problem (a column) and method of lab::fair_study (a row), the median and range over seeds
// of the steps to the target, and the table as markdown.
#pragma once

#include <blockspec/lab/study.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace example {

inline std::string short_number(double x) {
  if (!std::isfinite(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

/// One problem and method: the steps of each seed (-1: not reached) and why the misses missed.
struct FairCell {
  std::vector<int> steps{};
  std::vector<std::string> failures{};
  int reached() const {
    int k = 0;
    for (int s : steps) k += s >= 0;
    return k;
  }
  /// Median over seeds with "not reached" counted as infinitely many steps (NaN: the middle seed missed).
  double median() const {
    std::vector<double> v;
    for (int s : steps) v.push_back(s >= 0 ? s : INFINITY);
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    if (n == 0) return NAN;
    const double m = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return std::isfinite(m) ? m : NAN;
  }
  /// "median [min-max]", with " k/n" when only k of n seeds reached the target.
  std::string text() const {
    if (reached() == 0) return "not reached";
    int lo = 1 << 30, hi = 0;
    for (int s : steps)
      if (s >= 0) lo = std::min(lo, s), hi = std::max(hi, s);
    const double m = median();
    std::string t = (std::isfinite(m) ? std::to_string(std::lround(m)) : std::string("n.r.")) + " [" +
                    std::to_string(lo) + "-" + std::to_string(hi) + "]";
    if (reached() < static_cast<int>(steps.size()))
      t += " " + std::to_string(reached()) + "/" + std::to_string(steps.size());
    return t;
  }
};

/// Columns are problems (labels such as "case 3"), rows the methods of lab::fair_methods().
struct FairTable {
  std::vector<std::string> columns{};
  std::vector<std::string> methods = blockspec::lab::fair_methods();
  std::vector<std::vector<FairCell>> cells{};  // [column][method]

  /// Appends a column (call add() once per seed afterwards).
  void add_column(const std::string& label) {
    columns.push_back(label);
    cells.emplace_back(methods.size());
  }
  /// Records one seed's fair_study into the last column.
  void add(const blockspec::lab::FairStudy& study, const std::string& seed_label) {
    auto& col = cells.back();
    for (std::size_t mi = 0; mi < methods.size(); ++mi) {
      const auto& e = study.at(methods[mi]);
      col[mi].steps.push_back(e.steps);
      if (e.steps < 0) col[mi].failures.push_back(columns.back() + " " + seed_label + ", " + e.method + ": " + e.message);
    }
  }
  bool has(const std::string& c) const { return std::find(columns.begin(), columns.end(), c) != columns.end(); }
  const FairCell& at(const std::string& c, const std::string& m) const {
    const auto ci = static_cast<std::size_t>(std::find(columns.begin(), columns.end(), c) - columns.begin());
    const auto mi = static_cast<std::size_t>(std::find(methods.begin(), methods.end(), m) - methods.begin());
    return cells.at(ci).at(mi);
  }
  /// Every seed that missed the target, one line each.
  std::vector<std::string> failures() const {
    std::vector<std::string> out;
    for (const auto& col : cells)
      for (const auto& cell : col) out.insert(out.end(), cell.failures.begin(), cell.failures.end());
    return out;
  }
};

/// The table as markdown, preceded by a paragraph stating the target, seeds and tuning budget.
inline std::string fair_markdown(const FairTable& t, int seeds, const blockspec::lab::FairStudyOptions& o) {
  std::string s = "Steps to a " + short_number(o.target) + " relative loss gap: median [min-max] over " +
                  std::to_string(seeds) + " seeds (k/n: only k of n seeds reached it within " +
                  std::to_string(o.max_steps) + " steps; n.r.: the median seed did not).\n" +
                  "Tuning: lr on a log grid [" + short_number(o.lr_min) + ", " + short_number(o.lr_max) + "], " +
                  std::to_string(o.points_per_decade) + " per decade, refinement " +
                  (o.refine_points > 0 ? std::to_string(o.refine_points) + " rates per side" : std::string("off")) +
                  "; beta in {";
  for (std::size_t i = 0; i < o.betas.size(); ++i) s += (i ? ", " : "") + short_number(o.betas[i]);
  s += "} for heavy_ball_tuned, nesterov_tuned and adam (beta1); pruned at the best step count.\n\n| method |";
  for (const auto& c : t.columns) s += " " + c + " |";
  s += "\n|---|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) s += "---|";
  s += "\n";
  for (const auto& m : t.methods) {
    s += "| " + m + " |";
    for (const auto& c : t.columns) s += " " + t.at(c, m).text() + " |";
    s += "\n";
  }
  return s;
}

}  // namespace example
