// The error contract of every public entry point, as a table that is both the test and the
// documentation: docs/errors.md is rendered from the rows below, and this test fails when the
// committed file differs (regenerate with BLOCKSPEC_WRITE_ERRORS_MD=1, see the end of the file).
//
// Each row names an entry point and makes claims of two kinds: "this bad argument throws this
// type, and the message names it" (the needle must appear in what()), and "this is what happens
// to a non-finite input". Every claim is executed; none is prose only. No tolerances: the claims
// are about exception types and message text.
#include <blockspec/blockspec.hpp>
#include <blockspec/io/io.hpp>
#include <blockspec/lab/lab.hpp>

#include <doctest/doctest.h>

#include <Eigen/Sparse>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace blockspec;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct Claim {
  std::string text;              ///< the row's wording, rendered into docs/errors.md
  std::function<void()> check;   ///< runs the claim; fails the test when it does not hold
};

struct Entry {
  std::string name, header;
  std::vector<Claim> errors;      ///< documented exceptions
  std::vector<Claim> non_finite;  ///< what a NaN / Inf input does
};

template <class E>
const char* type_name() {
  if constexpr (std::is_same_v<E, invalid_argument>) return "invalid_argument";
  else if constexpr (std::is_same_v<E, numerical_error>) return "numerical_error";
  else return "io_error";
}

/// "`what` → E": f() must throw exactly E (not a base or sibling), whose message contains needle.
template <class E, class F>
Claim throws(std::string what, std::string needle, F f) {
  std::string text = what + " → `" + type_name<E>() + "`";
  return {text, [text, needle, f] {
            INFO(text);
            bool thrown = false;
            try {
              f();
            } catch (const E& e) {
              thrown = true;
              const std::string msg = e.what();
              if (std::getenv("BLOCKSPEC_CONTRACT_VERBOSE")) MESSAGE(text << "\n    " << msg);
              INFO("message: " << msg);
              CHECK(msg.find(needle) != std::string::npos);
            } catch (const std::exception& e) {
              FAIL_CHECK("threw another type: " << e.what());
              return;
            }
            CHECK(thrown);
          }};
}

/// A non-throwing claim: f() must return true.
template <class F>
Claim holds(std::string text, F f) {
  return {text, [text, f] {
            INFO(text);
            try {
              CHECK(f());
            } catch (const std::exception& e) {
              FAIL_CHECK("threw: " << e.what());
            }
          }};
}

Eigen::MatrixXd spd(int n) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) a(i, i) = 1.0 + i;
  return a;
}

SpectralQuadrature small_quadrature() {
  static const Eigen::MatrixXd a = spd(8);
  return slq(dense_operator(a), {.probes = 4, .steps = 8, .seed = 1});
}

/// The quadrature of an indefinite matrix: eigenvalues -3, ..., 4 (spd(8) shifted by -4).
SpectralQuadrature indefinite_quadrature() {
  static const Eigen::MatrixXd a = spd(8) - 4.0 * Eigen::MatrixXd::Identity(8, 8);
  return slq(dense_operator(a), {.probes = 2, .steps = 8, .seed = 1});
}

/// An operator of size n whose products hold a NaN.
auto nan_operator(int n) {
  return make_operator(n, [](const Eigen::VectorXd& x, Eigen::VectorXd& y) {
    y = x;
    y(0) = nan_v;
  });
}

std::filesystem::path scratch(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::path("contract-" + name);  // the test's own scratch directory
  std::ofstream(p) << text;
  return p;
}

