// Browser smoke test: bundles main.ts (which imports the packages from source, as an
// app would) with Vite, serves it on 127.0.0.1, and runs it in headless Chromium twice:
// as an ordinary page (ordinary WebAssembly memory, views re-read after growth) and as a
// cross-origin-isolated page (shared memory). Each run must use the fast backend, get
// the right product, learn (loss halves in 30 steps) and decode exactly.
// Usage: node tools/browser-smoke/run.mjs   (CHROMIUM=/path/to/chromium to choose the browser)
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const browser = process.env.CHROMIUM ?? 'chromium';
try {
  execFileSync(browser, ['--version'], { stdio: 'ignore' });
} catch {
  console.log(`browser smoke test: no browser at "${browser}"; install Debian's chromium or set CHROMIUM. Skipped.`);
  process.exit(0);
}

await build({ configFile: join(here, 'vite.config.ts') });
const dist = join(here, 'dist');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function serve(isolated) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    try {
      const body = await readFile(join(dist, path === '/' ? 'index.html' : path));
      const headers = { 'content-type': types[extname(path === '/' ? 'index.html' : path)] ?? 'application/octet-stream' };
      if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      response.writeHead(200, headers).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let failures = 0;
for (const isolated of [false, true]) {
  const server = await serve(isolated);
  const url = `http://127.0.0.1:${server.address().port}/`;
  // Asynchronous: the page is served by this same process.
  const { stdout: dom } = await promisify(execFile)(
    browser,
    ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=30000', '--dump-dom', url],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 24 },
  );
  server.close();
  const label = isolated ? 'cross-origin-isolated page' : 'ordinary page';
  const match = /RESULT (\{.*\})/.exec(dom);
  if (match === null) {
    console.error(`browser smoke test, ${label}: no result. Page said: ${/<pre id="result">([\s\S]*?)<\/pre>/.exec(dom)?.[1] ?? dom.slice(0, 500)}`);
    failures++;
    continue;
  }
  const result = JSON.parse(match[1]);
  const problems = [];
  if (!String(result.backend).startsWith('fast')) problems.push(`backend ${result.backend}, expected fast or fast+fma`);
  if (result.crossOriginIsolated !== isolated) problems.push(`crossOriginIsolated ${result.crossOriginIsolated}`);
  if (JSON.stringify(result.matmul) !== '[4,5,10,11]') problems.push(`matmul ${JSON.stringify(result.matmul)}, expected [4,5,10,11]`);
  if (!(result.lastLoss < result.firstLoss / 2)) problems.push(`loss ${result.firstLoss} → ${result.lastLoss} did not halve`);
  if (result.decodeMatches !== true) problems.push('KV-cache decoding differs from the full forward');
  console.log(`browser smoke test, ${label}: ${problems.length === 0 ? 'ok' : problems.join('; ')} (${JSON.stringify(result)})`);
  failures += problems.length;
}
process.exitCode = failures === 0 ? 0 : 1;
