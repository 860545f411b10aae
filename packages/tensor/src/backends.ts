import type { Backend } from './backend.js';
import type { BackendName } from './kernels.js';
import { createFastBackend, isRelaxedSimdSupported, isWasmSimdSupported, loadFastBackend } from './internal/fast/index.js';
import { createReferenceBackend } from './internal/reference/index.js';

let reference: Backend | undefined;
let fast: Backend | undefined;
let unfused: Backend | undefined;
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

/** Options of {@link createBackend}. */
export interface CreateBackendOptions {
  /**
   * Fast backend only: whether its matrix products use fused multiply-add. Default: where
   * the runtime has WebAssembly relaxed SIMD (see {@link enableRelaxedSimd}).
   */
  readonly fusedMultiplyAdd?: boolean;
  /**
   * Fast backend only: 1 (default) or 2 threads for the big matrix products, whose second
   * half of rows then runs on a helper thread; the results are the same bits. Needs
   * Node's `worker_threads` and a shared memory; elsewhere 2 is refused.
   */
  readonly threads?: number;
}

/**
 * A new instance of backend `name`, independent of the shared one: the fast backend gets
 * a WebAssembly memory of its own (up to 2 GiB of storage on a shared memory). For
 * models that run side by side and together would not fit one memory, such as the
 * benchmark's variants at long contexts. Throws for `fast` where SIMD is missing, and
 * for `fusedMultiplyAdd: true` where relaxed SIMD is.
 */
export function createBackend(name: BackendName, options: CreateBackendOptions = {}): Backend {
  if (name === 'reference') {
    if ((options.threads ?? 1) !== 1) throw new RangeError(`The reference backend runs on one thread; threads ${options.threads} is for the fast one.`);
    return createReferenceBackend();
  }
  if (!isWasmSimdSupported()) throw new Error('The fast backend needs WebAssembly SIMD, which this runtime lacks.');
  return createFastBackend(options);
}

/**
 * Every backend this runtime can run, reference first: what the shared test specs
 * iterate over. Where the fast backend fuses its multiply-adds, the unfused variant
 * follows it, so both stay tested.
 */
export function availableBackends(): Backend[] {
  if (!isWasmSimdSupported()) return [referenceBackend()];
  const backends = [referenceBackend(), fastBackend()];
  if (backends[1]?.fusedMultiplyAdd === true) {
    unfused ??= createFastBackend({ fusedMultiplyAdd: false });
    backends.push(unfused);
  }
  return backends;
}

/** The slice of Node's `process` that {@link enableRelaxedSimd} uses (absent in browsers). */
interface NodeProcess {
  getBuiltinModule?(id: 'node:v8'): { setFlagsFromString(flags: string): void } | undefined;
}

/**
 * Lets the fast backend use WebAssembly relaxed SIMD (fused multiply-add in the matrix
 * products, ≈ 20 % faster) on Node 20, whose V8 has the feature behind
 * `--experimental-wasm-relaxed-simd`: sets that flag at run time. Node ≥ 22 and
 * Chromium-based browsers have it already; elsewhere this does nothing. Call it at
 * start-up, before the first fast backend is created (backends made earlier keep their
 * module). Returns whether relaxed SIMD is now available. The `moh` CLI calls it.
 *
 * @example
 * ```ts
 * import { enableRelaxedSimd, getBackend } from '@moh/tensor';
 * enableRelaxedSimd();
 * const backend = getBackend(); // label 'fast+fma' where relaxed SIMD is available
 * ```
 */
export function enableRelaxedSimd(): boolean {
  if (!isWasmSimdSupported()) return false;
  if (isRelaxedSimdSupported()) return true;
  const process = (globalThis as { process?: NodeProcess }).process;
  const v8 = process?.getBuiltinModule?.('node:v8');
  if (v8 === undefined) return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return isRelaxedSimdSupported();
}
