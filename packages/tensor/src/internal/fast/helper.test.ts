/**
 * The two-thread fast backend: big dense products split by output rows over a helper
 * thread must give the bits of one thread, in every layout.
 */
import { describe, expect, it } from 'vitest';
import { seededValues } from '@moh/test-utils';
import type { Backend } from '../../backend.js';
import { createBackend } from '../../backends.js';
import { SPLIT_MIN_FLOPS } from './matmul-kernels.js';
import { HelperThread, isHelperThreadSupported } from './helper.js';
import { WasmHeap } from './heap.js';
import { SHARED_MAXIMUM_PAGES, wasmBinary } from './wasm-binary.generated.js';
import type { WasmExports } from './wasm-exports.js';
import { isWasmSimdSupported } from './index.js';

type Layout = 'NN' | 'TN' | 'NT';

/** `out` after one product of `be` in `layout` over seeded operands (strided, optionally accumulating). */
function product(be: Backend, layout: Layout, m: number, k: number, n: number, accumulate: boolean, resident: boolean): number[] {
  const lda = (layout === 'TN' ? m : k) + 3;
  const ldb = (layout === 'NT' ? k : n) + 1;
  const ldc = n + 2;
  const aRows = layout === 'TN' ? k : m;
  const bRows = layout === 'NT' ? n : k;
  const place = (values: Float32Array): Float32Array => {
    if (!resident) return values;
    const stored = be.allocFloat32(values.length).data;
    stored.set(values);
    return stored;
  };
  const a = place(seededValues(m + 7 * k, aRows * lda));
  const b = place(seededValues(n + 5 * k, bRows * ldb));
  const out = place(seededValues(3, m * ldc));
  if (layout === 'NN') be.matmul(out, a, b, m, k, n, accumulate, lda, ldb, ldc);
  else if (layout === 'TN') be.matmulTN(out, a, b, m, k, n, accumulate, lda, ldb, ldc);
  else be.matmulNT(out, a, b, m, k, n, accumulate, lda, ldb, ldc);
  return Array.from(out);
}

/** The first index where two results differ (or their lengths do), −1 where they are the same bits. */
function firstDifference(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  return x.findIndex((v, i) => !Object.is(v, y[i]));
}

