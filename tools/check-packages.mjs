// Checks every publishable package's built output as a consumer would see it: publint
// in strict mode on each package, after `npm run build`. Exits non-zero on any issue.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = new URL('../packages/', import.meta.url).pathname;
let failures = 0;
for (const dir of (await readdir(root)).sort()) {
  const pkgDir = join(root, dir);
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const { messages } = await publint({ pkgDir, strict: true, level: 'suggestion' });
  for (const message of messages) {
    console.log(`${pkg.name}: [${message.type}] ${formatMessage(message, pkg) ?? message.code}`);
  }
  const errors = messages.filter((m) => m.type !== 'suggestion');
  failures += errors.length;
  console.log(`${pkg.name}: ${errors.length === 0 ? 'ok' : `${errors.length} problem(s)`}`);
}
process.exitCode = failures === 0 ? 0 : 1;
