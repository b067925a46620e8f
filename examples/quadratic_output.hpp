// examples/quadratic_output.hpp — helpers shared by quadratic_lab and reproduce_paper:
// writing run traces (CSV and .npy), a progress bar on stderr, and running a plotting script.
#pragma once

#include <blockspec/io/csv.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/optim/runner.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace example {

/// Writes `trace` as DIR/STEM.csv and DIR/STEM.npy, both atomically. Columns (the .npy is the
/// (records x columns) matrix of the same numbers): step, loss_gap, relative_gap, gradient_norm,
/// then grad_norm_<block> per block.
inline void write_trace(const std::filesystem::path& dir, const std::string& stem, const blockspec::RunTrace& t) {
  std::filesystem::create_directories(dir);
  const std::size_t rows = t.record_step.size();
  const auto nb = static_cast<std::size_t>(t.block_gradient_norms.cols());
  blockspec::CsvTable table;
  std::vector<std::int64_t> steps(t.record_step.begin(), t.record_step.end());
  table.add_column("step", steps);
  table.add_column("loss_gap", t.loss_gap);
  table.add_column("relative_gap", t.relative_gap);
  table.add_column("gradient_norm", t.gradient_norm);
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(4 + nb));
  for (std::size_t r = 0; r < rows; ++r) {
    const auto i = static_cast<Eigen::Index>(r);
    m(i, 0) = t.record_step[r];
    m(i, 1) = t.loss_gap[r];
    m(i, 2) = t.relative_gap[r];
    m(i, 3) = t.gradient_norm[r];
  }
  for (std::size_t b = 0; b < nb; ++b) {
    std::vector<double> col(rows);
    for (std::size_t r = 0; r < rows; ++r)
      col[r] = t.block_gradient_norms(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(b));
    m.col(static_cast<Eigen::Index>(4 + b)) = Eigen::Map<const Eigen::VectorXd>(col.data(), static_cast<Eigen::Index>(rows));
    table.add_column("grad_norm_" + t.block_names[b], col);
  }
  blockspec::write_csv(dir / (stem + ".csv"), table);
  blockspec::write_npy(dir / (stem + ".npy"), m);
}

/// A one-line progress bar on stderr, shown only when stderr is a terminal or when forced.
class ProgressBar {
 public:
  explicit ProgressBar(bool force) : enabled_(force || isatty(STDERR_FILENO) == 1) {}
  bool enabled() const noexcept { return enabled_; }
  /// Draws `label` and done/total; redraws at most ~100 times per bar.
  void update(const std::string& label, long done, long total) {
    if (!enabled_ || total <= 0) return;
    const int pct = static_cast<int>(100 * done / total);
    if (pct == last_pct_ && label == last_label_ && done != total) return;
    last_pct_ = pct;
    last_label_ = label;
    const int width = 30, fill = width * pct / 100;
    std::fprintf(stderr, "\r%-28.28s [%s%s] %3d%% (%ld/%ld)", label.c_str(), std::string(static_cast<std::size_t>(fill), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - fill), ' ').c_str(), pct, done, total);
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_ && last_pct_ >= 0) std::fprintf(stderr, "\n");
    last_pct_ = -1;
    last_label_.clear();
  }

 private:
  bool enabled_;
  int last_pct_ = -1;
  std::string last_label_;
};

/// The first existing path among `candidates` (empty when none exists).
inline std::filesystem::path first_existing(const std::vector<std::filesystem::path>& candidates) {
  for (const auto& p : candidates)
    if (!p.empty() && std::filesystem::exists(p)) return p;
  return {};
}

/// Runs `PYTHON SCRIPT ARGS` with the first of python3 (PATH) and /usr/bin/python3 that can
/// import numpy and matplotlib; returns a line saying what happened.
/// `s` as one POSIX shell word: in single quotes, each ' written as '\'' (so a path with a quote,
/// a space or a $ reaches the script as it is, and never runs as a command).
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `script` with python3 and `args` (already shell-quoted words, see shell_quote).
inline std::string run_plot_script(const std::filesystem::path& script, const std::string& args) {
  if (script.empty()) return "plots skipped: plotting script not found";
  std::string python;
  for (const char* candidate : {"python3", "/usr/bin/python3"})
    if (std::system((std::string(candidate) + " -c 'import numpy, matplotlib' >/dev/null 2>&1").c_str()) == 0) {
      python = candidate;
      break;
    }
  if (python.empty()) return "plots skipped: no python3 with numpy and matplotlib";
  const std::string cmd = python + " " + shell_quote(script.string()) + " " + args;
  if (std::system(cmd.c_str()) != 0) return "plots failed: " + cmd;
  return "plots written by " + script.filename().string();
}

}  // namespace example
