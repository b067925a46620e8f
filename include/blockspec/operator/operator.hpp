// blockspec/operator/operator.hpp — the operator layer: the concept and every adapter of the core
// (operator/xtensor.hpp is the xtensor component, included on its own).
#pragma once

#include <blockspec/operator/block.hpp>
#include <blockspec/operator/concepts.hpp>
#include <blockspec/operator/counted.hpp>
#include <blockspec/operator/finite_difference.hpp>
#include <blockspec/operator/lambda.hpp>
#include <blockspec/operator/matrix.hpp>
#include <blockspec/operator/spectra.hpp>
#include <blockspec/operator/symmetry.hpp>
#include <blockspec/operator/transform.hpp>