std::vector<Entry> krylov_entries() {
  const Eigen::MatrixXd a = spd(6);
  Eigen::VectorXd ones = Eigen::VectorXd::Ones(6);
  return {
      {"lanczos(op, start, options)",
       "krylov/lanczos.hpp",
       {throws<invalid_argument>("start of the wrong length", "start vector has length 5 but the operator has 6 rows", [a] {
          (void)lanczos(dense_operator(a), Eigen::VectorXd::Ones(5));
        }),
        throws<invalid_argument>("a zero start vector", "start vector is zero", [a] {
          (void)lanczos(dense_operator(a), Eigen::VectorXd::Zero(6));
        }),
        throws<invalid_argument>("`steps = 0`", "steps must be positive, got 0", [a, ones] {
          (void)lanczos(dense_operator(a), ones, {.steps = 0});
        })},
       {throws<invalid_argument>("a NaN in the start vector", "start vector has a non-finite entry", [a, ones] {
          Eigen::VectorXd s = ones;
          s(2) = nan_v;
          (void)lanczos(dense_operator(a), s);
        }),
        throws<numerical_error>("an operator whose product holds NaN", "non-finite", [ones] {
          (void)lanczos(nan_operator(6), ones, {.steps = 3});
        })}},
      {"batched_lanczos(op, starts, options)",
       "krylov/batched_lanczos.hpp",
       {throws<invalid_argument>("starts with the wrong number of rows", "starts have 5 rows", [a] {
          (void)batched_lanczos(dense_operator(a), Eigen::MatrixXd::Ones(5, 2));
        })},
       {throws<invalid_argument>("an Inf in a start column", "start column 1 has a non-finite entry", [a] {
          Eigen::MatrixXd s = Eigen::MatrixXd::Ones(6, 2);
          s(1, 1) = inf_v;
          (void)batched_lanczos(dense_operator(a), s);
        })}},
      {"extreme_eigenpairs(op, k, options)",
       "krylov/eigs.hpp",
       {throws<invalid_argument>("`k` larger than the dimension", "exceeds the dimension", [a] {
          (void)extreme_eigenpairs(dense_operator(a), 7);
        }),
        throws<invalid_argument>("`tol = 0`", "tol must be positive and finite, got 0", [a] {
          (void)extreme_eigenpairs(dense_operator(a), 2, {.tol = 0.0});
        }),
        throws<invalid_argument>("`check_symmetry` on a non-symmetric operator", "symmetr", [] {
          Eigen::MatrixXd b = spd(6);
          b(0, 5) = 1.0;
          (void)extreme_eigenpairs(dense_operator(b), 2, {.check_symmetry = true});
        }),
        holds("no convergence within `max_matvecs` is a status, not an exception", [] {
          const Eigen::MatrixXd b = spd(60);
          const auto r = extreme_eigenpairs(dense_operator(b), 3, {.max_matvecs = 12});
          return r.converged < 3;
        })},
       {throws<numerical_error>("an operator whose product holds NaN", "non-finite", [] {
          (void)extreme_eigenpairs(nan_operator(6), 2);
        })}},
      {"tridiagonal_eigen(diag, offdiag)",
       "krylov/quadrature.hpp",
       {throws<invalid_argument>("`offdiag` not one shorter than `diag`", "offdiag", [] {
          (void)tridiagonal_eigen(Eigen::VectorXd::Ones(3), Eigen::VectorXd::Ones(3));
        })},
       {throws<invalid_argument>("a NaN on the diagonal", "finite", [] {
          Eigen::VectorXd d = Eigen::VectorXd::Ones(3);
          d(1) = nan_v;
          (void)tridiagonal_eigen(d, Eigen::VectorXd::Ones(2));
        })}},
  };
}

