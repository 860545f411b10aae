/**
 * The real `moh` bin in child processes (on source, through tsx): what a user's shell
 * sees, exit codes and signals included. Most behaviour is tested in-process
 * (commands.test.ts, errors.test.ts); these spawns check the wiring end to end.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasStack, spawnMoh, tinyTrainArgs, workspace } from './helpers.js';

const { dir, modelConfig } = workspace();
const runDir = join(dir, 'run');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the moh bin', () => {
  it('prints the parameter totals of the presets', async () => {
    const [seed, moh] = await Promise.all([
      spawnMoh(['params', '--preset', 'seed', '--json']),
      spawnMoh(['params', '--preset', 'seed-moh', '--json']),
    ]);
    expect(seed.code).toBe(0);
    expect((JSON.parse(seed.stdout) as { total: number }).total).toBe(573_440);
    expect((JSON.parse(moh.stdout) as { total: number }).total).toBe(577_280);
  });

  it('trains a few steps, then generates, evaluates and chats', async () => {
    const train = await spawnMoh(tinyTrainArgs(modelConfig, runDir));
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/Validation loss: /);
    expect(existsSync(join(runDir, 'loss.svg'))).toBe(true);

    const [generated, evaluated, chat] = await Promise.all([
      spawnMoh(['generate', '--checkpoint', runDir, '--prompt', 'Once upon a time', '--max-tokens', '6', '--json']),
      spawnMoh(['eval', '--checkpoint', runDir, '--json']),
      spawnMoh(['chat', '--checkpoint', runDir, '--max-tokens', '3'], { stdin: 'Where does Mira live?\nWhat does the owl eat?\n' }),
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    expect((JSON.parse(generated.stdout) as { tokens: number[] }).tokens.length).toBeLessThanOrEqual(6);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout) as { validation: { text: { ce: number } }; qa: { total: number } };
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as typeof report;
    expect(report.validation).toEqual(summary.validation);
    expect(report.qa.total).toBe(52);
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout.split('\n')).toHaveLength(3); // two answers, one per line
  });

  it('saves a checkpoint and exits 130 on Ctrl-C (SIGINT)', async () => {
    const out = join(dir, 'interrupted');
    let sent = false;
    const outcome = await spawnMoh([...tinyTrainArgs(modelConfig, out, 100_000, 0), '--batch', '1', '--seq-len', '8'], {
      onStderr: (text, child) => {
        if (!sent && /step 25\//.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(outcome.code, outcome.stderr).toBe(130);
    expect(outcome.stderr).toMatch(/moh: interrupted at step \d+ of 100000; saved .*checkpoint and loss\.svg\nhint: continue with `moh train --resume /);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint/state.json'), 'utf8')) as { step: number };
    expect(state.step).toBeGreaterThanOrEqual(25);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('reports bad usage with exit code 2, and failures with 1 (a stack only with --debug)', async () => {
    const [usage, missing, debug] = await Promise.all([
      spawnMoh(['train', '--steps', 'lots']),
      spawnMoh(['eval', '--checkpoint', join(dir, 'nowhere')]),
      spawnMoh(['eval', '--checkpoint', join(dir, 'nowhere'), '--debug']),
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/argument 'lots' is invalid/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^moh: no checkpoint at .*\nhint: run `moh train --out /);
    expect(hasStack(missing.stderr)).toBe(false);
    expect(debug.code).toBe(1);
    expect(hasStack(debug.stderr)).toBe(true);
  });
});
