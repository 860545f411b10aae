/**
 * Validation of a {@link HeadSelection} against the head count, and the parameter-free
 * routings of `allHeads` and `staticPruning`.
 *
 * Shapes: N rows, H query heads. Gates `(N, H)`.
 *
 * @packageDocumentation
 */
import type { Workspace } from '@moh/tensor';
import type { HeadSelection } from './config.js';
import type { HeadRouting } from './routing.js';

/** Throws a `RangeError` naming the field and its rule when `selection` does not fit `heads`. */
export function checkHeadSelection(selection: HeadSelection, heads: number): void {
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`heads must be an integer ≥ 1, got ${heads}`);
  const kind = selection.kind;
  switch (kind) {
    case 'allHeads':
      return;
    case 'staticPruning': {
      const K = selection.activeHeads;
      if (!Number.isInteger(K) || K < 1 || K > heads) {
        throw new RangeError(`staticPruning.activeHeads must be an integer in 1..${heads}, got ${K}`);
      }
      return;
    }
    case 'mixtureOfHeads': {
      const { sharedHeads: hs, activeRoutedHeads: k, loadBalanceWeight: beta, gating } = selection;
      if (!Number.isInteger(hs) || hs < 0 || hs >= heads) {
        throw new RangeError(`mixtureOfHeads.sharedHeads must be an integer in 0..${heads - 1}, got ${hs}`);
      }
      if (!Number.isInteger(k) || k < 1 || k > heads - hs) {
        throw new RangeError(`mixtureOfHeads.activeRoutedHeads must be an integer in 1..${heads - hs}, got ${k}`);
      }
      if (!Number.isFinite(beta) || beta < 0) {
        throw new RangeError(`mixtureOfHeads.loadBalanceWeight must be finite and ≥ 0, got ${beta}`);
      }
      if (gating !== 'paper' && gating !== 'scaled' && gating !== 'binary') {
        throw new RangeError(`mixtureOfHeads.gating must be paper, scaled or binary, got ${String(gating)}`);
      }
      return;
    }
    default: {
      const never: never = kind;
      throw new RangeError(`unknown head selection kind ${String(never)}`);
    }
  }
}

/**
 * Heads `0..activeHeads−1` on every row with gate 1; the other heads never run. The
 * active heads share one row list. Arrays come from `workspace` when given.
 */
export function constantRouting(activeHeads: number, rows: number, heads: number, workspace?: Workspace): HeadRouting {
  const gates = workspace?.float32(rows * heads) ?? new Float32Array(rows * heads);
  for (let t = 0; t < rows; t++) gates.fill(1, t * heads, t * heads + activeHeads);
  const every = everyRow(rows, workspace);
  const activeRows = Array.from({ length: heads }, (_, h) => (h < activeHeads ? every : new Int32Array(0)));
  return { heads, rows, gates, activeRows };
}

/** The row list `0, 1, …, rows − 1`, from `workspace` when given. */
export function everyRow(rows: number, workspace?: Workspace): Int32Array {
  const list = workspace?.int32(rows) ?? new Int32Array(rows);
  for (let t = 0; t < rows; t++) list[t] = t;
  return list;
}
