import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tinyTrainArgs, workspace } from './helpers.js';

const { dir, modelConfig } = workspace();
const runDir = join(dir, 'run');

interface Summary {
  run: { steps: { pretraining: number; instruction: number; completed: number }; parameters: number };
  validation: { text: { ce: number; perplexity: number; tokens: number }; answers: { ce: number } | null };
  qa: { accuracy: number; correct: number; total: number };
  samples: { question: string; expected: string; answer: string; heldOut: boolean }[];
  headUsage: { load: number[][]; sharedHeads: number };
}
let summary: Summary;

beforeAll(async () => {
  const outcome = await run([...tinyTrainArgs(modelConfig, runDir), '--json']);
  expect(outcome.stderr).toMatch(/phase pretraining start \(12 steps\)/);
  expect(outcome.code).toBe(0);
  summary = JSON.parse(outcome.stdout) as Summary;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('moh train', () => {
  it('trains, writes the run directory and prints a JSON summary', () => {
    expect(summary.run.steps).toEqual({ pretraining: 12, instruction: 6, completed: 18 });
    expect(summary.validation.text.ce).toBeGreaterThan(0);
    expect(summary.validation.text.perplexity).toBeCloseTo(Math.exp(summary.validation.text.ce), 6);
    expect(summary.qa.total).toBe(52);
    expect(summary.samples.map((s) => s.heldOut)).toEqual([true, true, true, false, false]);
    expect(summary.headUsage.load).toHaveLength(1);
    expect(summary.headUsage.load[0][0]).toBe(1); // the shared head runs on every token
    for (const file of ['checkpoint/model.safetensors', 'checkpoint/tokenizer.json', 'metrics.jsonl', 'summary.json']) {
      expect(existsSync(join(runDir, file)), file).toBe(true);
    }
    const svg = readFileSync(join(runDir, 'loss.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/validation/);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'))).toEqual(summary);
  });

  it('prints a readable summary', async () => {
    const out = join(dir, 'text');
    const { code, stdout } = await run([...tinyTrainArgs(modelConfig, out, 4, 2), '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Validation loss: \d+\.\d{4} nats\/token, perplexity/);
    expect(stdout).toMatch(/Held-out QA: +\d+\.\d% exact match \(\d+\/52/);
    expect(stdout).toMatch(/\[held out\] .+ → ".*" \(expected ".+"\)/);
    expect(stdout).toMatch(/Head usage/);
  });

  it('stops at --stop-at and resumes to exactly the same model', async () => {
    const split = join(dir, 'split');
    const stopped = await run([...tinyTrainArgs(modelConfig, split), '--stop-at', '7', '--quiet']);
    expect(stopped.code).toBe(0);
    expect(JSON.parse(readFileSync(join(split, 'checkpoint/state.json'), 'utf8')).step).toBe(7);
    const resumed = await run(['train', '--resume', split, '--json', '--quiet']);
    expect(resumed.code).toBe(0);
    const after = JSON.parse(resumed.stdout) as Summary;
    expect(after.run.steps.completed).toBe(18);
    expect(after.validation).toEqual(summary.validation);
    expect(Buffer.compare(readFileSync(join(split, 'checkpoint/model.safetensors')), readFileSync(join(runDir, 'checkpoint/model.safetensors')))).toBe(0);
  });
});

describe('moh generate', () => {
  it('streams the same text it reports with --json', async () => {
    const json = await run(['generate', '-c', runDir, '--prompt', 'Once upon a time', '--max-tokens', '8', '--json']);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { completion: string; tokens: number[]; stopReason: string };
    expect(result.tokens.length).toBeLessThanOrEqual(8);
    expect(['stopToken', 'maxNewTokens', 'contextFull']).toContain(result.stopReason);
    const text = await run(['generate', '-c', runDir, '--prompt', 'Once upon a time', '--max-tokens', '8']);
    expect(text.stdout).toBe(`${result.completion}\n`);
  });

  it('samples reproducibly with a seed, and beam-searches', async () => {
    const args = ['generate', '-c', join(runDir, 'checkpoint'), '--chat', '--prompt', 'Where does Mira live?', '--temperature', '1.5', '--seed', '4', '--json'];
    const a = await run(args);
    const b = await run(args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const beam = await run(['generate', '-c', runDir, '--prompt', 'The', '--strategy', 'beam', '--beam-width', '2', '-n', '5', '--json']);
    expect(beam.code).toBe(0);
  });
});

describe('moh eval', () => {
  it('reports the same numbers as training did', async () => {
    const { code, stdout } = await run(['eval', '-c', runDir, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Summary & { step: number };
    expect(report.step).toBe(18);
    expect(report.validation).toEqual(summary.validation);
    expect(report.qa).toEqual(summary.qa);
    expect(report.headUsage).toEqual(summary.headUsage);
  });
});

describe('moh inspect', () => {
  it('shows the active heads per token and layer, as a table, JSON and SVG', async () => {
    const svg = join(dir, 'heads.svg');
    const json = await run(['inspect', '-c', runDir, '--prompt', 'Mira lives', '--json', '--svg', svg]);
    expect(json.code).toBe(0);
    const usage = JSON.parse(json.stdout) as { tokens: { id: number; text: string }[]; layers: { active: number[][]; gates: number[][] }[] };
    expect(usage.tokens[0].text).toBe('<|bos|>');
    expect(usage.tokens.map((t) => t.text).join('')).toBe('<|bos|>Mira lives');
    for (const active of usage.layers[0].active) {
      expect(active[0]).toBe(0); // the shared head
      expect(active).toHaveLength(3); // 1 shared + top-2 routed
    }
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    const table = await run(['inspect', '-c', runDir, '--prompt', 'Mira lives']);
    expect(table.stdout).toMatch(/#\s+token\s+layer 0/);
    expect(table.stdout).toMatch(/0\s+"<\|bos\|>"\s+0 \d \d/);
  });
});

describe('moh chat', () => {
  it('answers each piped line, handles /help, and stops at /exit', async () => {
    const { code, stdout } = await run(['chat', '-c', runDir, '--max-tokens', '4'], 'Where does Mira live?\n/help\n\nWhat does the owl eat?\n/exit\nnever asked\n');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(stdout).toMatch(/\/exit \(or Ctrl-D\) quits/);
    // Two answers and the three help lines, then the final newline.
    expect(lines).toHaveLength(2 + 3 + 1);
  });
});
