import type { Backend } from './backend.js';
import type { BackendName } from './kernels.js';
import { createFastBackend, isWasmSimdSupported, loadFastBackend } from './internal/fast/index.js';
import { createReferenceBackend } from './internal/reference/index.js';

let reference: Backend | undefined;
let fast: Backend | undefined;
let chosen: Backend | undefined;

/** Reads `MOH_BACKEND` where a process environment exists (Node); browsers have none. */
function requestedBackend(): BackendName | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.['MOH_BACKEND'];
  if (value === undefined || value === '') return undefined;
  if (value === 'reference' || value === 'fast') return value;
  throw new Error(`MOH_BACKEND must be "reference" or "fast", got "${value}". Unset it to choose automatically.`);
}

/** The plain-TypeScript reference backend (always available). */
export function referenceBackend(): Backend {
  reference ??= createReferenceBackend();
  return reference;
}

/**
 * The WebAssembly SIMD backend, compiled synchronously on first use. Throws when the
 * runtime lacks WebAssembly SIMD. In a browser's main thread use {@link loadBackend}
 * first: browsers refuse to compile large modules synchronously there.
 */
export function fastBackend(): Backend {
  if (fast !== undefined) return fast;
  if (!isWasmSimdSupported()) {
    throw new Error('The fast backend needs WebAssembly SIMD, which this runtime lacks. Use the reference backend.');
  }
  fast = createFastBackend();
  return fast;
}

/**
 * The backend to use: `MOH_BACKEND` when set (`reference` or `fast`), otherwise the
 * fast backend when the runtime supports WebAssembly SIMD, else the reference one.
 *
 * @example
 * ```ts
 * import { getBackend } from '@moh/tensor';
 * const backend = getBackend();
 * const out = new Float32Array(4);
 * backend.matmul(out, new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 1]), 2, 2, 2);
 * // out is [1, 2, 3, 4]
 * ```
 */
export function getBackend(): Backend {
  if (chosen !== undefined) return chosen;
  const requested = requestedBackend();
  if (requested === 'reference') chosen = referenceBackend();
  else if (requested === 'fast' || isWasmSimdSupported()) chosen = fastBackend();
  else chosen = referenceBackend();
  return chosen;
}

/**
 * Like {@link getBackend}, but compiles the WebAssembly module asynchronously, as a
 * browser's main thread requires. Call once at start-up; later calls of
 * {@link getBackend} return the same backend.
 */
export async function loadBackend(): Promise<Backend> {
  if (chosen !== undefined) return chosen;
  const requested = requestedBackend();
  if (requested !== 'reference' && (requested === 'fast' || isWasmSimdSupported())) {
    fast ??= await loadFastBackend();
    chosen = fast;
  } else {
    chosen = referenceBackend();
  }
  return chosen;
}

/**
 * A new instance of backend `name`, independent of the shared one: the fast backend gets
 * a WebAssembly memory of its own (up to 2 GiB of storage on a shared memory). For
 * models that run side by side and together would not fit one memory, such as the
 * benchmark's variants at long contexts. Throws for `fast` where SIMD is missing.
 */
export function createBackend(name: BackendName): Backend {
  if (name === 'reference') return createReferenceBackend();
  if (!isWasmSimdSupported()) throw new Error('The fast backend needs WebAssembly SIMD, which this runtime lacks.');
  return createFastBackend();
}

/** Every backend this runtime can run, reference first: what the shared test spec iterates over. */
export function availableBackends(): Backend[] {
  return isWasmSimdSupported() ? [referenceBackend(), fastBackend()] : [referenceBackend()];
}
