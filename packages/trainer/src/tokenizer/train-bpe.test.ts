import { Rng } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { learnMerges, mergePair } from './train-bpe.js';

/** The textbook algorithm: recount every pair after every merge. Slow, but obviously right. */
function naiveMerges(words: number[][], counts: number[], firstId: number, maxMerges: number, minCount: number) {
  let seqs = words.map((w) => [...w]);
  const merges: [number, number][] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    seqs.forEach((seq, w) => {
      for (let i = 0; i + 1 < seq.length; i++) {
        const k = `${seq[i]},${seq[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + counts[w]);
      }
    });
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [k, c] of pairs) {
      const [a, b] = k.split(',').map(Number);
      if (c > bestCount || (c === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (best === null || bestCount < minCount) break;
    const id = firstId + merges.length;
    merges.push(best);
    const [a, b] = best;
    seqs = seqs.map((seq) => mergePair(seq, a, b, id));
  }
  return merges;
}

describe('learnMerges', () => {
  it('matches recounting from scratch on random words', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 5; trial++) {
      // A small alphabet makes repeats, overlaps ("aaa") and ties common.
      const words = Array.from({ length: 60 }, () => Array.from({ length: 1 + rng.int(10) }, () => rng.int(4)));
      const counts = words.map(() => 1 + rng.int(5));
      const fast = learnMerges(words, counts, 10, 40, 2);
      expect(fast).toEqual(naiveMerges(words, counts, 10, 40, 2));
      expect(fast.length).toBeGreaterThan(5);
    }
  });

  it('weights pairs by word counts', () => {
    // (1, 2) occurs in 2 words once each; (3, 4) in one word counted 5 times.
    expect(learnMerges([[1, 2], [1, 2, 0], [3, 4]], [1, 1, 5], 10, 1, 1)).toEqual([[3, 4]]);
  });
});

describe('mergePair', () => {
  it('merges non-overlapping occurrences left to right', () => {
    expect(mergePair([1, 1, 1], 1, 1, 9)).toEqual([9, 1]);
    expect(mergePair([1, 2, 1, 2, 3], 1, 2, 9)).toEqual([9, 9, 3]);
    expect(mergePair([2, 1], 1, 2, 9)).toEqual([2, 1]);
  });
});
