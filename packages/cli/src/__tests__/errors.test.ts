import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStack, run, tinyTrainArgs, workspace } from './helpers.js';

const { dir, modelConfig } = workspace();
const runDir = join(dir, 'run');

beforeAll(async () => {
  expect((await run([...tinyTrainArgs(modelConfig, runDir, 2, 0), '--quiet'])).code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts a one-line reason, a hint, the exit code, and no stack trace. */
async function expectFailure(argv: readonly string[], code: number, reason: RegExp, hint = /./): Promise<void> {
  const outcome = await run(argv);
  expect(outcome.code, outcome.stderr).toBe(code);
  expect(outcome.stderr).toMatch(reason);
  expect(hasStack(outcome.stderr)).toBe(false);
  const lines = outcome.stderr.trimEnd().split('\n');
  if (code === 2 && lines[0].startsWith('error:')) {
    // Commander's own usage errors: its message, then the pointer to --help.
    expect(lines).toEqual([expect.stringMatching(reason), '(run with --help for usage)']);
    return;
  }
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^moh: /);
  expect(lines[1]).toMatch(/^hint: /);
  expect(lines[1]).toMatch(hint);
}

function corpusFile(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('bad input', () => {
  it('a missing checkpoint directory', async () => {
    for (const command of ['generate', 'eval', 'inspect', 'chat']) {
      const extra = command === 'generate' || command === 'inspect' ? ['--prompt', 'hi'] : [];
      await expectFailure([command, '-c', join(dir, 'nowhere'), ...extra], 1, /^moh: no checkpoint at .*nowhere/, /run `moh train --out .*nowhere` first/);
    }
  });

  it('an empty directory instead of a checkpoint', async () => {
    mkdirSync(join(dir, 'empty'));
    await expectFailure(['eval', '-c', join(dir, 'empty')], 1, /no checkpoint in/, /moh train --out/);
  });

  it('a corrupt checkpoint file', async () => {
    const copy = join(dir, 'corrupt');
    cpSync(runDir, copy, { recursive: true });
    writeFileSync(join(copy, 'checkpoint/model.safetensors'), 'not weights at all');
    await expectFailure(['eval', '-c', copy], 1, /^moh: checkpoint .*model\.safetensors: /, /backup|earlier checkpoint/);
    writeFileSync(join(copy, 'checkpoint/config.json'), '{ broken');
    await expectFailure(['generate', '-c', copy, '--prompt', 'x'], 1, /config\.json/);
  });

  it('a missing checkpoint file', async () => {
    const copy = join(dir, 'incomplete');
    cpSync(runDir, copy, { recursive: true });
    rmSync(join(copy, 'checkpoint/state.json'));
    await expectFailure(['train', '--resume', copy], 1, /state\.json: this checkpoint file is missing/);
  });

  it('corpus files that are not text', async () => {
    const train = (path: string): string[] => [...tinyTrainArgs(modelConfig, join(dir, 'bad-run'), 1, 0), '--corpus', path];
    await expectFailure(train(corpusFile('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))), 1, /latin1\.txt: is not valid UTF-8/, /iconv/);
    await expectFailure(train(corpusFile('empty.txt', '')), 1, /empty\.txt: .*empty|no text/i);
    await expectFailure(train(corpusFile('blob.bin', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))), 1, /blob\.bin: looks like a binary file/);
    await expectFailure(train(join(dir, 'missing.txt')), 1, /missing\.txt: does not exist/, /check the path/i);
  });

  it('a bad JSONL line', async () => {
    const path = corpusFile('data.jsonl', '{"text": "a fine document"}\n{"text": oops}\n');
    await expectFailure([...tinyTrainArgs(modelConfig, join(dir, 'bad-run'), 1, 0), '--corpus', path], 1, /data\.jsonl.*line 2/);
  });

  it('usage errors exit 2', async () => {
    await expectFailure(['train', '--frobnicate'], 2, /unknown option '--frobnicate'/);
    await expectFailure(['train', '--steps', 'many'], 2, /option '--steps <n>' argument 'many' is invalid\. expected an integer ≥ 0/);
    await expectFailure(['train', '--lr', '-1'], 2, /'--lr <rate>' argument '-1' is invalid/);
    await expectFailure(['generate', '-c', runDir, '--prompt', 'x', '--strategy', 'psychic'], 2, /Allowed choices are greedy, sample, beam/);
    await expectFailure(['generate', '-c', runDir, '--prompt', 'x', '--temperature', '-0.5'], 2, /argument '-0\.5' is invalid\. expected a number ≥ 0/);
    await expectFailure(['generate', '-c', runDir], 2, /required option '--prompt <text>' not specified/);
    await expectFailure(['generate', '-c', runDir, '--prompt', 'x', '--strategy', 'greedy', '--top-k', '3'], 2, /--top-k applies to --strategy sample/);
    await expectFailure(['train', '--resume', runDir, '--steps', '5'], 2, /cannot be combined with --steps/);
    await expectFailure(['train', '--seq-len', '500', '--model-config', modelConfig], 2, /invalid configuration: seqLen: must be an integer in 1\.\.64/);
    await expectFailure(['train', '--model-config', corpusFile('bad.json', '{ nope')], 2, /--model-config .*bad\.json: not valid JSON/);
    await expectFailure(['train', '--model-config', corpusFile('heads.json', '{"attention": {"kvHeads": 3}}')], 2, /attention\.kvHeads/, /bad\.json|heads\.json/);
    await expectFailure(['train', '--model-config', corpusFile('misplaced.json', '{"position": {"kind": "rope"}}')], 2, /position: is not a field of the model configuration/);
    await expectFailure(['train', '--out', corpusFile('a-file', 'not a directory')], 2, /the run directory .*a-file is a file/);
  });

  it('--debug adds the stack trace', async () => {
    const outcome = await run(['eval', '-c', join(dir, 'nowhere'), '--debug']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^moh: no checkpoint at/);
    expect(hasStack(outcome.stderr)).toBe(true);
  });
});
