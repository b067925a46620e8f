// Fuzz target: the command lines of the examples, factored into examples/cli/*_args.hpp so that
// the examples and this target parse the same options (the LibTorch and MPI examples included,
// without linking either). The first byte picks the example ('0' density_from_matrix, '1'
// blockwise_heterogeneity, '2' mpi_slq, '3' real_heterogeneity, '4' quadratic_lab, '5'
// reproduce_paper); the rest is split at '\n' into at
// most 32 arguments. A CLI11 ParseError (bad option, failed check, --help) is a clean outcome, as
// are blockspec's documented errors from the post-parse validate(); anything else is a finding.
#include "fuzz_common.hpp"

#include "cli/blockwise_heterogeneity_args.hpp"
#include "cli/density_from_matrix_args.hpp"
#include "cli/mpi_slq_args.hpp"
#include "cli/quadratic_lab_args.hpp"
#include "cli/real_heterogeneity_args.hpp"
#include "cli/reproduce_paper_args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

/// Parses `args` with the options of one example and runs its validate(), if parsing succeeded.
template <class Args, class Add, class Validate>
void parse_and_validate(std::vector<std::string> args, Add add, Validate validate) {
  CLI::App app{"fuzz"};
  Args a;
  add(app, a);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError&) {
    return;
  }
  blockspec::fuzz::expect_clean([&] { validate(a); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<std::string> args;
  std::string cur;
  for (std::size_t i = 1; i < size && args.size() < 32; ++i) {
    if (data[i] == '\n') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (args.size() < 32 && !cur.empty()) args.push_back(cur);
  switch (data[0] % 6) {
    case 0:
      parse_and_validate<density_cli::Args>(args, density_cli::add_options, density_cli::validate);
      break;
    case 1:
      parse_and_validate<blockwise_cli::Args>(args, blockwise_cli::add_options, blockwise_cli::validate);
      break;
    case 2:
      parse_and_validate<mpi_slq_cli::Args>(args, mpi_slq_cli::add_options, mpi_slq_cli::validate);
      break;
    case 3:
      parse_and_validate<real_heterogeneity_cli::Args>(args, real_heterogeneity_cli::add_options,
                                                       real_heterogeneity_cli::validate);
      break;
    case 4:
      parse_and_validate<quadratic_lab_cli::Settings>(args, quadratic_lab_cli::add_options, quadratic_lab_cli::validate);
      break;
    default:
      parse_and_validate<reproduce_paper_cli::Args>(args, reproduce_paper_cli::add_options, reproduce_paper_cli::validate);
      break;
  }
  return 0;
}
