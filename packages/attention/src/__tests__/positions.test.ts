/** RoPE and CoPE against hand-computed cases that a sign, direction or transpose error would fail. */
import { referenceBackend } from '@moh/tensor';
import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { copeBlockForward, type CopeBlock } from '../cope.js';
import { RopeTable } from '../rope.js';

describe('RoPE', () => {
  it('rotates pair i of position t by t·base^(−2i/D), counter-clockwise', () => {
    const rope = new RopeTable(4, 10000);
    const x = new Float32Array([1, 0, 0, 1]);
    rope.rotate(x, 0, 1);
    // pair 0: angle 1 → (cos 1, sin 1); pair 1: angle 1·10000^(−1/2) = 0.01 → (0,1) ↦ (−sin .01, cos .01)
    expectClose(x, [Math.cos(1), Math.sin(1), -Math.sin(0.01), Math.cos(0.01)], { atol: 1e-7, rtol: 0 }, 'rotate');
    const y = new Float32Array([0.5, -2, 3, 1]);
    rope.rotate(y, 0, 0);
    expect(Array.from(y)).toEqual([0.5, -2, 3, 1]);
  });

  it('rotates at an offset and its backward is the transpose', () => {
    const rope = new RopeTable(4, 100);
    const a = new Float32Array([9, 0.3, -1.2, 0.7, 2.5]);
    const b = new Float32Array([9, -0.4, 0.9, 1.1, -0.2]);
    const ra = Float32Array.from(a);
    rope.rotate(ra, 1, 5);
    const rb = Float32Array.from(b);
    rope.rotateBack(rb, 1, 5);
    let lhs = 0;
    let rhs = 0;
    for (let i = 1; i < 5; i++) {
      lhs += ra[i] * b[i];
      rhs += a[i] * rb[i];
    }
    expect(ra[0]).toBe(9);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-6);
    expect(Math.abs(ra[1] - a[1])).toBeGreaterThan(0.1); // it did rotate
    rope.rotateBack(ra, 1, 5);
    expectClose(ra, a, { atol: 1e-6, rtol: 0 }, 'round trip');
  });
});

/** A block of one row whose band covers all `width` keys. */
function oneRow(width: number): CopeBlock {
  return { count: 1, width, first: 0, lo: new Int32Array([0]), hi: new Int32Array([width]), packed: new Int32Array([0, width]) };
}

describe('CoPE', () => {
  it('sums gates from the key to the query, clamps at P−1 and interpolates the table', () => {
    // One row with 3 keys; raw q·k = [0, ln 3, 100] → z = [0.5, 0.75, 1].
    // Positions (suffix sums): p = [2.25 → clamped 2, 1.75, 1]. q = (1, 3);
    // E = [(1,0), (0,1), (2,2)] → q·E = [1, 3, 8].
    // c = [8, 0.25·3 + 0.75·8 = 6.75, 3].
    const qk = new Float32Array([0, Math.log(3), 100]);
    const z = new Float32Array(3);
    const qe = new Float32Array(3);
    const scale = 1 / Math.sqrt(2);
    const width = copeBlockForward(referenceBackend(), () => new Float32Array([1, 0, 0, 1, 2, 2]), 0, 3, 2, new Float32Array([1, 3]), qk, scale, oneRow(3), z, qe);
    expect(width).toBe(3);
    expectClose(z, [0.5, 0.75, 1], { atol: 1e-7, rtol: 0 }, 'gates');
    expectClose(qe, [1, 3, 8], { atol: 0, rtol: 0 }, 'q·E');
    expectClose(qk, [8, Math.log(3) * scale + 6.75, 100 * scale + 3], { atol: 1e-5, rtol: 1e-6 }, 'scores');
  });

  it('reads the head table at h·P·D', () => {
    const table = new Float32Array(2 * 2 * 1);
    table.set([100, 100, 1, 2]); // head 0 rows ignored; head 1: E = [1, 2]
    const qk = new Float32Array([-100]); // z ≈ 0 → p ≈ 0 → c ≈ q·E[0] = 1·1
    copeBlockForward(referenceBackend(), () => table, 2, 2, 1, new Float32Array([1]), qk, 1, oneRow(1), new Float32Array(1), new Float32Array(2));
    expectClose(qk, [-100 + 1], { atol: 1e-4, rtol: 0 }, 'score');
  });

  it('gives each row of a block exactly what it gets alone, whatever its band in the rectangle', () => {
    // Two rows over 4 keys: row 0 sees keys 0–2, row 1 keys 1–3 (a window of 3).
    const table = new Float32Array([0.5, -1, 2, 0.25, -0.75, 1.5, 1, 1]); // P = 4, D = 2
    const qb = new Float32Array([0.3, -0.8, 1.1, 0.4]);
    const raw = new Float32Array([0.2, -1.3, 0.7, 9, 9, 0.4, -0.1, 1.6]);
    const block: CopeBlock = { count: 2, width: 4, first: 0, lo: new Int32Array([0, 1]), hi: new Int32Array([3, 4]), packed: new Int32Array([0, 3, 6]) };
    const scores = raw.slice();
    const z = new Float32Array(6);
    const qe = new Float32Array(8);
    const width = copeBlockForward(referenceBackend(), () => table, 0, 4, 2, qb, scores, 0.5, block, z, qe);
    for (let r = 0; r < 2; r++) {
      const alone = raw.slice(r * 4 + block.lo[r], r * 4 + block.hi[r]);
      const own = new Float32Array(3);
      copeBlockForward(referenceBackend(), () => table, 0, 4, 2, qb.subarray(2 * r, 2 * r + 2), alone, 0.5, oneRow(3), own, new Float32Array(4));
      expect(Array.from(scores.subarray(r * 4 + block.lo[r], r * 4 + block.hi[r]))).toEqual(Array.from(alone));
      expect(Array.from(z.subarray(3 * r, 3 * r + 3))).toEqual(Array.from(own));
    }
    expect(scores[3]).toBe(9); // outside row 0's band: untouched
    expect(width).toBeLessThanOrEqual(4);
  });
});
