// Intel AMX (Advanced Matrix Extensions) tiles: whether this process may run the BF16 kernels.
#pragma once

namespace kiln::cpu {

/// Whether AMX BF16 kernels can run here: the target's features have AMX-BF16 (cpuid's AMX-TILE
/// and AMX-BF16, the tile state saved by the OS) and AVX512-BF16, and Linux granted this process
/// the tile data (asked once, with arch_prctl). KILN_AMX=0, or KILN_ISA below avx512, turns them
/// off.
bool amx_usable();

}  // namespace kiln::cpu
