/**
 * Spec for the fused attention kernels (`attentionBlocksForward`/`Backward`): all blocks
 * of one head in one call. They must give, bit for bit, what the per-block sequence of
 * existing kernels gives (scores, CoPE, banded softmax, P·V and the reverse), match
 * attention computed from its definition in float64, and pass a gradient check.
 *
 * Shapes: D head width, G K/V groups (the head reads group `g` at column `g·D`), P CoPE
 * positions; `q`, `out` `(rows, D)` for the head's active rows; K/V `(kvRows, ld)`,
 * transposed keys `(G·D, ldT)`; block records as `AttentionBlock`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import type { Kernels } from '../kernels.js';
import { ATTENTION_BLOCK_FIELDS as FIELDS, AttentionBlock as F, type AttentionBackwardCall } from '../kernels/attention.js';

/** One head's blocks over its active rows, planned like `@moh/attention`'s planBlocks. */
interface Plan {
  readonly rows: number;
  readonly blocks: Int32Array;
  readonly blockCount: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly packed: Int32Array;
  readonly probs: number;
  readonly gates: number;
}

/**
 * Cuts the active positions `active[s]` of each sequence `s` (keys at K/V rows
 * `s·kvRowsPerSeq + t`) into blocks spanning fewer than `span` positions; each row sees
 * keys `max(0, t − window + 1) … t`.
 */
function plan(active: number[][], kvRowsPerSeq: number, window: number, span: number): Plan {
  const records: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const packed: number[] = [];
  let probs = 0;
  let gates = 0;
  active.forEach((ts, s) => {
    for (let i = 0; i < ts.length; ) {
      const first = lo.length;
      const t0 = ts[i];
      const base = Math.max(0, t0 - window + 1);
      let last = t0;
      for (; i < ts.length && ts[i] - t0 < span; i++) {
        const t = ts[i];
        last = t;
        lo.push(Math.max(0, t - window + 1) - base);
        hi.push(t + 1 - base);
        packed.push(gates);
        gates += hi[hi.length - 1] - lo[lo.length - 1];
      }
      const count = lo.length - first;
      const width = last + 1 - base;
      records.push(first, count, s * kvRowsPerSeq + base, width, probs, 0);
      probs += count * width;
    }
  });
  packed.push(gates);
  return {
    rows: lo.length,
    blocks: Int32Array.from(records),
    blockCount: records.length / FIELDS,
    lo: Int32Array.from(lo),
    hi: Int32Array.from(hi),
    packed: Int32Array.from(packed),
    probs,
    gates,
  };
}

/** A head's problem: queries, K/V buffers (row-major and transposed), a CoPE table. */
interface Problem {
  readonly p: Plan;
  readonly D: number;
  readonly P: number;
  readonly ld: number;
  readonly ldT: number;
  readonly col: number;
  readonly q: Float32Array;
  readonly keys: Float32Array;
  readonly keysT: Float32Array;
  readonly values: Float32Array;
  readonly table: Float32Array | null;
  readonly scale: number;
}

interface Case {
  readonly name: string;
  readonly active: number[][];
  readonly kvRowsPerSeq: number;
  readonly window: number;
  readonly span: number;
  readonly D: number;
  readonly groups: number;
  readonly group: number;
  /** CoPE positions, 0 without CoPE. */
  readonly P: number;
}

function problem(c: Case, seed: number): Problem {
  const p = plan(c.active, c.kvRowsPerSeq, c.window, c.span);
  const { D, P } = c;
  const kvRows = c.active.length * c.kvRowsPerSeq;
  // Padded strides: a kernel that assumed contiguous rows would read the padding.
  const ld = c.groups * D + 3;
  const ldT = kvRows + 5;
  const keys = seededValues(seed + 1, kvRows * ld, 1.2);
  const keysT = new Float32Array(c.groups * D * ldT).fill(Number.NaN);
  for (let j = 0; j < kvRows; j++) for (let x = 0; x < c.groups * D; x++) keysT[x * ldT + j] = keys[j * ld + x];
  return {
    p,
    D,
    P,
    ld,
    ldT,
    col: c.group * D,
    q: seededValues(seed, p.rows * D, 1.2),
    keys,
    keysT,
    values: seededValues(seed + 2, kvRows * ld),
    table: P > 0 ? seededValues(seed + 3, P * D) : null,
    scale: 1 / Math.sqrt(D),
  };
}

