// Checks the Nx project graph against the layer order: every edge must point to a
// lower layer, and @moh/test-utils may be depended on but depends on nothing.
// Usage: node tools/check-graph.mjs [graph.json]   (writes the graph first when no file is given)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const layers = ['tensor', 'routing', 'head-router', 'attention', 'model', 'trainer', 'cli'].map((l) => `@moh/${l}`);
const testing = '@moh/test-utils';

let file = process.argv[2];
if (file === undefined) {
  file = join(mkdtempSync(join(tmpdir(), 'moh-graph-')), 'graph.json');
  execFileSync('npx', ['nx', 'graph', `--file=${file}`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NX_DAEMON: 'false' } });
}
const { graph } = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
const edges = [];
for (const [source, deps] of Object.entries(graph.dependencies)) {
  for (const { target } of deps) {
    if (!target.startsWith('@moh/')) continue;
    edges.push(`${source} → ${target}`);
    if (source === testing) problems.push(`${source} → ${target}: the test helpers must not depend on any @moh package`);
    else if (target === testing) continue;
    else if (!(layers.indexOf(target) < layers.indexOf(source))) problems.push(`${source} → ${target}: a package may depend only on layers below it`);
  }
}
for (const project of Object.keys(graph.nodes)) {
  if (project !== testing && !layers.includes(project)) problems.push(`${project}: not in the layer order; add it to tools/check-graph.mjs and eslint.config.mjs`);
}
console.log(`project graph: ${edges.length} internal edges`);
for (const edge of edges.sort()) console.log(`  ${edge}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`graph: ${p}`);
  process.exitCode = 1;
} else {
  console.log('project graph: every edge points down the layers');
}
