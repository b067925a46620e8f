// blockspec/io/matrix_market.hpp — Matrix Market coordinate files to and from Eigen sparse matrices.
//
// Format (NIST, "The Matrix Market Exchange Formats: Initial Design", 1996):
//   %%MatrixMarket matrix coordinate <real|integer|pattern> <general|symmetric>
//   % comment lines
//   M N NNZ
//   i j [value]        (NNZ lines, 1-based indices)
// The banner words are case-insensitive. A symmetric file stores the lower
// triangle only (i >= j); each off-diagonal entry is mirrored. Pattern entries
// have the value 1. Duplicate entries are summed (as Eigen's setFromTriplets
// and SciPy do). Blank lines are skipped. The reader checks the banner, the
// size line, every index range, every value (finite, fully parsed, nothing
// left on the line) and the entry count, and each error names the source,
// the line number and the field. Not supported: the array format, complex
// and hermitian fields, skew-symmetric matrices (blockspec's operators are
// real symmetric). Cost: one pass, O(NNZ log NNZ) to assemble.
// Limits: an Eigen sparse matrix costs O(rows + cols) memory even when empty,
// so a declared size above MatrixMarketReadOptions::max_dimension (default
// 2^26 = 67,108,864) or a declared entry count above max_entries (default
// 2^28) is refused before anything is allocated; raise them in the options.
// Memory for entries grows with the entries actually read, never with the
// count the size line declares.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/io/atomic_file.hpp>

#include <Eigen/SparseCore>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace blockspec {

namespace detail {

struct MmReader {
  std::istream& in;
  std::string source;
  long long line_no = 0;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw invalid_argument("read_matrix_market: " + source + ":" + std::to_string(line_no) + ": " + field + ": " +
                           what);
  }
  bool next(std::string& line) {
    if (!std::getline(in, line)) return false;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  static std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      if (i >= s.size()) break;
      std::size_t j = i;
      while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  }
  static bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
  }
  long long integer(std::string_view tok, const std::string& field) const {
    long long v = 0;
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (r.ec == std::errc::result_out_of_range) fail(field, "'" + std::string(tok) + "' is out of range");
    if (r.ec != std::errc() || r.ptr != tok.data() + tok.size())
      fail(field, "'" + std::string(tok) + "' is not an integer");
    return v;
  }
  double real(std::string_view tok, const std::string& field) const {
    double v = 0;
    const char* b = tok.data();
    if (!tok.empty() && tok.front() == '+') ++b;  // from_chars rejects a leading '+'
    const auto r = std::from_chars(b, tok.data() + tok.size(), v);
    if (r.ec == std::errc::result_out_of_range) fail(field, "'" + std::string(tok) + "' is out of range");
    if (r.ec != std::errc() || r.ptr != tok.data() + tok.size())
      fail(field, "'" + std::string(tok) + "' is not a number");
    if (!std::isfinite(v)) fail(field, "'" + std::string(tok) + "' is not finite");
    return v;
  }
};

inline std::string mm_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace detail

/// Limits read_matrix_market enforces on what a file declares, before it allocates.
struct MatrixMarketReadOptions {
  /// Largest rows or cols accepted (at most 2^31 - 1, Eigen's int index). The
  /// matrix needs about 4 * (rows + cols) bytes of index arrays even with no entries.
  long long max_dimension = 1LL << 26;
  /// Largest entry count accepted on the size line (at most (2^31 - 1) / 2 for a symmetric file).
  long long max_entries = 1LL << 28;
};