std::vector<Entry> spectral_entries() {
  const Eigen::MatrixXd a = spd(8);
  return {
      {"slq(op, options)",
       "spectral/slq.hpp",
       {throws<invalid_argument>("`probes = 0`", "probes must be positive, got 0", [a] {
          (void)slq(dense_operator(a), {.probes = 0});
        }),
        throws<invalid_argument>("`threads = 0`", "threads must be positive, got 0", [a] {
          (void)slq(dense_operator(a), {.threads = 0});
        }),
        throws<invalid_argument>("`check_symmetry` on a non-symmetric operator", "symmetr", [] {
          Eigen::MatrixXd b = spd(8);
          b(0, 7) = 1.0;
          (void)slq(dense_operator(b), {.probes = 2, .check_symmetry = true});
        })},
       {throws<numerical_error>("an operator whose product holds NaN", "non-finite", [] {
          (void)slq(nan_operator(8), {.probes = 2, .steps = 4});
        })}},
      {"density(q, options)",
       "spectral/density.hpp",
       {throws<invalid_argument>("an empty quadrature", "no probes", [] { (void)density(SpectralQuadrature{}); }),
        throws<invalid_argument>("a negative kernel width", "width.value (the kernel width) must be finite and positive, got -1", [] {
          DensityOptions o;
          o.width.value = -1.0;
          (void)density(small_quadrature(), o);
        }),
        throws<invalid_argument>("`boundary = reflect_at_zero` with `kernel = log_gaussian`", "no mass below 0 to reflect", [] {
          DensityOptions o;
          o.kernel = KernelKind::log_gaussian;
          o.boundary = Boundary::reflect_at_zero;
          (void)density(small_quadrature(), o);
        }),
        throws<invalid_argument>("`kernel = log_gaussian` on a spectrum with negative nodes",
                                 "kernel = log_gaussian needs positive nodes", [] {
          DensityOptions o;
          o.kernel = KernelKind::log_gaussian;
          (void)density(indefinite_quadrature(), o);
        }),
        throws<invalid_argument>("`boundary = reflect_at_zero` on a spectrum with negative nodes",
                                 "reflect_at_zero needs nodes >= 0", [] {
          DensityOptions o;
          o.boundary = Boundary::reflect_at_zero;
          (void)density(indefinite_quadrature(), o);
        }),
        throws<invalid_argument>("a kernel narrower than half the grid spacing at a node",
                                 "less than half the grid spacing", [] {
          (void)density(small_quadrature(), Grid::linear(0, 10, 11), GaussianKernel{0.01});
        })},
       {throws<invalid_argument>("a NaN kernel width", "got nan", [] {
          DensityOptions o;
          o.width.value = nan_v;
          (void)density(small_quadrature(), o);
        })}},
      {"trace_estimate(q, f), trace_of, schatten_norm, eigenvalue_count",
       "spectral/trace.hpp",
       {throws<invalid_argument>("`confidence = 1`", "confidence must be in (0, 1), got 1", [] {
          (void)trace_of(small_quadrature(), 1.0);
        }),
        throws<invalid_argument>("`schatten_norm` with `p = 0`", "the order p must be finite and positive, got 0", [] {
          (void)schatten_norm(small_quadrature(), 0.0);
        }),
        throws<invalid_argument>("`eigenvalue_count` with `a > b`", "got [2, 1]", [] {
          (void)eigenvalue_count(small_quadrature(), 2.0, 1.0);
        })},
       {throws<invalid_argument>("`f` returning NaN at a Ritz value (f is not defined on the spectrum)", "Ritz value", [] {
          (void)trace_estimate(small_quadrature(), [](double) { return nan_v; });
        })}},
      {"logdet(q), trace_inverse(q)",
       "spectral/trace.hpp",
       {throws<invalid_argument>("`logdet` of a singular matrix (a Ritz value below n·ε·‖H‖)", "singular", [] {
          Eigen::MatrixXd s = spd(8);
          s(0, 0) = 0.0;
          (void)logdet(slq(dense_operator(s), {.probes = 4, .steps = 8}));
        }),
        throws<invalid_argument>("`trace_inverse` of an indefinite matrix", "H is not definite", [] {
          Eigen::MatrixXd s = spd(8);
          s(0, 0) = -1.0;
          (void)trace_inverse(slq(dense_operator(s), {.probes = 4, .steps = 8}));
        }),
        holds("a quadrature that has not converged sets `quadrature_warning` and `warning`, no exception", [] {
          Eigen::VectorXd d(200);
          for (int i = 0; i < 200; ++i) d(i) = std::pow(10.0, -10.0 + 10.0 * i / 199.0);
          const Eigen::MatrixXd m = d.asDiagonal();
          const auto e = trace_inverse(slq(dense_operator(m), {.probes = 4, .steps = 12}));
          return e.quadrature_warning && !e.warning.empty();
        })},
       {throws<invalid_argument>("a quadrature holding a NaN node", "non-finite Ritz value nan", [] {
          auto q = small_quadrature();
          q.probes[0].nodes(0) = nan_v;
          (void)logdet(q);
        })}},
      {"slq_adaptive(op, f, options, adaptive)",
       "spectral/slq.hpp",
       {throws<invalid_argument>("`rel_tolerance = 0` and `abs_tolerance = 0`", "abs_tolerance or rel_tolerance must be positive", [a] {
          (void)slq_adaptive(dense_operator(a), [](double x) { return x; }, {.probes = 2},
                             AdaptiveOptions{.abs_tolerance = 0.0, .rel_tolerance = 0.0});
        })},
       {throws<invalid_argument>("`f` returning Inf at a Ritz value", "non-finite", [a] {
          (void)slq_adaptive(dense_operator(a), [](double) { return inf_v; }, {.probes = 2});
        })}},
      {"hutchinson_trace(op, options)",
       "spectral/hutchinson.hpp",
       {throws<invalid_argument>("`probes = 0`", "probes must be positive, got 0", [a] {
          (void)hutchinson_trace(dense_operator(a), {.probes = 0});
        })},
       {throws<numerical_error>("an operator whose product holds NaN", "non-finite", [] {
          (void)hutchinson_trace(nan_operator(8), {.probes = 4});
        })}},
  };
}

