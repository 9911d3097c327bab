#include "runtime/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace kiln::runtime {

std::shared_ptr<std::byte[]> huge_page_bytes(size_t n) {
  constexpr size_t kHuge = size_t{2} << 20, kSmall = size_t{1} << 20;
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds keep the heap's redzones around every buffer (an overrun of the arena is
  // then reported, not silently absorbed by a mapping's slack).
  constexpr bool kHeapOnly = true;
#else
  constexpr bool kHeapOnly = false;
#endif
  if (kHeapOnly || n < kSmall) {
    auto* p = static_cast<std::byte*>(::operator new[](n ? n : 1, std::align_val_t(64), std::nothrow));
    if (!p) return nullptr;
    std::fill(p, p + (n ? n : 1), std::byte{0});
    return std::shared_ptr<std::byte[]>(p,
                                        [](std::byte* q) { ::operator delete[](q, std::align_val_t(64)); });
  }
  // Map one huge page more than needed, keep the 2 MiB-aligned part, return the rest.
  const size_t size = (n + kHuge - 1) / kHuge * kHuge;
  void* raw = ::mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw), aligned = (start + kHuge - 1) / kHuge * kHuge;
  const size_t head = aligned - start;  // the rest of the extra page, kHuge - head, follows the kept part
  if (head) ::munmap(raw, head);
  if (head != kHuge) ::munmap(reinterpret_cast<void*>(aligned + size), kHuge - head);
  auto* p = reinterpret_cast<std::byte*>(aligned);
  ::madvise(p, size, MADV_HUGEPAGE);
  return std::shared_ptr<std::byte[]>(p, [size](std::byte* q) { ::munmap(q, size); });
}

}  // namespace kiln::runtime
