import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, resolveConfig } from '@moh/model';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../checkpoint.js';
import { TrainingDataError } from '../data.js';
import type { TrainingEvent } from '../events.js';
import { Trainer } from '../trainer.js';
import { bits, recorder, syntheticDocs, timeless, TINY, tinyConfig, tinyData, tinyModel } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'moh-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 2N = 10 steps: 6 pretraining, 4 instruction tuning. */
async function straight(): Promise<{ events: TrainingEvent[]; params: Float32Array }> {
  const { events, observer } = recorder();
  const trainer = new Trainer(tinyModel(), tinyConfig(), tinyData(), { onEvent: observer });
  await trainer.run();
  return { events, params: trainer.model.params.slice() };
}

describe('resume', () => {
  it.each([5, 6, 8])('N steps, checkpoint, fresh objects, resume: the same loss bits and weights as a straight run (stop at %i)', async (stop) => {
    const reference = await straight();
    const dir = join(root, `stop-${stop}`);
    const first = recorder();
    const a = new Trainer(tinyModel(), tinyConfig(), tinyData(), { onEvent: first.observer, checkpointDir: dir });
    await a.run({ untilStep: stop });
    a.checkpoint();
    a.free();

    // Everything anew, as a new process would have it: data rebuilt, model and state from disk.
    const second = recorder();
    const b = Trainer.resume(loadCheckpoint(dir), tinyData(), { onEvent: second.observer });
    expect(b.step).toBe(stop);
    await b.run();

    const isStep = (e: TrainingEvent) => e.kind === 'step';
    const resumedLosses = [...first.events, ...second.events].filter(isStep).map((e) => (e.kind === 'step' ? e.loss : NaN));
    const straightLosses = reference.events.filter(isStep).map((e) => (e.kind === 'step' ? e.loss : NaN));
    expect(resumedLosses).toHaveLength(10);
    resumedLosses.forEach((x, i) => expect(Object.is(x, straightLosses[i]), `step ${i + 1}`).toBe(true));
    expect(bits(b.model.params)).toEqual(bits(reference.params));
    // Telemetry windows, validation and phase events continue as if never stopped.
    const withoutCheckpoints = (events: TrainingEvent[]) => timeless(events.filter((e) => e.kind !== 'checkpoint'));
    expect(withoutCheckpoints([...first.events, ...second.events])).toEqual(withoutCheckpoints(reference.events));
    expect(b.validationHistory.map((r) => r.step)).toEqual([3, 6, 9, 10]);
  });

  it('restores model state outside the weights: the entropy average of an adaptive window', async () => {
    const config = resolveConfig({
      ...TINY,
      attention: { ...TINY.attention, window: 6, adaptiveWindow: { kind: 'attentionEntropy', min: 1, max: 16, momentum: 0.5 } },
      // A wide initialisation makes attention peaked, so the entropy average (and the window) moves.
      initStd: 0.5,
    });
    const straightRun = recorder();
    const s = new Trainer(createModel(config, { seed: 1 }), tinyConfig(), tinyData(), { onEvent: straightRun.observer });
    await s.run();
    const dir = join(root, 'entropy');
    const first = recorder();
    const a = new Trainer(createModel(config, { seed: 1 }), tinyConfig(), tinyData(), { onEvent: first.observer });
    await a.run({ untilStep: 4 });
    a.checkpoint(dir);
    expect(a.state().attentionEntropy.every((h) => h < 1)).toBe(true);
    const second = recorder();
    const b = Trainer.resume(loadCheckpoint(dir), tinyData(), { onEvent: second.observer });
    await b.run();
    const loss = (events: TrainingEvent[]) => events.flatMap((e) => (e.kind === 'step' ? [e.loss] : []));
    const resumed = [...loss(first.events), ...loss(second.events)];
    loss(straightRun.events).forEach((x, i) => expect(Object.is(x, resumed[i]), `step ${i + 1}`).toBe(true));
    expect(bits(b.model.params)).toEqual(bits(s.model.params));
  });

  it('refuses to resume on different data', async () => {
    const dir = join(root, 'other-data');
    const a = new Trainer(tinyModel(), tinyConfig(), tinyData(), { checkpointDir: dir });
    await a.run({ untilStep: 2 });
    a.checkpoint();
    const data = { ...tinyData(), pretraining: { train: syntheticDocs(40, 99) } };
    expect(() => Trainer.resume(loadCheckpoint(dir), data)).toThrow(TrainingDataError);
    expect(() => Trainer.resume(loadCheckpoint(dir), data)).toThrow(/pretraining.train: differs from the data the checkpoint was trained on/);
  });
});