/// Reads a Matrix Market coordinate matrix (real, integer or pattern; general
/// or symmetric) from a stream; `source` names it in error messages.
/// Example: `std::istringstream s(text); auto A = blockspec::read_matrix_market(s, "inline");`
inline Eigen::SparseMatrix<double> read_matrix_market(std::istream& in, const std::string& source = "<stream>",
                                                      const MatrixMarketReadOptions& options = {}) {
  detail::require(options.max_dimension > 0, "read_matrix_market",
                  "max_dimension must be positive, got " + std::to_string(options.max_dimension));
  detail::require(options.max_entries >= 0, "read_matrix_market",
                  "max_entries must be non-negative, got " + std::to_string(options.max_entries));
  detail::MmReader rd{in, source};
  std::string line;
  if (!rd.next(line)) {
    rd.line_no = 1;
    rd.fail("banner", "the input is empty");
  }
  const auto banner = detail::MmReader::split(line);
  if (banner.empty() || detail::mm_lower(banner[0]) != "%%matrixmarket")
    rd.fail("banner", "the first line must start with %%MatrixMarket");
  if (banner.size() != 5) rd.fail("banner", "expected '%%MatrixMarket matrix coordinate <field> <symmetry>'");
  const std::string object = detail::mm_lower(banner[1]), format = detail::mm_lower(banner[2]),
                    field = detail::mm_lower(banner[3]), symmetry = detail::mm_lower(banner[4]);
  if (object != "matrix") rd.fail("object", "'" + std::string(banner[1]) + "' is not supported (only 'matrix')");
  if (format != "coordinate")
    rd.fail("format", "'" + std::string(banner[2]) + "' is not supported (only 'coordinate')");
  if (field != "real" && field != "integer" && field != "pattern")
    rd.fail("field", "'" + std::string(banner[3]) + "' is not supported (real, integer or pattern)");
  if (symmetry != "general" && symmetry != "symmetric")
    rd.fail("symmetry", "'" + std::string(banner[4]) + "' is not supported (general or symmetric)");
  const bool symmetric = symmetry == "symmetric", pattern = field == "pattern", integer = field == "integer";

  // Size line (after comments and blank lines).
  bool found = false;
  while (rd.next(line)) {
    if (detail::MmReader::blank(line) || line[line.find_first_not_of(" \t")] == '%') continue;
    found = true;
    break;
  }
  if (!found) rd.fail("size line", "missing (expected 'rows cols entries')");
  const auto size = detail::MmReader::split(line);
  if (size.size() != 3) rd.fail("size line", "expected 3 integers 'rows cols entries', got " + std::to_string(size.size()) + " fields");
  const long long rows = rd.integer(size[0], "rows"), cols = rd.integer(size[1], "cols"),
                  nnz = rd.integer(size[2], "entries");
  constexpr long long max_index = std::numeric_limits<int>::max();  // Eigen::SparseMatrix<double> uses int indices
  const long long max_dim = std::min(max_index, options.max_dimension);
  const auto dim_limit = [&](long long v) {
    return " is not in [1, " + std::to_string(max_dim) + "]" +
           (v > max_dim && max_dim < max_index ? " (MatrixMarketReadOptions::max_dimension; raise it to read this file)"
                                               : "");
  };
  if (rows <= 0 || rows > max_dim) rd.fail("rows", std::to_string(rows) + dim_limit(rows));
  if (cols <= 0 || cols > max_dim) rd.fail("cols", std::to_string(cols) + dim_limit(cols));
  if (nnz < 0) rd.fail("entries", std::to_string(nnz) + " is negative");
  if (symmetric && rows != cols)
    rd.fail("rows", "a symmetric matrix must be square, got " + std::to_string(rows) + " x " + std::to_string(cols));
  if (nnz > max_index / (symmetric ? 2 : 1)) rd.fail("entries", std::to_string(nnz) + " is too many for Eigen's int indices");
  if (nnz > options.max_entries)
    rd.fail("entries", std::to_string(nnz) + " exceeds the limit " + std::to_string(options.max_entries) +
                           " (MatrixMarketReadOptions::max_entries; raise it to read this file)");

  std::vector<Eigen::Triplet<double>> triplets;
  // Memory follows the entries actually read: only a small reservation is
  // made from the declared count (a corrupt count must not allocate).
  triplets.reserve(static_cast<std::size_t>(std::min<long long>(nnz, 4096)) * (symmetric ? 2 : 1));
  const std::size_t expect_fields = pattern ? 2 : 3;
  long long read = 0;
  while (rd.next(line)) {
    if (detail::MmReader::blank(line)) continue;
    if (line[line.find_first_not_of(" \t")] == '%') continue;
    if (read == nnz)
      rd.fail("entries", "more entries than the " + std::to_string(nnz) + " announced on the size line");
    const auto tok = detail::MmReader::split(line);
    if (tok.size() != expect_fields)
      rd.fail("entry", "expected " + std::to_string(expect_fields) + " fields ('i j" + (pattern ? "'" : " value'") +
                           "), got " + std::to_string(tok.size()));
    const long long i = rd.integer(tok[0], "row index"), j = rd.integer(tok[1], "column index");
    if (i < 1 || i > rows) rd.fail("row index", std::to_string(i) + " is not in [1, " + std::to_string(rows) + "]");
    if (j < 1 || j > cols) rd.fail("column index", std::to_string(j) + " is not in [1, " + std::to_string(cols) + "]");
    if (symmetric && i < j)
      rd.fail("entry", "(" + std::to_string(i) + ", " + std::to_string(j) +
                           ") is above the diagonal; a symmetric file stores the lower triangle only");
    double v = 1.0;
    if (integer) {
      const long long iv = rd.integer(tok[2], "value");
      if (iv > (1LL << 53) || iv < -(1LL << 53)) rd.fail("value", std::to_string(iv) + " is not exactly representable as double");
      v = static_cast<double>(iv);
    } else if (!pattern) {
      v = rd.real(tok[2], "value");
    }
    triplets.emplace_back(static_cast<int>(i - 1), static_cast<int>(j - 1), v);
    if (symmetric && i != j) triplets.emplace_back(static_cast<int>(j - 1), static_cast<int>(i - 1), v);
    ++read;
  }
  if (in.bad()) rd.fail("input", "read error");
  if (read != nnz)
    rd.fail("entries", "the size line announces " + std::to_string(nnz) + " entries but the file has " +
                           std::to_string(read));
  Eigen::SparseMatrix<double> A(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  A.setFromTriplets(triplets.begin(), triplets.end());
  A.makeCompressed();
  return A;
}

/// Reads a Matrix Market file (see the stream overload).
/// Example: `Eigen::SparseMatrix<double> A = blockspec::read_matrix_market("bcsstk01.mtx");`
inline Eigen::SparseMatrix<double> read_matrix_market(const std::filesystem::path& file,
                                                      const MatrixMarketReadOptions& options = {}) {
  std::ifstream in(file);
  if (!in) throw io_error("read_matrix_market: cannot open '" + file.string() + "'");
  return read_matrix_market(in, file.string(), options);
}

/// How write_matrix_market stores a matrix.
struct MatrixMarketWriteOptions {
  bool symmetric = false;  ///< store the lower triangle with 'symmetric' (the matrix must be exactly symmetric)
  std::string comment{};   ///< written as '%' lines after the banner
};

/// Writes A as a 'coordinate real' Matrix Market file, atomically, with values
/// in shortest round-trip form (read_matrix_market gives back the same doubles).
/// Example: `blockspec::write_matrix_market("A.mtx", A, {.symmetric = true});`
inline void write_matrix_market(const std::filesystem::path& file, const Eigen::SparseMatrix<double>& A,
                                const MatrixMarketWriteOptions& options = {}) {
  if (options.symmetric) {
    detail::require(A.rows() == A.cols(), "write_matrix_market", "symmetric: the matrix is not square");
    const Eigen::SparseMatrix<double> At = A.transpose();
    detail::require((A - At).norm() == 0.0, "write_matrix_market", "symmetric: the matrix is not exactly symmetric");
  }
  std::vector<Eigen::Triplet<double>> entries;
  for (int k = 0; k < A.outerSize(); ++k)
    for (Eigen::SparseMatrix<double>::InnerIterator it(A, k); it; ++it) {
      detail::require(std::isfinite(it.value()), "write_matrix_market", "the matrix has a non-finite entry");
      if (!options.symmetric || it.row() >= it.col()) entries.emplace_back(static_cast<int>(it.row()), static_cast<int>(it.col()), it.value());
    }
  std::string out = std::string("%%MatrixMarket matrix coordinate real ") + (options.symmetric ? "symmetric" : "general") + "\n";
  std::istringstream comment(options.comment);
  for (std::string c; std::getline(comment, c);) out += "%" + c + "\n";
  out += std::to_string(A.rows()) + " " + std::to_string(A.cols()) + " " + std::to_string(entries.size()) + "\n";
  char buf[64];
  for (const auto& t : entries) {
    const auto r = std::to_chars(buf, buf + sizeof(buf), t.value());
    out += std::to_string(t.row() + 1) + " " + std::to_string(t.col() + 1) + " " + std::string(buf, r.ptr) + "\n";
  }
  write_file_atomically(file, out);
}

}  // namespace blockspec
