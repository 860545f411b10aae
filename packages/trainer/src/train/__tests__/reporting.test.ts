import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineObservers } from '../events.js';
import { JsonlMetricsLog } from '../metrics.js';
import { ProgressReporter } from '../progress.js';
import { Trainer } from '../trainer.js';
import { recorder, tinyConfig, tinyData, tinyModel } from './helpers.js';

function sink(isTTY: boolean): { stream: NodeJS.WritableStream & { isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write: (s: string) => {
      chunks.push(String(s));
      return true;
    },
    on: () => stream,
    removeListener: () => stream,
    cursorTo: (_x: number, _y?: number, cb?: () => void) => {
      cb?.();
      return true;
    },
    moveCursor: (_x: number, _y: number, cb?: () => void) => {
      cb?.();
      return true;
    },
    clearLine: (_d: number, cb?: () => void) => {
      cb?.();
      return true;
    },
    clearScreenDown: (cb?: () => void) => {
      cb?.();
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WritableStream & { isTTY: boolean }, text: () => chunks.join('') };
}

describe('metrics and progress', () => {
  it('logs every event as one JSON line, appending across runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moh-metrics-'));
    try {
      const path = join(dir, 'metrics.jsonl');
      const log = new JsonlMetricsLog(path);
      const { events, observer } = recorder();
      await new Trainer(tinyModel(), tinyConfig(), tinyData(), { onEvent: combineObservers(observer, log.observer) }).run({ untilStep: 4 });
      log.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(events.length);
      lines.forEach((line, i) => {
        const { time, ...rest } = line;
        expect(typeof time).toBe('string');
        expect(rest).toEqual(JSON.parse(JSON.stringify(events[i])));
      });
      const again = new JsonlMetricsLog(path);
      again.observer({ kind: 'phase', step: 4, phase: 'pretraining', status: 'end', steps: 6 });
      again.close();
      expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(events.length + 1);
      expect(() => again.observer(events[0])).toThrow(/is closed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes plain lines off a TTY', async () => {
    const out = sink(false);
    const reporter = new ProgressReporter({ stream: out.stream, lineEvery: 5 });
    await new Trainer(tinyModel(), tinyConfig(), tinyData(), { onEvent: reporter.observer }).run();
    reporter.close();
    const lines = out.text().trimEnd().split('\n');
    const stepLines = lines.filter((l) => l.startsWith('step '));
    // Every 5th step plus each phase's last step (6 and 10).
    expect(stepLines.map((l) => l.split(' ')[1])).toEqual(['5/10', '6/10', '10/10']);
    expect(stepLines[0]).toMatch(/^step 5\/10 pretraining loss \d+\.\d{4} ce \d+\.\d{4} lr \S+ \|g\| \S+ \d+ tok\/s elapsed \d+s ETA \d+s$/);
    expect(lines).toContain('phase pretraining start (6 steps)');
    expect(lines.some((l) => /^validation step 3 pretraining: ce \d+\.\d+ perplexity \d+\.\d+/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('routing step 2: L0 L_b/k'))).toBe(true);
    expect(out.text()).not.toContain('\u001b[');
  });

  it('draws a bar with step, loss, tokens/s and ETA on a TTY', async () => {
    const out = sink(true);
    const reporter = new ProgressReporter({ stream: out.stream });
    await new Trainer(tinyModel(), tinyConfig(), tinyData(), { onEvent: reporter.observer }).run();
    reporter.close();
    const text = out.text();
    expect(text).toMatch(/instruction \|.*\| 10\/10 \| loss \d+\.\d{4} \| \d+ tok\/s \| ETA 0s/);
    expect(text).toContain('validation step 10 instruction');
  });
});
