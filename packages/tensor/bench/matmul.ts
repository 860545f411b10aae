/**
 * Matmul figures: GFLOP/s (2·m·k·n per product) of each layout on the model's shapes,
 * both backends, each result checked against float64 before it is timed.
 */
import { Rng, type Backend } from '../src/index.js';
import { assertClose, fillUniform, secondsPerCall } from './harness.js';

/** Which product: `NN` = A·B, `TN` = Aᵀ·B, `NT` = A·Bᵀ, `rows` = A·B over a row list. */
export type Layout = 'NN' | 'TN' | 'NT' | 'rows';

/** One benchmarked product `out(m,n) = op(A)·op(B)` with inner size k. */
export interface MatmulCase {
  readonly layout: Layout;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/**
 * The shapes the issue names: the seed model's projections, scores, FFN, LM head and a
 * batch of 16, plus the weight gradients `Xᵀ·dY` of a batch of 16 at T = 80 and T = 512.
 */
export const matmulCases: readonly MatmulCase[] = [
  { layout: 'NN', m: 80, k: 128, n: 256 },
  { layout: 'NN', m: 80, k: 256, n: 128 },
  { layout: 'TN', m: 128, k: 80, n: 256 },
  { layout: 'NT', m: 80, k: 256, n: 128 },
  { layout: 'NN', m: 80, k: 16, n: 80 },
  { layout: 'NN', m: 80, k: 128, n: 605 },
  { layout: 'NN', m: 1280, k: 128, n: 256 },
  { layout: 'TN', m: 128, k: 1280, n: 256 },
  { layout: 'TN', m: 128, k: 8192, n: 256 },
  { layout: 'NN', m: 1, k: 128, n: 128 },
  { layout: 'rows', m: 80, k: 128, n: 16 },
];

/** A measured case. */
export interface MatmulResult extends MatmulCase {
  readonly gflops: Record<string, number>;
}

function float64Product(c: MatmulCase, a: Float32Array, b: Float32Array, rows: Int32Array): Float64Array {
  const { m, k, n } = c;
  const out = new Float64Array(m * n);
  const listed = new Set(rows);
  for (let i = 0; i < m; i++) {
    if (c.layout === 'rows' && !listed.has(i)) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = c.layout === 'TN' ? a[p * m + i] : a[i * k + p];
        const bv = c.layout === 'NT' ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

function run(backend: Backend, c: MatmulCase, out: Float32Array, a: Float32Array, b: Float32Array, rows: Int32Array): void {
  const { m, k, n } = c;
  switch (c.layout) {
    case 'NN':
      return backend.matmul(out, a, b, m, k, n);
    case 'TN':
      return backend.matmulTN(out, a, b, m, k, n);
    case 'NT':
      return backend.matmulNT(out, a, b, m, k, n);
    case 'rows':
      return backend.matmulRows(out, a, b, rows, rows.length, k, n);
  }
}

/** Label of a case as printed, e.g. `A·Bᵀ 80×256×128`. */
export function caseLabel(c: MatmulCase): string {
  const op = { NN: 'A·B', TN: 'Aᵀ·B', NT: 'A·Bᵀ', rows: 'A·B rows 60/80' }[c.layout];
  return `${op} ${c.m}×${c.k}×${c.n}`;
}

/**
 * Checks every case on every backend against float64, then times them in `passes`
 * sweeps over all (case, backend) pairs, keeping each pair's best: a slow phase of this
 * shared machine then costs a pass, not a whole case, and backends alternate within it.
 * Each timing allocates its operands afresh and frees them after, so every case runs on
 * the same addresses (placement alone can move a product's speed by a quarter).
 */
export function benchMatmul(backends: readonly Backend[], seed: number, passes = 3): MatmulResult[] {
  const best = new Map<string, number>();
  for (let pass = 0; pass < passes; pass++) {
    for (const c of matmulCases) {
      // A row list of 60 of 80 rows, as a 6-of-8 MoH head selection would give.
      const rowRng = new Rng(seed + 1);
      const rowsAll = rowRng.shuffle(Array.from({ length: c.m }, (_, i) => i)).slice(0, Math.ceil((c.m * 3) / 4));
      const flops = 2 * (c.layout === 'rows' ? rowsAll.length : c.m) * c.k * c.n;
      for (const backend of backends) {
        // Allocate everything first, then take views: an allocation may grow the fast
        // backend's memory and replace the buffer under earlier views.
        const sa = backend.allocFloat32(c.m * c.k);
        const sb = backend.allocFloat32(c.k * c.n);
        const sr = backend.allocInt32(rowsAll.length);
        const so = backend.allocFloat32(c.m * c.n);
        const rng = new Rng(seed);
        fillUniform(sa.data, rng);
        fillUniform(sb.data, rng);
        sr.data.set([...rowsAll].sort((x, y) => x - y));
        const call = (): void => run(backend, c, so.data, sa.data, sb.data, sr.data);
        call();
        if (pass === 0) assertClose(`${backend.label} ${caseLabel(c)}`, so.data, float64Product(c, sa.data, sb.data, sr.data), 1e-4, 1e-4);
        const key = `${caseLabel(c)}|${backend.label}`;
        best.set(key, Math.max(best.get(key) ?? 0, flops / secondsPerCall(call, 5) / 1e9));
        for (const storage of [sa, sb, sr, so]) storage.free();
      }
    }
  }
  return matmulCases.map((c) => {
    const gflops: Record<string, number> = {};
    for (const backend of backends) gflops[backend.label] = best.get(`${caseLabel(c)}|${backend.label}`) ?? 0;
    return { ...c, gflops };
  });
}
