/**
 * Learning byte-pair merges from chunk counts.
 *
 * Each unique chunk is a word of token ids (its UTF-8 bytes at first) with a count. The
 * trainer keeps, for every adjacent pair, its count over all words (weighted by word
 * count) and the words it occurs in. A merge only rewrites the words that contain the
 * chosen pair and updates the counts of the pairs in those words, so a merge costs time
 * in proportion to the words it touches, not to the corpus. The next pair comes from a
 * max-heap with lazy deletion: stale entries (whose count has since changed) are skipped
 * when popped.
 *
 * Ties are broken deterministically: the highest count wins, then the smallest left id,
 * then the smallest right id.
 */

/** Pair keys pack two ids below 2^20 into one exact integer. */
const SHIFT = 1 << 20;

function pairKey(a: number, b: number): number {
  return a * SHIFT + b;
}

/** A max-heap of (count, key) entries; larger counts first, then smaller keys. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry and returns it as [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.before(l, best)) best = l;
        if (r < this.keys.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
}

/**
 * Learns up to `maxMerges` merges from words (arrays of ids below `firstId`) with their
 * counts. Merge `i` creates id `firstId + i`. Stops early when no pair occurs at least
 * `minCount` times. Returns the merges as [left, right] pairs.
 */
export function learnMerges(
  words: readonly (readonly number[])[],
  wordCounts: readonly number[],
  firstId: number,
  maxMerges: number,
  minCount: number,
): [number, number][] {
  const seqs = words.map((w) => [...w]);
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const heap = new PairHeap();

  const add = (seq: readonly number[], w: number, sign: 1 | -1): void => {
    const n = wordCounts[w];
    for (let i = 0; i + 1 < seq.length; i++) {
      const key = pairKey(seq[i], seq[i + 1]);
      const count = (pairCounts.get(key) ?? 0) + sign * n;
      if (count > 0) {
        pairCounts.set(key, count);
        heap.push(count, key);
      } else {
        pairCounts.delete(key);
      }
      if (sign > 0) {
        let set = where.get(key);
        if (set === undefined) where.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  seqs.forEach((seq, w) => add(seq, w, 1));

  const merges: [number, number][] = [];
  while (merges.length < maxMerges && heap.size > 0) {
    const [count, key] = heap.pop();
    if (pairCounts.get(key) !== count) continue; // stale entry
    if (count < minCount) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const id = firstId + merges.length;
    merges.push([a, b]);
    const touched = where.get(key) ?? new Set<number>();
    where.delete(key);
    for (const w of touched) {
      const seq = seqs[w];
      if (!containsPair(seq, a, b)) continue; // the word no longer holds the pair
      add(seq, w, -1);
      const merged = mergePair(seq, a, b, id);
      seqs[w] = merged;
      add(merged, w, 1);
    }
  }
  return merges;
}

function containsPair(seq: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < seq.length; i++) if (seq[i] === a && seq[i + 1] === b) return true;
  return false;
}

/** Replaces every non-overlapping (a, b), left to right, with `id`. */
export function mergePair(seq: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < seq.length; i++) {
    if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(seq[i]);
    }
  }
  return out;
}
