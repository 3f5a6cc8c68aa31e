// tensormem's JS API beside its peers, in one run: every row times tensormem,
// @tensorflow/tfjs-backend-wasm, ndarray and a raw JS baseline where each
// applies, and reports ratios against baselines measured in the same run (a
// row's variants share one process and take turns sample by sample). Targets
// are printed with met/missed, never enforced: the exit status is non-zero
// only if something threw (or the package is missing).
//
//   node bench/js/run.mjs [--quick] [--filter REGEX] [--json FILE] [--baseline DIR]
//                         [--samples N] [--sample-ms MS] [--cold-runs N] [--cpu N] [--no-install] [--list]
//
// --quick       every row briefly (CI smoke run, < 20 s); numbers are rough
// --filter RE   only rows whose id matches, e.g. --filter reshape, --filter 'get|set'
// --json FILE   also write every sample and the run's context to FILE
// --cpu N       pin the measuring processes to CPU N (taskset); on the 2-vCPU
//               VMs here whole processes were seen to run at two speeds, up to
//               1.7x apart with every ratio unchanged
// --cold-runs N fresh processes per variant of the cold rows and the weight table (default 5)
// --no-install  do not run npm; use whatever peers build/bench-js/ holds
// --baseline DIR  another build of the package (e.g. an older commit's): the
//               weight table measures it beside this one, interleaved
//
// The weight table (row id "weight"): the .wasm's size raw and gzipped, an idle
// device's wasm memory and the first Device.create() in a fresh process.
//
// Every row runs in a fresh node process (row.mjs; cold rows: cold.mjs), so a
// row's figures do not depend on the rows before it.
//
// The package comes from $TENSORMEM_JS_PACKAGE, default the copy
// bash scripts/pack-js.sh installs from its tarball into build/js-test/. The
// peers are installed by this script into build/bench-js/ on first use.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { formatRatio, formatTime, markdownTable, median } from './harness.mjs';
import { installPeers, loadPeers, PEER_VERSIONS } from './peers.mjs';
import { COLUMNS, ROWS } from './rows.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    filter: { type: 'string' },
    json: { type: 'string' },
    samples: { type: 'string' },
    'cold-runs': { type: 'string' },
    'sample-ms': { type: 'string' },
    cpu: { type: 'string' },
    'no-install': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, '') + '\n');
  process.exit(0);
}

const filter = args.filter ? new RegExp(args.filter) : undefined;
const rows = ROWS.filter((row) => !filter || filter.test(row.id));
const weighing = !filter || filter.test('weight');
if (args.list) {
  for (const row of ROWS) process.stdout.write(`${row.id.padEnd(26)} ${row.title}\n`);
  process.exit(0);
}
if (rows.length === 0 && !weighing) {
  process.stderr.write(`no row matches --filter ${args.filter} (see --list)\n`);
  process.exit(2);
}

const settings = args.quick
  ? { sampleMs: 5, samples: 3, warmupMs: 20, coldRuns: 1 }
  : { sampleMs: 50, samples: 7, warmupMs: 300, coldRuns: 5 };
if (args.samples) settings.samples = Math.max(1, Number(args.samples));
if (args['cold-runs']) settings.coldRuns = Math.max(1, Number(args['cold-runs']));
if (args['sample-ms']) settings.sampleMs = Math.max(0.1, Number(args['sample-ms']));

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

// How the measuring processes start: node, or node pinned by taskset.
const launcher = args.cpu === undefined ? [process.execPath] : ['taskset', '-c', args.cpu, process.execPath];
if (args.cpu !== undefined) {
  try {
    execFileSync('taskset', ['-c', args.cpu, 'true']);
  } catch (error) {
    log(`--cpu ${args.cpu}: taskset failed: ${error.message.split('\n')[0]}`);
    process.exit(2);
  }
}

// ---- context ---------------------------------------------------------------------

const packageDir = resolve(process.env.TENSORMEM_JS_PACKAGE ?? join(repo, 'build', 'js-test', 'node_modules', 'tensormem'));
if (!existsSync(join(packageDir, 'index.mjs'))) {
  log(`the tensormem package is not at ${packageDir} (no index.mjs): install it with \`bash scripts/pack-js.sh\`, or set TENSORMEM_JS_PACKAGE`);
  process.exit(1);
}
let tensormemVersion = 'unknown';
try {
  tensormemVersion = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
} catch {
  // reported as unknown
}

