// Fuzz target: the CSV writer (io/csv.hpp). blockspec has no CSV reader, so the target builds a
// CsvTable from the input (text fields split at '\0', doubles from 8-byte chunks), renders it,
// parses the text back with a strict RFC 4180 reader here, and aborts unless every text cell
// comes back byte for byte and every double bit for bit (NaN as NaN).
#include "fuzz_common.hpp"

#include <blockspec/io/csv.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<std::vector<std::string>> parse_rfc4180(const std::string& s) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  std::size_t i = 0;
  bool at_field_start = true;
  while (i < s.size()) {
    const char c = s[i];
    if (at_field_start && c == '"') {
      ++i;
      while (true) {
        if (i >= s.size()) std::abort();  // unterminated quote
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            rows.back().back() += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        rows.back().back() += s[i++];
      }
      at_field_start = false;
      if (i < s.size() && s[i] != ',' && s[i] != '\n') std::abort();  // text after a closing quote
      continue;
    }
    if (c == '"') std::abort();  // a bare quote inside an unquoted field
    if (c == ',') {
      rows.back().emplace_back();
      at_field_start = true;
    } else if (c == '\n') {
      rows.emplace_back(1);
      at_field_start = true;
    } else {
      rows.back().back() += c;
      at_field_start = false;
    }
    ++i;
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();  // the final '\n'
  return rows;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t n_text = data[0] % 8;  // the first n_text '\0'-separated pieces are text cells
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> text;
  std::size_t pos = 0;
  while (text.size() < n_text && pos <= rest.size()) {
    const auto z = rest.find('\0', pos);
    text.push_back(rest.substr(pos, z == std::string::npos ? std::string::npos : z - pos));
    pos = z == std::string::npos ? rest.size() + 1 : z + 1;
  }
  std::vector<double> nums;
  for (std::size_t k = pos; k + 8 <= rest.size() && nums.size() < text.size(); k += 8) {
    double x;
    std::memcpy(&x, rest.data() + k, 8);
    nums.push_back(x);
  }
  if (text.empty()) return 0;
  nums.resize(text.size(), 0.5);
  const std::vector<std::int64_t> ints(text.size(), -7);
  blockspec::CsvTable t;
  blockspec::fuzz::expect_clean([&] {
    t.add_column(text[0].empty() ? std::string("name") : text[0], text);
    t.add_column("x", nums);
    t.add_column("k", ints);
    if (text[0] == "x" || text[0] == "k") std::abort();  // a duplicate name must have thrown
    const auto rows = parse_rfc4180(t.to_string());
    if (rows.size() != text.size() + 1) std::abort();
    for (std::size_t r = 0; r < text.size(); ++r) {
      const auto& row = rows[r + 1];
      if (row.size() != 3 || row[0] != text[r] || row[2] != "-7") std::abort();
      double back = 0;
      if (row[1] == "nan") back = std::nan("");
      else if (row[1] == "inf") back = INFINITY;
      else if (row[1] == "-inf") back = -INFINITY;
      else if (std::from_chars(row[1].data(), row[1].data() + row[1].size(), back).ptr != row[1].data() + row[1].size())
        std::abort();
      if (std::isnan(nums[r]) ? !std::isnan(back) : std::memcmp(&back, &nums[r], 8) != 0) std::abort();
    }
  });
  return 0;
}
