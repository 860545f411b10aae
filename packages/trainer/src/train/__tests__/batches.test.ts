import { Rng } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { fillBatch, validationBatches } from '../batch-source.js';
import { prepareDocuments, prepareExamples, TrainingDataError } from '../data.js';
import { InstructionBatches } from '../instruction-batches.js';
import { PretrainingBatches } from '../pretraining-batches.js';

const T = 8;

function pretraining(seed: number | Rng | null, docs = [[1, 3, 4, 5, 2], [1, 6, 7, 2], [1, 8, 9, 10, 11, 12, 2], [1, 13, 2], [1, 14, 15, 16, 17, 2]]) {
  const rng = seed === null || seed instanceof Rng ? seed : new Rng(seed);
  return new PretrainingBatches(prepareDocuments(docs, 32, 'docs'), T, rng, 'docs');
}

function draw(source: PretrainingBatches | InstructionBatches, rows: number): { ids: Int32Array; targets: Int32Array } {
  const ids = new Int32Array(rows * T);
  const targets = new Int32Array(rows * T);
  fillBatch(source, ids, targets, rows, T);
  return { ids, targets };
}

describe('PretrainingBatches', () => {
  it('cuts the natural-order stream into windows whose targets are the next tokens', () => {
    const source = pretraining(null);
    const stream = [1, 3, 4, 5, 2, 1, 6, 7, 2, 1, 8, 9, 10, 11, 12, 2, 1, 13, 2, 1, 14, 15, 16, 17, 2];
    expect(source.windows).toBe(Math.floor((stream.length - 1) / T));
    const { ids, targets } = draw(source, 3);
    expect(Array.from(ids)).toEqual(stream.slice(0, 3 * T));
    expect(Array.from(targets)).toEqual(stream.slice(1, 3 * T + 1));
  });

  it('shuffles documents per epoch by the seed, and covers every document each epoch', () => {
    const a = draw(pretraining(5), 6);
    const b = draw(pretraining(5), 6);
    const c = draw(pretraining(6), 6);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    expect(Array.from(a.ids)).not.toEqual(Array.from(c.ids));
    // One epoch is 3 windows = the first 24 of 25 stream tokens, plus the target of the last.
    const epoch = [...a.ids.subarray(0, 3 * T), a.targets[3 * T - 1]].sort((x, y) => x - y);
    expect(epoch).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    // The second epoch is drawn anew: another order.
    expect(Array.from(a.ids.subarray(3 * T))).not.toEqual(Array.from(a.ids.subarray(0, 3 * T)));
  });

  it('continues identically from a restored cursor and Rng state', () => {
    const rng = new Rng(9);
    const source = pretraining(rng);
    draw(source, 4);
    const cursor = source.cursor();
    const rngState = rng.getState();
    const expected = draw(source, 5);
    const copy = pretraining(Rng.fromState(rngState));
    copy.restore(cursor);
    const got = draw(copy, 5);
    expect(Array.from(got.ids)).toEqual(Array.from(expected.ids));
    expect(Array.from(got.targets)).toEqual(Array.from(expected.targets));
  });

  it('rejects data shorter than one window', () => {
    expect(() => pretraining(1, [[1, 2, 3]])).toThrow(TrainingDataError);
    expect(() => pretraining(1, [[1, 2, 3]])).toThrow(/holds 3 tokens; one window of seqLen \+ 1 = 9 tokens/);
  });
});

describe('InstructionBatches', () => {
  const examples = [
    { ids: [1, 30, 5, 31, 5, 2], answerMask: [0, 0, 0, 0, 1, 1] },
    { ids: [1, 30, 6, 7, 31, 7, 6, 2], answerMask: [0, 0, 0, 0, 0, 1, 1, 1] },
    { ids: [1, 30, 8, 31, 8, 2], answerMask: [0, 0, 0, 0, 1, 1] },
  ];

  it('packs whole examples and takes the loss on answer tokens only (hand-built targets)', () => {
    const source = new InstructionBatches(prepareExamples(examples, 32, T, 'ex'), T, 0, null);
    const { ids, targets } = draw(source, 3);
    const _ = -1;
    // Row 0: example 0 (5 positions); example 1 needs 7 more, so it starts row 1; row 2 holds example 2.
    expect(Array.from(ids)).toEqual([
      1, 30, 5, 31, 5, 0, 0, 0,
      1, 30, 6, 7, 31, 7, 6, 0,
      1, 30, 8, 31, 8, 0, 0, 0,
    ]);
    expect(Array.from(targets)).toEqual([
      _, _, _, 5, 2, _, _, _,
      _, _, _, _, 7, 6, 2, _,
      _, _, _, 8, 2, _, _, _,
    ]);
  });

  it('packs several short examples into one row', () => {
    const short = [{ ids: [1, 9, 2], answerMask: [0, 1, 1] }];
    const source = new InstructionBatches(prepareExamples(short, 32, T, 'ex'), T, 0, new Rng(1));
    const { ids, targets } = draw(source, 1);
    expect(Array.from(ids)).toEqual([1, 9, 1, 9, 1, 9, 1, 9]);
    expect(Array.from(targets)).toEqual([9, 2, 9, 2, 9, 2, 9, 2]);
  });

  it('rejects examples that cannot fit a row, or whose mask does not match', () => {
    const long = [{ ids: Array.from({ length: T + 2 }, () => 3), answerMask: Array.from({ length: T + 2 }, () => 1) }];
    expect(() => prepareExamples(long, 32, T, 'instruction.train')).toThrow(/instruction.train\[0\].ids: has 10 tokens but a row holds at most seqLen \+ 1 = 9/);
    expect(() => prepareExamples([{ ids: [1, 2, 3], answerMask: [1] }], 32, T, 'x')).toThrow(/x\[0\].answerMask: has 1 entries/);
    expect(() => prepareExamples([{ ids: [1, 40], answerMask: [0, 1] }], 32, T, 'x')).toThrow(/x\[0\].ids\[1\]: token id 40 is outside/);
  });
});

describe('validationBatches', () => {
  it('covers one pass in order, with a short last batch', () => {
    const batches = validationBatches(pretraining(null), 2, T, 10);
    expect(batches.map((b) => b.rows)).toEqual([2, 1]);
    expect(batches[1].ids.length).toBe(T);
    expect(batches.reduce((n, b) => n + b.counted, 0)).toBe(3 * T);
    expect(validationBatches(pretraining(null), 2, T, 1).length).toBe(1);
  });
});