std::vector<Entry> analysis_entries() {
  return {
      {"blockwise_spectra(op, partition, options)",
       "analysis/blockwise.hpp",
       {throws<invalid_argument>("a partition of another dimension", "the partition's dimension 6 differs from the operator's 8", [] {
          const Eigen::MatrixXd a = spd(8);
          (void)blockwise_spectra(dense_operator(a), BlockPartition::uniform(3, 2));
        })},
       {throws<numerical_error>("an operator whose product holds NaN", "non-finite", [] {
          (void)blockwise_spectra(nan_operator(8), BlockPartition::uniform(2, 4), {.slq = {.probes = 2, .steps = 3}});
        })}},
      {"js_distance(p, q), js_divergence, js_distance_matrix, heterogeneity",
       "distance/divergence.hpp, distance/matrix.hpp",
       {throws<invalid_argument>("densities on different grids", "different grids", [] {
          const auto q = small_quadrature();
          (void)js_distance(density(q, Grid::linear(0, 10, 101), GaussianKernel{0.5}),
                            density(q, Grid::linear(0, 10, 51), GaussianKernel{0.5}));
        }),
        throws<invalid_argument>("raw weights of different lengths", "different lengths (2 and 1)", [] {
          const std::vector<double> p{0.5, 0.5}, q{1.0};
          (void)js_divergence(p, q);
        })},
       {throws<invalid_argument>("a NaN weight", "p[1] is not finite", [] {
          const std::vector<double> p{0.5, nan_v}, q{0.5, 0.5};
          (void)js_divergence(p, q);
        })}},
      {"wasserstein1(a, b)",
       "distance/wasserstein.hpp",
       {throws<invalid_argument>("negative weights", "weights[1] is negative (-0.5)", [] {
          const std::vector<double> x{0.0, 1.0}, w{1.5, -0.5};
          (void)wasserstein1(x, w, x, w);
        })},
       {throws<invalid_argument>("a NaN node", "node 1 is not finite", [] {
          const std::vector<double> x{0.0, nan_v}, w{0.5, 0.5};
          (void)wasserstein1(x, w, x, w);
        })}},
  };
}

