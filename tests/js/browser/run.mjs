// The browser check: serves tests/js/browser/ and the package directory from 127.0.0.1
// (ephemeral port), loads page.mjs in Debian's headless Chromium through playwright-core,
// once per loading mode, and counts the checks the page reports plus the runner's own
// (no console errors, the .wasm served as application/wasm from the expected URL).
// Last line: "browser: N passed, M failed"; non-zero exit on any failure. The server and
// the browser stop by themselves: every wait has a timeout, and a hard deadline exits.
//
// Env: TENSORMEM_JS_PACKAGE (the package directory; default: the copy scripts/pack-js.sh
// installs into build/js-test), TENSORMEM_EXAMPLE_KERNELS_PACKAGE (the audio-kernels
// package, for the kernels mode; the same default), TENSORMEM_JS_TOOLS (where
// playwright-core is installed), TENSORMEM_CHROMIUM (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const pkgDir = process.env.TENSORMEM_JS_PACKAGE ?? path.join(root, 'build/js-test/node_modules/tensormem');
const toolsDir = process.env.TENSORMEM_JS_TOOLS ?? path.join(root, 'build/js-tools');
const chromiumPath = process.env.TENSORMEM_CHROMIUM ?? '/usr/bin/chromium';
const kernelsDir = process.env.TENSORMEM_EXAMPLE_KERNELS_PACKAGE ??
  path.join(root, 'build/js-test/node_modules/audio-kernels');
const modes = ['default', 'wasmUrl', 'worker', 'kernels', 'transfer', 'shrink'];
const PAGE_TIMEOUT_MS = 30_000;
const DEADLINE_MS = 120_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok || detail === undefined ? '' : `: ${detail}`}`);
}
function finish() {
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

// Hard deadline: playwright kills the browser it launched when this process exits.
setTimeout(() => {
  check(`finished within ${DEADLINE_MS / 1000} s`, false, 'deadline hit');
  finish();
}, DEADLINE_MS).unref();

// ---- static server ------------------------------------------------------------------

const MIME = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain',
};
// URL prefix -> directory. /alt/ serves the package again, for the wasmUrl mode.
const mounts = [['/pkg/', pkgDir], ['/alt/', pkgDir], ['/kernels/', kernelsDir], ['/', here]];
const requests = []; // { mode, path, status, type }
let currentMode = '';

function resolveFile(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.resolve(dir, '.' + decodeURIComponent(urlPath.slice(prefix.length - 1)));
    if (file !== dir && !file.startsWith(dir + path.sep)) return undefined; // no escaping the mount
    try {
      return statSync(file).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const server = createServer((req, res) => {
  const urlPath = new URL(req.url, 'http://localhost').pathname;
  const file = resolveFile(urlPath === '/' ? '/index.html' : urlPath);
  // no-store: each mode must fetch what it loads, so the request log tells which URL it used.
  const headers = { 'Cache-Control': 'no-store' };
  let status = 200;
  if (urlPath === '/favicon.ico') {
    status = 204;
  } else if (!file) {
    status = 404;
  } else {
    headers['Content-Type'] = MIME[path.extname(file)] ?? 'application/octet-stream';
  }
  requests.push({ mode: currentMode, path: urlPath, status, type: headers['Content-Type'] });
  res.writeHead(status, headers);
  res.end(status === 200 ? readFileSync(file) : undefined);
});

// ---- run ----------------------------------------------------------------------------

const wasmName = existsSync(path.join(pkgDir, 'package.json'))
  ? readdirSync(pkgDir).find((f) => f.endsWith('.wasm')) : undefined;
if (!wasmName) {
  check(`package with a .wasm at ${pkgDir}`, false, 'install it: bash scripts/pack-js.sh');
  finish();
}

let chromium;
try {
  ({ chromium } = createRequire(path.join(toolsDir, 'package.json'))('playwright-core'));
} catch (e) {
  check(`playwright-core loads from ${toolsDir}`, false, `${e.message} (run scripts/setup-debian.sh)`);
  finish();
}

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const userDataDir = mkdtempSync(path.join(tmpdir(), 'tensormem-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    timeout: PAGE_TIMEOUT_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`chromium ${context.browser()?.version() ?? '(version unknown)'} at ${chromiumPath}, serving ${origin}`);
  for (const mode of modes) await runMode(mode);
} catch (e) {
  check('chromium runs the pages', false, e.stack ?? e);
} finally {
  await context?.close().catch(() => {});
  server.closeAllConnections();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
finish();

async function runMode(mode) {
  currentMode = mode;
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  let result;
  try {
    await page.goto(`${origin}/index.html?mode=${mode}&wasm=${wasmName}`, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction(() => window.__tensormem !== undefined, null, { timeout: PAGE_TIMEOUT_MS });
    result = await page.evaluate(() => window.__tensormem);
  } catch (e) {
    result = { error: e.message };
  } finally {
    await page.close().catch(() => {});
  }

  check(`[${mode}] page ran the scenario`, !result.error, result.error);
  for (const c of result.checks ?? []) check(`[${mode}] ${c.name}`, c.ok, c.detail);
  check(`[${mode}] no console errors`, consoleErrors.length === 0, consoleErrors.join(' | '));

  const mine = requests.filter((r) => r.mode === mode);
  const bad = mine.filter((r) => r.status >= 400);
  check(`[${mode}] every request served`, bad.length === 0, bad.map((r) => `${r.path} ${r.status}`).join(', '));
  const wasm = mine.filter((r) => r.path.endsWith('.wasm'));
  const want = { wasmUrl: `/alt/${wasmName}`, kernels: `/kernels/${wasmName}` }[mode] ?? `/pkg/${wasmName}`;
  check(`[${mode}] the .wasm came from ${want} as application/wasm`,
    wasm.length === 1 && wasm[0].path === want && wasm[0].type === 'application/wasm',
    JSON.stringify(wasm));
  if (result.stats) console.log(`[${mode}] tensormem ${result.version} stats: ${JSON.stringify(result.stats)}`);
}
