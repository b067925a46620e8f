// tests/fuzz/fuzz_common.hpp — shared pieces of the libFuzzer targets (see docs/fuzzing.md).
// A target may throw only blockspec's documented errors; anything else (another exception,
// a crash, a sanitizer report, an allocation over -malloc_limit_mb) is a finding.
#pragma once

#include <blockspec/error.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace blockspec::fuzz {

/// A per-process scratch file that the readers taking a path can open.
inline const std::filesystem::path& scratch_file(const char* ext) {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("blockspec-fuzz-" + std::to_string(::getpid()) + ext);
  return p;
}

/// Writes `bytes` to the scratch file and returns its path.
inline const std::filesystem::path& write_scratch(std::string_view bytes, const char* ext) {
  const auto& p = scratch_file(ext);
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

/// Runs `f`, swallowing blockspec::invalid_argument and io_error (the documented outcomes of bad input).
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const blockspec::invalid_argument&) {
  } catch (const blockspec::io_error&) {
  }
}

}  // namespace blockspec::fuzz