std::vector<Entry> operator_entries() {
  return {
      {"dense_operator(M), sparse_operator(M)",
       "operator/matrix.hpp",
       {throws<invalid_argument>("a non-square matrix", "must be square and non-empty, got 3x4", [] {
          (void)dense_operator(Eigen::MatrixXd::Ones(3, 4));
        }),
        throws<invalid_argument>("a non-square sparse matrix", "must be square and non-empty, got 3x4", [] {
          (void)sparse_operator(Eigen::SparseMatrix<double>(3, 4));
        })},
       {holds("not checked: a NaN entry propagates to the products, and the algorithms then throw "
              "`numerical_error`",
              [] {
                Eigen::MatrixXd m = spd(4);
                m(1, 1) = nan_v;
                try {
                  (void)slq(dense_operator(m), {.probes = 2, .steps = 3});
                } catch (const numerical_error&) {
                  return true;
                }
                return false;
              })}},
      {"make_operator(n, f)",
       "operator/lambda.hpp",
       {throws<invalid_argument>("`n = 0`", "dimension n must be positive, got 0", [] {
          (void)make_operator(0, [](const Eigen::VectorXd& x, Eigen::VectorXd& y) { y = x; });
        })},
       {holds("not checked at construction; the algorithms throw `numerical_error` on a non-finite product", [] {
          try {
            (void)slq(nan_operator(4), {.probes = 2, .steps = 2});
          } catch (const numerical_error&) {
            return true;
          }
          return false;
        })}},
      {"hvp_from_gradient(grad, w, h)",
       "operator/finite_difference.hpp",
       {throws<invalid_argument>("an empty point", "the point w must be non-empty", [] {
          const Eigen::VectorXd w(0);
          (void)hvp_from_gradient([](const Eigen::VectorXd& v) -> Eigen::VectorXd { return v; }, w);
        }),
        throws<invalid_argument>("a negative step `h`", "step h", [] {
          const Eigen::VectorXd w = Eigen::VectorXd::Ones(3);
          (void)hvp_from_gradient([](const Eigen::VectorXd& v) -> Eigen::VectorXd { return v; }, w, -1.0);
        })},
       {throws<invalid_argument>("a NaN in `w`", "the point w must be finite", [] {
          Eigen::VectorXd w = Eigen::VectorXd::Ones(3);
          w(0) = nan_v;
          (void)hvp_from_gradient([](const Eigen::VectorXd& v) -> Eigen::VectorXd { return v; }, w);
        })}},
      {"BlockPartition::from_sizes, uniform; principal_block(op, block)",
       "operator/block.hpp",
       {throws<invalid_argument>("a zero block size", "block 'a': size must be positive", [] { (void)BlockPartition::from_sizes({{"a", 0}}); }),
        throws<invalid_argument>("`uniform` sizes whose total overflows", "overflow", [] {
          (void)BlockPartition::uniform(4, std::numeric_limits<Eigen::Index>::max() / 2);
        }),
        throws<invalid_argument>("a block outside the operator", "block 'b' offset 2 + size 3", [] {
          const Eigen::MatrixXd a = spd(4);
          (void)principal_block(dense_operator(a), Block{"b", 2, 3});
        })},
       {}},
      {"symmetry_error(op, trials), require_symmetric(op, trials, tol, where)",
       "operator/symmetry.hpp",
       {throws<invalid_argument>("`trials = 0`", "trials must be positive, got 0", [] {
          const Eigen::MatrixXd a = spd(4);
          (void)symmetry_error(dense_operator(a), 0);
        }),
        throws<invalid_argument>("a non-symmetric operator (`require_symmetric`)", "exceeds the tolerance", [] {
          Eigen::MatrixXd b = spd(4);
          b(0, 3) = 1.0;
          require_symmetric(dense_operator(b), 3, 0.0, "test");
        })},
       {throws<numerical_error>("an operator whose product holds NaN", "non-finite", [] {
          (void)symmetry_error(nan_operator(4));
        })}},
  };
}

std::vector<Entry> quadratic_entries() {
  return {
      {"block_spectrum(name, spec, seed), map_pooled",
       "quadratic/spectrum.hpp",
       {throws<invalid_argument>("`LogUniformSpectrum` with `lo <= 0`", "lo must be positive, got 0", [] {
          (void)block_spectrum("b", LogUniformSpectrum{4, 0.0, 1.0}, 0);
        }),
        throws<invalid_argument>("`map_pooled` with `hi < lo`", "got lo = 2, hi = 1", [] {
          (void)map_pooled({block_spectrum("b", UniformSpectrum{4, 1.0, 2.0}, 0)}, 2.0, 1.0);
        })},
       {throws<invalid_argument>("a NaN eigenvalue in `ExplicitSpectrum`", "value entry 1 is nan", [] {
          Eigen::VectorXd v = Eigen::VectorXd::Ones(3);
          v(1) = nan_v;
          (void)block_spectrum("b", ExplicitSpectrum{v}, 0);
        })}},
      {"make_block_quadratic(spectra, seed), paper_case(c, seed)",
       "quadratic/block_quadratic.hpp, quadratic/presets.hpp",
       {throws<invalid_argument>("no blocks", "no blocks given", [] { (void)make_block_quadratic({}, 0); }),
        throws<invalid_argument>("`paper_case(5)`", "1, 2, 3 or 4, got 5", [] { (void)paper_case(5); })},
       {}},
  };
}

/// A two-block quadratic for the optimizer rows.
BlockQuadratic<double> tiny_quadratic() {
  return make_block_quadratic(
      {block_spectrum("a", UniformSpectrum{3, 1.0, 2.0}, 0), block_spectrum("b", UniformSpectrum{3, 1.0, 4.0}, 1)}, 0);
}

