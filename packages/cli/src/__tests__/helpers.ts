/** Test helpers: an in-memory `CliIo`, a tiny model configuration, and spawning the real bin. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../io.js';
import { main } from '../main.js';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** A model small enough to train in well under a second. */
export const TINY_MODEL = {
  modelDim: 16,
  layers: 1,
  maxSeqLen: 64,
  attention: {
    queryHeads: 4,
    kvHeads: 2,
    position: { kind: 'cope', maxPositions: 32 },
    headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2 },
  },
  ffn: { hiddenDim: 32 },
};

/** A fresh temporary directory with the tiny model's configuration in `tiny.json`. */
export function workspace(): { dir: string; modelConfig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'moh-cli-'));
  const modelConfig = join(dir, 'tiny.json');
  writeFileSync(modelConfig, JSON.stringify(TINY_MODEL));
  return { dir, modelConfig };
}

/** `moh train` arguments for a few steps of the tiny model. */
export function tinyTrainArgs(modelConfig: string, out: string, steps = 12, instructSteps = 6): string[] {
  return [
    'train', '--model-config', modelConfig, '--vocab', '300', '--steps', String(steps), '--instruct-steps', String(instructSteps),
    '--batch', '4', '--eval-every', '0', '--out', out,
  ];
}

/** What a run of `moh` printed and returned. */
export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `moh` in-process, capturing its output; `stdin` lines feed `moh chat`. */
export async function run(argv: readonly string[], stdin?: string): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    isTty: false,
    stdin: Readable.from(stdin === undefined ? [] : [stdin]),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/**
 * Runs the real `moh` bin on source in a child process (node with the `@moh/source`
 * condition and tsx). `onStderr` sees stderr as it arrives and may signal the child.
 */
export function spawnMoh(
  argv: readonly string[],
  options: { stdin?: string; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Outcome> {
  const child = spawn(process.execPath, ['--conditions=@moh/source', '--import', 'tsx', join(repoRoot, 'packages/cli/src/bin.ts'), ...argv], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    options.onStderr?.(stderr, child);
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether text holds a stack trace line. */
export function hasStack(text: string): boolean {
  return /\n\s+at .+:\d+:\d+/.test(text);
}
