// examples/cli/real_heterogeneity_args.hpp — the command line of examples/torch/real_heterogeneity
// and its model names, factored out of the example (which links LibTorch) so that
// tests/fuzz/fuzz_cli.cpp can parse the same options and names without LibTorch.
//
// A model name is tinygpt, tinycnn or mlp<spread>: "mlp" then decimal digits, spread an integer in
// [1, max_mlp_spread] (the ratio of the largest to the smallest layer scale of the scaled MLP).
// Sizes are bounded so that a typo cannot run for days: --probes, --steps <= 10000,
// --batches <= 1000, --train-steps <= 1000000, at most 64 models and 64 rates per grid.
#pragma once

#include <blockspec/error.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace real_heterogeneity_cli {

inline constexpr long long max_mlp_spread = 1'000'000;
inline constexpr std::size_t max_list = 64;

/// A parsed model name.
struct ModelName {
  enum class Kind { tinygpt, tinycnn, mlp } kind = Kind::tinygpt;
  double spread = 1.0;  ///< mlp only
};

/// Parses a model name, else invalid_argument naming it and the known names.
inline ModelName parse_model_name(const std::string& name) {
  if (name == "tinygpt") return {ModelName::Kind::tinygpt, 1.0};
  if (name == "tinycnn") return {ModelName::Kind::tinycnn, 1.0};
  if (name.size() > 3 && name.compare(0, 3, "mlp") == 0) {
    long long v = 0;
    const char* b = name.data() + 3;
    const char* e = name.data() + name.size();
    const auto r = std::from_chars(b, e, v);
    const bool digits = name.find_first_not_of("0123456789", 3) == std::string::npos;
    if (!digits || r.ec != std::errc() || r.ptr != e || v < 1 || v > max_mlp_spread)
      throw blockspec::invalid_argument("model '" + name + "': the MLP spread must be an integer in [1, " +
                                        std::to_string(max_mlp_spread) + "]");
    return {ModelName::Kind::mlp, static_cast<double>(v)};
  }
  throw blockspec::invalid_argument("unknown model '" + name +
                                    "' (known: tinygpt, tinycnn, mlp<spread> such as mlp1, mlp10, mlp100)");
}

struct Args {
  std::vector<std::string> models{"tinygpt", "tinycnn", "mlp1", "mlp10", "mlp100"};
  int probes = 5, steps = 50, train_steps = 300;
  std::size_t batches = 2;
  std::uint64_t seed = 0;
  std::vector<double> sgd_lrs{1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1};
  std::vector<double> adam_lrs{1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
  std::string out = "real_out", plot_script;
  bool check = false, no_plot = false, progress = false;
};

inline void add_options(CLI::App& app, Args& s) {
  app.add_option("--models", s.models, "models: tinygpt tinycnn mlp<spread> (e.g. mlp1 mlp10 mlp100)")
      ->capture_default_str();
  app.add_option("--probes", s.probes, "SLQ probes per block")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--steps", s.steps, "Lanczos steps per probe")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--batches", s.batches, "fixed batches of the Hessian")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))->capture_default_str();
  app.add_option("--train-steps", s.train_steps, "training steps per run")->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--sgd-lrs", s.sgd_lrs, "SGD (momentum 0.9) learning-rate grid")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--adam-lrs", s.adam_lrs, "Adam learning-rate grid")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", s.seed, "seed of weights, batches and probes")->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--plot-script", s.plot_script, "path of plot_real.py");
  app.add_flag("--no-plot", s.no_plot, "do not run the plotting script");
  app.add_flag("--progress", s.progress, "progress bar on stderr even when it is not a terminal");
  app.add_flag("--check", s.check, "check densities, JS0 and the HVP against finite differences; exit 1 on failure");
}

/// Cross-field checks after parsing: every model name parses, lists are non-empty and bounded,
/// and every rate is finite (CLI::PositiveNumber accepts inf).
inline void validate(const Args& s) {
  auto list = [](std::size_t size, const char* what) {
    if (size == 0 || size > max_list)
      throw blockspec::invalid_argument(std::string(what) + " has " + std::to_string(size) + " entries; expected 1 to " +
                                        std::to_string(max_list));
  };
  list(s.models.size(), "--models");
  list(s.sgd_lrs.size(), "--sgd-lrs");
  list(s.adam_lrs.size(), "--adam-lrs");
  for (const auto& m : s.models) (void)parse_model_name(m);
  for (const auto* grid : {&s.sgd_lrs, &s.adam_lrs})
    for (double lr : *grid)
      if (!std::isfinite(lr) || !(lr > 0.0))
        throw blockspec::invalid_argument("learning rate " + blockspec::detail::format_double(lr) +
                                          " in a rate grid is not finite and positive");
}

}  // namespace real_heterogeneity_cli
