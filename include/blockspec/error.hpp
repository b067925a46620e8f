// blockspec/error.hpp — the three tiers of failure.
//
// 1. Bad arguments throw blockspec::invalid_argument naming the bad value.
// 2. A non-finite value produced by a user's operator or gradient throws
//    blockspec::numerical_error naming where it appeared (probe, step).
//    A failed read or write of a file throws blockspec::io_error naming it.
// 3. Internal invariants use BLOCKSPEC_ASSERT, which users may override by
//    defining it before including any blockspec header.
// Numerical *outcomes* (breakdown, no convergence, divergence, cancellation)
// are never exceptions: they are statuses in the result structs.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace blockspec {

/// Base of every exception blockspec throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An argument (option, vector, matrix, partition) is invalid; the message names it.
class invalid_argument : public error {
 public:
  using error::error;
};

/// A user's operator or gradient produced NaN or Inf; the message says where.
class numerical_error : public error {
 public:
  using error::error;
};

/// The file system failed a read or a write (cannot open, read, write, rename); the message names
/// the file. A file that opens but holds malformed content is an invalid_argument instead.
class io_error : public error {
 public:
  using error::error;
};

namespace detail {

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "blockspec: internal assertion failed: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

/// The one formatter of floating-point values in messages: the shortest decimal string that
/// reads back to the same double (std::to_chars), so -1e-9 prints as "-1e-09", not
/// std::to_string's "-0.000000"; NaN and infinities print as "nan", "inf", "-inf".
inline std::string format_double(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  if (r.ec != std::errc{}) return "?";
  return std::string(buf, r.ptr);
}

/// Throws invalid_argument with "<where>: <what>" when `ok` is false.
inline void require(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw invalid_argument(where + ": " + what);
}

/// Throws invalid_argument naming the first non-finite entry of `v` (a vector with size() and
/// operator[]) and its value: "<where>: <what> entry <i> is <value>".
template <class V>
void require_finite_entries(const V& v, const std::string& where, const std::string& what) {
  for (decltype(v.size()) i = 0; i < v.size(); ++i) {
    const double x = static_cast<double>(v[i]);
    if (!(x - x == 0.0))  // false for NaN and +-Inf; error.hpp does not include <cmath>
      throw invalid_argument(where + ": " + what + " entry " + std::to_string(i) + " is " + format_double(x) +
                             " (must be finite)");
  }
}

}  // namespace detail
}  // namespace blockspec

#ifndef BLOCKSPEC_ASSERT
#define BLOCKSPEC_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::blockspec::detail::assert_fail(#cond, __FILE__, __LINE__))
#endif
