import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bodies of the fenced code blocks of a language (default `ts`) in a Markdown text, in order. */
export function markdownCodeBlocks(markdown: string, language = 'ts'): string[] {
  const blocks: string[] = [];
  const fence = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    if (match[1] === language) blocks.push(match[2]);
  }
  return blocks;
}

/**
 * Runs a README example as a module: writes it under `<packageRoot>/.readme-examples/`
 * (so its `@moh/*` imports resolve like the package's own) and imports it through the
 * test runner, which compiles TypeScript and resolves workspace source. Throws what the
 * example throws; the file is removed afterwards.
 */
export async function runCodeExample(packageRoot: string, name: string, code: string): Promise<void> {
  const dir = join(packageRoot, '.readme-examples');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code);
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    rmSync(file, { force: true });
  }
}