const CASES: Case[] = [
  { name: 'one block, no CoPE', active: [[0, 1, 2, 3, 4]], kvRowsPerSeq: 5, window: 5, span: 8, D: 4, groups: 1, group: 0, P: 0 },
  {
    name: 'several blocks and sequences, sparse rows, window, group 1 of 2',
    active: [[0, 2, 3, 6, 7, 8, 11, 14, 15, 16, 17, 21], [1, 2, 4, 5, 9, 13, 19, 20]],
    kvRowsPerSeq: 22, window: 9, span: 5, D: 8, groups: 2, group: 1, P: 0,
  },
  {
    name: 'several blocks with CoPE (clamped positions)',
    active: [[0, 1, 3, 4, 5, 8, 9, 10, 12, 13, 17, 18, 19, 20, 23], [0, 2, 6, 7, 11, 15, 16]],
    kvRowsPerSeq: 24, window: 24, span: 6, D: 8, groups: 2, group: 0, P: 5,
  },
  {
    // Blocks whose key ranges slide along a long sequence (and a one-row sequence).
    name: 'a long sequence with a sliding window, sparse rows',
    active: [Array.from({ length: 160 }, (_, i) => 7 * i + (i % 3)), [3, 600, 1100]],
    kvRowsPerSeq: 1120, window: 40, span: 32, D: 4, groups: 1, group: 0, P: 0,
  },
  {
    name: 'D 16, CoPE without clamping, a window, blocks of one row',
    active: [[2, 5, 9, 10, 11, 12, 30, 31], [7]],
    kvRowsPerSeq: 32, window: 12, span: 1, D: 16, groups: 3, group: 2, P: 32,
  },
  {
    // The width-16 tiles: five-row blocks with two-, three- and one-row ends, key
    // windows and table widths that end inside an 8-column strip.
    name: 'D 16, CoPE, blocks of 32, 16, 13 and 6 rows, windows ending mid-strip',
    active: [Array.from({ length: 70 }, (_, i) => i), Array.from({ length: 13 }, (_, i) => 3 * i + 1), [4, 9, 17, 20, 21, 33]],
    kvRowsPerSeq: 72, window: 45, span: 32, D: 16, groups: 2, group: 1, P: 37,
  },
  {
    name: 'D 16, no CoPE, a long window, blocks of 16 rows',
    active: [Array.from({ length: 90 }, (_, i) => i + (i >> 3))],
    kvRowsPerSeq: 102, window: 77, span: 16, D: 16, groups: 1, group: 0, P: 0,
  },
];

/** The per-block sequence of existing kernels that the fused forward must equal. */
function forwardByBlocks(k: Kernels, x: Problem, transposed: boolean, out: Float32Array, probs: Float32Array, z: Float32Array, blocks: Int32Array): void {
  const { p, D, P, table } = x;
  const qe = new Float32Array(64 * Math.max(P, 1));
  for (let b = 0; b < p.blockCount; b++) {
    const rec = b * FIELDS;
    const [first, count, keyRow, W, at] = [F.first, F.count, F.keyRow, F.width, F.probs].map((f) => blocks[rec + f]);
    const qb = x.q.subarray(first * D, (first + count) * D);
    const s = probs.subarray(at, at + count * W);
    if (transposed) k.matmul(s, qb, x.keysT.subarray(x.col * x.ldT + keyRow), count, D, W, false, D, x.ldT, W);
    else k.matmulNT(s, qb, x.keys.subarray(keyRow * x.ld + x.col), count, D, W, false, D, x.ld, W);
    const lo = p.lo.subarray(first, first + count);
    const hi = p.hi.subarray(first, first + count);
    let softmaxScale = x.scale;
    if (table !== null) {
      const gates = z.subarray(p.packed[first], p.packed[first + count]);
      const width = k.copeGatesForward(gates, s, lo, hi, P, count, W);
      k.matmulNT(qe, qb, table, count, D, width);
      k.copeBiasForward(s, gates, qe, lo, hi, x.scale, P, width, count, W);
      blocks[rec + F.positions] = width;
      softmaxScale = 1;
    }
    k.maskedSoftmaxForward(s, s, lo, hi, softmaxScale, count, W);
    k.matmul(out.subarray(first * D), s, x.values.subarray(keyRow * x.ld + x.col), count, W, D, false, W, x.ld, D);
  }
}

interface Grads {
  dQ: Float32Array;
  dKeys: Float32Array;
  dValues: Float32Array;
  dTable: Float32Array | null;
}

