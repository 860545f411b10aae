import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerBench, runBench, type BenchOptions } from '../commands/bench.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';

function bufferIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t), isTty: false };
}

const tiny: BenchOptions = { json: false, profile: false, quick: true, contexts: '4', variants: 'moh', batches: '1', rounds: '1', threads: '1' };

describe('moh bench', () => {
  it('runs the variants on a tiny context and prints the figures, savings and targets as JSON', async () => {
    const io = bufferIo();
    const program = new Command('moh').exitOverride();
    registerBench(program, io);
    await program.parseAsync(['bench', '--quick', '--contexts', '4', '--batches', '1', '--rounds', '1', '--variants', 'moh', '--json'], { from: 'user' });
    const result = JSON.parse(io.stdout.join('')) as { results: { variant: string }[]; savings: unknown[]; targets: unknown[] };
    expect(result.results.map((r) => r.variant)).toEqual(['allHeads', 'moh']);
    expect(result.savings).toHaveLength(3);
    expect(io.stderr.join('')).toMatch(/bench: T=4: round 1 of 1/);
  });

  it('rejects unknown variants and malformed lists as usage errors', () => {
    const io = bufferIo();
    expect(() => runBench({ ...tiny, variants: 'moh,everything' }, io)).toThrow(CliError);
    expect(() => runBench({ ...tiny, contexts: '80,x' }, io)).toThrow(/--contexts/);
    expect(() => runBench({ ...tiny, contexts: '1' }, io)).toThrow(/≥ 2/);
    expect(() => runBench({ ...tiny, batches: '0' }, io)).toThrow(/--batches/);
    expect(() => runBench({ ...tiny, threads: '3' }, io)).toThrow(/--threads must be 1 or 2, got 3/);
    expect(() => runBench({ ...tiny, threads: '0' }, io)).toThrow(/--threads/);
  });

  it('runs on two threads with --threads 2 and says so', () => {
    const io = bufferIo();
    const result = runBench({ ...tiny, threads: '2' }, io);
    expect(result.backend).toMatch(/×2$/);
    expect(result.results.map((r) => r.variant)).toEqual(['allHeads', 'moh']);
  });
});
