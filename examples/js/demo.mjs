// The tensormem JavaScript demo: the story of an audio app that leaked wasm
// memory on every file load, told with the npm package.
//
// 1. The leaky way: each load replaces the previous file without disposing
//    it; liveAllocations() names every leaked buffer and, in debug mode,
//    where it was created.
// 2. The safety net: once the app lets go of the leaked objects, garbage
//    collection reclaims them, late, and counts them (run with
//    node --expose-gc to watch it happen).
// 3. The right way: dispose, try/finally (what TypeScript's `using` compiles
//    to) and device.scope(): wasm memory and live buffers stay flat. Then one
//    big file grows the heap, and device.shrink() gives that memory back
//    once it is disposed, while the current file's tensor keeps working.
// 4. A runaway leak meets maxMemory: a MEMORY_LIMIT error, and the app recovers.
// 5. Stale views: a disposed buffer or view throws DISPOSED instead of
//    reading freed memory; the raw fast array goes stale when memory grows.
// 6. Inspecting memory: the leaky file-loading story recorded with
//    device.recordHistory() and device.snapshot() (examples/js/leaky-load.mjs),
//    written as one self-contained HTML report by the package's
//    tensormem-inspect, whose path it prints.
//
// Run: node --expose-gc examples/js/demo.mjs (package.mjs says where the package is).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { audioDevice, recordLeakyLoad } from './leaky-load.mjs';
import { packageUrl, repo } from './package.mjs';

const { Device, TensorMemError, version } = await import(packageUrl);

const MiB = 1024 * 1024;
const SAMPLE_RATE = 44100;
const CHANNELS = 2;
const FILE_BYTES = 4 * MiB;                                       // one "audio file"
const SAMPLES = FILE_BYTES / Float32Array.BYTES_PER_ELEMENT / CHANNELS;
const FRAME = 1024;                                               // samples per analysis frame
const WINDOW = [100, 104];                                        // the frames the app analyses

const mib = (bytes) => `${(bytes / MiB).toFixed(2)} MiB`;
const shape = (s) => `[${s.join(', ')}]`;

// The demo checks its own story: a claim that does not hold ends it with exit code 1.
function expect(condition, claim) {
  if (!condition) throw new Error(`demo claim failed: ${claim}`);
}

function heading(text) { console.log(`\n${text}`); }

function show(device, what) {
  const s = device.getMemoryStats();
  console.log(`  ${what.padEnd(48)} | in use ${mib(s.bytesInUse).padStart(9)}  cached ${mib(s.bytesCached)}` +
    `  buffers ${String(s.liveBuffers).padStart(2)}  objects ${String(s.liveData + s.liveTensors).padStart(2)}` +
    `  wasm heap ${mib(s.wasmHeapBytes).padStart(9)}`);
  return s;
}

function caught(error) {
  if (!(error instanceof TensorMemError)) throw error;
  console.log(`  caught TensorMemError ${error.code}: ${error.message}`);
  return error;
}

// The "decoder": interleaved stereo float32, a different tone and gain per file.
async function decodeAudioFile(file) {
  await new Promise((resolve) => setImmediate(resolve));          // decoding is asynchronous in a real app
  const samples = new Float32Array(SAMPLES * CHANNELS);
  const gain = 0.5 + 0.05 * (file % 10);
  const step = (2 * Math.PI * 110 * file) / SAMPLE_RATE;
  for (let i = 0; i < SAMPLES; ++i) {
    const s = gain * Math.sin(step * i);
    samples[2 * i] = s;                                           // left
    samples[2 * i + 1] = 0.5 * s;                                 // right, 6 dB quieter
  }
  return samples.buffer;
}

// Load: one copy of the decoded bytes into wasm memory, viewed as [samples, channels].
async function load(device, file) {
  const data = device.createDataWithBuffer(await decodeAudioFile(file));
  const samples = device.fromData(data, 'float32', [SAMPLES, CHANNELS]);
  return { data, samples };
}

// The computation: rms of the left channel through get(), peak of the right through read().
function rmsOf(left) {
  const [rows, cols] = left.shape;
  let sum = 0;
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) sum += left.get(r, c) ** 2;
  return Math.sqrt(sum / left.size);
}

function peakOf(right) {
  let peak = 0;
  for (const v of right.read()) peak = Math.max(peak, Math.abs(v));
  return peak;
}

const describe = (file, r) => `file ${String(file).padStart(2)}: rms L ${r.rms.toFixed(3)}, peak R ${r.peak.toFixed(3)}`;

// ---------------------------------------------------------------------------------------------

