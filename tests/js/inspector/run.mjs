// The inspector check: records the leaky file-loading story with the installed
// package's device.recordHistory() / snapshot() (examples/js/leaky-load.mjs),
// writes its report with the CLI, and opens in Debian's headless Chromium (playwright-core):
//   1. the CLI's report, one self-contained file: it must request nothing else;
//   2. the static page, bindings/js/inspector/index.html?snapshot=<url>, served from 127.0.0.1;
//   3. the static page without a snapshot, opened by the file picker and by drag and drop;
//   4. the static page with a missing and an invalid snapshot: a clear error on the page;
//   5. the static page with a C++ Storage snapshot (no owners, no wasm heap).
// Each shows the numbers the snapshot holds (peak, live buffers and bytes, the top
// creation site, size classes, leak suspects), shows a band's details on hover,
// and logs no console errors. Screenshots go to build/inspector/; their paths are
// printed (inspector-report-small.png is the guide's docs/images/inspector-report.png).
// Last line: "inspector: N passed, M failed"; non-zero exit on any failure.
//
// Env: TENSORMEM_JS_TOOLS (where playwright-core is installed), TENSORMEM_CHROMIUM
// (default /usr/bin/chromium).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatBytes } from '../../../bindings/js/inspector/snapshot.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const inspectorDir = path.join(root, 'bindings/js/inspector');
const outDir = path.join(root, 'build/inspector');
const toolsDir = process.env.TENSORMEM_JS_TOOLS ?? path.join(root, 'build/js-tools');
const chromiumPath = process.env.TENSORMEM_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_TIMEOUT_MS = 30_000;
const DEADLINE_MS = 150_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok || detail === undefined ? '' : `: ${detail}`}`);
}
const checkEqual = (name, actual, expected) =>
  check(name, JSON.stringify(actual) === JSON.stringify(expected), `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
