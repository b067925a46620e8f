// Tests for io/npy.hpp: bit-exact round trips, and every header defect rejected
// with an error naming its field, before any allocation.
#include <blockspec/io/npy.hpp>

#include <doctest/doctest.h>
#include <support/temp_dir.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

using blockspec::test::TempDir;

namespace {

// A .npy file built by hand: magic, version, header length, dict, payload.
std::string npy_bytes(const std::string& dict, const std::string& payload, int major = 1, int minor = 0,
                      bool newline = true) {
  std::string header = dict;
  const std::size_t prefix = 6 + 2 + (major == 1 ? 2 : 4);
  while ((prefix + header.size() + (newline ? 1 : 0)) % 64 != 0) header += ' ';
  if (newline) header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  const std::size_t len = header.size();
  out += static_cast<char>(len & 0xFF);
  out += static_cast<char>((len >> 8) & 0xFF);
  if (major != 1) {
    out += static_cast<char>((len >> 16) & 0xFF);
    out += static_cast<char>((len >> 24) & 0xFF);
  }
  return out + header + payload;
}

template <class T>
std::string raw(std::initializer_list<T> v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

}  // namespace

TEST_CASE("npy: Eigen matrices and vectors round-trip bit for bit, row-major on disk") {
  TempDir dir("npy");
  Eigen::MatrixXd m(2, 3);
  m << 1.0, -2.5, std::numeric_limits<double>::denorm_min(), 0.1, 1e300, -0.0;
  blockspec::write_npy(dir / "m.npy", m);
  const auto h = blockspec::read_npy_header(dir / "m.npy");
  CHECK(h.dtype == "<f8");
  CHECK_FALSE(h.fortran_order);
  CHECK(h.shape == std::vector<std::size_t>{2, 3});
  // Row-major on disk: the payload starts with m(0,0), m(0,1).
  const std::string bytes = blockspec::test::read_bytes(dir / "m.npy");
  double second = 0;
  std::memcpy(&second, bytes.data() + h.data_offset + 8, 8);
  CHECK(second == -2.5);
  const Eigen::MatrixXd back = blockspec::read_npy_matrix(dir / "m.npy");
  REQUIRE(back.rows() == 2);
  REQUIRE(back.cols() == 3);
  // Bit-exact: memcmp, so -0.0 and the denormal are checked too.
  for (Eigen::Index i = 0; i < 2; ++i)
    for (Eigen::Index j = 0; j < 3; ++j) CHECK(std::memcmp(&back(i, j), &m(i, j), sizeof(double)) == 0);

  Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(7, -1.0, 1.0 / 3.0);
  blockspec::write_npy(dir / "v.npy", v);
  CHECK(blockspec::read_npy_header(dir / "v.npy").shape == std::vector<std::size_t>{7});
  const Eigen::VectorXd vb = blockspec::read_npy_vector(dir / "v.npy");
  CHECK(std::memcmp(vb.data(), v.data(), sizeof(double) * 7) == 0);
  CHECK(dir.entries() == 2);  // no temporary files left behind
}

TEST_CASE_TEMPLATE("npy: xtensor arrays of every supported dtype round-trip", T, double, float, std::int64_t) {
  TempDir dir("npy");
  xt::xarray<T> a = xt::empty<T>(std::vector<std::size_t>{2, 2, 3});
  for (std::size_t i = 0; i < a.size(); ++i) a.flat(i) = static_cast<T>(static_cast<double>(i) * 1.5 - 4);
  blockspec::write_npy(dir / "a.npy", a);
  const xt::xarray<T> b = blockspec::read_npy<T>(dir / "a.npy");
  CHECK(b.shape() == a.shape());
  CHECK(b == a);
  // Every dtype widens exactly into double.
  const xt::xarray<double> d = blockspec::read_npy<double>(dir / "a.npy");
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(d.flat(i) == static_cast<double>(a.flat(i)));
}

TEST_CASE("npy: Fortran-ordered files are read in the right order") {
  TempDir dir("npy");
  // shape (2, 3) in column order: columns (1,4), (2,5), (3,6).
  const auto p = dir.write("f.npy", npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                                               raw<double>({1, 4, 2, 5, 3, 6})));
  const Eigen::MatrixXd m = blockspec::read_npy_matrix(p);
  Eigen::MatrixXd expect(2, 3);
  expect << 1, 2, 3, 4, 5, 6;
  CHECK(m == expect);
}

