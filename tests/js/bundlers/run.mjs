// The bundler check: a tiny app per bundler, built from the installed tarballs
// (build/js-test/node_modules, made by scripts/pack-js.sh) with the pinned
// bundlers of build/js-tools, served from 127.0.0.1 and run in headless Chromium:
//   vite     zero configuration (`vite build`): both packages' .wasm files, a kernel
//            call, and a worker in Vite's default worker format
//   webpack  zero configuration (src/index.js -> dist/main.js, production mode),
//            which must print no warning; a kernel call
//   esbuild  `--bundle --loader:.wasm=file`, as an ES module and as an iife
// Each app checks Device.create, a tensor op, a leak report that starts at the
// app's own function (debug: true) and a clone refused (apps/scenario.js).
// Last line: "bundlers: N passed, M failed"; non-zero exit on any failure.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const project = process.env.TENSORMEM_JS_TEST_PROJECT ?? path.join(root, 'build/js-test');
const toolsDir = process.env.TENSORMEM_JS_TOOLS ?? path.join(root, 'build/js-tools');
const chromiumPath = process.env.TENSORMEM_CHROMIUM ?? '/usr/bin/chromium';
const work = path.join(project, 'apps');
const PAGE_TIMEOUT_MS = 30_000;
const DEADLINE_MS = 240_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok || detail === undefined ? '' : `: ${detail}`}`);
}
function finish() {
  console.log(`bundlers: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
setTimeout(() => {
  check(`finished within ${DEADLINE_MS / 1000} s`, false, 'deadline hit');
  finish();
}, DEADLINE_MS).unref();

for (const name of ['tensormem', 'audio-kernels']) {
  if (!existsSync(path.join(project, 'node_modules', name, 'package.json'))) {
    check(`${name} installed in ${project}`, false, 'run bash scripts/pack-js.sh');
    finish();
  }
}
const tools = createRequire(path.join(toolsDir, 'package.json'));
const bin = (name, file) => path.join(path.dirname(tools.resolve(`${name}/package.json`)), file);

// ---- the builds -------------------------------------------------------------------------

// A fresh copy of apps/<name> (and the shared scenario) inside the test project, so
// that `tensormem` resolves to its node_modules as in any app.
function prepare(name) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(here, 'apps', name), dir, { recursive: true });
  cpSync(path.join(here, 'apps', 'scenario.js'), path.join(dir, 'scenario.js'));
  return dir;
}

function run(command, args, cwd) {
  try {
    return { ok: true, output: execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }) };
  } catch (error) {
    return { ok: false, output: `${error.stdout ?? ''}${error.stderr ?? error.message}` };
  }
}

const builds = [];  // { name, dist, page }

function buildVite() {
  const dir = prepare('vite');
  const result = run(process.execPath, [bin('vite', 'bin/vite.js'), 'build'], dir);
  check('vite build (zero configuration)', result.ok, result.output);
  if (!result.ok) return;
  const warnings = result.output.split('\n').filter((line) => /warn|\(!\)/i.test(line));
  check('vite build printed no warning', warnings.length === 0, warnings.join(' | '));
  const assets = readdirSync(path.join(dir, 'dist', 'assets'));
  check('vite emitted both packages\' .wasm files', assets.filter((f) => f.endsWith('.wasm')).length === 2, assets.join(' '));
  builds.push({ name: 'vite', dist: path.join(dir, 'dist'), page: 'index.html' });
}

async function buildWebpack() {
  const dir = prepare('webpack');
  const webpack = tools('webpack');
  // As `npx webpack --mode production` in the app's directory: the defaults are relative to it.
  const cwd = process.cwd();
  process.chdir(dir);
  const stats = await new Promise((resolve) => {
    webpack({ mode: 'production' }, (error, result) => resolve(error ? { error } : { result }));
  }).finally(() => process.chdir(cwd));
  if (stats.error) {
    check('webpack build (zero configuration)', false, stats.error.stack);
    return;
  }
  const info = stats.result.toJson({ all: false, errors: true, warnings: true, assets: true });
  check('webpack build (zero configuration)', info.errors.length === 0, info.errors.map((e) => e.message).join(' | '));
  // webpack's performance hint recommends assets under 244 KiB, which the .wasm files
  // are not (yet): reported, not counted. Any other warning fails.
  const sizeHint = (w) => /^(asset size limit|entrypoint size limit|webpack performance recommendations)/.test(w.message);
  for (const w of info.warnings.filter(sizeHint)) console.log(`webpack performance hint: ${w.message.split('\n').join(' ')}`);
  const warnings = info.warnings.filter((w) => !sizeHint(w));
  check('webpack printed no warning (besides its asset-size hint)', warnings.length === 0,
    warnings.map((w) => w.message).join(' | '));
  if (info.errors.length !== 0) return;
  writeFileSync(path.join(dir, 'dist', 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><script src="main.js"></script></head><body></body></html>\n');
  builds.push({ name: 'webpack', dist: path.join(dir, 'dist'), page: 'index.html' });
}

function buildEsbuild(dir, format) {
  const dist = path.join(dir, `dist-${format}`);
  const result = run(bin('esbuild', 'bin/esbuild'), ['main.js', '--bundle', `--format=${format}`, '--loader:.wasm=file',
    `--outdir=${dist}`, '--log-level=warning'], dir);
  check(`esbuild --bundle --format=${format} --loader:.wasm=file`, result.ok, result.output);
  if (!result.ok) return;
  check(`esbuild (${format}) printed no warning`, result.output.trim() === '', result.output);
  const type = format === 'esm' ? ' type="module"' : '';
  writeFileSync(path.join(dist, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><script${type} src="main.js"></script></head><body></body></html>\n`);
  builds.push({ name: `esbuild-${format}`, dist, page: 'index.html' });
}

buildVite();
await buildWebpack();
const esbuildApp = prepare('esbuild');
buildEsbuild(esbuildApp, 'esm');
buildEsbuild(esbuildApp, 'iife');

// ---- serve and run ----------------------------------------------------------------------

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json' };
let served = '';
const server = createServer((req, res) => {
  const urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  const file = path.resolve(served, '.' + urlPath);
  const ok = served !== '' && file.startsWith(served + path.sep) && existsSync(file) && statSync(file).isFile();
  if (!ok) {
    res.writeHead(urlPath === '/favicon.ico' ? 204 : 404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  res.end(readFileSync(file));
});

let chromium;
try {
  ({ chromium } = tools('playwright-core'));
} catch (e) {
  check(`playwright-core loads from ${toolsDir}`, false, `${e.message} (run scripts/setup-debian.sh)`);
  finish();
}
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const userDataDir = mkdtempSync(path.join(tmpdir(), 'tensormem-bundlers-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath, headless: true, timeout: PAGE_TIMEOUT_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const build of builds) await runApp(build);
} catch (e) {
  check('chromium runs the apps', false, e.stack ?? e);
} finally {
  await context?.close().catch(() => {});
  server.closeAllConnections();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
finish();

async function runApp({ name, dist, page: file }) {
  served = dist;
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  let checks;
  try {
    await page.goto(`${origin}/${file}`, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: PAGE_TIMEOUT_MS });
    checks = await page.evaluate(() => window.__result);
  } catch (e) {
    checks = [{ name: 'the app ran', ok: false, detail: `${e.message} ${errors.join(' | ')}` }];
  } finally {
    await page.close().catch(() => {});
  }
  for (const c of checks) check(`[${name}] ${c.name}`, c.ok, c.detail);
  check(`[${name}] no console errors`, errors.length === 0, errors.join(' | '));
}
