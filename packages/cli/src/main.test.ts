import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { CliIo } from './io.js';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTty: false,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

describe('moh', () => {
  it('prints the seed totals with params --json', async () => {
    for (const [preset, total] of [['seed', 573_440], ['seed-moh', 577_280]] as const) {
      const io = capture();
      expect(await main(['params', '--preset', preset, '--json'], io)).toBe(0);
      const parsed = JSON.parse(io.stdout) as { total: number; tensors: { name: string; count: number }[] };
      expect(parsed.total).toBe(total);
      expect(parsed.tensors.reduce((s, t) => s + t.count, 0)).toBe(total);
    }
  });

  it('prints a table by default', async () => {
    const io = capture();
    expect(await main(['params'], io)).toBe(0);
    expect(io.stdout).toMatch(/layers\.0\.attention\.wq\s+128 × 128\s+16,384/);
    expect(io.stdout).toMatch(/total\s+573,440/);
  });

  it('exits 2 with a reason on bad usage', async () => {
    const io = capture();
    expect(await main(['params', '--preset', 'huge'], io)).toBe(2);
    expect(io.stderr).toMatch(/Allowed choices are seed, seed-moh/);
    const unknown = capture();
    expect(await main(['frobnicate'], unknown)).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('shows help and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/Usage: moh/);
    expect(io.stdout).toMatch(/params/);
  });
});
