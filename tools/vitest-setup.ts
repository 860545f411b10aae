// Runs before every package's tests. Relaxed SIMD goes on as the `moh` CLI turns it on,
// so the specs run the fast backend's fused multiply-add variant and, through
// `availableBackends()`, the unfused one beside it.
import { enableRelaxedSimd } from '@moh/tensor';

enableRelaxedSimd();
