import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markdownCodeBlocks, runCodeExample } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = markdownCodeBlocks(readFileSync(`${root}README.md`, 'utf8'));

describe('README', () => {
  it('has a TypeScript example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  it.each(examples.map((code, i) => [i, code] as const))('example %i runs', async (i, code) => {
    await runCodeExample(root, `example-${i}`, code);
  });
});
