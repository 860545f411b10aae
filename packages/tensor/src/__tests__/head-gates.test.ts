/**
 * Spec for the head-gate kernels (`headGateForward`/`Backward`): one head's compact
 * output rows, scaled by their gates, into the wide `(rows, heads·D)` layout, and back.
 *
 * Shapes: `heads` heads of width D; `o`, `dO` `(count, D)` compact rows of one head;
 * `out`, `dOut` `(n, heads·D)`; `gates`, `dGates` `(n, heads)`; `rows` the head's rows.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';

const n = 7;
const heads = 3;
const rows = new Int32Array([0, 2, 3, 6]);
const count = rows.length;

describe.each(availableBackends().map((b) => [b.label, b] as const))('head gates (%s)', (_, be) => {
  for (const [head, D] of [[1, 5], [2, 8], [0, 16]] as const) {
    const o = new Float32Array(seededValues(11 + D, count * D));
    const gates = new Float32Array(seededValues(5 + D, n * heads));
    const dOut = new Float32Array(seededValues(3 + D, n * heads * D));

    it(`forward writes gate·o into head ${head}'s columns of its rows only (D = ${D})`, () => {
      const out = new Float32Array(n * heads * D).fill(7);
      be.headGateForward(out, o, gates, rows, head, count, heads, D);
      const expected = new Float32Array(n * heads * D).fill(7);
      rows.forEach((row, r) => {
        for (let c = 0; c < D; c++) expected[(row * heads + head) * D + c] = Math.fround(gates[row * heads + head] * o[r * D + c]);
      });
      expect(Array.from(out)).toEqual(Array.from(expected));
    });

    it(`backward matches its definition and a finite-difference check (D = ${D})`, () => {
      const dGates = new Float32Array(n * heads).fill(-3);
      const dO = new Float32Array(count * D);
      be.headGateBackward(dGates, dO, dOut, o, gates, rows, head, count, heads, D);
      const expectedGates = new Float32Array(n * heads).fill(-3);
      rows.forEach((row, r) => {
        let sum = 0;
        for (let c = 0; c < D; c++) sum += dOut[(row * heads + head) * D + c] * o[r * D + c];
        expectedGates[row * heads + head] = sum;
        for (let c = 0; c < D; c++) expect(dO[r * D + c]).toBe(Math.fround(gates[row * heads + head] * dOut[(row * heads + head) * D + c]));
      });
      expect(Array.from(dGates)).toEqual(Array.from(expectedGates));
      const out = new Float32Array(n * heads * D);
      const loss = ({ o: oo, gates: gg }: Record<string, Float32Array>): number => {
        out.fill(0);
        be.headGateForward(out, oo, gg, rows, head, count, heads, D);
        return dot(dOut, out);
      };
      // The untouched gates get no gradient: the check sees zeros there.
      const dGatesOnly = dGates.map((v, i) => (rows.includes(Math.floor(i / heads)) && i % heads === head ? v : 0));
      gradcheck(loss, { o: o.slice(), gates: gates.slice() }, { o: dO, gates: dGatesOnly }, { ...FLOAT32_GRADCHECK, label: `headGate D=${D}` });
    });
  }

  it('hand-checked values catch a swapped row and column', () => {
    // Two rows, two heads of width 1: head 1 of rows [1] with gate 3 and output 2.
    const out = new Float32Array(4);
    be.headGateForward(out, new Float32Array([2]), new Float32Array([0, 0, 0, 3]), new Int32Array([1]), 1, 1, 2, 1);
    expectClose(out, new Float32Array([0, 0, 0, 6]), { atol: 0, rtol: 0 });
    const dGates = new Float32Array(4);
    const dO = new Float32Array(1);
    be.headGateBackward(dGates, dO, new Float32Array([0, 0, 0, -5]), new Float32Array([2]), new Float32Array([0, 0, 0, 3]), new Int32Array([1]), 1, 1, 2, 1);
    expectClose(dGates, new Float32Array([0, 0, 0, -10]), { atol: 0, rtol: 0 });
    expectClose(dO, new Float32Array([-15]), { atol: 0, rtol: 0 });
  });

  it('rejects a row outside the arrays and a head past the last', () => {
    const out = new Float32Array(n * heads * 4);
    const o = new Float32Array(count * 4);
    const gates = new Float32Array(n * heads);
    expect(() => be.headGateForward(out, o, gates, new Int32Array([0, 7]), 0, 2, heads, 4)).toThrow(RangeError);
    expect(() => be.headGateForward(out, o, gates, rows, heads, count, heads, 4)).toThrow(RangeError);
    expect(() => be.headGateBackward(gates, o, out, o, gates, new Int32Array([-1]), 0, 1, heads, 4)).toThrow(RangeError);
  });
});
