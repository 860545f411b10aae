/**
 * The matrix-product kernels of the fast backend: argument checks and marshalling
 * around the WebAssembly exports of assembly/matmul.ts. With a helper thread, a big
 * dense product runs its first half of the output rows here and its second half there,
 * at once (the same bits: see helper.ts).
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import type { CallFrame } from './frame.js';
import type { HelperKernel, HelperThread } from './helper.js';
import { checkSizes, rowExtent, span } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type MatmulKernels = Pick<
  Kernels,
  'matmul' | 'matmulTN' | 'matmulNT' | 'matmulRows' | 'matmulColumnBlocks' | 'matmulNTRows' | 'matmulTNRows'
>;

/**
 * Products of at least this many FLOPs (and 16 rows) are split over the helper thread:
 * 1 MFLOP takes ≈ 20 µs at the kernels' speed, against a microsecond or two to hand half
 * to a worker that is still spinning from the last split. Against 4 MFLOP, MoH's routed
 * heads' gathered products (≈ 3.5 MFLOP in a batch-16 step at T = 80) split too: its
 * saving against all heads on two threads went from −1 to +1…2 % at batch 8.
 */
export const SPLIT_MIN_FLOPS = 1 << 20;

/** A dense product's export: `(out, a, b, m, k, n, accumulate, lda, ldb, ldc, scratch)`. */
type DenseExport = (out: number, a: number, b: number, m: number, k: number, n: number, acc: 0 | 1, lda: number, ldb: number, ldc: number, scratch: number) => void;

/**
 * Where a dense product's rows split: the helper's scratch pointer (allocated here, before
 * the frame copies anything in), or −1 to run it whole on this thread.
 */
function splitScratch(helper: HelperThread | null, m: number, k: number, n: number, scratchBytes: number): number {
  if (helper === null || m < 16 || 2 * m * k * n < SPLIT_MIN_FLOPS) return -1;
  return helper.scratch(scratchBytes);
}

/**
 * Runs `here` on this thread while the helper runs `kernel` with `helperArgs` (the other
 * part of a split product), then waits for it: whatever happened here, the worker must be
 * done before the frame's block is reused.
 */
function alongside(helper: HelperThread, kernel: HelperKernel, helperArgs: readonly number[], here: () => void): void {
  helper.post([{ kernel, args: helperArgs }]);
  try {
    here();
  } finally {
    helper.finish();
  }
}

/**
 * Runs a dense product: whole, or its rows `h … m−1` on the helper while this thread runs
 * rows `0 … h−1`. `aRowBytes` is how far apart A's rows (for Aᵀ·B its columns) lie.
 */
function runDense(
  run: DenseExport, kernel: HelperKernel, helper: HelperThread | null, helperScratch: number,
  out: number, a: number, b: number, m: number, k: number, n: number, acc: 0 | 1,
  lda: number, ldb: number, ldc: number, scratch: number, aRowBytes: number,
): void {
  if (helper === null || helperScratch < 0) {
    run(out, a, b, m, k, n, acc, lda, ldb, ldc, scratch);
    return;
  }
  const h = m >> 1;
  alongside(helper, kernel, [out + h * ldc * 4, a + h * aRowBytes, b, m - h, k, n, acc, lda, ldb, ldc, helperScratch], () =>
    run(out, a, b, h, k, n, acc, lda, ldb, ldc, scratch),
  );
}

/** A row-gathered product's export: `(out, a, b, rows, count, k, n, accumulate, lda, ldb, ldc, scratch, compact)` (`m` for k in Aᵀ·B). */
type GatheredExport = (
  out: number, a: number, b: number, rows: number, count: number, k: number, n: number, acc: 0 | 1,
  lda: number, ldb: number, ldc: number, scratch: number, compact: 0 | 1,
) => void;

/** The arguments of a gathered product's export, by name (`k` is `m` for Aᵀ·B). */
interface Gathered {
  readonly out: number;
  readonly a: number;
  readonly b: number;
  readonly rows: number;
  readonly count: number;
  readonly k: number;
  readonly n: number;
  readonly acc: 0 | 1;
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  readonly scratch: number;
  readonly compact: 0 | 1;
}