async function leakyWay() {
  heading('1. The leaky way: every load forgets the previous file');
  const device = await Device.create({ maxMemory: 64 * MiB, debug: true });
  console.log('  Device.create({ maxMemory: 64 MiB, debug: true })');
  console.log('  each load makes a new "plugin" (the file and its views); the old one leaves the screen');
  console.log('  but is never destroyed, and the app\'s plugin list still holds it');

  const plugins = [];
  for (let n = 1; n <= 3; ++n) {
    const file = await load(device, n);
    const frames = file.samples.reshape([-1, FRAME, CHANNELS]);   // [512, 1024, 2], a view
    const window = frames.slice([WINDOW]);                        // [4, 1024, 2], a view
    const left = window.select(2, 0);                             // [4, 1024], strided view
    const right = window.select(2, 1);
    plugins.push({ file, frames, window, left, right });          // the previous plugin is not disposed
    console.log(`  ${describe(n, { rms: rmsOf(left), peak: peakOf(right) })}; ` +
      `frames ${shape(frames.shape)} shares the file's buffer: ${frames.sharesStorage(file.samples) ? 'yes' : 'no'}`);
  }
  const stats = show(device, 'after 3 loads');
  expect(stats.liveBuffers === 3, 'three files stay live');

  const live = device.liveAllocations();
  const buffers = new Map();
  for (const a of live) buffers.set(a.bufferId, [...(buffers.get(a.bufferId) ?? []), a]);
  console.log(`  device.liveAllocations(): ${live.length} objects hold ${buffers.size} buffers`);
  for (const [bufferId, holders] of buffers) {
    const data = holders.filter((a) => a.kind === 'data').map((a) => `data ${a.dtype} ${shape(a.shape)}`);
    const tensors = holders.filter((a) => a.kind === 'tensor');
    console.log(`    buffer ${bufferId}, ${mib(holders[0].bytes)}: ${[...data, `${tensors.length} tensors`].join(', ')} ` +
      `(${tensors.map((a) => `${a.dtype} ${shape(a.shape)}`).join(', ')})`);
  }
  const leaked = live.find((a) => a.kind === 'data');
  console.log(`  where buffer ${leaked.bufferId}'s data object was created (recorded because debug is on):`);
  for (const frame of ourFrames(leaked.stack)) console.log(`    ${frame}`);
  expect(buffers.size === 3 && leaked.stack, 'liveAllocations names the three buffers with stacks');

  return { device, plugins };
}

// The stack frames in this repository (the package's own frames say nothing new).
function ourFrames(stack) {
  const frames = String(stack).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at '));
  const ours = frames.filter((l) => l.includes('/examples/'));
  return (ours.length ? ours : frames).slice(0, 4).map((l) => l.replaceAll(pathToFileURL(repo).href + '/', '').replaceAll(repo + '/', ''));
}

async function safetyNet({ device, plugins }) {
  heading('2. The safety net: garbage collection frees what was dropped -- late');
  const current = plugins.pop();
  const dropped = plugins.length * 6;                             // data, samples, frames, window, left, right
  plugins.length = 0;
  console.log(`  the app empties its plugin list, still without disposing: ${dropped} objects are now garbage`);
  if (typeof globalThis.gc !== 'function') {
    console.log('  (run node with --expose-gc to force a collection here)');
  } else {
    // Finalizers never run inside synchronous code: the app has to yield to the event loop.
    // The debug warnings (one per creation site, each with its stack) are collected to print one, shortened.
    const warnings = [];
    const warn = console.warn;
    console.warn = (message) => warnings.push(String(message));
    try {
      for (let i = 0; i < 20 && device.getMemoryStats().leaksReclaimed < dropped; ++i) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      console.warn = warn;
    }
    const [first, ...rest] = (warnings[0] ?? '').split('\n');
    console.log(`  console.warn: ${first}`);
    for (const frame of ourFrames(rest.join('\n'))) console.log(`    ${frame}`);
    console.log(`  (${warnings.length} such warnings: one per place of creation)`);
    const stats = show(device, 'after gc() and a few ticks');
    console.log(`  leaksReclaimed: ${stats.leaksReclaimed}; the current plugin is referenced, so it stays`);
    expect(stats.leaksReclaimed === dropped && stats.liveBuffers === 1, 'gc reclaims exactly the dropped plugins');
  }
  device.dispose();
  console.log('  device.dispose() frees the whole instance; the current plugin now says:');
  try {
    current.file.samples.get(0, 0);
  } catch (error) {
    expect(caught(error).code === 'DISPOSED', 'use after device.dispose() is DISPOSED');
  }
}

// ---------------------------------------------------------------------------------------------

