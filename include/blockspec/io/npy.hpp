// blockspec/io/npy.hpp — NumPy .npy files, validated before any allocation.
//
// Format (NumPy NEP 1, "A simple file format for NumPy arrays"): the magic
// "\x93NUMPY", a version byte pair (1.0 with a 2-byte little-endian header
// length, or 2.0 with a 4-byte one), an ASCII Python dict literal with the
// keys 'descr', 'fortran_order' and 'shape' ended by '\n', then the raw data.
// Writing writes the header and the C-order payload itself (an xtensor
// expression is evaluated into a row-major array first), into an atomic file
// (io/atomic_file.hpp). Reading validates the whole
// header ourselves first: magic, version, header length, the dict syntax and
// keys (in any order, as NEP 1 requires), the dtype (only '<f8', '<f4' and
// '<i8' are accepted), fortran_order, the shape, and that the file holds
// exactly the bytes the shape needs; every error names the field. Only then
// is memory allocated and the payload read straight into the destination
// (the Eigen vector or matrix, or the xt::xarray; xtensor's own loader trusts
// the header and would allocate what a corrupt one asks for, and does not
// check a short read). xtensor is needed only for read_npy<T> (an array of
// any rank) and write_npy of an xtensor expression. Fortran-ordered files are converted to
// row-major. Cost: one pass over the file. Caveat: little-endian hosts only.
// Eigen helpers store matrices row-major on disk with shape (rows, cols), as
// numpy expects, and vectors as 1-D arrays.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/io/atomic_file.hpp>
#include <blockspec/detail/xtensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace blockspec {

/// What a validated .npy header says.
struct NpyHeader {
  int major_version = 1;           ///< 1 or 2
  int minor_version = 0;           ///< 0
  std::string dtype{};             ///< "<f8", "<f4" or "<i8"
  bool fortran_order = false;      ///< column-major payload
  std::vector<std::size_t> shape{};  ///< () for a scalar
  std::size_t data_offset = 0;     ///< bytes before the payload
  std::size_t word_size = 0;       ///< bytes per element
  std::size_t elements() const {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    return n;
  }
};

namespace detail {

[[noreturn]] inline void npy_fail(const std::filesystem::path& file, const std::string& field, const std::string& what) {
  throw invalid_argument("read_npy: '" + file.string() + "': " + field + ": " + what);
}

/// A tiny parser for the Python dict literal of a .npy header.
class NpyDictParser {
 public:
  NpyDictParser(std::string_view text, const std::filesystem::path& file) : s_(text), file_(file) {}

  void parse(NpyHeader& h) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip();
    expect('{', "header dict");
    skip();
    while (peek() != '}') {
      const std::string key = string_literal("header dict key");
      skip();
      expect(':', "header dict (after key '" + key + "')");
      skip();
      if (key == "descr") {
        if (have_descr) fail("descr", "appears twice");
        have_descr = true;
        h.dtype = string_literal("descr");
      } else if (key == "fortran_order") {
        if (have_fortran) fail("fortran_order", "appears twice");
        have_fortran = true;
        if (s_.substr(pos_, 4) == "True") {
          h.fortran_order = true;
          pos_ += 4;
        } else if (s_.substr(pos_, 5) == "False") {
          h.fortran_order = false;
          pos_ += 5;
        } else {
          fail("fortran_order", "must be True or False");
        }
      } else if (key == "shape") {
        if (have_shape) fail("shape", "appears twice");
        have_shape = true;
        h.shape = tuple();
      } else {
        fail("header dict", "unknown key '" + key + "' (expected 'descr', 'fortran_order', 'shape')");
      }
      skip();
      if (peek() == ',') {
        ++pos_;
        skip();
      } else if (peek() != '}') {
        fail("header dict", "expected ',' or '}' at offset " + std::to_string(pos_));
      }
    }
    ++pos_;
    skip();
    if (pos_ != s_.size()) fail("header dict", "unexpected text after the closing '}'");
    if (!have_descr) fail("descr", "missing from the header");
    if (!have_fortran) fail("fortran_order", "missing from the header");
    if (!have_shape) fail("shape", "missing from the header");
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& what) const { npy_fail(file_, field, what); }
  char peek() const {
    if (pos_ >= s_.size()) fail("header dict", "ends early (no closing '}')");
    return s_[pos_];
  }
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  void expect(char c, const std::string& field) {
    if (peek() != c) fail(field, std::string("expected '") + c + "' at offset " + std::to_string(pos_));
    ++pos_;
  }
  std::string string_literal(const std::string& field) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(field, "expected a quoted string at offset " + std::to_string(pos_));
    const std::size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != q) ++pos_;
    if (pos_ >= s_.size()) fail(field, "unterminated string");
    return std::string(s_.substr(start, pos_++ - start));
  }
  std::vector<std::size_t> tuple() {
    std::vector<std::size_t> dims;
    if (peek() != '(') fail("shape", "must be a tuple of integers, e.g. (3, 4)");
    ++pos_;
    skip();
    while (peek() != ')') {
      if (peek() < '0' || peek() > '9') fail("shape", "entries must be non-negative integers");
      std::size_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const std::size_t digit = static_cast<std::size_t>(s_[pos_] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("shape", "an entry overflows");
        v = v * 10 + digit;
        ++pos_;
      }
      if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 long literal
      dims.push_back(v);
      skip();
      if (peek() == ',') {
        ++pos_;
        skip();
      } else if (peek() != ')') {
        fail("shape", "expected ',' or ')' at offset " + std::to_string(pos_));
      }
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const std::filesystem::path& file_;
  std::size_t pos_ = 0;
};

template <class T>
constexpr const char* npy_dtype_of() {
  if constexpr (std::is_same_v<T, double>) return "<f8";
  else if constexpr (std::is_same_v<T, float>) return "<f4";
  else return "<i8";
}

template <class T>
inline constexpr bool npy_supported_v =
    std::is_same_v<T, double> || std::is_same_v<T, float> || std::is_same_v<T, std::int64_t>;

inline void npy_require_little_endian() {
  if constexpr (std::endian::native != std::endian::little)
    throw error("blockspec .npy I/O supports little-endian hosts only");
}

}  // namespace detail