/** A flag as the exports take it. */
const flag = (on: boolean): 0 | 1 => (on ? 1 : 0);

/** The export's arguments in order. */
function gatheredArgs(g: Gathered): [number, number, number, number, number, number, number, 0 | 1, number, number, number, number, 0 | 1] {
  return [g.out, g.a, g.b, g.rows, g.count, g.k, g.n, g.acc, g.lda, g.ldb, g.ldc, g.scratch, g.compact];
}

/**
 * Calls the export with `g`'s arguments one by one: a spread call into an export takes a
 * slow generic path (it cost MoH's T = 80 prefill 3–4 %).
 */
function callGathered(run: GatheredExport, g: Gathered): void {
  run(g.out, g.a, g.b, g.rows, g.count, g.k, g.n, g.acc, g.lda, g.ldb, g.ldc, g.scratch, g.compact);
}

/**
 * Runs a gathered product whole, or as the two parts `split` makes of it (this thread's,
 * then the helper's, which gets the helper's scratch).
 */
function runGathered(
  run: GatheredExport, kernel: HelperKernel, helper: HelperThread | null, helperScratch: number, whole: Gathered,
  split: (whole: Gathered) => readonly [Gathered, Gathered],
): void {
  if (helper === null || helperScratch < 0) {
    callGathered(run, whole);
    return;
  }
  const [mine, theirs] = split(whole);
  alongside(helper, kernel, gatheredArgs({ ...theirs, scratch: helperScratch }), () => callGathered(run, mine));
}