// Three ways to release the views of one analysis; all give the same numbers.
const analyses = {
  // Dispose each view when done: fine until something throws in between.
  'dispose()': (device, samples) => {
    const frames = samples.reshape([-1, FRAME, CHANNELS]);
    const window = frames.slice([WINDOW]);
    const left = window.select(2, 0);
    const right = window.select(2, 1);
    const result = { rms: rmsOf(left), peak: peakOf(right) };
    for (const t of [right, left, window, frames]) t.dispose();
    return result;
  },
  // What TypeScript 5.2+ makes of `using frames = ...; using window = ...;`: dispose in finally.
  'try/finally': (device, samples) => {
    let frames, window, left, right;
    try {
      frames = samples.reshape([-1, FRAME, CHANNELS]);
      window = frames.slice([WINDOW]);
      left = window.select(2, 0);
      right = window.select(2, 1);
      return { rms: rmsOf(left), peak: peakOf(right) };
    } finally {
      for (const t of [right, left, window, frames]) t?.[Symbol.dispose]();
    }
  },
  // A scope disposes everything created inside it, chained temporaries too; plain numbers come out.
  'device.scope': (device, samples) => device.scope(() => {
    const window = samples.reshape([-1, FRAME, CHANNELS]).slice([WINDOW]);
    return { rms: rmsOf(window.select(2, 0)), peak: peakOf(window.select(2, 1)) };
  }),
};

async function rightWay() {
  heading('3. The right way: each load releases the previous file');
  const device = await Device.create({ maxMemory: 64 * MiB });
  console.log('  Device.create({ maxMemory: 64 MiB })');

  const LOADS = 16;
  let current = null;
  const heap = [];
  const styles = Object.keys(analyses);
  for (let n = 1; n <= LOADS; ++n) {
    // An async scope: the DeviceData dies with it, the returned tensor moves out and keeps the buffer.
    const next = await device.scope(async () => (await load(device, n)).samples);
    current?.dispose();                                           // the fix: free the previous file
    current = next;
    const style = styles[n % styles.length];
    const result = analyses[style](device, current);
    if (n <= 3 || n > LOADS - 3) show(device, `${describe(n, result)} (${style})`);
    if (n === 3) console.log('  ...');
    const stats = device.getMemoryStats();
    heap.push(stats.wasmHeapBytes);
    expect(stats.liveBuffers === 1 && stats.liveData + stats.liveTensors === 1, `only file ${n} is live`);
  }
  current.dispose();
  const stats = show(device, 'last file disposed');
  expect(stats.liveBuffers === 0, 'nothing is live');

  // The heap grows while the allocator finds its working set, then stays put.
  const runs = [];
  heap.forEach((bytes, i) => {
    if (runs.at(-1)?.bytes === bytes) runs.at(-1).last = i + 1;
    else runs.push({ bytes, first: i + 1, last: i + 1 });
  });
  console.log(`  wasm heap: ${runs.map((r) => `${mib(r.bytes)} (loads ${r.first}-${r.last})`).join(', ')}`);
  expect(runs.at(-1).first <= LOADS / 2, 'the heap is flat over the second half of the loads');

  // One big file (40 MiB) grows the heap, which never shrinks by itself; once
  // it is done with, device.shrink() moves what is live into a right-sized
  // instance and drops the old memory. The app's tensor keeps its id and values.
  const last = await load(device, LOADS + 1);
  const kept = last.samples;
  last.data.dispose();
  const before = analyses['device.scope'](device, kept);
  const big = device.createDataWithBuffer(new Float32Array(10 * MiB));
  const peak = show(device, 'a 40 MiB file loaded beside it').wasmHeapBytes;
  device.disposeData(big);
  show(device, 'the big file disposed: the heap stays');
  const shrunk = device.shrink();
  const after = show(device, `device.shrink(): ${mib(shrunk.bytesMoved)} moved`);
  const same = analyses['device.scope'](device, kept);
  console.log(`  wasm heap ${mib(shrunk.heapBefore)} -> ${mib(shrunk.heapAfter)}; ${describe(LOADS + 1, same)}, as before`);
  expect(after.wasmHeapBytes < peak / 4 && same.rms === before.rms && same.peak === before.peak,
    'shrink gives the big file\'s memory back and keeps the live file');
  kept.dispose();
  device.dispose();
}

// ---------------------------------------------------------------------------------------------

