/**
 * Parsers for option values. Each throws commander's `InvalidArgumentError`, so a bad
 * value is reported by commander as a usage error (exit 2) naming the option.
 */
import { InvalidArgumentError } from 'commander';

/** An integer option in `[min, max]`. */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}.` : `expected an integer in ${min}..${max}.`);
    }
    return n;
  };
}

/** A finite number option; `above` (exclusive) or `atLeast` (inclusive) bounds it from below, `atMost` from above. */
export function numberIn(bounds: { readonly above?: number; readonly atLeast?: number; readonly atMost?: number }): (value: string) => number {
  const rule = [
    bounds.above === undefined ? null : `> ${bounds.above}`,
    bounds.atLeast === undefined ? null : `≥ ${bounds.atLeast}`,
    bounds.atMost === undefined ? null : `≤ ${bounds.atMost}`,
  ].filter((r) => r !== null).join(' and ');
  return (value) => {
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n)
      && (bounds.above === undefined || n > bounds.above)
      && (bounds.atLeast === undefined || n >= bounds.atLeast)
      && (bounds.atMost === undefined || n <= bounds.atMost);
    if (!ok) throw new InvalidArgumentError(`expected a number${rule === '' ? '' : ` ${rule}`}.`);
    return n;
  };
}
