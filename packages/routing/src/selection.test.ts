import { testBackends } from './__tests__/backends.js';
import { seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { checkTopK, expertRowLists, expertRows, selectionMask, topKExperts } from './selection.js';

describe.each(testBackends)('top-k selection (%s)', (_, kernels) => {
  it('picks the k largest, best first, ties to the lower index', () => {
    // Row 0: experts 1, 2 and 3 tie; row 1: all equal (a uniform router); row 2: distinct.
    const probs = new Float32Array([0.1, 0.3, 0.3, 0.3, 0.25, 0.25, 0.25, 0.25, 0.1, 0.2, 0.4, 0.3]);
    const indices = new Int32Array(6);
    const values = new Float32Array(6);
    topKExperts(kernels, indices, values, probs, 3, 4, 2);
    expect(Array.from(indices)).toEqual([1, 2, 0, 1, 2, 3]);
    expect(Array.from(values)).toEqual(Array.from(new Float32Array([0.3, 0.3, 0.25, 0.25, 0.4, 0.3])));
  });

  it('rejects k outside 1..E', () => {
    expect(() => checkTopK(4, 0)).toThrow(/1 ≤ k ≤ experts/);
    expect(() => checkTopK(4, 5)).toThrow(/1 ≤ k ≤ experts/);
    expect(() => checkTopK(0, 1)).toThrow(/at least one expert/);
  });

  it('mask and per-expert rows agree with the indices', () => {
    const rows = 7;
    const E = 5;
    const k = 2;
    const probs = seededValues(11, rows * E).map((v) => v + 1);
    const indices = new Int32Array(rows * k);
    topKExperts(kernels, indices, new Float32Array(rows * k), probs, rows, E, k);
    const mask = new Float32Array(rows * E).fill(7);
    selectionMask(mask, indices, rows, E, k);
    const lists = expertRows(indices, rows, E, k);
    // The same lists as views into one caller-owned buffer (its spare tail untouched).
    const out = new Int32Array(rows * k + 3).fill(-9);
    const views = expertRows(indices, rows, E, k, out);
    for (let j = 0; j < E; j++) {
      expect(Array.from(views[j])).toEqual(Array.from(lists[j]));
      expect(views[j].buffer).toBe(out.buffer);
    }
    expect(Array.from(out.subarray(rows * k))).toEqual([-9, -9, -9]);
    expect(() => expertRows(indices, rows, E, k, new Int32Array(rows * k - 1))).toThrow(/at least rows·k/);
    for (let t = 0; t < rows; t++) {
      let count = 0;
      for (let j = 0; j < E; j++) {
        const selected = Array.from(indices.subarray(t * k, t * k + k)).includes(j);
        expect(mask[t * E + j]).toBe(selected ? 1 : 0);
        expect(lists[j].includes(t)).toBe(selected);
        count += mask[t * E + j];
        // A selected expert's probability is at least every unselected one's.
        if (!selected) for (const m of indices.subarray(t * k, t * k + k)) expect(probs[t * E + m]).toBeGreaterThanOrEqual(probs[t * E + j]);
      }
      expect(count).toBe(k);
    }
    for (const list of lists) for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
    expect(lists.reduce((s, l) => s + l.length, 0)).toBe(rows * k);
  });

  it('kept lists: the same rows as fresh ones, unchanged views kept, every-row lists shared', () => {
    const rows = 4;
    const E = 3;
    const k = 2;
    const out = new Int32Array(rows * k);
    const every = Int32Array.from({ length: rows }, (_, t) => t);
    const reuse = expertRowLists(E);
    const first = new Int32Array([0, 1, 0, 2, 0, 1, 0, 2]); // expert 0 on every row
    const lists = expertRows(first, rows, E, k, out, reuse, every);
    expect(lists).toBe(reuse.lists);
    expect(lists[0]).toBe(every);
    expect(lists.map((l) => Array.from(l))).toEqual([[0, 1, 2, 3], [0, 2], [1, 3]]);
    const kept = lists[1];
    const second = new Int32Array([1, 0, 2, 0, 0, 1, 2, 0]); // expert 1 keeps its span of out
    expertRows(second, rows, E, k, out, reuse, every);
    expect(lists[1]).toBe(kept);
    expect(lists.map((l) => Array.from(l))).toEqual([[0, 1, 2, 3], [0, 2], [1, 3]]);
    const third = new Int32Array([1, 2, 1, 2, 1, 2, 1, 2]); // expert 0 on no row
    expertRows(third, rows, E, k, out, reuse, every);
    expect(lists.map((l) => Array.from(l))).toEqual([[], [0, 1, 2, 3], [0, 1, 2, 3]]);
    expect(lists.map((l) => Array.from(l))).toEqual(expertRows(third, rows, E, k).map((l) => Array.from(l)));
    // An expert that goes unselected gets the one shared empty list, not a new view.
    const empty = lists[0];
    expertRows(second, rows, E, k, out, reuse, every);
    expertRows(third, rows, E, k, out, reuse, every);
    expect(lists[0]).toBe(empty);
    // A new `out`: every list is cut from it, even where its span did not move.
    expertRows(second, rows, E, k, out, reuse, every);
    const out2 = new Int32Array(rows * k);
    expertRows(second, rows, E, k, out2, reuse, every);
    expect(lists.map((l) => Array.from(l))).toEqual([[0, 1, 2, 3], [0, 2], [1, 3]]);
    out2.fill(7);
    expect(lists.map((l) => Array.from(l))).toEqual([[0, 1, 2, 3], [7, 7], [7, 7]]);
  });
});