async function runawayLeak() {
  heading('4. A runaway leak meets the limit');
  const device = await Device.create({ maxMemory: 24 * MiB });
  console.log('  Device.create({ maxMemory: 24 MiB }); the app keeps every file it ever loaded');
  const history = [];
  let n = 0;
  let refused = null;
  try {
    for (n = 1; n <= 100; ++n) {
      history.push(await load(device, n));
      show(device, `file ${n} loaded, nothing released`);
    }
  } catch (error) {
    refused = caught(error);
  }
  expect(refused?.code === 'MEMORY_LIMIT', 'the limit stops the leak');
  show(device, `file ${n} refused; the device still works`);

  // The app survives: it keeps only the newest file and loads again.
  for (const file of history.splice(0, history.length - 1)) {
    file.data.dispose();
    file.samples.dispose();
  }
  const file = await load(device, n);
  console.log(`  it keeps only the newest file and loads again: ${describe(n, analyses['device.scope'](device, file.samples))}`);
  show(device, `file ${n} loaded`);
  console.log(`  failedAllocations: ${device.getMemoryStats().failedAllocations}`);
  device.dispose();
}

// ---------------------------------------------------------------------------------------------

async function staleViews() {
  heading('5. Stale views: checked, never reading freed memory');
  const device = await Device.create();

  const data = device.createDataWithBuffer(new Float32Array([42, 43, 44]));
  const checked = device.readDataView(data, 'float32');           // checked, survives memory growth
  const raw = data.view('float32');                               // fast, raw: re-derive after any allocation
  console.log(`  readDataView(data, 'float32')[0] = ${checked[0]}, data.view('float32')[0] = ${raw[0]}`);
  try {
    checked[999];
  } catch (error) {
    caught(error);
  }

  const before = device.getMemoryStats().wasmHeapBytes;
  const big = device.createData(before);                          // cannot fit: wasm memory grows
  const after = device.getMemoryStats().wasmHeapBytes;
  console.log(`  allocating ${mib(before)} more grew wasm memory from ${mib(before)} to ${mib(after)}:`);
  console.log(`    the raw array is detached (length ${raw.length}); the checked view still reads ${checked[0]}`);
  expect(after > before && raw.length === 0 && checked[0] === 42, 'growth detaches raw arrays only');
  big.dispose();

  device.disposeData(data);
  console.log('  after disposeData(data), the checked view:');
  try {
    checked[0];
  } catch (error) {
    expect(caught(error).code === 'DISPOSED', 'a disposed buffer is DISPOSED');
  }
  try {
    checked[0] = 1;
  } catch (error) {
    caught(error);
  }

  const audio = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const row = audio.select(0, 1);
  audio.dispose();
  console.log(`  a view outlives the tensor it came from (they share the buffer): row.read() = [${row.read().join(', ')}]`);
  row.dispose();
  console.log('  the view itself, once disposed:');
  try {
    row.get(0);
  } catch (error) {
    expect(caught(error).code === 'DISPOSED', 'a disposed view is DISPOSED');
  }
  const stats = show(device, 'end');
  console.log(`  stats: ${JSON.stringify(stats)}`);
  expect(stats.liveBuffers === 0, 'nothing is live at the end');
  device.dispose();
}

// ---------------------------------------------------------------------------------------------

async function inspectMemory() {
  heading('6. Inspecting memory: the leaky story, recorded and drawn');
  if (typeof globalThis.gc !== 'function') {
    console.log('  (run node with --expose-gc: the story waits for the safety net)');
    return;
  }
  console.log('  device.recordHistory({ stacks: true }); ... files loaded, some forgotten ...; device.snapshot()');
  const snapshot = await recordLeakyLoad(await audioDevice());
  const { stats, history, device } = snapshot;
  console.log(`  ${history.recorded} events; peak ${mib(stats.peak_bytes_in_use)}, ${stats.live_buffers} live buffers ` +
    `(${mib(stats.bytes_in_use)}), ${device.leaks_reclaimed} objects reclaimed, ${stats.failed_allocations} MEMORY_LIMIT`);
  expect(stats.failed_allocations === 1 && device.leaks_reclaimed > 0, 'the story meets the safety net and the limit');
  const dir = path.join(repo, 'build/inspector/demo');
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'leaky-load.json');
  const report = path.join(dir, 'leaky-load.html');
  writeFileSync(json, JSON.stringify(snapshot));
  // The package's CLI, as `npx tensormem-inspect leaky-load.json -o leaky-load.html` runs it.
  const cli = path.join(path.dirname(fileURLToPath(packageUrl)), 'bin/tensormem-inspect.mjs');
  execFileSync(process.execPath, [cli, json, '-o', report], { stdio: 'ignore' });
  console.log(`  the report (open it in a browser; it loads nothing else): ${report}`);
}

console.log(`tensormem ${version} JavaScript demo (node ${process.version})`);
console.log(`each "audio file" is ${mib(FILE_BYTES)} of float32 stereo samples: ${shape([SAMPLES, CHANNELS])}`);
await safetyNet(await leakyWay());
await rightWay();
await runawayLeak();
await staleViews();
await inspectMemory();
