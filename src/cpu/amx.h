// Intel AMX (Advanced Matrix Extensions) tiles, as the BF16 kernels use them: whether this process
// may run them, and the one tile shape those kernels load.
#pragma once

namespace kiln::cpu {

/// Whether AMX BF16 kernels can run here: cpuid reports AMX-TILE, AMX-BF16 and AVX512-BF16, the OS
/// saves the tile state, and Linux granted this process the tile data (asked once, with
/// arch_prctl). KILN_AMX=0, or KILN_ISA below avx512, turns them off.
bool amx_usable();

}  // namespace kiln::cpu