std::vector<Entry> optim_entries() {
  return {
      {"run(problem, optimizer, options)",
       "optim/runner.hpp",
       {throws<invalid_argument>("no learning rate (`lr = 0`)", "learning rate (lr) must be finite and > 0, got 0", [] {
          Gd gd;
          (void)run(tiny_quadratic(), gd, {});
        }),
        throws<invalid_argument>("`record_every = 0`", "record_every must be positive, got 0", [] {
          Gd gd;
          (void)run(tiny_quadratic(), gd, {.lr = 0.1, .record_every = 0});
        }),
        throws<invalid_argument>("`divergence_factor = 1`", "got 1", [] {
          Gd gd;
          (void)run(tiny_quadratic(), gd, {.lr = 0.1, .divergence_factor = 1.0});
        }),
        holds("divergence is a status (`diverged`), not an exception", [] {
          Gd gd;
          return run(tiny_quadratic(), gd, {.lr = 100.0, .max_steps = 200}).status == RunStatus::diverged;
        })},
       {throws<invalid_argument>("a NaN `target`", "target must be finite and >= 0, got nan", [] {
          Gd gd;
          (void)run(tiny_quadratic(), gd, {.lr = 0.1, .target = nan_v});
        }),
        throws<invalid_argument>("a NaN in `initial_point`", "initial_point entry 0 is nan", [] {
          Gd gd;
          Eigen::VectorXd w = Eigen::VectorXd::Ones(6);
          w(0) = nan_v;
          (void)run(tiny_quadratic(), gd, {.lr = 0.1, .initial_point = w});
        })}},
      {"tune_learning_rate(problem, factory, options)",
       "optim/tune.hpp",
       {throws<invalid_argument>("`lr_max < lr_min`", "lr_max must be finite and >= lr_min = 1, got 0.1", [] {
          (void)tune_learning_rate(tiny_quadratic(), [] { return Gd{}; }, {.lr_min = 1.0, .lr_max = 0.1});
        }),
        throws<invalid_argument>("a grid of more than 100000 rates", "more than 100000 rates", [] {
          (void)tune_learning_rate(tiny_quadratic(), [] { return Gd{}; },
                                   {.lr_min = 1e-300, .lr_max = 1e300, .points_per_decade = 1000000});
        }),
        holds("no rate reaching the target is a status (`best_lr` empty, never NaN) with a message naming the grid", [] {
          const auto r = tune_learning_rate(tiny_quadratic(), [] { return Gd{}; },
                                            {.lr_min = 50.0, .lr_max = 100.0, .run = {.max_steps = 20}});
          return !r.reached() && !r.best_lr.has_value() && r.message().find("none of lr") != std::string::npos;
        })},
       {throws<invalid_argument>("a NaN `lr_min`", "lr_min must be finite and > 0, got nan", [] {
          (void)tune_learning_rate(tiny_quadratic(), [] { return Gd{}; }, {.lr_min = nan_v});
        })}},
      {"AdamOptions, Schedule, the optimizers' options",
       "optim/adam.hpp, optim/schedule.hpp",
       {throws<invalid_argument>("`beta1 = 1`", "beta1 must be in [0, 0.999999999], got 1", [] {
          Adam adam{AdamOptions{.beta1 = 1.0}};
          (void)run(tiny_quadratic(), adam, {.lr = 0.1, .max_steps = 2});
        })},
       {throws<invalid_argument>("a NaN `eps`", "eps must be finite and >= 0, got nan", [] {
          Adam adam{AdamOptions{.eps = nan_v}};
          (void)run(tiny_quadratic(), adam, {.lr = 0.1, .max_steps = 2});
        })}},
      {"lab::make_optimizer(name), lab::quadratic_study, lab::fair_study",
       "lab/any_optimizer.hpp, lab/study.hpp",
       {throws<invalid_argument>("an unknown optimizer name", "nosuch", [] { (void)lab::make_optimizer("nosuch"); })},
       {}},
  };
}

