// examples/cli/quadratic_lab_specs.hpp — quadratic_lab's spec-string parsing, factored out of
// examples/quadratic_lab.cpp so that the example and tests/fuzz/fuzz_quadratic_lab_specs.cpp
// share it (no CLI11, no I/O besides the measured .npy files).
//
// parse_block reads `--block [NAME=]KIND:ARGS` (see quadratic_lab.cpp's header); the block size
// must be an integer in [1, max_block_size] so that a typo cannot allocate gigabytes.
// load_measured reads `--measured` files (1-D .npy) into MeasuredSpectrum entries.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/io/npy.hpp>
#include <blockspec/quadratic/presets.hpp>
#include <blockspec/quadratic/spectrum.hpp>

#include <Eigen/Core>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace quadratic_lab_cli {

/// Largest eigenvalue count one --block may ask for (10^7 doubles = 80 MB per block).
inline constexpr long long max_block_size = 10'000'000;

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

/// The whole of `s` as a finite double, else invalid_argument naming `what` and the text.
inline double to_double(const std::string& s, const std::string& what) {
  double v = 0;
  const char* b = s.data();
  if (!s.empty() && s.front() == '+') ++b;
  const auto r = std::from_chars(b, s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
    throw blockspec::invalid_argument("--block: '" + s + "' is not a finite number (" + what + ")");
  return v;
}

/// The whole of `s` as an integer in [1, max_block_size], else invalid_argument.
inline Eigen::Index to_size(const std::string& s) {
  long long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 1 || v > max_block_size)
    throw blockspec::invalid_argument("--block: size '" + s + "' is not an integer in [1, " +
                                      std::to_string(max_block_size) + "]");
  return static_cast<Eigen::Index>(v);
}

/// Parses [NAME=]KIND:ARGS into a block spectrum (block `index`, seeded from `seed`).
inline blockspec::BlockSpectrum parse_block(const std::string& text, std::size_t index, std::uint64_t seed) {
  std::string name = "block" + std::to_string(index), spec = text;
  if (const auto eq = text.find('='); eq != std::string::npos) {
    name = text.substr(0, eq);
    spec = text.substr(eq + 1);
  }
  const auto parts = split(spec, ':');
  const std::string kind = parts[0];
  auto need = [&](std::size_t n) {
    if (parts.size() != n)
      throw blockspec::invalid_argument("--block '" + text + "': " + kind + " takes " + std::to_string(n - 1) +
                                        " ':'-separated fields");
  };
  auto list = [&](const std::string& s) {
    std::vector<double> v;
    for (const auto& x : split(s, ',')) v.push_back(to_double(x, "list entry"));
    if (static_cast<long long>(v.size()) > max_block_size)
      throw blockspec::invalid_argument("--block: a list has more than " + std::to_string(max_block_size) + " entries");
    return v;
  };
  blockspec::SpectrumSpec sp;
  if (kind == "explicit") {
    need(2);
    const auto v = list(parts[1]);
    sp = blockspec::ExplicitSpectrum{Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()))};
  } else if (kind == "uniform") {
    need(4);
    sp = blockspec::UniformSpectrum{to_size(parts[1]), to_double(parts[2], "lo"), to_double(parts[3], "hi")};
  } else if (kind == "loguniform") {
    need(4);
    sp = blockspec::LogUniformSpectrum{to_size(parts[1]), to_double(parts[2], "lo"), to_double(parts[3], "hi")};
  } else if (kind == "powerlaw") {
    need(5);
    sp = blockspec::PowerLawSpectrum{to_size(parts[1]), to_double(parts[2], "lo"), to_double(parts[3], "hi"),
                                     to_double(parts[4], "exponent")};
  } else if (kind == "bulk") {
    need(5);
    sp = blockspec::BulkOutlierSpectrum{to_size(parts[1]), to_double(parts[2], "lo"), to_double(parts[3], "hi"),
                                        list(parts[4])};
  } else {
    throw blockspec::invalid_argument("--block '" + text +
                                      "': unknown kind (explicit, uniform, loguniform, powerlaw, bulk)");
  }
  blockspec::Rng block_seed(seed, 1000 + index);
  return blockspec::block_spectrum(name, sp, block_seed());
}

/// Reads `--measured` files: each a 1-D .npy of eigenvalues, named by its stem.
inline std::vector<blockspec::MeasuredSpectrum> load_measured(const std::vector<std::string>& files) {
  std::vector<blockspec::MeasuredSpectrum> m;
  for (const auto& f : files) m.push_back({std::filesystem::path(f).stem().string(), blockspec::read_npy_vector(f), {}});
  return m;
}

}  // namespace quadratic_lab_cli
