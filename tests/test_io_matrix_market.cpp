// Tests for io/matrix_market.hpp: general/symmetric/pattern/integer files, exact
// round trips, and malformed files rejected with the line number and field.
#include <blockspec/io/matrix_market.hpp>

#include <doctest/doctest.h>
#include <support/temp_dir.hpp>

#include <sstream>

namespace {
Eigen::SparseMatrix<double> parse(const std::string& text) {
  std::istringstream s(text);
  return blockspec::read_matrix_market(s, "t.mtx");
}
}  // namespace

TEST_CASE("matrix_market: general, symmetric, pattern and integer files") {
  const auto G = parse(
      "%%MatrixMarket matrix coordinate real general\n"
      "% a comment\n"
      "\n"
      "2 3 3\n"
      "1 1 1.5\n"
      "2 3 -2e-3\n"
      "1 3 +4\n");
  Eigen::MatrixXd g(2, 3);
  g << 1.5, 0, 4, 0, 0, -2e-3;
  CHECK(Eigen::MatrixXd(G) == g);

  const auto S = parse(
      "%%MATRIXMARKET Matrix Coordinate Real Symmetric\n"
      "3 3 4\n"
      "1 1 2\n"
      "2 1 -1\n"
      "3 2 -1\n"
      "3 3 2\n");
  Eigen::MatrixXd s(3, 3);
  s << 2, -1, 0, -1, 0, -1, 0, -1, 2;
  CHECK(Eigen::MatrixXd(S) == s);  // off-diagonal entries mirrored

  const auto P = parse("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n");
  Eigen::MatrixXd p(2, 2);
  p << 1, 1, 1, 0;
  CHECK(Eigen::MatrixXd(P) == p);

  const auto I = parse("%%MatrixMarket matrix coordinate integer general\r\n1 1 2\r\n1 1 3\r\n1 1 4\r\n");
  CHECK(I.coeff(0, 0) == 7.0);  // duplicates are summed
}

TEST_CASE("matrix_market: write then read is exact") {
  blockspec::test::TempDir dir("mm");
  Eigen::SparseMatrix<double> A(4, 4);
  std::vector<Eigen::Triplet<double>> t{{0, 0, 0.1}, {1, 0, 1.0 / 3.0}, {0, 1, 1.0 / 3.0}, {3, 2, -1e-300}, {2, 3, -1e-300}, {3, 3, 7}};
  A.setFromTriplets(t.begin(), t.end());
  for (bool symmetric : {false, true}) {
    blockspec::write_matrix_market(dir / "A.mtx", A, {.symmetric = symmetric, .comment = "test\nmatrix"});
    const auto B = blockspec::read_matrix_market(dir / "A.mtx");
    CHECK(Eigen::MatrixXd(B) == Eigen::MatrixXd(A));  // exact: shortest round-trip decimal form
  }
  Eigen::SparseMatrix<double> N(2, 2);
  N.insert(0, 1) = 1.0;
  CHECK_THROWS_WITH_AS(blockspec::write_matrix_market(dir / "N.mtx", N, {.symmetric = true}),
                       doctest::Contains("not exactly symmetric"), blockspec::invalid_argument);
}