/// Reads and validates the header of a .npy file without reading its payload.
/// Throws invalid_argument naming the field (magic, version, header length,
/// header dict, descr, fortran_order, shape, data) for any defect.
/// Example: `auto h = blockspec::read_npy_header("densities.npy"); h.shape[0];`
inline NpyHeader read_npy_header(const std::filesystem::path& file) {
  detail::npy_require_little_endian();
  std::error_code ec;
  const auto file_size_u = std::filesystem::file_size(file, ec);
  if (ec) throw io_error("read_npy: cannot open '" + file.string() + "': " + ec.message());
  const std::size_t file_size = static_cast<std::size_t>(file_size_u);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw io_error("read_npy: cannot open '" + file.string() + "'");

  char prefix[8];
  if (file_size < 10 || !in.read(prefix, 8)) detail::npy_fail(file, "magic", "file too short to be a .npy file");
  if (std::memcmp(prefix, "\x93NUMPY", 6) != 0) detail::npy_fail(file, "magic", "not a .npy file (no \\x93NUMPY)");
  NpyHeader h;
  h.major_version = static_cast<unsigned char>(prefix[6]);
  h.minor_version = static_cast<unsigned char>(prefix[7]);
  if (!((h.major_version == 1 || h.major_version == 2) && h.minor_version == 0))
    detail::npy_fail(file, "version",
                     std::to_string(h.major_version) + "." + std::to_string(h.minor_version) +
                         " is not supported (1.0 and 2.0 are)");
  const std::size_t len_bytes = h.major_version == 1 ? 2 : 4;
  unsigned char lb[4] = {0, 0, 0, 0};
  if (file_size < 8 + len_bytes || !in.read(reinterpret_cast<char*>(lb), static_cast<std::streamsize>(len_bytes)))
    detail::npy_fail(file, "header length", "file ends inside the header length");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes; ++i) header_len |= static_cast<std::size_t>(lb[i]) << (8 * i);
  h.data_offset = 8 + len_bytes + header_len;
  if (h.data_offset > file_size)
    detail::npy_fail(file, "header length",
                     std::to_string(header_len) + " bytes, but the file has only " +
                         std::to_string(file_size - 8 - len_bytes) + " after it");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len)))
    detail::npy_fail(file, "header", "cannot read the header");
  if (header.empty() || header.back() != '\n') detail::npy_fail(file, "header", "must end with a newline");
  for (char c : header)
    if (static_cast<unsigned char>(c) > 127) detail::npy_fail(file, "header", "must be ASCII");

  detail::NpyDictParser(header, file).parse(h);

  if (h.dtype == "<f8" || h.dtype == "<i8") h.word_size = 8;
  else if (h.dtype == "<f4") h.word_size = 4;
  else detail::npy_fail(file, "descr", "dtype '" + h.dtype + "' is not supported (use '<f8', '<f4' or '<i8')");

  std::size_t elements = 1;
  const std::size_t limit = std::numeric_limits<std::size_t>::max() / 8;
  for (std::size_t d : h.shape) {
    if (d != 0 && elements > limit / d) detail::npy_fail(file, "shape", "the element count overflows");
    elements *= d;
  }
  const std::size_t need = elements * h.word_size;
  const std::size_t have = file_size - h.data_offset;
  if (need != have) {
    std::string shape = "(";
    for (std::size_t i = 0; i < h.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(h.shape[i]);
    shape += h.shape.size() == 1 ? ",)" : ")";
    detail::npy_fail(file, "data",
                     "shape " + shape + " of " + h.dtype + " needs " + std::to_string(need) +
                         " bytes but the file holds " + std::to_string(have) + (need > have ? " (truncated)" : " (trailing bytes)"));
  }
  return h;
}

