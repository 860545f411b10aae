// Checks every publishable package's built output as a consumer would see it, after
// `npm run build`: publint in strict mode, and "are the types wrong" on the packed
// tarball (ESM-only profile: these packages ship ES modules only). Exits non-zero on
// any issue.
import { execFileSync } from 'node:child_process';
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
  let typesOk = true;
  try {
    execFileSync('npx', ['attw', '--pack', pkgDir, '--profile', 'esm-only', '--format', 'ascii'], { stdio: 'pipe' });
  } catch (error) {
    typesOk = false;
    console.log(String(error.stdout ?? error));
  }
  failures += errors.length + (typesOk ? 0 : 1);
  console.log(`${pkg.name}: publint ${errors.length === 0 ? 'ok' : `${errors.length} problem(s)`}, types ${typesOk ? 'ok' : 'wrong'}`);
}
process.exitCode = failures === 0 ? 0 : 1;
