// blockspec/blockspec.hpp — the core of blockspec (needs Eigen and Threads only).
//
// blockspec computes spectral densities, extreme eigenpairs and trace
// estimates of large symmetric operators known only through their products,
// and the paper's blockwise analysis ("Why Transformers Need Adam: A Hessian
// Perspective", Zhang et al., NeurIPS 2024). The optional components are
// included on their own, each with its CMake target:
//   <blockspec/io/io.hpp>             blockspec::io       .npy, Matrix Market, CSV
//   <blockspec/operator/xtensor.hpp>  blockspec::xtensor  operators on xtensor views
//   <blockspec/lab/lab.hpp>           blockspec::lab      the quadratic lab (registries, study files)
//   <blockspec/adapters/...>          LibTorch and MPI adapters
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/random.hpp>
#include <blockspec/types.hpp>
#include <blockspec/version.hpp>

#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/counted.hpp>
#include <blockspec/operator/finite_difference.hpp>
#include <blockspec/operator/lambda.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/operator/operator.hpp>
#include <blockspec/operator/spectra.hpp>
#include <blockspec/operator/symmetry.hpp>
#include <blockspec/operator/transform.hpp>
#include <blockspec/krylov/batched_lanczos.hpp>
#include <blockspec/krylov/eigs.hpp>
#include <blockspec/krylov/inner_product.hpp>
#include <blockspec/krylov/krylov.hpp>
#include <blockspec/krylov/lanczos.hpp>
#include <blockspec/krylov/quadrature.hpp>
#include <blockspec/spectral/density.hpp>
#include <blockspec/spectral/grid.hpp>
#include <blockspec/spectral/hutchinson.hpp>
#include <blockspec/spectral/kernel.hpp>
#include <blockspec/spectral/probes.hpp>
#include <blockspec/spectral/slq.hpp>
#include <blockspec/spectral/spectral.hpp>
#include <blockspec/spectral/spectral_quadrature.hpp>
#include <blockspec/spectral/trace.hpp>
#include <blockspec/distance/distance.hpp>
#include <blockspec/distance/divergence.hpp>
#include <blockspec/distance/matrix.hpp>
#include <blockspec/distance/resample.hpp>
#include <blockspec/distance/wasserstein.hpp>
#include <blockspec/analysis/analysis.hpp>
#include <blockspec/analysis/blockwise.hpp>
#include <blockspec/quadratic/block_quadratic.hpp>
#include <blockspec/quadratic/haar.hpp>
#include <blockspec/quadratic/presets.hpp>
#include <blockspec/quadratic/quadratic.hpp>
#include <blockspec/quadratic/spectrum.hpp>
#include <blockspec/optim/adam.hpp>
#include <blockspec/optim/adam_mini.hpp>
#include <blockspec/optim/blockwise_gd.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/nag_gs.hpp>
#include <blockspec/optim/optim.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/prodigy.hpp>
#include <blockspec/optim/rmsprop.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/schedule.hpp>
#include <blockspec/optim/sign_descent.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>