namespace detail {

/// Reads the payload of a validated .npy file (header `h`) straight into `dest`, which holds
/// h.elements() values of T, in the file's element order. A matching dtype is one read into
/// `dest`; a widening one ('<f4' or '<i8' read as double) goes through a buffer of at most
/// 64 KiB, converted chunk by chunk (an '<i8' value must be exactly representable, |v| <= 2^53).
template <class T>
void read_npy_payload(const std::filesystem::path& file, const NpyHeader& h, T* dest) {
  const bool ok = h.dtype == npy_dtype_of<T>() || (std::is_same_v<T, double> && (h.dtype == "<f4" || h.dtype == "<i8"));
  if (!ok) npy_fail(file, "descr", "dtype '" + h.dtype + "' cannot be read as " + npy_dtype_of<T>() + " without loss");
  const std::size_t n = h.elements();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw io_error("read_npy: cannot open '" + file.string() + "'");
  in.seekg(static_cast<std::streamoff>(h.data_offset));
  auto read_into = [&](void* to, std::size_t bytes) {
    if (bytes > 0 && !in.read(static_cast<char*>(to), static_cast<std::streamsize>(bytes)))
      throw io_error("read_npy: '" + file.string() + "': short read of the data (was the file changed while reading?)");
  };
  if (h.dtype == npy_dtype_of<T>()) {
    read_into(dest, n * sizeof(T));
    return;
  }
  auto widen = [&](auto tag) {
    using R = decltype(tag);
    constexpr std::size_t chunk = 8192;
    std::vector<R> buffer(std::min(n, chunk));
    for (std::size_t start = 0; start < n; start += chunk) {
      const std::size_t m = std::min(chunk, n - start);
      read_into(buffer.data(), m * sizeof(R));
      for (std::size_t i = 0; i < m; ++i) {
        if constexpr (std::is_same_v<R, std::int64_t>) {
          constexpr std::int64_t exact = std::int64_t{1} << 53;
          if (buffer[i] > exact || buffer[i] < -exact)
            npy_fail(file, "data", "element " + std::to_string(start + i) + " (" + std::to_string(buffer[i]) +
                                       ") is not exactly representable as double");
        }
        dest[start + i] = static_cast<T>(buffer[i]);
      }
    }
  };
  if (h.dtype == "<f4") widen(float{});
  else widen(std::int64_t{});
}

/// The bytes of a version 1.0 .npy header for `dtype` and `shape`, C order, padded with spaces
/// so that the payload starts at a multiple of 64 bytes (NEP 1).
inline std::string npy_header_bytes(const char* dtype, std::span<const std::size_t> shape) {
  std::string tuple;
  for (std::size_t k = 0; k < shape.size(); ++k) tuple += (k ? ", " : "") + std::to_string(shape[k]);
  if (shape.size() == 1) tuple += ',';  // a Python 1-tuple: (7,)
  std::string dict = std::string("{'descr': '") + dtype + "', 'fortran_order': False, 'shape': (" + tuple + ")";
  dict += ", }";
  std::string out("\x93NUMPY\x01\x00", 8);
  std::size_t len = dict.size() + 1;  // + '\n'
  while ((10 + len) % 64 != 0) ++len;
  dict.append(len - 1 - dict.size(), ' ');
  dict += '\n';
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  return out + dict;
}

/// Writes `count` values at `data` as a C-order .npy file of `shape`, atomically.
template <class T>
void write_npy_raw(const std::filesystem::path& file, const T* data, std::size_t count, std::span<const std::size_t> shape) {
  npy_require_little_endian();
  std::string bytes = npy_header_bytes(npy_dtype_of<T>(), shape);
  const std::size_t head = bytes.size();
  bytes.resize(head + count * sizeof(T));
  if (count > 0) std::memcpy(bytes.data() + head, data, count * sizeof(T));
  write_file_atomically(file, bytes);
}

}  // namespace detail

