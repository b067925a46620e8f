// Tests for io/atomic_file.hpp: the target is complete or untouched, no temporary file survives.
#include <blockspec/io/atomic_file.hpp>

#include <doctest/doctest.h>
#include <support/temp_dir.hpp>

#include <stdexcept>

TEST_CASE("atomic_file: writes, replaces, and leaves nothing behind on failure") {
  blockspec::test::TempDir dir("atomic");
  const auto target = dir / "out.txt";
  blockspec::write_file_atomically(target, std::string("first\n"));
  CHECK(blockspec::test::read_bytes(target) == "first\n");
  blockspec::write_file_atomically(target, [](std::ostream& os) { os << "second\n"; });
  CHECK(blockspec::test::read_bytes(target) == "second\n");

  // A writer that throws half way: the old content stays, the temporary is removed.
  CHECK_THROWS_AS(blockspec::write_file_atomically(target,
                                                   [](std::ostream& os) {
                                                     os << "partial";
                                                     throw std::runtime_error("boom");
                                                   }),
                  std::runtime_error);
  CHECK(blockspec::test::read_bytes(target) == "second\n");
  CHECK(dir.entries() == 1);

  // A new file whose writer fails is absent afterwards.
  CHECK_THROWS_AS(blockspec::write_file_atomically(dir / "new.txt", [](std::ostream&) { throw std::runtime_error("x"); }),
                  std::runtime_error);
  CHECK_FALSE(std::filesystem::exists(dir / "new.txt"));
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic_file: bad targets are named") {
  blockspec::test::TempDir dir("atomic");
  CHECK_THROWS_WITH_AS(blockspec::write_file_atomically(dir / "missing" / "x.txt", std::string("x")),
                       doctest::Contains("does not exist"), blockspec::io_error);
  CHECK_THROWS_WITH_AS(blockspec::write_file_atomically(std::filesystem::path{}, std::string("x")),
                       doctest::Contains("empty"), blockspec::invalid_argument);
  std::filesystem::create_directory(dir / "sub");
  CHECK_THROWS_WITH_AS(blockspec::write_file_atomically(dir / "sub", std::string("x")),
                       doctest::Contains("is a directory"), blockspec::io_error);
  CHECK(dir.entries() == 1);
}