function finish() {
  console.log(`inspector: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
setTimeout(() => {
  check(`finished within ${DEADLINE_MS / 1000} s`, false, 'deadline hit');
  finish();
}, DEADLINE_MS).unref();

// ---- the recorded snapshot, the report and what they must show -----------------------------

const fixture = path.join(outDir, 'leaky-load.json');
const report = path.join(outDir, 'leaky-load.html');
const made = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'examples/js/leaky-load.mjs'), fixture],
  { encoding: 'utf8', cwd: root });  // the app runs from the repository: its sites are relative to it
check('examples/js/leaky-load.mjs records the story and writes its snapshot', made.status === 0, made.stderr);
const cli = spawnSync(process.execPath, [path.join(root, 'bindings/js/bin/tensormem-inspect.mjs'), fixture, '-o', report],
  { encoding: 'utf8' });
check('tensormem-inspect writes the report', cli.status === 0 && cli.stdout.includes(report), `${cli.status}: ${cli.stderr}`);
if (made.status !== 0 || cli.status !== 0) finish();
writeFileSync(path.join(outDir, 'invalid.json'), '{"format": "tensormem-snapshot", "version": 7}');
writeFileSync(path.join(outDir, 'storage.json'), JSON.stringify(storageSnapshot()));

// What Storage::snapshot_json() writes after the sequence of the C++ test
// RecordsAllocateRetainAndReleaseWithTimesAndTotals (tests/history_test.cpp).
function storageSnapshot() {
  const event = (kind, time, index, bytes, block, refcount, inUse, reserved) => ({ kind, time_ns: time,
    buffer: { index, generation: 1 }, bytes, block_bytes: block, refcount, bytes_in_use: inUse,
    bytes_cached: reserved - inUse, bytes_reserved: reserved });
  return {
    format: 'tensormem-snapshot', version: 1, producer: { library: 'tensormem', version: '0.1.0', layer: 'storage' },
    stats: { bytes_in_use: 1024, bytes_requested: 1000, bytes_cached: 128, bytes_reserved: 1152, peak_bytes_in_use: 1152,
      peak_bytes_reserved: 1152, max_bytes: null, live_buffers: 1, allocations: 2, frees: 1, pool_hits: 0, pool_misses: 2,
      compactions: 0, bytes_released: 0, failed_allocations: 0, guard_violations: 0, failed_releases: 0, size_classes: [],
      large: { block_bytes: 0, in_use: 0, cached: 0, hits: 0, misses: 0 } },
    size_classes: [
      { class: 1, block_bytes: 128, in_use_blocks: 0, in_use_bytes: 0, cached_blocks: 1, cached_bytes: 128, hits: 0, misses: 1 },
      { class: 15, block_bytes: 1024, in_use_blocks: 1, in_use_bytes: 1024, cached_blocks: 0, cached_bytes: 0, hits: 0, misses: 1 }],
    buffers: [{ index: 0, generation: 1, bytes: 1000, block_bytes: 1024, size_class: 15, refcount: 1 }],
    strings: [],
    history: { max_events: 16, recorded: 5, dropped: 0, dropped_strings: 0, now_ns: 60, events: [
      event('allocate', 10, 0, 1000, 1024, 1, 1024, 1024), event('allocate', 20, 1, 100, 128, 1, 1152, 1152),
      event('retain', 30, 0, 1000, 1024, 2, 1152, 1152), event('release', 40, 0, 1000, 1024, 1, 1152, 1152),
      event('release', 50, 1, 100, 128, 0, 1024, 1152)] },
  };
}

const snapshot = JSON.parse(readFileSync(fixture, 'utf8'));
const expected = expectations(snapshot);
const kinds = new Set(snapshot.history.events.map((e) => e.kind));
check('the recording is a device snapshot holding every kind of event the story makes',
  snapshot.producer.layer === 'device' && ['allocate', 'retain', 'release', 'object_created', 'object_disposed',
    'kernel_call', 'reclaimed', 'limit_failure', 'heap_growth'].every((k) => kinds.has(k)), [...kinds].join(', '));

const sites = snapshot.strings.filter((text) => /\.mjs:\d+:\d+\)$/.test(text));
check('creation sites name the app\'s files relative to the directory it runs from (no absolute path, no file URL)',
  sites.length > 0 && sites.every((text) => text.includes('(examples/js/leaky-load.mjs:') && !text.includes('file:') &&
    !text.includes(root)), sites.join('; '));

// Worked out here from the snapshot, independently of the page's code: the site
// whose live objects hold the most bytes (each buffer once), and the sites the
// safety net reclaimed objects from.
function expectations(s) {
  const bySite = new Map();
  for (const b of s.buffers) {
    for (const o of b.owners) {
      const site = s.strings[o.site];
      const entry = bySite.get(site) ?? { buffers: new Set(), bytes: 0, objects: 0 };
      entry.objects++;
      if (!entry.buffers.has(b)) {
        entry.buffers.add(b);
        entry.bytes += b.block_bytes;
      }
      bySite.set(site, entry);
    }
  }
  const ranked = [...bySite.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
  if (ranked.length > 1 && ranked[0][1].bytes === ranked[1][1].bytes) throw new Error('the story must have one top site');
  const reclaimedSites = new Set(s.history.events.filter((e) => e.kind === 'reclaimed').map((e) => s.strings[e.site]));
  const liveWithClasses = s.size_classes.filter((c) => c.in_use_blocks + c.cached_blocks > 0);
  // A band to hover: the largest live buffer (the long file's data: playFile has no try/finally).
  const largest = [...s.buffers].sort((a, b) => b.block_bytes - a.block_bytes)[0];
  const creator = largest.owners[0];
  return {
    peak: s.stats.peak_bytes_in_use,
    liveBuffers: s.stats.live_buffers,
    liveBytes: s.stats.bytes_in_use,
    failed: s.stats.failed_allocations,
    reclaimed: s.device.leaks_reclaimed,
    topSite: ranked[0][0],
    topBytes: ranked[0][1].bytes,
    suspects: [...reclaimedSites].sort(),
    classes: liveWithClasses.map((c) => [String(c.class), c.in_use_bytes, c.cached_bytes]),
    bands: new Set(s.history.events.filter((e) => e.buffer).map((e) => `${e.buffer.index}:${e.buffer.generation}`)).size,
    hover: { key: `${largest.index}:${largest.generation}`, bytes: largest.bytes, site: s.strings[creator.site],
      what: creator.dtype === null ? 'raw data' : `${creator.dtype} [${creator.shape.join(', ')}]` },
  };
}

// ---- static server --------------------------------------------------------------------------

const MIME = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
const mounts = [['/out/', outDir], ['/', inspectorDir]];
const requests = [];  // { page, path, status }
let currentPage = '';

function resolveFile(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.resolve(dir, `.${decodeURIComponent(urlPath.slice(prefix.length - 1))}`);
    if (file !== dir && !file.startsWith(dir + path.sep)) return undefined;
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
  const status = urlPath === '/favicon.ico' ? 204 : file ? 200 : 404;
  requests.push({ page: currentPage, path: urlPath, status });
  res.writeHead(status, { 'Cache-Control': 'no-store', ...(status === 200 ? { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' } : {}) });
  res.end(status === 200 ? readFileSync(file) : undefined);
});

// ---- the pages --------------------------------------------------------------------------------

let chromium;
try {
  ({ chromium } = createRequire(path.join(toolsDir, 'package.json'))('playwright-core'));
} catch (e) {
  check(`playwright-core loads from ${toolsDir}`, false, `${e.message} (run scripts/setup-debian.sh)`);
  finish();
}

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const userDataDir = mkdtempSync(path.join(tmpdir(), 'tensormem-inspector-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    timeout: PAGE_TIMEOUT_MS,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`chromium ${context.browser()?.version() ?? '(version unknown)'} at ${chromiumPath}, serving ${origin}`);
  await reportPage();
  await staticPage();
  await pickedAndDropped();
  await brokenSnapshots();
  await storagePage();
} catch (e) {
  check('chromium runs the pages', false, e.stack ?? e);
} finally {
  await context?.close().catch(() => {});
  server.closeAllConnections();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
finish();

async function open(name, url) {
  currentPage = name;
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: PAGE_TIMEOUT_MS });
  return { page, consoleErrors };
}

// The numbers, the tables and a hovered band, as a reader of the page sees them.
async function checkShown(label, page) {
  checkEqual(`[${label}] page state`, await page.evaluate(() => document.body.dataset.state), 'ready');
  const read = (selector, attribute) => page.$eval(selector, (node, a) => [node.getAttribute(a),
    node.querySelector('.card-value').textContent], attribute);
  checkEqual(`[${label}] peak bytes in use`, await read('#peak-bytes', 'data-value'), [String(expected.peak), formatBytes(expected.peak)]);
  checkEqual(`[${label}] live buffers`, await read('#live-buffers', 'data-value'), [String(expected.liveBuffers), String(expected.liveBuffers)]);
  checkEqual(`[${label}] live bytes`, await read('#live-bytes', 'data-value'), [String(expected.liveBytes), formatBytes(expected.liveBytes)]);
  // The story's top site, named by the function of its first frame.
  checkEqual(`[${label}] top creation site`, await read('#top-site', 'data-site'), [expected.topSite, 'loadAudioFile']);
  checkEqual(`[${label}] failed allocations`, (await read('#limit-failures', 'data-value'))[0], String(expected.failed));
  checkEqual(`[${label}] reclaimed by the safety net`, (await read('#reclaimed', 'data-value'))[0], String(expected.reclaimed));
  checkEqual(`[${label}] size-class bars (class, in use, cached)`,
    await page.$$eval('#size-classes .bar-row', (rows) => rows.map((r) =>
      [r.dataset.class, Number(r.dataset.inUse), Number(r.dataset.cached)])), expected.classes);
  checkEqual(`[${label}] leak suspects: the sites the safety net reclaimed from`,
    (await page.$$eval('#sites tr.suspect', (rows) => rows.map((r) => r.dataset.site))).sort(), expected.suspects);
  checkEqual(`[${label}] the first site row is the top site`,
    await page.$eval('#sites tbody tr', (r) => r.dataset.site), expected.topSite);
  checkEqual(`[${label}] one band per allocation`, await page.$$eval('#timeline path.band[data-buffer]', (b) => b.length), expected.bands);
  const legend = await page.$eval('#legend', (n) => n.textContent);
  check(`[${label}] the legend names the lines`, ['reserved', 'wasm heap', 'limit 40 MiB', 'cached', 'reclaimed by safety net']
    .every((w) => legend.includes(w)), legend);
  const ticks = await page.$$eval('#timeline .tick', (t) => t.map((n) => n.textContent));
  check(`[${label}] axes in MiB and ms`, ticks.some((t) => t.endsWith(' MiB')) && ticks.some((t) => t.endsWith(' ms')), ticks.join(' '));
  check(`[${label}] no overlapping tick labels`, await noOverlaps(page, '#timeline .tick'), 'tick labels overlap');

  // Hover the largest live buffer's band at a point inside it.
  const point = await page.$eval(`#timeline path.band[data-buffer="${expected.hover.key}"]`, (band) => {
    const box = band.getBBox();
    const matrix = band.getScreenCTM();
    for (let fy = 0.5; fy < 1; fy += 0.1) {
      for (let fx = 0.5; fx < 1; fx += 0.05) {
        const p = new DOMPoint(box.x + box.width * fx, box.y + box.height * fy);
        if (band.isPointInFill(p)) {
          const screen = p.matrixTransform(matrix);
          return { x: screen.x, y: screen.y };
        }
      }
    }
    return null;
  }).catch(() => null);
  check(`[${label}] band ${expected.hover.key} is drawn`, point !== null);
  if (point !== null) {
    await page.mouse.move(point.x, point.y);
    await page.waitForSelector('#tooltip:not([hidden])', { timeout: 5000 }).catch(() => {});
    const tip = await page.$eval('#tooltip', (t) => (t.hidden ? '' : t.textContent));
    check(`[${label}] hovering band ${expected.hover.key} shows its size, object, site and lifetime`,
      tip.includes(`buffer #${expected.hover.key.replace(':', ' (generation ')})`) && tip.includes(formatBytes(expected.hover.bytes)) &&
      tip.includes(expected.hover.what) && tip.includes(expected.hover.site.split('\n')[0]) && tip.includes('still live'), tip);
  }
}