std::vector<Entry> io_entries() {
  return {
      {"read_npy_vector(file), read_npy_matrix(file)",
       "io/npy.hpp",
       {throws<io_error>("a missing file", "cannot open '/nonexistent/no-such.npy'", [] { (void)read_npy_vector("/nonexistent/no-such.npy"); }),
        throws<invalid_argument>("a file that is not .npy", "not a .npy file", [] {
          (void)read_npy_vector(scratch("bad.npy", "not an npy file at all"));
        })},
       {holds("non-finite values are data: read as they are", [] {
          const auto p = std::filesystem::path("contract-nan.npy");
          Eigen::VectorXd v(2);
          v << 1.0, nan_v;
          write_npy(p, v);
          return std::isnan(read_npy_vector(p)(1));
        })}},
      {"read_matrix_market(file, options)",
       "io/matrix_market.hpp",
       {throws<io_error>("a missing file", "cannot open '/nonexistent/no-such.mtx'", [] { (void)read_matrix_market("/nonexistent/no-such.mtx"); }),
        throws<invalid_argument>("a declared size over `max_dimension`", "max_dimension", [] {
          (void)read_matrix_market(scratch("huge.mtx", "%%MatrixMarket matrix coordinate real general\n"
                                                       "2147483647 2147483647 1\n1 1 1.0\n"));
        })},
       {throws<invalid_argument>("a `nan` value", "value: 'nan' is not finite", [] {
          (void)read_matrix_market(scratch("nan.mtx", "%%MatrixMarket matrix coordinate real general\n"
                                                      "2 2 1\n1 1 nan\n"));
        })}},
      {"write_npy, write_csv, write_matrix_market, write_file_atomically",
       "io/npy.hpp, io/csv.hpp, io/matrix_market.hpp, io/atomic_file.hpp",
       {throws<io_error>("a directory that does not exist", "the directory '/nonexistent/dir'", [] {
          write_npy("/nonexistent/dir/x.npy", Eigen::VectorXd::Ones(2));
        })},
       {holds("non-finite values are written as they are (npy: IEEE bits; CSV: nan, inf)", [] {
          CsvTable t;
          t.add_column("x", std::vector<double>{nan_v, inf_v});
          const auto p = std::filesystem::path("contract.csv");
          write_csv(p, t);
          std::ifstream in(p);
          std::stringstream ss;
          ss << in.rdbuf();
          return ss.str().find("nan") != std::string::npos && ss.str().find("inf") != std::string::npos;
        })}},
  };
}

std::vector<Entry> all_entries() {
  std::vector<Entry> all;
  for (auto&& part : {krylov_entries(), spectral_entries(), analysis_entries(), operator_entries(), quadratic_entries(),
                      optim_entries(), io_entries()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

std::string join(const std::vector<Claim>& claims) {
  if (claims.empty()) return "—";
  std::string s;
  for (const auto& c : claims) s += (s.empty() ? "" : "<br>") + c.text;
  return s;
}

std::string render(const std::vector<Entry>& entries) {
  std::string md =
      "# Errors: what every public entry point throws\n\n"
      "blockspec has one rule (include/blockspec/error.hpp): a bad argument throws\n"
      "`blockspec::invalid_argument`, naming the argument and its value; a non-finite value produced by\n"
      "the user's operator, gradient or function throws `blockspec::numerical_error`, saying where it\n"
      "appeared; a failed read or write throws `blockspec::io_error`, naming the file. All three derive\n"
      "from `blockspec::error` (a `std::runtime_error`). Numerical outcomes (no convergence, breakdown,\n"
      "divergence, an unconverged quadrature) are statuses in the results, never exceptions.\n\n"
      "This table is generated by tests/test_error_contract.cpp, which executes every claim in it:\n"
      "the input named throws exactly that type, with a message that names the argument. Regenerate it\n"
      "with `BLOCKSPEC_WRITE_ERRORS_MD=1 build/release/tests/blockspec_tests -sf='*test_error_contract*'`.\n"
      "The LibTorch and MPI adapters are covered by their own tests (tests/torch, tests/mpi).\n\n"
      "| entry point | header | bad input → exception | non-finite input |\n"
      "|---|---|---|---|\n";
  for (const auto& e : entries)
    md += "| `" + e.name + "` | " + e.header + " | " + join(e.errors) + " | " + join(e.non_finite) + " |\n";
  return md;
}

}  // namespace

TEST_CASE("error contract: every claim of docs/errors.md holds, and the file is up to date") {
  const auto entries = all_entries();
  for (const auto& e : entries) {
    INFO(e.name);
    for (const auto& c : e.errors) c.check();
    for (const auto& c : e.non_finite) c.check();
  }
  const std::string md = render(entries);
  const std::filesystem::path doc = std::filesystem::path(BLOCKSPEC_TEST_SOURCE_DIR) / ".." / "docs" / "errors.md";
  if (const char* w = std::getenv("BLOCKSPEC_WRITE_ERRORS_MD"); w && std::string(w) == "1") {
    std::ofstream(doc) << md;
    MESSAGE("wrote " << doc.string());
  }
  std::ifstream in(doc);
  std::stringstream committed;
  committed << in.rdbuf();
  INFO("docs/errors.md differs from the table rendered by this test: regenerate it with BLOCKSPEC_WRITE_ERRORS_MD=1");
  CHECK(committed.str() == md);
}
