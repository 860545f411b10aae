import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { tinyModel, VOCAB } from '../generate/__tests__/fixtures.js';
import { sequenceLogProbability } from './score.js';

describe('sequenceLogProbability', () => {
  it('sums log softmax of the full forward at each continuation token', () => {
    const model = tinyModel(2);
    const ids = [4, 11, 0, 17, 9];
    model.forward(Int32Array.from(ids), null, 1, ids.length);
    const logits = model.logits.slice();
    let want = 0;
    for (let t = 2; t < ids.length; t++) {
      // log p(ids[t]) predicted at position t − 1, by a plain float64 log-sum-exp.
      const row = Array.from(logits.subarray((t - 1) * VOCAB, t * VOCAB));
      const max = Math.max(...row);
      want += row[ids[t]] - max - Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    }
    expectClose(sequenceLogProbability(model, ids.slice(0, 2), ids.slice(2)), want, { atol: 1e-5, rtol: 1e-6 });
    expect(sequenceLogProbability(model, [1], [])).toBe(0);
    expect(() => sequenceLogProbability(model, [], [1])).toThrow(/at least one token/);
  });
});
