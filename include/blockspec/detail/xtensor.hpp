// blockspec/detail/xtensor.hpp — the xtensor headers the io and xtensor components use, at the
// paths of the installed release: xtensor 0.26 moved every header into a category folder
// (<xtensor/containers/xarray.hpp>, ...); releases up to 0.25 (Debian 12 has 0.24) keep them flat.
#pragma once

#if __has_include(<xtensor/containers/xarray.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/generators/xbuilder.hpp>
#elif __has_include(<xtensor/xarray.hpp>)
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#else
#error "blockspec's io and xtensor components need xtensor (Debian: apt install xtensor-dev)"
#endif
