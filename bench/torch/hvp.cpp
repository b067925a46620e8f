// bench/torch/hvp.cpp — blockspec's LibTorch adapter beside the usual Python tool (issue 12 §5).
//
//   bench_torch_hvp [--models tinygpt tinycnn] [--threads 1] [--reps 5] [--probes 2] [--steps 20]
//                   [--eig-tol 1e-8] [--out torch_bench] [--python /usr/bin/python3] [--no-reference]
//
// For each model (examples/torch/models.hpp, seed 0, float32, 2 Hessian batches) it
//  1. saves the weights and batches (models::save_problem) to OUT/<model>/problem/, so the Python
//     reference loads exactly the same problem;
//  2. times the block-HVP H_ll v (the mean over the 2 batches) of every >= 2-D parameter block:
//     cached mode (graph built once per batch, then retained: the steady-state cost) and recompute
//     mode (graph rebuilt for every product: the paper's code), `--reps` products each, after one
//     warm-up product;
//  3. times blockwise SLQ at --probes x --steps (every block, no full operator), in lockstep and
//     block by block, cached mode, graphs built inside the timed region;
//  4. runs extreme_eigenpairs (k = 1, largest, tol --eig-tol) on every block for the agreement check;
//  5. writes OUT/<model>/blockspec.csv (block, size, ms cached, ms recompute, lambda_max),
//     OUT/<model>/blockspec_slq.txt (seconds) and OUT/<model>/nodes/<i>.npy (2 x K: the pooled SLQ
//     nodes and weights of block i);
// then, unless --no-reference, runs bench/torch_reference.py on OUT (same thread count), which times
// the two Python modes, checks the agreement and prints the ratios (see that file).
// Threads: torch::set_num_threads(--threads) for LibTorch's intra-op pool; blockspec's probes run
// one after another (the operator is not thread_safe). Python does torch.set_num_threads likewise.
#include "../../examples/quadratic_output.hpp"
#include "../../examples/torch/models.hpp"

#include <blockspec/adapters/torch.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/krylov/eigs.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

struct Args {
  std::vector<std::string> models{"tinygpt", "tinycnn"};
  int threads = 1, reps = 5, probes = 2, steps = 20;
  double eig_tol = 1e-8;
  std::string out = "torch_bench", python = "/usr/bin/python3";
  bool reference = true;
};

Args parse(int argc, char** argv) {
  Args a;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw blockspec::invalid_argument(std::string("bench_torch_hvp: ") + argv[i] + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    if (f == "--models") {
      a.models.clear();
      while (i + 1 < argc && argv[i + 1][0] != '-') a.models.push_back(argv[++i]);
    } else if (f == "--threads") a.threads = std::stoi(value(i));
    else if (f == "--reps") a.reps = std::stoi(value(i));
    else if (f == "--probes") a.probes = std::stoi(value(i));
    else if (f == "--steps") a.steps = std::stoi(value(i));
    else if (f == "--eig-tol") a.eig_tol = std::stod(value(i));
    else if (f == "--out") a.out = value(i);
    else if (f == "--python") a.python = value(i);
    else if (f == "--no-reference") a.reference = false;
    else throw blockspec::invalid_argument("bench_torch_hvp: unknown option " + f);
  }
  blockspec::detail::require(a.threads > 0 && a.reps > 0 && a.probes > 0 && a.steps > 0 && a.eig_tol > 0.0,
                             "bench_torch_hvp", "--threads, --reps, --probes, --steps and --eig-tol must be positive");
  return a;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Milliseconds per product of `op` (after one warm-up product that builds any graph).
template <class Op>
double ms_per_product(Op op, int reps, std::mt19937_64& rng) {
  std::normal_distribution<double> z;
  Eigen::VectorXd x(op.rows()), y(op.rows());
  for (auto& e : x) e = z(rng);
  op.apply(x, y);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) op.apply(x, y);
  return 1e3 * seconds_since(t0) / reps;
}

