// blockspec/krylov/detail/huge_pages.hpp — ask Linux for transparent huge pages on big work arrays (internal).
//
// The first write to a fresh 4 KiB page costs a page fault, one per 4 KiB of
// the 800 MB basis of a 100-step Lanczos run at n = 10^6: enough to cost more
// than the run's products (bench/RESULTS.md, Notes). With transparent huge
// pages in "madvise" mode (the common default), advising MADV_HUGEPAGE on the
// array before it is touched makes the kernel fault in 2 MiB pages instead,
// 512 times fewer faults. The advice is harmless when
// it is refused or unsupported, and is a no-op outside Linux or for arrays
// under 8 MiB.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace blockspec::detail {

/// Advises huge pages for the 2 MiB-aligned interior of [p, p + bytes). Call before the first write.
inline void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  if (p == nullptr || bytes < 4 * huge) return;
  const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

}  // namespace blockspec::detail
