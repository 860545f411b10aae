/**
 * `npm run bench -w @moh/tensor`: kernel figures for every backend — reference, fast,
 * and fast+fma where relaxed SIMD is available (turned on here as the CLI does) — with
 * the ratios to the reference. Every kernel is checked against float64 before it is
 * timed. Flags: `--json` prints the figures as JSON; `--seed N` changes the data.
 */
import { availableBackends, enableRelaxedSimd, type Backend } from '../src/index.js';
import { table } from './harness.js';
import { benchMatmul, caseLabel } from './matmul.js';
import { benchOps } from './ops.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const seedIndex = args.indexOf('--seed');
const seed = seedIndex >= 0 ? Number(args[seedIndex + 1]) : 1;
if (!Number.isInteger(seed)) {
  console.error('bench: --seed needs an integer, e.g. --seed 7');
  process.exit(2);
}

enableRelaxedSimd();
const backends: Backend[] = availableBackends();
if (!backends.some((b) => b.name === 'fast')) console.error('bench: WebAssembly SIMD is unavailable here; timing the reference backend only.');
if (!json) console.error(`bench: backends ${backends.map((b) => b.label).join(', ')}; checking each kernel against float64, then timing…`);
const labels = backends.map((b) => b.label);
const fastLabels = labels.filter((l) => l !== 'reference');

const matmul = benchMatmul(backends, seed);
const ops = benchOps(backends, seed);

const ratio = (fast: number | undefined, reference: number | undefined, inverse: boolean): string =>
  fast === undefined || reference === undefined ? '-' : `${(inverse ? reference / fast : fast / reference).toFixed(1)}×`;

if (json) {
  console.log(JSON.stringify({ seed, matmul, ops }, null, 2));
} else {
  console.log('\nmatmul (GFLOP/s, higher is better)\n');
  console.log(
    table(
      ['product', ...labels, ...fastLabels.map((l) => `${l}/reference`)],
      matmul.map((r) => [
        caseLabel(r),
        ...labels.map((l) => r.gflops[l]?.toFixed(2) ?? '-'),
        ...fastLabels.map((l) => ratio(r.gflops[l], r.gflops['reference'], false)),
      ]),
    ),
  );
  console.log('\nrow-wise and elementwise (ns per element, lower is better)\n');
  console.log(
    table(
      ['op', ...labels, ...fastLabels.map((l) => `${l} speed-up`)],
      ops.map((r) => [
        r.op,
        ...labels.map((l) => r.nsPerElement[l]?.toFixed(3) ?? '-'),
        ...fastLabels.map((l) => ratio(r.nsPerElement[l], r.nsPerElement['reference'], true)),
      ]),
    ),
  );
}