void bench_model(const std::string& name, const Args& a) {
  const std::filesystem::path dir = std::filesystem::path(a.out) / name;
  auto p = models::make_problem(name, {.seed = 0, .hessian_batches = 2, .eval_batches = 1});
  models::save_problem(p, dir / "problem");
  blockspec::torch::HessianOperator cached(p.closure(), {.mode = blockspec::torch::GraphMode::cached});
  blockspec::torch::HessianOperator recompute(p.closure(), {.mode = blockspec::torch::GraphMode::recompute});
  const auto partition = cached.partition();
  std::mt19937_64 rng(1);
  std::vector<double> ms_c, ms_r, lmax;
  for (const auto& b : partition) {
    ms_c.push_back(ms_per_product(cached.principal_block(b), a.reps, rng));
    ms_r.push_back(ms_per_product(recompute.principal_block(b), a.reps, rng));
    auto op = cached.principal_block(b);
    const auto e = blockspec::extreme_eigenpairs(op, 1, {.which = blockspec::Which::largest, .tol = a.eig_tol,
                                                         .vectors = false});
    lmax.push_back(e.values.size() > 0 ? e.values(0) : std::numeric_limits<double>::quiet_NaN());
    std::printf("  %-8s %-28s n = %6lld  cached %7.2f ms  recompute %7.2f ms  lambda_max %.6e (%lld products)\n",
                name.c_str(), b.name.c_str(), static_cast<long long>(b.size), ms_c.back(), ms_r.back(), lmax.back(),
                static_cast<long long>(e.matvecs));
  }
  const blockspec::BlockwiseOptions bo{.slq = {.probes = a.probes, .steps = a.steps}, .full_operator = false};
  cached.release_graphs();
  auto t0 = std::chrono::steady_clock::now();
  const auto lock = blockspec::torch::lockstep_blockwise_spectra(cached, partition, bo);
  const double t_lock = seconds_since(t0);
  cached.release_graphs();
  t0 = std::chrono::steady_clock::now();
  const auto seq = blockspec::blockwise_spectra(cached, partition, bo);
  const double t_seq = seconds_since(t0);
  std::printf("  %-8s blockwise SLQ %d x %d: lockstep %.2f s, block by block %.2f s\n", name.c_str(), a.probes,
              a.steps, t_lock, t_seq);

  std::filesystem::create_directories(dir / "nodes");
  std::ofstream csv(dir / "blockspec.csv");
  csv << "block,size,ms_cached,ms_recompute,lambda_max\n";
  for (std::size_t i = 0; i < partition.size(); ++i) {
    const auto& b = partition.blocks()[i];
    char line[256];
    std::snprintf(line, sizeof line, "%s,%lld,%.6g,%.6g,%.17g\n", b.name.c_str(), static_cast<long long>(b.size),
                  ms_c[i], ms_r[i], lmax[i]);
    csv << line;
    const auto q = lock.quadratures[i].pooled();
    Eigen::MatrixXd nw(q.nodes.size(), 2);
    nw.col(0) = q.nodes;
    nw.col(1) = q.weights;
    blockspec::write_npy(dir / "nodes" / (std::to_string(i) + ".npy"), nw);
  }
  std::ofstream(dir / "blockspec_slq.txt") << "lockstep_seconds " << t_lock << "\nblock_by_block_seconds " << t_seq
                                           << "\nprobes " << a.probes << "\nsteps " << a.steps << "\nthreads "
                                           << a.threads << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    torch::set_num_threads(a.threads);
    std::printf("bench_torch_hvp: LibTorch %d.%d, intra-op threads %d\n", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR,
                torch::get_num_threads());
    for (const auto& m : a.models) bench_model(m, a);
    if (!a.reference) return 0;
    const std::filesystem::path script = std::filesystem::path(BLOCKSPEC_SOURCE_DIR) / "bench" / "torch_reference.py";
    std::string cmd = example::shell_quote(a.python) + " " + example::shell_quote(script.string()) + " --dir " +
                      example::shell_quote(a.out) + " --threads " +
                      std::to_string(a.threads) + " --reps " + std::to_string(a.reps) + " --probes " +
                      std::to_string(a.probes) + " --steps " + std::to_string(a.steps) + " --models";
    for (const auto& m : a.models) cmd += " " + example::shell_quote(m);
    std::printf("running the Python reference: %s\n", cmd.c_str());
    std::fflush(stdout);
    return std::system(cmd.c_str()) == 0 ? 0 : 1;
  } catch (const models::missing_data& e) {
    std::fprintf(stderr, "SKIP: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
