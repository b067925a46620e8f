// deep_linear: optimizers on a deep linear network, where blocks are matrices and AGD's theory holds.
//
//   deep_linear [--depth 3] [--width 64] [--samples 128] [--condition 10] [--seed 0]
//               [--target 1e-3] [--max-steps 8000] [--out deep_linear_out]
//
// The problem is blockspec::DeepLinearNetwork (optim/deep_linear.hpp): f = ‖W_L ⋯ W_1 X − T X‖² /
// (2 N d_L), AGD's orthogonal initialization, f* = 0. It runs
//   agd              Automatic Gradient Descent as published: no learning rate (lr = 1, gain 1)
//   gd, adam, muon   each tuned by one procedure (log grid 1e-4..100, 4 per decade, pruned)
//   heavy_ball       tuned over lr and beta in {0.5, 0.9, 0.95, 0.99}
// and prints steps to --target relative loss, the rate chosen, and the Hessian's extreme
// eigenvalues at the initial point (Lanczos on the exact Hessian). It writes
// OUT/trace_<method>.csv (step, relative loss) for plot_deep_linear.py.
#include <blockspec/blockspec.hpp>
#include <blockspec/io/csv.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct Row {
  std::string method;
  double lr = 1.0;
  std::optional<double> beta{};
  bool tuned = false;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Optimizers on a deep linear network (matrix blocks; AGD without a learning rate)"};
  int depth = 3, width = 64, max_steps = 8000;
  Eigen::Index samples = 128;
  double condition = 10.0, target = 1e-3;
  std::uint64_t seed = 0;
  std::string out = "deep_linear_out";
  app.add_option("--depth", depth, "layers L")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--width", width, "every width d_0 = ... = d_L")->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--samples", samples, "inputs N")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--condition", condition, "condition number of the teacher")->check(CLI::Range(1.0, 1e12))->capture_default_str();
  app.add_option("--seed", seed, "data, teacher and initial point")->capture_default_str();
  app.add_option("--target", target, "relative loss to reach")->check(CLI::Range(1e-12, 0.5))->capture_default_str();
  app.add_option("--max-steps", max_steps, "step cap of every run")->check(CLI::Range(1, 10000000))->capture_default_str();
  app.add_option("--out", out, "output directory")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    const blockspec::DeepLinearNetwork p({.widths = std::vector<Eigen::Index>(static_cast<std::size_t>(depth) + 1, width),
                                          .samples = samples, .teacher_condition = condition, .seed = seed});
    std::printf("deep linear network: depth %d, width %d, %lld samples, teacher condition %g, n = %lld, seed %llu\n",
                depth, width, static_cast<long long>(samples), condition, static_cast<long long>(p.dimension()),
                static_cast<unsigned long long>(seed));
    auto H = p.hessian_at(p.initial_point());
    const auto top = blockspec::extreme_eigenpairs(H, 1, {.which = blockspec::Which::largest, .tol = 1e-8});
    const auto bottom = blockspec::extreme_eigenpairs(H, 1, {.which = blockspec::Which::smallest, .tol = 1e-8});
    std::printf("Hessian at the initial point: lambda_max %.4g, lambda_min %.4g (indefinite away from the optimum)\n\n",
                top.values(0), bottom.values(0));

    const blockspec::RunOptions base{.max_steps = max_steps, .target = target, .record_every = 10};
    const blockspec::TuneOptions tune{.lr_min = 1e-4, .lr_max = 100.0, .points_per_decade = 4, .run = base};
    std::vector<Row> rows;
    std::vector<blockspec::RunTrace> traces;
    auto final_run = [&](Row row, auto optimizer) {
      blockspec::RunOptions ro = base;
      ro.lr = row.lr;
      traces.push_back(blockspec::run(p, optimizer, ro));
      rows.push_back(std::move(row));
    };
    final_run({"agd", 1.0, {}, false}, blockspec::Agd{});
    auto tuned = [&](const std::string& name, auto factory) {
      const auto r = blockspec::tune_learning_rate(p, factory, tune);
      if (!r.best_lr) {
        std::printf("%-10s %s\n", name.c_str(), r.message().c_str());
        return;
      }
      final_run({name, *r.best_lr, {}, true}, factory());
    };
    tuned("gd", [] { return blockspec::Gd(); });
    tuned("adam", [] { return blockspec::Adam(); });
    tuned("muon", [] { return blockspec::Muon(); });
    {
      const auto r = blockspec::tune_momentum(p, [](double b) { return blockspec::HeavyBall({.momentum = b}); },
                                              {0.5, 0.9, 0.95, 0.99}, tune);
      if (r.best_lr) final_run({"heavy_ball", *r.best_lr, r.best_beta, true}, blockspec::HeavyBall({.momentum = *r.best_beta}));
      else std::printf("%-10s %s\n", "heavy_ball", r.message().c_str());
    }

    std::filesystem::create_directories(out);
    std::printf("| method | steps to %g | lr | beta |\n|---|---|---|---|\n", target);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& t = traces[i];
      std::printf("| %s | %s | %.4g%s | %s |\n", rows[i].method.c_str(),
                  t.reached() ? std::to_string(t.steps_to_target).c_str() : "not reached", rows[i].lr,
                  rows[i].tuned ? " (tuned)" : " (none: the method sets its own)",
                  rows[i].beta ? std::to_string(*rows[i].beta).c_str() : "-");
      blockspec::CsvTable csv;
      csv.add_column("step", std::vector<std::int64_t>(t.record_step.begin(), t.record_step.end()));
      csv.add_column("relative_loss", t.relative_gap);
      blockspec::write_csv(out + "/trace_" + rows[i].method + ".csv", csv);
    }
    std::printf("\nwrote %s/trace_<method>.csv\n", out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deep_linear: %s\n", e.what());
    return 1;
  }
  return 0;
}
