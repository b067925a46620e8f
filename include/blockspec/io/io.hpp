// blockspec/io/io.hpp — the io component (blockspec::io): .npy, CSV, Matrix Market and atomic
// file writes. Needs xtensor (read_npy<T> returns an xt::xarray of any rank; write_npy takes an
// xtensor expression); link blockspec::io.
#pragma once

#include <blockspec/io/atomic_file.hpp>
#include <blockspec/io/csv.hpp>
#include <blockspec/io/matrix_market.hpp>
#include <blockspec/io/npy.hpp>
