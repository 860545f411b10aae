/**
 * Plain-text tables of a {@link BenchmarkResult}, for `moh bench`.
 *
 * @packageDocumentation
 */
import type { BenchmarkResult } from './benchmark.js';
import { DECODE_PROMPTS } from './measure.js';

/** Left-aligns the first column and right-aligns the rest. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: readonly string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The figures, the savings against `allHeads`, the profile (when taken) and the targets. */
export function formatBenchmark(result: BenchmarkResult): string {
  const out: string[] = [];
  out.push(`Backend ${result.backend}; matmul ${result.matmulGflops.toFixed(1)} GFLOP/s on 1280×128×256; ${result.rounds} rounds, variants alternating; fastest samples (decode: mean of ${DECODE_PROMPTS} prompts' fastest).`);
  const batches = result.results[0]?.training.map((t) => t.batch) ?? [];
  out.push('');
  out.push(
    table(
      ['variant', 'T', ...batches.map((b) => `tok/s B=${b}`), ...batches.map((b) => `GFLOP/s B=${b}`), 'prefill ms', 'decode ms', 'decode ×', 'memory'],
      result.results.map((r) => [
        r.variant,
        String(r.seqLen),
        ...r.training.map((t) => t.tokensPerSecond.toFixed(0)),
        ...r.training.map((t) => `${t.modelGflops.toFixed(1)} (${pct(t.modelGflops / result.matmulGflops)})`),
        r.prefillMs.toFixed(2),
        r.decodeMs.toFixed(3),
        r.decodeSpeedup.toFixed(1),
        mib(r.memory.totalBytes),
      ]),
    ),
  );
  out.push('');
  out.push('Savings against allHeads (measured time vs analytic FLOPs): measured sets the fastest samples against');
  out.push("each other, paired is the median saving over back-to-back sample pairs (robust to the machine's drift):");
  out.push(
    table(
      ['variant', 'T', 'figure', 'measured', 'analytic', 'ratio', 'paired', 'ratio (paired)'],
      result.savings.map((s) => [
        s.variant, String(s.seqLen), s.figure, pct(s.measured), pct(s.analytic), s.ratio.toFixed(2), pct(s.paired), s.pairedRatio.toFixed(2),
      ]),
    ),
  );
  const memory = result.results.filter((r) => r.variant !== 'allHeads').map((r) => {
    const base = result.results.find((b) => b.variant === 'allHeads' && b.seqLen === r.seqLen);
    return [r.variant, String(r.seqLen), mib(r.memory.stateBytes), mib(r.memory.activationBytes), base === undefined ? '-' : pct(r.memory.totalBytes / base.memory.totalBytes - 1)];
  });
  out.push('');
  out.push('Memory (parameters, gradients and AdamW moments; peak activations):');
  out.push(table(['variant', 'T', 'state', 'activations', 'vs allHeads'], memory));
  const profiled = result.results.filter((r) => r.profile !== null);
  if (profiled.length > 0) {
    const parts = Object.keys(profiled[0].profile ?? {});
    out.push('');
    out.push('Profile: share of training-step time (largest batch):');
    out.push(table(['variant', 'T', ...parts], profiled.map((r) => [r.variant, String(r.seqLen), ...parts.map((p) => pct((r.profile as Record<string, number>)[p]))])));
  }
  out.push('');
  out.push('Targets:');
  out.push(table(['target', 'holds', 'figures'], result.targets.map((t) => [t.target, t.holds ? 'yes' : 'NO', t.detail])));
  return `${out.join('\n')}\n`;
}