/** The per-block sequence of existing kernels that the fused backward must equal. */
function backwardByBlocks(k: Kernels, x: Problem, dOut: Float32Array, probs: Float32Array, z: Float32Array, blocks: Int32Array, g: Grads): void {
  const { p, D, P, table, ld, col } = x;
  for (let b = 0; b < p.blockCount; b++) {
    const rec = b * FIELDS;
    const [first, count, keyRow, W, at] = [F.first, F.count, F.keyRow, F.width, F.probs].map((f) => blocks[rec + f]);
    const kv = keyRow * ld + col;
    const qb = x.q.subarray(first * D, (first + count) * D);
    const dOb = dOut.subarray(first * D, (first + count) * D);
    const dQb = g.dQ.subarray(first * D, (first + count) * D);
    const weights = probs.subarray(at, at + count * W);
    const lo = p.lo.subarray(first, first + count);
    const hi = p.hi.subarray(first, first + count);
    k.matmulTN(g.dValues.subarray(kv), weights, dOb, W, count, D, true, W, D, ld);
    const dP = new Float32Array(count * W);
    k.matmulNT(dP, dOb, x.values.subarray(kv), count, D, W, false, D, ld, W);
    const cope = table !== null && g.dTable !== null;
    if (cope) {
      k.maskedSoftmaxBackward(dP, weights, dP, lo, hi, 1, count, W);
      const width = blocks[rec + F.positions];
      const gates = z.subarray(p.packed[first], p.packed[first + count]);
      const qe = new Float32Array(count * width);
      const dqe = new Float32Array(count * width);
      k.matmulNT(qe, qb, table, count, D, width);
      k.copeBiasBackward(dP, dqe, gates, qe, lo, hi, x.scale, P, width, count, W);
      k.matmul(dQb, dqe, table, count, width, D);
      k.matmulTN(g.dTable as Float32Array, dqe, qb, width, count, D, true);
    } else {
      k.maskedSoftmaxBackward(dP, weights, dP, lo, hi, x.scale, count, W);
    }
    k.matmul(dQb, dP, x.keys.subarray(kv), count, W, D, cope, W, ld, D);
    k.matmulTN(g.dKeys.subarray(kv), dP, qb, W, count, D, true, W, D, ld);
  }
}

/** Fused forward into fresh buffers (NaN-filled where the kernel must write). */
function fusedForward(k: Kernels, x: Problem, transposed: boolean): { out: Float32Array; probs: Float32Array; z: Float32Array; blocks: Int32Array } {
  const { p, D } = x;
  const out = new Float32Array(p.rows * D).fill(Number.NaN);
  const probs = new Float32Array(p.probs).fill(Number.NaN);
  const z = new Float32Array(x.table === null ? 0 : p.gates).fill(Number.NaN);
  const blocks = p.blocks.slice();
  const keys = transposed ? x.keysT.subarray(x.col * x.ldT) : x.keys.subarray(x.col);
  k.attentionBlocksForward(
    out, probs, z, blocks, x.q, keys, x.values.subarray(x.col), p.lo, p.hi, p.packed, x.table, x.scale, x.P, transposed,
    p.blockCount, D, transposed ? x.ldT : x.ld, x.ld,
  );
  return { out, probs, z, blocks };
}

/** Gradient buffers with non-zero contents, so that accumulation shows. */
function startingGrads(x: Problem, seed: number): Grads {
  return {
    dQ: new Float32Array(x.p.rows * x.D).fill(Number.NaN),
    dKeys: seededValues(seed, x.keys.length, 0.1),
    dValues: seededValues(seed + 1, x.values.length, 0.1),
    dTable: x.table === null ? null : seededValues(seed + 2, x.table.length, 0.1),
  };
}

function copyGrads(g: Grads): Grads {
  return { dQ: g.dQ.slice(), dKeys: g.dKeys.slice(), dValues: g.dValues.slice(), dTable: g.dTable?.slice() ?? null };
}

function fusedBackward(k: Kernels, x: Problem, dOut: Float32Array, f: ReturnType<typeof fusedForward>, g: Grads): void {
  const { p } = x;
  k.attentionBlocksBackward(
    g.dQ, g.dKeys.subarray(x.col), g.dValues.subarray(x.col), g.dTable, dOut, x.q, x.keys.subarray(x.col),
    x.values.subarray(x.col), f.probs, f.z, f.blocks, p.lo, p.hi, p.packed, x.table, x.scale, x.P, p.blockCount, x.D, x.ld, x.ld,
  );
}

