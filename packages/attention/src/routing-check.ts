/**
 * Checks that a {@link HeadRouting} fits a pass before any head runs on it.
 *
 * @packageDocumentation
 */
import type { HeadRouting } from '@moh/head-router';

/** Throws unless `routing` has `heads` heads, `rows` rows and ascending in-range active rows per head. */
export function checkRouting(routing: HeadRouting, heads: number, rows: number): void {
  if (routing.heads !== heads) throw new Error(`routing.heads must be ${heads}, got ${routing.heads}`);
  if (routing.rows !== rows) throw new Error(`routing.rows must be ${rows} (batch·tokens), got ${routing.rows}`);
  if (routing.gates.length !== rows * heads) {
    throw new Error(`routing.gates must have ${rows * heads} elements (rows×heads), got ${routing.gates.length}`);
  }
  if (routing.activeRows.length !== heads) {
    throw new Error(`routing.activeRows must list ${heads} heads, got ${routing.activeRows.length}`);
  }
  for (let h = 0; h < heads; h++) {
    const active = routing.activeRows[h];
    let previous = -1;
    for (let r = 0; r < active.length; r++) {
      const row = active[r];
      if (!(row > previous && row < rows)) {
        throw new Error(`routing.activeRows[${h}] must be ascending rows in [0, ${rows}), got ${row} after ${previous}`);
      }
      previous = row;
    }
  }
}
