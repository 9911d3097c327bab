// Memory the runtime streams through on every inference (a loaded plan's weights, a context's
// arena and scratch), backed by 2 MiB pages where the kernel gives them.
#pragma once

#include <cstddef>
#include <memory>

namespace kiln::runtime {

/// n zeroed bytes (at least one), 64-byte aligned. From 1 MiB up they are 2 MiB aligned and
/// advised as transparent huge pages (MADV_HUGEPAGE; the system's THP setting decides, and a
/// refusal costs nothing): a plan's weights in 4 KiB pages take more page walks per inference
/// than the TLB holds (MobileNetV2: 14 MB of weights and 6 MB of arena are 5,000 pages against
/// Zen 4's 3,072 second-level entries). Null when the memory cannot be had. AddressSanitizer
/// builds take every size from the heap (64-byte aligned), so overruns are still caught.
std::shared_ptr<std::byte[]> huge_page_bytes(size_t n);

}  // namespace kiln::runtime
