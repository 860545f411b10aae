/**
 * Shared fixtures for the trainer's tests: a tiny Mixture-of-Heads model (2 layers,
 * 4 heads: 1 shared + 3 routed, top-2) and synthetic token data with learnable structure.
 */
import { createModel, resolveConfig, type Model, type ModelConfig } from '@moh/model';
import type { Backend } from '@moh/tensor';
import { testRandom } from '@moh/test-utils';
import { resolveTrainerConfig, type TrainerConfig, type TrainerConfigInput } from '../config.js';
import type { InstructionExample, TrainingData } from '../data.js';
import type { TrainingEvent } from '../events.js';

export const BOS = 1;
export const EOS = 2;

export const TINY: ModelConfig = resolveConfig({
  vocabSize: 32,
  modelDim: 16,
  layers: 2,
  maxSeqLen: 16,
  attention: { queryHeads: 4, kvHeads: 2, headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2 } },
  ffn: { hiddenDim: 32 },
});

export function tinyModel(seed = 1, backend?: Backend): Model {
  return createModel(TINY, { seed, ...(backend === undefined ? {} : { backend }) });
}

/** Documents `BOS a a+s a+2s … EOS` over ids 3..31: predictable, so the loss can fall. */
export function syntheticDocs(count: number, seed: number): number[][] {
  const next = testRandom(seed);
  const docs: number[][] = [];
  for (let d = 0; d < count; d++) {
    const len = 4 + Math.floor(next() * 12);
    const start = Math.floor(next() * 29);
    const stride = 1 + Math.floor(next() * 3);
    const doc = [BOS];
    for (let i = 0; i < len; i++) doc.push(3 + ((start + i * stride) % 29));
    doc.push(EOS);
    docs.push(doc);
  }
  return docs;
}

/** Chats `BOS 30 q… 31 a… EOS` where the answer repeats the question reversed. */
export function syntheticExamples(count: number, seed: number): InstructionExample[] {
  const next = testRandom(seed);
  const out: InstructionExample[] = [];
  for (let e = 0; e < count; e++) {
    const q = Array.from({ length: 1 + Math.floor(next() * 3) }, () => 3 + Math.floor(next() * 27));
    const ids = [BOS, 30, ...q, 31, ...[...q].reverse(), EOS];
    const answerMask = ids.map((_, i) => (i >= q.length + 3 ? 1 : 0));
    out.push({ ids, answerMask });
  }
  return out;
}

export function tinyData(): TrainingData {
  return {
    // 20 documents make about 14 windows: pretraining wraps into a second epoch at step 4.
    pretraining: { train: syntheticDocs(20, 1), validation: syntheticDocs(8, 2) },
    instruction: { train: syntheticExamples(30, 3), validation: syntheticExamples(6, 4) },
  };
}

export function tinyConfig(input: TrainerConfigInput = {}): TrainerConfig {
  return resolveTrainerConfig(
    {
      batchSize: 4,
      seqLen: 16,
      seed: 7,
      pretraining: { steps: 6, peakLr: 1e-2, schedule: { kind: 'warmupCosine', warmupSteps: 2 } },
      instruction: { steps: 4, peakLr: 5e-3 },
      validation: { interval: 3, batches: 2 },
      telemetry: { interval: 2, collapseShare: 0.05, collapseWindows: 2 },
      checkpointInterval: 0,
      ...input,
    },
    TINY,
  );
}

/** An observer that records events. */
export function recorder(): { events: TrainingEvent[]; observer: (e: TrainingEvent) => void } {
  const events: TrainingEvent[] = [];
  return { events, observer: (e) => events.push(e) };
}

/** Events without their wall-clock fields, for comparing runs. */
export function timeless(events: readonly TrainingEvent[]): unknown[] {
  return events.map((e) => {
    if (e.kind === 'step') {
      const { tokensPerSecond: _t, elapsedMs: _e, etaMs: _a, ...rest } = e;
      return rest;
    }
    if (e.kind === 'checkpoint') {
      const { ms: _m, dir: _d, ...rest } = e;
      return rest;
    }
    return e;
  });
}

/** The bits of a float32 buffer, for exact comparison. */
export function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.slice().buffer);
}