// No two of the elements' boxes intersect.
function noOverlaps(page, selector) {
  return page.$$eval(selector, (nodes) => {
    const boxes = nodes.map((n) => n.getBoundingClientRect());
    return boxes.every((a, i) => boxes.every((b, j) => j <= i || a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top));
  });
}

async function screenshot(page, name) {
  const file = path.join(outDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

async function reportPage() {
  const { page, consoleErrors } = await open('report', `${origin}/out/leaky-load.html`);
  await checkShown('report', page);  // ends with the mouse over a band: the screenshot shows its details
  await screenshot(page, 'inspector-report.png');
  // The guide's copy (docs/images/inspector-report.png), kept small: the cards and the hovered timeline.
  const bottom = await page.$eval('#timeline', (n) => n.getBoundingClientRect().bottom + window.scrollY + 40);
  const small = path.join(outDir, 'inspector-report-small.png');
  await page.screenshot({ path: small, clip: { x: 40, y: 50, width: 1200, height: bottom - 50 } });
  console.log(`screenshot: ${small}`);
  const asked = requests.filter((r) => r.page === 'report').map((r) => r.path);
  checkEqual('[report] the self-contained report requests nothing but itself', asked.filter((p) => p !== '/favicon.ico'),
    ['/out/leaky-load.html']);
  check('[report] no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
  await page.close();
}

async function staticPage() {
  const { page, consoleErrors } = await open('static', `${origin}/index.html?snapshot=/out/leaky-load.json`);
  await checkShown('static', page);
  await page.mouse.move(1, 1);
  await screenshot(page, 'inspector-static.png');
  const bad = requests.filter((r) => r.page === 'static' && r.status >= 400);
  check('[static] every request served', bad.length === 0, bad.map((r) => `${r.path} ${r.status}`).join(', '));
  check('[static] no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
  await page.close();
}

async function pickedAndDropped() {
  const { page, consoleErrors } = await open('picker', `${origin}/index.html`);
  checkEqual('[picker] without a snapshot the page asks for one', await page.evaluate(() => document.body.dataset.state), 'empty');
  await page.setInputFiles('#empty input[type=file]', fixture);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: PAGE_TIMEOUT_MS });
  checkEqual('[picker] a picked file is shown', await page.$eval('#peak-bytes', (n) => n.dataset.value), String(expected.peak));
  checkEqual('[picker] named by its file name', await page.$eval('#source', (n) => n.textContent), 'leaky-load.json');
  check('[picker] no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
  await page.close();

  const dropped = await open('drop', `${origin}/index.html`);
  const text = readFileSync(fixture, 'utf8');
  await dropped.page.evaluate((json) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([json], 'dropped.json', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, text);
  await dropped.page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: PAGE_TIMEOUT_MS });
  checkEqual('[drop] a dropped file is shown', await dropped.page.$eval('#live-buffers', (n) => n.dataset.value), String(expected.liveBuffers));
  checkEqual('[drop] named by its file name', await dropped.page.$eval('#source', (n) => n.textContent), 'dropped.json');
  check('[drop] no console errors', dropped.consoleErrors.length === 0, dropped.consoleErrors.join(' | '));
  await dropped.page.close();
}

async function brokenSnapshots() {
  const missing = await open('missing', `${origin}/index.html?snapshot=/out/missing.json`);
  checkEqual('[missing] the page says it cannot show it', await missing.page.evaluate(() => document.body.dataset.state), 'error');
  const missingText = await missing.page.$eval('#error', (n) => n.textContent);
  check('[missing] the error names the URL and the HTTP status', missingText.includes('/out/missing.json') &&
    missingText.includes('HTTP 404'), missingText);
  // Chromium logs the 404 itself; nothing else may be logged.
  const others = missing.consoleErrors.filter((m) => !m.includes('404'));
  check('[missing] no console errors besides the 404', others.length === 0, others.join(' | '));
  await missing.page.close();

  const invalid = await open('invalid', `${origin}/index.html?snapshot=/out/invalid.json`);
  const invalidText = await invalid.page.$eval('#error', (n) => n.textContent);
  checkEqual('[invalid] an unknown format version is named', invalidText,
    'Cannot show this snapshot. /out/invalid.json: snapshot format version 7 is not supported: this inspector reads version 1');
  check('[invalid] no console errors', invalid.consoleErrors.length === 0, invalid.consoleErrors.join(' | '));
  await invalid.page.close();
}

async function storagePage() {
  const { page, consoleErrors } = await open('storage', `${origin}/index.html?snapshot=/out/storage.json`);
  checkEqual('[storage] page state', await page.evaluate(() => document.body.dataset.state), 'ready');
  checkEqual('[storage] peak and live buffers', [await page.$eval('#peak-bytes', (n) => n.dataset.value),
    await page.$eval('#live-buffers', (n) => n.dataset.value)], ['1152', '1']);
  checkEqual('[storage] a band for each of the two buffers', await page.$$eval('#timeline path.band', (b) => b.map((n) => n.dataset.buffer)),
    ['0:1', '1:1']);
  check('[storage] without owners the page lists live buffers', await page.$('#no-owners') !== null &&
    (await page.$$eval('#sites tr[data-buffer]', (r) => r.map((n) => n.dataset.buffer))).join() === '0:1');
  check('[storage] no wasm heap line or limit in the legend', !(await page.$eval('#legend', (n) => n.textContent)).match(/wasm heap|limit/));
  check('[storage] no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
  await screenshot(page, 'inspector-storage.png');
  await page.close();
}