TEST_CASE("matrix_market: malformed files name the line and the field") {
  auto bad = [](const std::string& text, const std::string& where) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(parse(text), doctest::Contains(where.c_str()), blockspec::invalid_argument);
  };
  const std::string head = "%%MatrixMarket matrix coordinate real general\n";
  bad("", "t.mtx:1: banner: the input is empty");
  bad("%%MatrixMarket matrix coordinate real\n", "t.mtx:1: banner");
  bad("MatrixMarket matrix coordinate real general\n", "t.mtx:1: banner");
  bad("%%MatrixMarket matrix array real general\n", "t.mtx:1: format: 'array'");
  bad("%%MatrixMarket vector coordinate real general\n", "t.mtx:1: object");
  bad("%%MatrixMarket matrix coordinate complex general\n", "t.mtx:1: field: 'complex'");
  bad("%%MatrixMarket matrix coordinate real skew-symmetric\n", "t.mtx:1: symmetry: 'skew-symmetric'");
  bad(head + "% only comments\n", "size line: missing");
  bad(head + "2 2\n", "t.mtx:2: size line: expected 3 integers");
  bad(head + "2 x 1\n", "t.mtx:2: cols: 'x' is not an integer");
  bad(head + "0 2 1\n", "t.mtx:2: rows: 0 is not in");
  bad(head + "2 2 -1\n", "t.mtx:2: entries: -1 is negative");
  bad("%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n", "t.mtx:2: rows: a symmetric matrix must be square");
  bad(head + "2 2 1\n3 1 1.0\n", "t.mtx:3: row index: 3 is not in [1, 2]");
  bad(head + "2 2 1\n1 0 1.0\n", "t.mtx:3: column index: 0 is not in [1, 2]");
  bad(head + "2 2 1\n1 1 abc\n", "t.mtx:3: value: 'abc' is not a number");
  bad(head + "2 2 1\n1 1 1.0x\n", "t.mtx:3: value: '1.0x' is not a number");
  bad(head + "2 2 1\n1 1 inf\n", "t.mtx:3: value: 'inf' is not finite");
  bad(head + "2 2 1\n1 1\n", "t.mtx:3: entry: expected 3 fields");
  bad(head + "2 2 1\n1 1 1 1\n", "t.mtx:3: entry: expected 3 fields");
  bad(head + "2 2 1\n1.5 1 1\n", "t.mtx:3: row index: '1.5' is not an integer");
  bad(head + "2 2 2\n1 1 1\n", "entries: the size line announces 2 entries but the file has 1");
  bad(head + "2 2 1\n1 1 1\n2 2 1\n", "t.mtx:4: entries: more entries than the 1 announced");
  bad("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n", "t.mtx:3: entry: (1, 2) is above the diagonal");
  bad("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2.5\n", "t.mtx:3: value: '2.5' is not an integer");
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(std::filesystem::path("/nonexistent/x.mtx")),
                       doctest::Contains("cannot open"), blockspec::io_error);
}

TEST_CASE("matrix_market: a huge declared size is refused before allocating, and the limit can be raised") {
  // Before the fix these 3-line files made the reader allocate 7-10 GB (Eigen's index arrays for the
  // declared 2^31 - 1 columns); now the size line is checked against MatrixMarketReadOptions first.
  blockspec::test::TempDir dir("mm-huge");
  const std::string head = "%%MatrixMarket matrix coordinate real general\n";
  const auto square = dir.write("square.mtx", head + "2147483647 2147483647 1\n1 1 1.0\n");
  const auto wide = dir.write("wide.mtx", head + "1 2147483647 0\n");
  const auto many = dir.write("many.mtx", head + "2 2 1000000000\n1 1 1.0\n");
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(square), doctest::Contains("rows: 2147483647 is not in [1, 67108864]"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(square), doctest::Contains("max_dimension"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(wide), doctest::Contains("cols: 2147483647"),
                       blockspec::invalid_argument);
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(many), doctest::Contains("entries: 1000000000 exceeds the limit"),
                       blockspec::invalid_argument);
  // A raised limit reads a file the default refuses; the stored entries are what the file holds.
  const auto tall = dir.write("tall.mtx", head + "100 1 1\n100 1 2.5\n");
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(tall, {.max_dimension = 50}), doctest::Contains("rows: 100"),
                       blockspec::invalid_argument);
  const auto A = blockspec::read_matrix_market(tall, {.max_dimension = 100});
  CHECK(A.rows() == 100);
  CHECK(A.nonZeros() == 1);
  CHECK(A.coeff(99, 0) == 2.5);
  CHECK_THROWS_WITH_AS(blockspec::read_matrix_market(tall, {.max_dimension = 0}), doctest::Contains("max_dimension"),
                       blockspec::invalid_argument);
}
