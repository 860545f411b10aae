import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, loadCheckpoint } from '../checkpoint.js';
import { Trainer } from '../trainer.js';
import { bits, tinyConfig, tinyData, tinyModel } from './helpers.js';

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'moh-ckpt-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

async function trained(steps: number, dir: string, writeFile?: (path: string, data: Uint8Array) => void): Promise<Trainer> {
  const trainer = new Trainer(tinyModel(), tinyConfig(), tinyData(), {
    checkpointDir: dir,
    tokenizer: { kind: 'test-tokenizer', merges: [[1, 2]] },
    ...(writeFile === undefined ? {} : { checkpointWrite: { writeFile } }),
  });
  await trainer.run({ untilStep: steps });
  return trainer;
}

describe('checkpoints', () => {
  it('round-trip weights, optimizer, state, config and tokenizer exactly', async () => {
    const dir = join(root, 'ckpt');
    const trainer = await trained(4, dir);
    trainer.checkpoint();
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'state.json', 'tokenizer.json']);
    const loaded = loadCheckpoint(dir);
    expect(bits(loaded.model.params)).toEqual(bits(trainer.model.params));
    expect(loaded.config).toEqual(trainer.model.config);
    expect(loaded.tokenizer).toEqual({ kind: 'test-tokenizer', merges: [[1, 2]] });
    expect(loaded.optimizer.step).toBe(4);
    expect(loaded.state).toEqual(JSON.parse(JSON.stringify(trainer.state())));
    expect(loaded.state.step).toBe(4);
    expect(loaded.state.config).toEqual(trainer.config);
    const m = loaded.optimizer.m;
    expect(m.some((x) => x !== 0)).toBe(true);
    expect(m.length).toBe(trainer.model.params.length);
  });

  it('leaves the old checkpoint intact when a write fails midway, and cleans up', async () => {
    const dir = join(root, 'ckpt');
    const first = await trained(2, dir);
    first.checkpoint();
    const before = readFileSync(join(dir, 'model.safetensors'));
    const failing = (path: string, data: Uint8Array): void => {
      if (path.endsWith('optimizer.safetensors')) throw new Error('disk full (injected)');
      writeFileSync(path, data);
    };
    const second = await trained(4, dir, failing);
    expect(() => second.checkpoint()).toThrow(/disk full/);
    expect(loadCheckpoint(dir).state.step).toBe(2);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(before)).toBe(true);
    expect(readdirSync(root)).toEqual(['ckpt']);
    // A successful write replaces it, leaving nothing aside.
    const third = await trained(4, dir);
    third.checkpoint();
    expect(loadCheckpoint(dir).state.step).toBe(4);
    expect(readdirSync(root)).toEqual(['ckpt']);
  });

  it('is written periodically and at the end when a directory is set', async () => {
    const dir = join(root, 'periodic');
    const steps: number[] = [];
    const trainer = new Trainer(tinyModel(), tinyConfig({ checkpointInterval: 4 }), tinyData(), {
      checkpointDir: dir,
      onEvent: (e) => {
        if (e.kind === 'checkpoint') steps.push(e.step);
      },
    });
    await trainer.run();
    expect(steps).toEqual([4, 8, 10]);
    expect(loadCheckpoint(dir).state.step).toBe(10);
  });

  describe('loading errors name the file and say what to do', () => {
    const broken = async (): Promise<string> => {
      const dir = join(root, 'ckpt');
      (await trained(2, dir)).checkpoint();
      return dir;
    };
    const failure = (dir: string): CheckpointError => {
      try {
        loadCheckpoint(dir);
      } catch (e) {
        if (e instanceof CheckpointError) return e;
        throw e;
      }
      throw new Error('loadCheckpoint did not fail');
    };

    it('a missing directory', () => {
      const e = failure(join(root, 'nowhere'));
      expect(e.problem).toBe('missing');
      expect(e.message).toMatch(/nowhere: no checkpoint directory here/);
    });

    it('a missing file', async () => {
      const dir = await broken();
      unlinkSync(join(dir, 'state.json'));
      const e = failure(dir);
      expect(e.problem).toBe('missing');
      expect(e.file).toBe(join(dir, 'state.json'));
      expect(e.hint).toMatch(/use an intact one/);
    });

    it('truncated weights', async () => {
      const dir = await broken();
      const bytes = readFileSync(join(dir, 'model.safetensors'));
      writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 10));
      const e = failure(dir);
      expect(e.problem).toBe('corrupt');
      expect(e.file).toBe(join(dir, 'model.safetensors'));
      expect(e.message).toMatch(/data_offsets|Truncated/);
    });

    it('bad state JSON and a mismatched optimizer', async () => {
      const dir = await broken();
      const state = readFileSync(join(dir, 'state.json'), 'utf8');
      writeFileSync(join(dir, 'state.json'), state.slice(0, 50));
      expect(failure(dir).file).toBe(join(dir, 'state.json'));
      writeFileSync(join(dir, 'state.json'), state.replace('"step": 2', '"step": 3'));
      const e = failure(dir);
      expect(e.problem).toBe('mismatch');
      expect(e.message).toMatch(/records step 3 but optimizer.safetensors records step 2/);
      writeFileSync(join(dir, 'state.json'), state.replace('"batchSize": 4', '"batchSize": 0'));
      expect(failure(dir).message).toMatch(/state.json: batchSize: must be an integer ≥ 1/);
    });

    it('points at a checkpoint left aside by an interrupted replacement', async () => {
      const dir = await broken();
      const { renameSync } = await import('node:fs');
      renameSync(dir, join(root, '.ckpt.old-123'));
      expect(failure(dir).hint).toMatch(/rename .*\.ckpt\.old-123 to .*ckpt to recover it/);
    });
  });
});