const peersDir = join(repo, 'build', 'bench-js');
const installError = args['no-install'] ? undefined : installPeers(peersDir, log);
const peers = await loadPeers(peersDir);
const missing = {
  tfjs: peers.tf ? undefined : installError ?? peers.tfError,
  ndarray: peers.ndarray ? undefined : installError ?? peers.ndarrayError,
};
for (const [name, reason] of Object.entries(missing)) if (reason) log(`peer ${name} is MISSING, its rows are empty: ${reason}`);

function git(...command) {
  try {
    return execFileSync('git', ['-C', repo, ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// CPU time the whole machine spent busy, from /proc/stat (Linux), to tell
// how much of it went to other processes while we measured.
function machineBusySeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return (total - fields[3] - (fields[4] ?? 0)) / 100; // minus idle and iowait; USER_HZ = 100
  } catch {
    return undefined;
  }
}

// CPU seconds of our finished children (the row processes), which
// process.cpuUsage() leaves out: fields 16 and 17 of /proc/self/stat.
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

const startedAt = new Date();
const startBusy = machineBusySeconds();
const startCpu = process.cpuUsage();
const startChildrenCpu = childrenCpuSeconds();
const startWall = process.hrtime.bigint();
const startLoad = os.loadavg()[0];

// ---- the rows --------------------------------------------------------------------

const columnName = {
  tensormem: 'tensormem',
  tfjs: `tfjs-wasm ${PEER_VERSIONS['@tensorflow/tfjs-backend-wasm']}`,
  ndarray: `ndarray ${PEER_VERSIONS.ndarray}`,
  raw: 'raw JS',
};
const errors = [];
const warnings = [];

function available(column) {
  return !missing[column];
}

// Runs row.mjs in a new process; its result line.
function measureWarm(row) {
  let out;
  try {
    out = execFileSync(launcher[0], [...launcher.slice(1), join(here, 'row.mjs'), row.id, JSON.stringify(settings), packageDir, peersDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    throw new Error(`row process failed: ${String(error.stderr || error.message).trim().split('\n').slice(-5).join(' | ')}`);
  }
  const result = JSON.parse(out.trim().split('\n').pop());
  warnings.push(...result.warnings);
  checksum = (checksum + result.checksum) % 1e9;
  if (result.skipped) return { skipped: result.skipped };
  if (result.error) throw Object.assign(new Error(result.error.split('\n')[0]), { stack: result.error });
  return result.variants;
}

function measureCold(row) {
  const columns = COLUMNS.filter((c) => row.variants[c]);
  const samples = Object.fromEntries(columns.map((c) => [c, []]));
  for (let i = 0; i < settings.coldRuns; ++i) {
    for (const column of columns) {
      const out = execFileSync(launcher[0], [...launcher.slice(1), join(here, 'cold.mjs'), row.cold, column, packageDir], {
        encoding: 'utf8',
      });
      samples[column].push(JSON.parse(out.trim().split('\n').pop()).ns);
    }
  }
  return Object.fromEntries(columns.map((c) => [c, { n: 1, nsPerOp: median(samples[c]), samples: samples[c] }]));
}

function evaluate(row, results) {
  const tm = results.tensormem?.nsPerOp;
  const target = row.target;
  if (!target) return { text: '(informative)', met: undefined };
  const note = target.note ? ` ${target.note}` : '';
  if (target.maxNs !== undefined) {
    const text = `${target.strict ? '<' : '≤'} ${formatTime(target.maxNs).replace(/\.0+ /, ' ')}${note}`;
    if (tm === undefined) return { text, met: undefined };
    return { text, met: target.strict ? tm < target.maxNs : tm <= target.maxNs };
  }
  if (target.ratios !== undefined) {
    // Each: another column's time / tensormem's time >= min (the (N×) the table prints).
    const text = target.ratios.map((r) => r.text).join('; ') + note;
    if (tm === undefined || target.ratios.some((r) => results[r.column]?.nsPerOp === undefined)) return { text, met: undefined };
    return { text, met: target.ratios.every((r) => results[r.column].nsPerOp / tm >= r.min) };
  }
  const text = `≥ ${Math.round(target.minRatio * 100)}% of raw JS GB/s${note}`;
  const raw = results.raw?.nsPerOp;
  if (tm === undefined || raw === undefined) return { text, met: undefined };
  return { text, met: raw / tm >= target.minRatio };
}

const results = [];
let checksum = 0;
for (const row of rows) {
  log(`${row.id}`);
  const entry = { id: row.id, title: row.title, target: row.target, cold: Boolean(row.cold), variants: {} };
  try {
    const measured = row.cold ? measureCold(row) : measureWarm(row);
    if (measured.skipped) {
      entry.skipped = measured.skipped;
      log(`${row.id} skipped: ${measured.skipped}`);
    } else {
      for (const [column, m] of Object.entries(measured)) {
        entry.variants[column] = { label: row.variants[column].label, ...m };
        if (row.bytesPerOp) entry.variants[column].gbPerS = row.bytesPerOp / m.nsPerOp;
      }
    }
  } catch (error) {
    // Internal rows depend on the package's private ABI: a failure there is
    // news for whoever changed it, not a failure of the harness.
    entry[row.internal ? 'skipped' : 'error'] = error?.stack ?? String(error);
    (row.internal ? warnings : errors).push(`${row.id}: ${error?.message ?? error}`);
    log(`${row.id} THREW: ${error?.stack ?? error}`);
  }
  Object.assign(entry, evaluate(row, entry.variants));
  results.push(entry);
}

// ---- weight: what a page downloads and an idle device holds ------------------------

// The package's .wasm (named tensormem_wasm.wasm before the standalone build).
function wasmFile(dir) {
  return ['tensormem.wasm', 'tensormem_wasm.wasm'].map((f) => join(dir, f)).find((f) => existsSync(f));
}

function weigh() {
  const packages = [['this package', packageDir], ...(args.baseline ? [['baseline', resolve(args.baseline)]] : [])];
  const samples = packages.map(() => ({ ns: [], heap: [] }));
  for (let i = 0; i < settings.coldRuns; ++i) {
    packages.forEach(([, dir], p) => {  // interleaved: one process of each package in turn
      const out = execFileSync(launcher[0], [...launcher.slice(1), join(here, 'cold.mjs'), 'device-create', 'tensormem', dir],
        { encoding: 'utf8' });
      const result = JSON.parse(out.trim().split('\n').pop());
      samples[p].ns.push(result.ns);
      samples[p].heap.push(result.heapBytes);
    });
  }
  return packages.map(([name, dir], p) => {
    const bytes = readFileSync(wasmFile(dir));
    return { name, dir, wasmBytes: bytes.length, wasmGzipBytes: gzipSync(bytes, { level: 9 }).length,
      idleHeapBytes: median(samples[p].heap), firstCreateNs: median(samples[p].ns), createSamples: samples[p].ns };
  });
}

let weight;
if (weighing) {
  log('weight');
  try {
    weight = weigh();
  } catch (error) {
    errors.push(`weight: ${error?.message ?? error}`);
  }
}

// ---- report ----------------------------------------------------------------------

const wallSeconds = Number(process.hrtime.bigint() - startWall) / 1e9;
const cpu = process.cpuUsage(startCpu);
const endBusy = machineBusySeconds();
const otherCores =
  startBusy === undefined || endBusy === undefined
    ? undefined
    : Math.max(0, (endBusy - startBusy - (cpu.user + cpu.system) / 1e6 - (childrenCpuSeconds() - startChildrenCpu)) / wallSeconds);

function cell(row, entry, column) {
  if (!row.variants[column]) return '–';
  if (!available(column) && !row.cold) return 'missing';
  const v = entry.variants[column];
  if (!v) return entry.error ? 'error' : '–';
  let text = formatTime(v.nsPerOp);
  if (v.gbPerS !== undefined) text += `, ${v.gbPerS.toFixed(1)} GB/s`;
  const tm = entry.variants.tensormem;
  if (column !== 'tensormem' && tm) text += ` (${formatRatio(v.nsPerOp / tm.nsPerOp)})`;
  return text;
}

const tableRows = rows.map((row, i) => {
  const entry = results[i];
  if (entry.skipped) return [row.title, ...COLUMNS.map(() => 'skipped'), entry.text, '-'];
  const met = entry.error ? 'ERROR' : entry.met === undefined ? '-' : entry.met ? 'yes' : 'NO';
  return [row.title, ...COLUMNS.map((c) => cell(row, entry, c)), entry.text, met];
});

const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--', 'bindings', 'src', 'include');
const meta = {
  date: startedAt.toISOString(),
  command: `node bench/js/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  node: process.version,
  v8: process.versions.v8,
  cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
  tensormemVersion,
  tensormemPackage: packageDir,
  commit: commit ? `${commit}${dirty ? ' (with uncommitted changes in bindings/src/include)' : ''}` : undefined,
  tfjsWasmFile: peers.tfWasmFile,
  missingPeers: Object.fromEntries(Object.entries(missing).filter(([, reason]) => reason)),
  settings,
  cpuPinned: args.cpu,
  loadAverage1m: { start: startLoad, end: os.loadavg()[0] },
  otherProcessesCores: otherCores,
  wallSeconds,
  checksum,
};

const out = [];
out.push(
  `tensormem ${meta.tensormemVersion} (${meta.commit ?? 'unknown commit'}), node ${meta.node}, ${meta.cpu}, ${meta.date}`,
  `${settings.samples} interleaved samples of >= ${settings.sampleMs} ms per variant (cold rows: ${settings.coldRuns} fresh processes), median` +
    `${args.cpu === undefined ? '' : `, pinned to CPU ${args.cpu}`}; ` +
    `load average ${startLoad.toFixed(2)} -> ${meta.loadAverage1m.end.toFixed(2)}` +
    (otherCores === undefined ? '' : `, other processes used ${otherCores.toFixed(2)} cores on average during the run`),
  '',
  ...(rows.length === 0 ? [] : [markdownTable(['row', ...COLUMNS.map((c) => columnName[c]), 'target', 'met?'], tableRows,
    [false, true, true, true, true, false, false]), '']),
  ...(weight === undefined ? [] : [markdownTable(['weight', '.wasm raw', '.wasm gzip -9', 'idle device wasm memory',
    'first Device.create()', ...(weight.length > 1 ? ['vs baseline'] : [])],
  weight.map((w) => [w.name, `${(w.wasmBytes / 1024).toFixed(0)} KiB`, `${(w.wasmGzipBytes / 1024).toFixed(0)} KiB`,
    `${(w.idleHeapBytes / 1048576).toFixed(1)} MiB`, formatTime(w.firstCreateNs),
    ...(weight.length > 1 ? [w === weight[0] ? '' : formatRatio(w.firstCreateNs / weight[0].firstCreateNs)] : [])]),
  [false, true, true, true, true, true]), `(first Device.create(): median of ${settings.coldRuns} fresh processes each, ` +
    'interleaved; import, read, compile, instantiate. (N×): the baseline\'s time over this package\'s)', '']),
  'Times are per operation (per unit for "one unit" rows), the median of the samples. (N×) after a peer or baseline time is',
  'its time divided by tensormem\'s: above 1 tensormem is faster, below 1 slower. "–": no such variant; "missing": peer not loaded.',
  'In the "API vs its wasm calls alone" rows the raw column holds the raw wasm exports the API call makes; its (N×) is the share of the time spent in wasm.',
);
for (const [name, reason] of Object.entries(meta.missingPeers)) out.push(`MISSING PEER ${name}: ${reason}`);
out.push('', 'What each cell runs:');
for (const row of rows) {
  const parts = COLUMNS.filter((c) => row.variants[c]).map((c) => `${columnName[c]}: ${row.variants[c].label}`);
  out.push(`- ${row.title}: ${parts.join('; ')}.`);
}
const starved = results.flatMap((entry) =>
  Object.entries(entry.variants)
    .filter(([, v]) => v.cpuShare !== undefined && v.cpuShare < 0.9)
    .map(([column, v]) => `${entry.id}/${column} ${Math.round(v.cpuShare * 100)}%`));
if (starved.length > 0) {
  out.push(`Samples that waited for a core (CPU time / wall time below 90%, machine busy): ${starved.join(', ')}.`);
}
for (const w of warnings) out.push(`WARNING ${w}`);
for (const e of errors) out.push(`ERROR ${e}`);
process.stdout.write(`${out.join('\n')}\n`);

if (args.json) {
  writeFileSync(args.json, `${JSON.stringify({ meta, warnings, errors, rows: results, weight }, null, 2)}\n`);
  log(`wrote ${args.json}`);
}
process.exitCode = errors.length > 0 ? 1 : 0;