/** Attention of every planned row by its definition, in float64: `(rows, D)` outputs. */
function attention64(x: Problem): Float64Array {
  const { p, D, P, table } = x;
  const out = new Float64Array(p.rows * D);
  for (let b = 0; b < p.blockCount; b++) {
    const [first, count, keyRow] = [F.first, F.count, F.keyRow].map((f) => p.blocks[b * FIELDS + f]);
    for (let r = first; r < first + count; r++) {
      const keyAt = (j: number): number => (keyRow + j) * x.ld + x.col;
      const qk = (j: number): number => {
        let s = 0;
        for (let c = 0; c < D; c++) s += x.q[r * D + c] * x.keys[keyAt(j) + c];
        return s;
      };
      const band = Array.from({ length: p.hi[r] - p.lo[r] }, (_, i) => p.lo[r] + i);
      let s = band.map((j) => qk(j) * x.scale);
      if (table !== null) {
        const zs = band.map((j) => 1 / (1 + Math.exp(-qk(j))));
        const qe = (e: number): number => {
          let v = 0;
          for (let c = 0; c < D; c++) v += x.q[r * D + c] * table[e * D + c];
          return v;
        };
        s = s.map((v, i) => {
          const pos = Math.min(zs.slice(i).reduce((a, z) => a + z, 0), P - 1);
          const phi = pos - Math.floor(pos);
          return v + (1 - phi) * qe(Math.floor(pos)) + phi * qe(Math.ceil(pos));
        });
      }
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, v) => a + v, 0);
      band.forEach((j, i) => {
        for (let c = 0; c < D; c++) out[r * D + c] += (e[i] / sum) * x.values[keyAt(j) + c];
      });
    }
  }
  return out;
}