describe.skipIf(!isWasmSimdSupported() || !isHelperThreadSupported())('fast backend with a helper thread', () => {
  const one = createBackend('fast');
  const two = createBackend('fast', { threads: 2 });
  const twoPlain = createBackend('fast', { threads: 2, fusedMultiplyAdd: false });
  const onePlain = createBackend('fast', { fusedMultiplyAdd: false });

  it('says so in its label and thread count', () => {
    expect(two.threads).toBe(2);
    expect(one.threads).toBe(1);
    expect(two.label).toBe(`${one.label} ×2`);
  });

  // Odd row counts (the halves differ by one), and sizes past the split threshold.
  const CASES: [Layout, number, number, number][] = [
    ['NN', 203, 130, 96],
    ['NT', 301, 128, 200],
    ['TN', 131, 1200, 64],
    ['NN', 1280, 128, 256],
  ];

  it.each(CASES)('%s %i×%i×%i: the bits of one thread (accumulating or not, resident or copied in)', (layout, m, k, n) => {
    expect(2 * m * k * n).toBeGreaterThanOrEqual(SPLIT_MIN_FLOPS);
    for (const accumulate of [false, true]) {
      for (const resident of [true, false]) {
        // An index, not the arrays: a diff of 300 000 numbers would take minutes to print.
        const what = `accumulate ${accumulate}, resident ${resident}`;
        expect(firstDifference(product(two, layout, m, k, n, accumulate, resident), product(one, layout, m, k, n, accumulate, resident)), what).toBe(-1);
        expect(firstDifference(product(twoPlain, layout, m, k, n, accumulate, resident), product(onePlain, layout, m, k, n, accumulate, resident)), what).toBe(-1);
      }
    }
  });

  // Row-gathered products split their list (or, Aᵀ·B, their output rows): every other
  // row of 1,001, backwards, so the halves interleave in A.
  const R = 1001;
  const rows = Int32Array.from({ length: Math.ceil(R / 2) }, (_, i) => R - 1 - 2 * i);
  const gathered = (be: Backend, kind: 'rows' | 'ntRows' | 'tnRows', compact: boolean, accumulate: boolean): number[] => {
    const [k, n, m] = [96, 80, 120];
    const count = rows.length;
    const store = (values: Float32Array): Float32Array => {
      const stored = be.allocFloat32(values.length).data;
      stored.set(values);
      return stored;
    };
    const list = be.allocInt32(count).data;
    list.set(rows);
    if (kind === 'tnRows') {
      const out = store(seededValues(4, m * n));
      const a = store(seededValues(5, R * m));
      const b = store(seededValues(6, (compact ? count : R) * n));
      be.matmulTNRows(out, a, b, list, count, m, n, accumulate, m, n, n, compact);
      return Array.from(out);
    }
    const out = store(seededValues(7, (compact && kind === 'rows' ? count : R) * n));
    const a = store(seededValues(8, (compact && kind === 'ntRows' ? count : R) * k));
    const b = store(seededValues(9, k * n));
    if (kind === 'rows') be.matmulRows(out, a, b, list, count, k, n, accumulate, k, n, n, compact);
    else be.matmulNTRows(out, a, b, list, count, k, n, accumulate, k, k, n, compact);
    return Array.from(out);
  };

  it.each(['rows', 'ntRows', 'tnRows'] as const)('gathered %s: the bits of one thread (compact or not, accumulating or not)', (kind) => {
    for (const compact of [false, true]) {
      for (const accumulate of [false, true]) {
        const what = `compact ${compact}, accumulate ${accumulate}`;
        expect(firstDifference(gathered(two, kind, compact, accumulate), gathered(one, kind, compact, accumulate)), what).toBe(-1);
      }
    }
  });

  it('runs small products whole, with the same bits', () => {
    expect(firstDifference(product(two, 'NN', 9, 20, 11, false, true), product(one, 'NN', 9, 20, 11, false, true))).toBe(-1);
  });

  it('reports a call that fails in the worker, and goes on working', () => {
    const module = new WebAssembly.Module(wasmBinary(true, false));
    const memory = new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
    const heap = new WasmHeap(memory, exports.heapBase());
    const helper = new HelperThread(module, memory, heap);
    const scratch = helper.scratch(exports.matmulScratchBytes(2));
    // A 1×2·2×1 product whose output lies far past the memory's end: the worker traps.
    helper.post([{ kernel: 0, args: [2 ** 31 - 64, 0, 0, 1, 2, 1, 0, 2, 1, 1, scratch] }]);
    expect(() => helper.finish()).toThrow(/failed in the helper thread/);
    const at = heap.alloc(32);
    const f = new Float32Array(memory.buffer, at, 8);
    f.set([1, 2, 3, 4, 0, 0, 0, 0]); // a = [1, 2], b = [3, 4]ᵀ, out at f[4]
    helper.post([{ kernel: 0, args: [at + 16, at, at + 8, 1, 2, 1, 0, 2, 1, 1, scratch] }]);
    helper.finish();
    expect(f[4]).toBe(11);
  });

  it('refuses a thread count other than 1 or 2, and 2 without a shared memory', () => {
    expect(() => createBackend('fast', { threads: 3 })).toThrow(/threads must be 1 or 2, got 3/);
    expect(() => createBackend('fast', { threads: 1.5 })).toThrow(RangeError);
    // Through the fast backend's own options: an ordinary memory cannot be shared with a worker.
    return import('./index.js').then(({ createFastBackend }) => {
      expect(() => createFastBackend({ threads: 2, sharedMemory: false })).toThrow(/needs a shared WebAssembly memory/);
    });
  });
});