TEST_CASE("npy: keys in any order, version 2.0 and a scalar shape are accepted") {
  TempDir dir("npy");
  const auto p = dir.write("k.npy", npy_bytes("{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}",
                                              raw<double>({1, 2, 3}), 2, 0));
  CHECK(blockspec::read_npy_vector(p) == Eigen::Vector3d(1, 2, 3));
  const auto s = dir.write("s.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", raw<double>({7})));
  const auto a = blockspec::read_npy<double>(s);
  CHECK(a.dimension() == 0);
  CHECK(a() == 7.0);
}

TEST_CASE("npy: malformed files give errors naming the field") {
  TempDir dir("npy");
  const std::string good_dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  const std::string payload = raw<double>({1, 2});
  auto check = [&](const std::string& name, const std::string& bytes, const std::string& field) {
    CAPTURE(name);
    const auto p = dir.write(name, bytes);
    CHECK_THROWS_WITH_AS(blockspec::read_npy<double>(p), doctest::Contains(field.c_str()), blockspec::invalid_argument);
  };
  check("magic.npy", "\x93NUMPX" + npy_bytes(good_dict, payload).substr(6), "magic");
  check("short.npy", "\x93NUM", "magic");
  check("version.npy", npy_bytes(good_dict, payload, 3, 0), "version");
  check("hlen.npy", npy_bytes(good_dict, payload).substr(0, 8) + std::string("\xff\x7f", 2) + "{", "header length");
  check("newline.npy", npy_bytes(good_dict, payload, 1, 0, false), "newline");
  check("dict.npy", npy_bytes("['descr', '<f8']", payload), "header dict");
  check("unknown.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", payload), "unknown key 'x'");
  check("nodescr.npy", npy_bytes("{'fortran_order': False, 'shape': (2,)}", payload), "descr: missing");
  check("noshape.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False}", payload), "shape: missing");
  check("nofortran.npy", npy_bytes("{'descr': '<f8', 'shape': (2,)}", payload), "fortran_order: missing");
  check("dup.npy", npy_bytes("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", payload), "descr: appears twice");
  check("bigendian.npy", npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,)}", payload), "descr: dtype '>f8'");
  check("int32.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (4,)}", payload), "descr");
  check("fortran.npy", npy_bytes("{'descr': '<f8', 'fortran_order': 1, 'shape': (2,)}", payload), "fortran_order: must be True or False");
  check("negshape.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", payload), "shape");
  check("shapetype.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': 2}", payload), "shape");
  check("truncated.npy", npy_bytes(good_dict, payload.substr(0, 12)), "data: shape (2,) of <f8 needs 16 bytes but the file holds 12 (truncated)");
  check("trailing.npy", npy_bytes(good_dict, payload + "x"), "trailing bytes");
  // A huge shape must be rejected by the size check, not by a failed allocation.
  check("huge.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000)}", payload), "data");
  check("overflow.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", payload), "shape: the element count overflows");
  // Lossy reads are refused.
  const auto f8 = dir.write("f8.npy", npy_bytes(good_dict, payload));
  CHECK_THROWS_WITH_AS(blockspec::read_npy<float>(f8), doctest::Contains("cannot be read as <f4"), blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::read_npy_matrix(f8), doctest::Contains("shape: expected a 2-D array"), blockspec::invalid_argument);
  const auto big = dir.write("bigint.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}",
                                                     raw<std::int64_t>({(std::int64_t{1} << 53) + 1})));
  CHECK_THROWS_WITH_AS(blockspec::read_npy<double>(big), doctest::Contains("not exactly representable"), blockspec::invalid_argument);
  CHECK(blockspec::read_npy<std::int64_t>(big)(0) == (std::int64_t{1} << 53) + 1);
  CHECK_THROWS_WITH_AS(blockspec::read_npy<double>(dir / "missing.npy"), doctest::Contains("cannot open"), blockspec::io_error);
}

TEST_CASE("npy: a failed write leaves the previous file untouched") {
  TempDir dir("npy");
  blockspec::write_npy(dir / "x.npy", Eigen::VectorXd::Ones(3).eval());
  // A missing directory is an error, and nothing is created.
  CHECK_THROWS_AS(blockspec::write_npy(dir / "nope" / "x.npy", Eigen::VectorXd::Ones(3).eval()), blockspec::io_error);
  CHECK(blockspec::read_npy_vector(dir / "x.npy") == Eigen::VectorXd::Ones(3));
  CHECK(dir.entries() == 1);
}