/** Builds the matrix-product kernels over one module instance and call frame (and its helper thread, if any). */
export function matmulKernels(wasm: WasmExports, frame: CallFrame, helper: HelperThread | null = null): MatmulKernels {
  /**
   * Registers a gathered product's arrays (`spans`: the elements of out, a, b it reaches)
   * and runs it whole or split over the helper (see {@link runGathered}); `splitRows` is
   * the size the split halves and `inner` the product's other factor of its FLOPs, for the
   * threshold.
   */
  const gathered = (
    run: GatheredExport, kernel: HelperKernel, out: Float32Array, a: Float32Array, b: Float32Array, rows: Int32Array,
    spans: readonly [number, number, number], g: Omit<Gathered, 'out' | 'a' | 'b' | 'rows' | 'scratch'>, bytes: number,
    splitRows: number, inner: number, split: (whole: Gathered) => readonly [Gathered, Gathered],
  ): void => {
    const o = frame.output(out, spans[0]);
    const pa = frame.input(a, spans[1]);
    const pb = frame.input(b, spans[2]);
    const pr = frame.input(rows, g.count);
    const s = frame.scratch(bytes);
    const hs = splitScratch(helper, splitRows, inner, g.n, bytes);
    frame.begin();
    try {
      const whole: Gathered = {
        out: frame.pointer(o), a: frame.pointer(pa), b: frame.pointer(pb), rows: frame.pointer(pr), count: g.count, k: g.k, n: g.n,
        acc: g.acc, lda: g.lda, ldb: g.ldb, ldc: g.ldc, scratch: frame.pointer(s), compact: g.compact,
      };
      runGathered(run, kernel, helper, hs, whole, split);
    } finally {
      frame.end();
    }
  };
  return {
    matmul(out, a, b, m, k, n, accumulate = false, lda = k, ldb = n, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(k, n, ldb));
      const bytes = wasm.matmulScratchBytes(k);
      const s = frame.scratch(bytes);
      const hs = splitScratch(helper, m, k, n, bytes);
      frame.begin();
      try {
        runDense(
          wasm.matmul, 0, helper, hs, frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0,
          lda, ldb, ldc, frame.pointer(s), lda * 4,
        );
      } finally {
        frame.end();
      }
    },

    matmulTN(out, a, b, m, k, n, accumulate = false, lda = m, ldb = n, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(k, m, lda));
      const pb = frame.input(b, span(k, n, ldb));
      const bytes = wasm.matmulScratchBytes(k);
      const s = frame.scratch(bytes);
      const hs = splitScratch(helper, m, k, n, bytes);
      frame.begin();
      try {
        // Output row i of Aᵀ·B is column i of A, 4 bytes from the next.
        runDense(
          wasm.matmulTN, 1, helper, hs, frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0,
          lda, ldb, ldc, frame.pointer(s), 4,
        );
      } finally {
        frame.end();
      }
    },

    matmulNT(out, a, b, m, k, n, accumulate = false, lda = k, ldb = k, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(n, k, ldb));
      const bytes = wasm.matmulNTScratchBytes(k, n);
      const s = frame.scratch(bytes);
      const hs = splitScratch(helper, m, k, n, bytes);
      frame.begin();
      try {
        runDense(
          wasm.matmulNT, 2, helper, hs, frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0,
          lda, ldb, ldc, frame.pointer(s), lda * 4,
        );
      } finally {
        frame.end();
      }
    },

    matmulRows(out, a, b, rows, count, k, n, accumulate = false, lda = k, ldb = n, ldc = n, compact = false) {
      checkSizes(count, k, n, lda, ldb, ldc);
      if (count === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const g = { count, k, n, acc: flag(accumulate), lda, ldb, ldc, compact: flag(compact) };
      const spans = [span(compact ? count : extent, n, ldc), span(extent, k, lda), span(k, n, ldb)] as const;
      // The listed rows split in two; compact outputs are the list's order, others the rows themselves.
      gathered(wasm.matmulRows, 5, out, a, b, rows, spans, g, wasm.matmulScratchBytes(k), count, k, (w) => {
        const h = w.count >> 1;
        return [{ ...w, count: h }, { ...w, out: compact ? w.out + h * ldc * 4 : w.out, rows: w.rows + h * 4, count: w.count - h }];
      });
    },

    matmulColumnBlocks(out, a, b, blocks, count, m, k, width, accumulate = false, lda = k, ldb, ldc = count * width) {
      // Checked before any use: an index past `b` would read other tensors in memory.
      const columns = rowExtent(blocks, count) * width;
      const ldB = ldb ?? columns;
      checkSizes(count, m, k, width, lda, ldB, ldc);
      if (count === 0 || m === 0 || width === 0) return;
      const o = frame.output(out, span(m, count * width, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(k, columns, ldB));
      const pl = frame.input(blocks, count);
      const s = frame.scratch(wasm.matmulScratchBytes(k));
      frame.begin();
      try {
        wasm.matmulColumnBlocks(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), frame.pointer(pl), count, m, k, width,
          accumulate ? 1 : 0, lda, ldB, ldc, frame.pointer(s),
        );
      } finally {
        frame.end();
      }
    },

    matmulNTRows(out, a, b, rows, count, k, n, accumulate = false, lda = k, ldb = k, ldc = n, compact = false) {
      checkSizes(count, k, n, lda, ldb, ldc);
      if (count === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const g = { count, k, n, acc: flag(accumulate), lda, ldb, ldc, compact: flag(compact) };
      const spans = [span(extent, n, ldc), span(compact ? count : extent, k, lda), span(n, k, ldb)] as const;
      // The listed rows split in two; a compact A is read in the list's order.
      gathered(wasm.matmulNTRows, 6, out, a, b, rows, spans, g, wasm.matmulNTScratchBytes(k, n), count, k, (w) => {
        const h = w.count >> 1;
        return [{ ...w, count: h }, { ...w, a: compact ? w.a + h * lda * 4 : w.a, rows: w.rows + h * 4, count: w.count - h }];
      });
    },

    matmulTNRows(out, a, b, rows, count, m, n, accumulate = false, lda = m, ldb = n, ldc = n, compact = false) {
      checkSizes(count, m, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const g = { count, k: m, n, acc: flag(accumulate), lda, ldb, ldc, compact: flag(compact) };
      const spans = [span(m, n, ldc), span(extent, m, lda), span(compact ? count : extent, n, ldb)] as const;
      // Output rows split in two: row i sums over the listed rows of A's column i.
      gathered(wasm.matmulTNRows, 7, out, a, b, rows, spans, g, count === 0 ? 0 : wasm.matmulTNRowsScratchBytes(m, n), m, count, (w) => {
        const h = w.k >> 1;
        return [{ ...w, k: h }, { ...w, out: w.out + h * ldc * 4, a: w.a + h * 4, k: w.k - h }];
      });
    },
  };
}