const bits = (a: Float32Array | Int32Array): number[] => Array.from(a);

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: fused attention blocks', (_name, be) => {
  describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_case, c) => {
    it.each([false, true])('forward equals the per-block kernels bit for bit and float64 by the definition (transposed keys: %s)', (transposed) => {
      const x = problem(c, 11);
      const fused = fusedForward(be, x, transposed);
      const out = new Float32Array(x.p.rows * x.D);
      const probs = new Float32Array(x.p.probs);
      const z = new Float32Array(x.table === null ? 0 : x.p.gates);
      const blocks = x.p.blocks.slice();
      forwardByBlocks(be, x, transposed, out, probs, z, blocks);
      expect(bits(fused.out)).toEqual(bits(out));
      expect(bits(fused.probs)).toEqual(bits(probs));
      expect(bits(fused.z)).toEqual(bits(z));
      expect(bits(fused.blocks)).toEqual(bits(blocks));
      if (x.table !== null) expect(Math.max(...Array.from({ length: x.p.blockCount }, (_, b) => blocks[b * FIELDS + F.positions]))).toBeGreaterThan(1);
      expectClose(fused.out, attention64(x), { atol: 1e-5, rtol: 1e-5 }, 'outputs');
    });

    it('backward equals the per-block kernels bit for bit, accumulating into dK, dV and the table', () => {
      const x = problem(c, 21);
      const fused = fusedForward(be, x, false);
      const dOut = seededValues(29, x.p.rows * x.D);
      const start = startingGrads(x, 31);
      const g = copyGrads(start);
      fusedBackward(be, x, dOut, fused, g);
      const want = copyGrads(start);
      backwardByBlocks(be, x, dOut, fused.probs, fused.z, fused.blocks, want);
      expect(bits(g.dQ)).toEqual(bits(want.dQ));
      expect(bits(g.dKeys)).toEqual(bits(want.dKeys));
      expect(bits(g.dValues)).toEqual(bits(want.dValues));
      expect(g.dTable === null ? null : bits(g.dTable)).toEqual(want.dTable === null ? null : bits(want.dTable));
      // The other group's columns and the row padding are left alone.
      const untouched = (a: Float32Array, b: Float32Array): void =>
        a.forEach((v, i) => (i % x.ld >= x.col && i % x.ld < x.col + x.D ? undefined : expect(v).toBe(b[i])));
      untouched(g.dKeys, start.dKeys);
      untouched(g.dValues, start.dValues);
    });

    it('passes gradcheck for queries, keys, values and the table', () => {
      const x = problem(c, 41);
      const w = seededValues(43, x.p.rows * x.D);
      const inputs = { q: x.q, keys: x.keys, values: x.values, table: x.table ?? new Float32Array(0) };
      const loss = (i: typeof inputs): number => {
        const y = { ...x, q: i.q, keys: i.keys, values: i.values, table: x.table === null ? null : i.table };
        return dot(w, fusedForward(be, y, false).out);
      };
      const fused = fusedForward(be, x, false);
      const g: Grads = {
        dQ: new Float32Array(x.q.length),
        dKeys: new Float32Array(x.keys.length),
        dValues: new Float32Array(x.values.length),
        dTable: x.table === null ? null : new Float32Array(x.table.length),
      };
      fusedBackward(be, x, w, fused, g);
      const analytic = { q: g.dQ, keys: g.dKeys, values: g.dValues, ...(g.dTable === null ? {} : { table: g.dTable }) };
      // CoPE's interpolation has kinks at integer positions: a smaller step stays off them.
      const h = x.table === null ? FLOAT32_GRADCHECK.h : 1e-3;
      gradcheck(loss, inputs, analytic, { ...FLOAT32_GRADCHECK, h, maxElements: 96, label: c.name });
    });
  });

  it('the heads kernels run every call as alone, and a group\'s backwards in order into shared gradients', () => {
    const x = problem(CASES[CASES.length - 1], 41);
    const alone = fusedForward(be, x, false);
    const many = { out: alone.out.map(() => Number.NaN), probs: alone.probs.map(() => Number.NaN), z: alone.z.map(() => Number.NaN), blocks: x.p.blocks.slice() };
    const { p } = x;
    const args = [x.q, x.keys.subarray(x.col), x.values.subarray(x.col), p.lo, p.hi, p.packed, x.table, x.scale, x.P, false, p.blockCount, x.D, x.ld, x.ld] as const;
    be.attentionHeadsForward([{ args: [many.out, many.probs, many.z, many.blocks, ...args], group: 0 }]);
    expect([bits(many.out), bits(many.probs), bits(many.blocks)]).toEqual([bits(alone.out), bits(alone.probs), bits(alone.blocks)]);
    // Two backwards of one group (two output gradients) add into the same dK, dV in order.
    const [d1, d2] = [seededValues(43, p.rows * x.D), seededValues(47, p.rows * x.D)];
    const start = startingGrads(x, 53);
    const want = copyGrads(start);
    fusedBackward(be, x, d1, alone, want);
    fusedBackward(be, x, d2, alone, want);
    const g = copyGrads(start);
    const call = (dOut: Float32Array): AttentionBackwardCall => ({
      args: [g.dQ, g.dKeys.subarray(x.col), g.dValues.subarray(x.col), g.dTable, dOut, x.q, x.keys.subarray(x.col), x.values.subarray(x.col),
        alone.probs, alone.z, alone.blocks, p.lo, p.hi, p.packed, x.table, x.scale, x.P, p.blockCount, x.D, x.ld, x.ld],
      group: 0,
    });
    be.attentionHeadsBackward([call(d1), call(d2)]);
    expect([bits(g.dQ), bits(g.dKeys), bits(g.dValues)]).toEqual([bits(want.dQ), bits(want.dKeys), bits(want.dValues)]);
  });

  it('a wrong key stride, layout or sign is caught by the float64 comparison', () => {
    // Guards the spec itself: the check above must fail for a mis-strided key read.
    const x = problem(CASES[1], 51);
    const wrong = fusedForward(be, { ...x, ld: x.ld - 3 } as Problem, false).out;
    expect(() => expectClose(wrong, attention64(x), { atol: 1e-5, rtol: 1e-5 }, 'wrong stride')).toThrow();
    const negated = { ...x, q: x.q.map((v) => -v) };
    expect(() => expectClose(fusedForward(be, negated, false).out, attention64(x), { atol: 1e-5, rtol: 1e-5 }, 'sign')).toThrow();
  });

  it('rejects records and bands outside their arrays', () => {
    const x = problem(CASES[2], 61);
    const { p } = x;
    const call = (blocks: Int32Array, lo = p.lo, hi = p.hi, ldv = x.ld): void =>
      be.attentionBlocksForward(
        new Float32Array(p.rows * x.D), new Float32Array(p.probs), new Float32Array(p.gates), blocks, x.q, x.keys.subarray(x.col),
        x.values.subarray(x.col), lo, hi, p.packed, x.table, x.scale, x.P, false, p.blockCount, x.D, x.ld, ldv,
      );
    call(p.blocks.slice());
    const far = p.blocks.slice();
    far[F.keyRow] = 1000; // keys past the buffers
    expect(() => call(far)).toThrow(RangeError);
    const negative = p.blocks.slice();
    negative[F.first] = -1;
    expect(() => call(negative)).toThrow(RangeError);
    const wide = p.hi.slice();
    wide[0] = p.blocks[F.width] + 1; // a band past its block's keys
    expect(() => call(p.blocks.slice(), p.lo, wide)).toThrow(RangeError);
    expect(() => call(p.blocks.slice(), p.lo, p.hi, 1000)).toThrow(RangeError);
  });
});