/// Reads a .npy file into a row-major xt::xarray<T> after validating it
/// (read_npy_header). T = double accepts '<f8', '<f4' (widened exactly) and
/// '<i8' (each value must be exactly representable, |v| <= 2^53);
/// T = float accepts '<f4' only; T = std::int64_t accepts '<i8' only.
/// This and write_npy(xexpression) are the io component's only uses of xtensor.
/// Example: `xt::xarray<double> d = blockspec::read_npy<double>("densities.npy");`
template <class T = double>
  requires detail::npy_supported_v<T>
xt::xarray<T> read_npy(const std::filesystem::path& file) {
  const NpyHeader h = read_npy_header(file);
  if (!h.fortran_order) {
    xt::xarray<T> a = xt::empty<T>(h.shape);
    detail::read_npy_payload(file, h, a.data());
    return a;
  }
  xt::xarray<T, xt::layout_type::column_major> col = xt::empty<T, xt::layout_type::column_major>(h.shape);
  detail::read_npy_payload(file, h, col.data());
  xt::xarray<T> row = col;
  return row;
}

/// Writes an xtensor expression of double, float or std::int64_t to a .npy file in C order
/// (evaluated into a row-major array first), atomically (the file is complete or absent).
/// Example: `blockspec::write_npy("grid.npy", xt::xarray<double>{0.0, 0.5, 1.0});`
template <class E>
  requires detail::npy_supported_v<typename E::value_type>
void write_npy(const std::filesystem::path& file, const xt::xexpression<E>& e) {
  using T = typename E::value_type;
  const xt::xarray<T, xt::layout_type::row_major> a = e.derived_cast();
  const std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
  detail::write_npy_raw(file, a.data(), a.size(), shape);
}

/// Writes an Eigen vector (a compile-time row or column vector) as a 1-D
/// array, and any other matrix as a 2-D (rows, cols) array in C order
/// (a row-major matrix is written as it is; a column-major one through one row-major copy).
/// Example: `blockspec::write_npy("js.npy", Eigen::MatrixXd::Identity(3, 3));`
template <class Derived>
  requires detail::npy_supported_v<typename Derived::Scalar>
void write_npy(const std::filesystem::path& file, const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  const std::size_t r = static_cast<std::size_t>(m.rows()), c = static_cast<std::size_t>(m.cols());
  if constexpr (Derived::ColsAtCompileTime == 1 || Derived::RowsAtCompileTime == 1) {
    const Eigen::Matrix<T, Eigen::Dynamic, 1> v = m.derived().reshaped();
    const std::size_t shape[1] = {r * c};
    detail::write_npy_raw(file, v.data(), static_cast<std::size_t>(v.size()), shape);
  } else {
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> a = m.derived();
    const std::size_t shape[2] = {r, c};
    detail::write_npy_raw(file, a.data(), r * c, shape);
  }
}

/// Writes a span of doubles as a 1-D array.
/// Example: `std::vector<double> g{0, 1}; blockspec::write_npy("g.npy", std::span<const double>(g));`
inline void write_npy(const std::filesystem::path& file, std::span<const double> v) {
  const std::size_t shape[1] = {v.size()};
  detail::write_npy_raw(file, v.data(), v.size(), shape);
}

/// Reads a 1-D .npy array straight into an Eigen::VectorXd (dtypes as read_npy<double>).
/// Example: `Eigen::VectorXd grid = blockspec::read_npy_vector("grid.npy");`
inline Eigen::VectorXd read_npy_vector(const std::filesystem::path& file) {
  const NpyHeader h = read_npy_header(file);
  if (h.shape.size() != 1)
    detail::npy_fail(file, "shape", "expected a 1-D array, got " + std::to_string(h.shape.size()) + " dimensions");
  Eigen::VectorXd v(static_cast<Eigen::Index>(h.shape[0]));
  detail::read_npy_payload(file, h, v.data());
  return v;
}

/// Reads a 2-D .npy array into an Eigen::MatrixXd: a Fortran-ordered file straight into it,
/// a C-ordered one through one row-major buffer.
/// Example: `Eigen::MatrixXd js = blockspec::read_npy_matrix("js_distance.npy");`
inline Eigen::MatrixXd read_npy_matrix(const std::filesystem::path& file) {
  const NpyHeader h = read_npy_header(file);
  if (h.shape.size() != 2)
    detail::npy_fail(file, "shape", "expected a 2-D array, got " + std::to_string(h.shape.size()) + " dimensions");
  const auto r = static_cast<Eigen::Index>(h.shape[0]), c = static_cast<Eigen::Index>(h.shape[1]);
  if (h.fortran_order) {
    Eigen::MatrixXd m(r, c);
    detail::read_npy_payload(file, h, m.data());
    return m;
  }
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row(r, c);
  detail::read_npy_payload(file, h, row.data());
  return row;
}

}  // namespace blockspec
