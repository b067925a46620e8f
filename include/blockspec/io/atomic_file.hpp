// blockspec/io/atomic_file.hpp — output files that are complete or absent.
//
// Method: the bytes are written to a uniquely named temporary file in the
// target's own directory (".<name>.tmp-<random>"), flushed and closed, and
// then moved over the target with std::filesystem::rename. On POSIX file
// systems rename within one directory is atomic, so a reader sees either the
// old file, or the new complete file, never a half-written one; if anything
// fails (the writer throws, the disk fills up), the temporary file is removed
// and the target is left untouched.
// Caveats: the data is not fsync'ed, so durability across a power failure is
// the operating system's; on Windows rename over an existing file may fail
// if another process holds it open. Cost: one extra directory entry.
#pragma once

#include <blockspec/error.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace blockspec {

namespace detail {

/// A name for the temporary sibling of `target`, unique within this process
/// and very likely across processes (time, thread and a counter are mixed).
inline std::filesystem::path atomic_temp_path(const std::filesystem::path& target) {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t x = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  x ^= static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) * 0x9E3779B97F4A7C15ULL;
  x ^= (counter.fetch_add(1) + 1) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  static constexpr char hex[] = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 12; ++i) tag += hex[(x >> (4 * i)) & 0xF];
  std::filesystem::path dir = target.parent_path();
  // Built by append, not `"." + string`: GCC 12 warns (-Wrestrict, a false
  // positive, GCC bug 105329) on that concatenation once inlined at -O2.
  std::string name = ".";
  name.append(target.filename().string()).append(".tmp-").append(tag);
  return dir / name;
}

}  // namespace detail

/// Writes `target` atomically: `writer(std::ostream&)` fills a temporary file
/// in the same directory, which then replaces `target` by rename. The target
/// is complete or untouched; the temporary file never survives an error.
/// Throws blockspec::io_error when the file cannot be written, and rethrows what
/// `writer` throws.
/// Example: `blockspec::write_file_atomically("out.txt", [](std::ostream& os) { os << "hello\n"; });`
template <class Writer>
  requires std::invocable<Writer&, std::ostream&>
void write_file_atomically(const std::filesystem::path& target, Writer&& writer) {
  namespace fs = std::filesystem;
  detail::require(!target.empty(), "write_file_atomically", "the target path is empty");
  detail::require(target.has_filename(), "write_file_atomically",
                  "the target path '" + target.string() + "' names a directory, not a file");
  const fs::path parent = target.parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw io_error("write_file_atomically: the directory '" + parent.string() + "' of '" + target.string() +
                "' does not exist");
  if (fs::is_directory(target, ec))
    throw io_error("write_file_atomically: '" + target.string() + "' is a directory");
  const fs::path tmp = detail::atomic_temp_path(target);
  try {
    {
      std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
      if (!os) throw io_error("write_file_atomically: cannot create the temporary file '" + tmp.string() + "'");
      writer(static_cast<std::ostream&>(os));
      os.flush();
      if (!os) throw io_error("write_file_atomically: writing '" + tmp.string() + "' failed (disk full?)");
      os.close();
      if (os.fail()) throw io_error("write_file_atomically: closing '" + tmp.string() + "' failed");
    }
    fs::rename(tmp, target, ec);
    if (ec)
      throw io_error("write_file_atomically: cannot rename '" + tmp.string() + "' to '" + target.string() +
                  "': " + ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

/// Writes the bytes `data` to `target` atomically (see the overload taking a writer).
/// Example: `blockspec::write_file_atomically("summary.txt", std::string("done\n"));`
inline void write_file_atomically(const std::filesystem::path& target, std::string_view data) {
  write_file_atomically(target, [data](std::ostream& os) { os.write(data.data(), static_cast<std::streamsize>(data.size())); });
}

}  // namespace blockspec
