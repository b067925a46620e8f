// blockspec/distance/distance.hpp — the distance layer: KL, Jensen–Shannon, L1, Wasserstein-1,
// pairwise matrices, the heterogeneity score and explicit resampling.
#pragma once

#include <blockspec/distance/divergence.hpp>
#include <blockspec/distance/l1.hpp>
#include <blockspec/distance/matrix.hpp>
#include <blockspec/distance/resample.hpp>
#include <blockspec/distance/wasserstein.hpp>
