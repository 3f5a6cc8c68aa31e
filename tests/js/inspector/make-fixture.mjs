// Writes the inspector's test snapshot: the leaky file-loading story, in the
// JavaScript device's format (docs/snapshot-format.md), from a small model of
// the pool (size classes, cache budget, limit, compaction) and of the JS layer.
//
// The story: an app loads a small model it keeps (live on purpose), then "audio
// files" one after another. Each load copies the
// file into a DeviceData, decodes it with a kernel into a float32 tensor, takes
// a view of the left channel and a spectrum. Every third file the app forgets to
// dispose the data and the samples. Twice the garbage collector runs, and the
// safety net reclaims some of the forgotten ones (and a warm-up tensor); the
// rest stay live. A long file does not fit under the limit (its data stays
// live too: the app has no try/finally); two more files play correctly.
//
//   node tests/js/inspector/make-fixture.mjs [out.json]
// (default build/inspector/leaky-load.json; prints the path). Deterministic.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'build/inspector/leaky-load.json'));

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMIT = 40 * MiB;
const MIN_CACHE = 4 * MiB;
const CACHE_RATIO = 0.25;
const THRESHOLD = Math.floor(LIMIT * 0.8);
const MAX_SMALL = MiB;
const PAGE = 64 * KiB;  // wasm page

// ---- the pool (as include/tensormem/pool.hpp and size_class.hpp describe it) ----------

function sizeClassOf(bytes) {
  const last = Math.max(bytes, 1) - 1;
  if (last < 512) return Math.floor(last / 64);
  const log2 = Math.floor(Math.log2(last));
  return (log2 - 9) * 8 + Math.floor(last / 2 ** (log2 - 3));
}
function classBytes(c) {
  if (c < 8) return (c + 1) * 64;
  const j = c - 8;
  const log2 = 9 + Math.floor(j / 8);
  return 2 ** log2 + ((j % 8) + 1) * 2 ** (log2 - 3);
}
const CLASS_COUNT = sizeClassOf(MAX_SMALL) + 1;

const pool = {
  inUse: 0, reserved: 0, peakInUse: 0, peakReserved: 0, released: 0, compactions: 0, failed: 0,
  free: new Map(),  // class -> cached block count (small)
  large: [],        // cached large capacities
  counts: new Map(),  // class or 'large' -> { hits, misses, frees, released }
};
const countsOf = (c) => {
  if (!pool.counts.has(c)) pool.counts.set(c, { hits: 0, misses: 0, frees: 0, released: 0 });
  return pool.counts.get(c);
};
const cached = () => pool.reserved - pool.inUse;

// ---- the recording -------------------------------------------------------------------------

let now = 0;
const events = [];
const strings = [];
const stringId = (text) => {
  let id = strings.indexOf(text);
  if (id < 0) id = strings.push(text) - 1;
  return id;
};
function record(kind, fields) {
  events.push({ kind, time_ns: now, ...fields, bytes_in_use: pool.inUse, bytes_cached: cached(), bytes_reserved: pool.reserved });
}

let heapBytes = 16 * MiB;
const HEAP_OVERHEAD = 3 * MiB;  // the module's own data, stack and allocator overhead
function growHeapFor(reserved) {
  const needed = reserved + HEAP_OVERHEAD;
  if (needed <= heapBytes) return;
  const grown = Math.ceil(Math.max(needed, heapBytes * 1.2) / PAGE) * PAGE;
  const added = grown - heapBytes;
  heapBytes = grown;
  events.push({ kind: 'heap_growth', time_ns: now, bytes: added, heap_bytes: heapBytes, bytes_in_use: pool.inUse,
    bytes_cached: cached(), bytes_reserved: pool.reserved });
}

function compact() {
  let released = 0;
  for (const [c, n] of pool.free) {
    released += n * classBytes(c);
    countsOf(c).released += n;
  }
  pool.free.clear();
  for (const capacity of pool.large) {
    released += capacity;
    countsOf('large').released++;
  }
  pool.large = [];
  if (released > 0) {
    pool.reserved -= released;
    pool.released += released;
    pool.compactions++;
    record('compact', { bytes: released });
  }
  return released;
}

class LimitError extends Error {}

// A block for `bytes`: { capacity, cls }; throws LimitError past the limit.
function takeBlock(bytes) {
  if (bytes <= MAX_SMALL) {
    const cls = sizeClassOf(bytes);
    for (let c = cls; c <= Math.min(cls + 2, CLASS_COUNT - 1); c++) {
      if ((pool.free.get(c) ?? 0) > 0) {
        pool.free.set(c, pool.free.get(c) - 1);
        countsOf(c).hits++;
        return { capacity: classBytes(c), cls: c, reserved: false };
      }
    }
    return reserve(classBytes(cls), cls, bytes);
  }
  const capacity = Math.ceil(bytes / 4096) * 4096;
  let best = -1;
  pool.large.forEach((cap, i) => {
    if (cap >= capacity && cap - capacity <= capacity / 8 && (best < 0 || cap < pool.large[best])) best = i;
  });
  if (best >= 0) {
    const [cap] = pool.large.splice(best, 1);
    countsOf('large').hits++;
    return { capacity: cap, cls: 'large', reserved: false };
  }
  return reserve(capacity, 'large', bytes);
}

function reserve(capacity, cls, bytes) {
  if (cached() > 0 && pool.reserved + capacity > THRESHOLD) compact();
  if (pool.reserved + capacity > LIMIT) {
    compact();
    if (pool.reserved + capacity > LIMIT) {
      pool.failed++;
      record('limit_failure', { bytes, block_bytes: capacity, limit_bytes: LIMIT });
      throw new LimitError(`Memory limit exceeded: requested ${bytes} bytes (block of ${capacity}), ${pool.inUse} bytes in use, ${cached()} bytes cached, limit ${LIMIT} bytes`);
    }
  }
  pool.reserved += capacity;
  pool.peakReserved = Math.max(pool.peakReserved, pool.reserved);
  countsOf(cls).misses++;
  growHeapFor(pool.reserved);
  return { capacity, cls, reserved: true };
}

function giveBack(block) {
  pool.inUse -= block.capacity;
  const counts = countsOf(block.cls);
  counts.frees++;
  const keep = cached() <= MIN_CACHE || cached() <= pool.inUse * CACHE_RATIO;
  if (keep && (block.cls !== 'large' || pool.large.length < 32)) {
    if (block.cls === 'large') pool.large.push(block.capacity);
    else pool.free.set(block.cls, (pool.free.get(block.cls) ?? 0) + 1);
    return;
  }
  counts.released++;
  pool.reserved -= block.capacity;
  pool.released += block.capacity;
}

// ---- buffers and the JS objects over them -----------------------------------------------------

const slots = [];  // generation per slot (odd: live)
const freeSlots = [];
const buffers = new Map();  // key -> { index, generation, bytes, block, refcount, owners: [] }
let nextObject = 1;
const objects = new Map();  // id -> { id, kind, dtype, shape, site, created, buffer }

function allocate(bytes) {
  const block = takeBlock(bytes);
  pool.inUse += block.capacity;
  pool.peakInUse = Math.max(pool.peakInUse, pool.inUse);
  const index = freeSlots.length > 0 ? freeSlots.pop() : slots.push(0) - 1;
  const generation = ++slots[index];
  const buffer = { index, generation, bytes, block, refcount: 1, owners: [] };
  buffers.set(`${index}:${generation}`, buffer);
  record('allocate', { buffer: { index, generation }, bytes, block_bytes: block.capacity, refcount: 1 });
  return buffer;
}

function retain(buffer) {
  buffer.refcount++;
  record('retain', { buffer: { index: buffer.index, generation: buffer.generation }, bytes: buffer.bytes,
    block_bytes: buffer.block.capacity, refcount: buffer.refcount });
}

function release(buffer) {
  buffer.refcount--;
  if (buffer.refcount === 0) {
    buffers.delete(`${buffer.index}:${buffer.generation}`);
    slots[buffer.index]++;
    freeSlots.push(buffer.index);
    giveBack(buffer.block);
  }
  record('release', { buffer: { index: buffer.index, generation: buffer.generation }, bytes: buffer.bytes,
    block_bytes: buffer.block.capacity, refcount: buffer.refcount });
}

function objectFields(o) {
  return { owner: { id: o.id, kind: o.kind }, buffer: { index: o.buffer.index, generation: o.buffer.generation },
    bytes: o.buffer.bytes, dtype: o.dtype, shape: o.shape, site: o.site };
}

// A new object over a new buffer of `bytes`, or over `over` (a view, or a tensor over data).
function create(kind, site, dtype, shape, { bytes, over }) {
  let buffer = over;
  if (buffer === undefined) buffer = allocate(bytes);
  else retain(buffer);
  const o = { id: nextObject++ * 2 ** 32 + 1, kind, dtype, shape, site: stringId(site), created: now, buffer };
  objects.set(o.id, o);
  buffer.owners.push(o);
  record('object_created', objectFields(o));
  return o;
}

function dispose(o) {
  objects.delete(o.id);
  o.buffer.owners.splice(o.buffer.owners.indexOf(o), 1);
  record('object_disposed', objectFields(o));
  release(o.buffer);
}

let reclaimed = 0;
function reclaim(o) {
  objects.delete(o.id);
  o.buffer.owners.splice(o.buffer.owners.indexOf(o), 1);
  reclaimed++;
  record('reclaimed', { owner: { id: o.id, kind: o.kind }, buffer: { index: o.buffer.index, generation: o.buffer.generation },
    bytes: o.buffer.bytes, site: o.site });
  release(o.buffer);
}

function kernel(name, run) {
  const before = pool.inUse;
  const result = run();
  events.push({ kind: 'kernel_call', time_ns: now, name: stringId(name), bytes_added: pool.inUse - before,
    bytes_in_use: pool.inUse, bytes_cached: cached(), bytes_reserved: pool.reserved });
  return result;
}

const ms = 1e6;
const tick = (t) => { now += Math.round(t); };

// ---- the story ---------------------------------------------------------------------------

const SITES = {
  model: 'at loadModel (file:///app/model.mjs:12:31)\n    at main (file:///app/player.mjs:58:17)',
  warmUp: 'at warmUp (file:///app/player.mjs:9:24)\n    at main (file:///app/player.mjs:61:3)',
  load: 'at loadAudioFile (file:///app/player.mjs:18:23)\n    at playNext (file:///app/player.mjs:44:18)\n    at main (file:///app/player.mjs:66:11)',
  decode: 'at decodeFile (file:///app/player.mjs:24:27)\n    at playNext (file:///app/player.mjs:45:19)\n    at main (file:///app/player.mjs:66:11)',
  left: 'at leftChannel (file:///app/player.mjs:31:18)\n    at playNext (file:///app/player.mjs:47:16)',
  spectrum: 'at spectrum (file:///app/player.mjs:37:20)\n    at playNext (file:///app/player.mjs:48:20)',
};

for (const shape of [[64, 64], [64], [256, 64], [256], [512, 257]]) {
  create('tensor', SITES.model, 'float32', shape, { bytes: shape.reduce((a, b) => a * b, 4) });
  tick(0.3 * ms);
}
const warm = create('tensor', SITES.warmUp, 'float32', [256, 256], { bytes: 256 * 256 * 4 });
tick(3 * ms);

const forgotten = [];
function playFile(i, pcmBytes) {
  const data = create('data', SITES.load, null, null, { bytes: pcmBytes });
  tick(0.4 * ms);
  const frames = pcmBytes / 4;  // 16-bit stereo
  const samples = kernel('decode_pcm16', () => create('kernel_output', SITES.decode, 'float32', [2, frames], { bytes: frames * 8 }));
  tick(1.2 * ms);
  const left = create('view', SITES.left, 'float32', [frames], { over: samples.buffer });
  tick(0.2 * ms);
  const spectrum = kernel('spectrum', () => create('kernel_output', SITES.spectrum, 'float32', [128, 257], { bytes: 128 * 257 * 4 }));
  tick(2.5 * ms);
  dispose(spectrum);
  dispose(left);
  tick(0.1 * ms);
  if (i % 3 === 2) {
    forgotten.push([data, samples]);  // the bug: no dispose() for these two
  } else {
    dispose(samples);
    dispose(data);
  }
}

const fileBytes = (i) => Math.round((0.75 + ((i * 7) % 10) / 16) * MiB / 4) * 4 + 4 * ((i * 37) % 1000);
let file = 0;
for (; file < 9; file++) {
  playFile(file, fileBytes(file));
  tick(38 * ms);
}
// The garbage collector runs: the safety net frees two forgotten files and the warm-up tensor.
for (const o of [warm, ...forgotten[0], ...forgotten[1]]) {
  reclaim(o);
  tick(0.05 * ms);
}
for (; file < 21; file++) {
  playFile(file, fileBytes(file));
  tick(38 * ms);
}
for (const o of forgotten[3]) {
  reclaim(o);
  tick(0.05 * ms);
}
tick(20 * ms);
// A long file: it does not fit under the limit with the leaks still live.
try {
  playFile(file, 9 * MiB);
  throw new Error('the long file was expected to fail');
} catch (e) {
  if (!(e instanceof LimitError)) throw e;
}
tick(25 * ms);
for (const i of [22, 24]) {  // not every third: disposed properly
  playFile(i, fileBytes(i));
  tick(38 * ms);
}

// ---- the snapshot -------------------------------------------------------------------------

const live = [...buffers.values()].sort((a, b) => a.index - b.index);
const sizeClassEntries = [];
const statsClasses = [];
const classKeys = [...pool.counts.keys()].filter((k) => k !== 'large').sort((a, b) => a - b);
let smallCachedBytes = 0;
for (const c of classKeys) {
  const n = pool.counts.get(c);
  const inUse = live.filter((b) => b.block.cls === c).length;
  const cachedBlocks = pool.free.get(c) ?? 0;
  smallCachedBytes += cachedBlocks * classBytes(c);
  statsClasses.push({ block_bytes: classBytes(c), in_use: inUse, cached: cachedBlocks, hits: n.hits, misses: n.misses });
  sizeClassEntries.push({ class: c, block_bytes: classBytes(c), in_use_blocks: inUse, in_use_bytes: inUse * classBytes(c),
    cached_blocks: cachedBlocks, cached_bytes: cachedBlocks * classBytes(c), hits: n.hits, misses: n.misses });
}
const largeCounts = countsOf('large');
const largeLive = live.filter((b) => b.block.cls === 'large');
const large = { block_bytes: 0, in_use: largeLive.length, cached: pool.large.length, hits: largeCounts.hits, misses: largeCounts.misses };
sizeClassEntries.push({ class: 'large', block_bytes: null, in_use_blocks: largeLive.length,
  in_use_bytes: largeLive.reduce((s, b) => s + b.block.capacity, 0), cached_blocks: pool.large.length,
  cached_bytes: cached() - smallCachedBytes, hits: largeCounts.hits, misses: largeCounts.misses });

const allocations = [...pool.counts.values()].reduce((s, n) => s + n.hits + n.misses, 0);
const frees = [...pool.counts.values()].reduce((s, n) => s + n.frees, 0);
const liveObjects = [...objects.values()];
const snapshot = {
  format: 'tensormem-snapshot',
  version: 1,
  producer: { library: 'tensormem', version: '0.1.0', layer: 'device' },
  stats: {
    bytes_in_use: pool.inUse,
    bytes_requested: live.reduce((s, b) => s + b.bytes, 0),
    bytes_cached: cached(),
    bytes_reserved: pool.reserved,
    peak_bytes_in_use: pool.peakInUse,
    peak_bytes_reserved: pool.peakReserved,
    max_bytes: LIMIT,
    live_buffers: live.length,
    allocations,
    frees,
    pool_hits: [...pool.counts.values()].reduce((s, n) => s + n.hits, 0),
    pool_misses: [...pool.counts.values()].reduce((s, n) => s + n.misses, 0),
    compactions: pool.compactions,
    bytes_released: pool.released,
    failed_allocations: pool.failed,
    guard_violations: 0,
    failed_releases: 0,
    size_classes: statsClasses,
    large,
  },
  size_classes: sizeClassEntries,
  buffers: live.map((b) => ({
    index: b.index, generation: b.generation, bytes: b.bytes, block_bytes: b.block.capacity,
    size_class: b.block.cls, refcount: b.refcount,
    owners: b.owners.map((o) => ({ id: o.id, kind: o.kind, dtype: o.dtype, shape: o.shape, site: o.site, created_ns: o.created })),
  })),
  strings,
  history: { max_events: 16384, recorded: events.length, dropped: 0, dropped_strings: 0, now_ns: now, events },
  device: {
    wasm_heap_bytes: heapBytes,
    live_data: liveObjects.filter((o) => o.kind === 'data').length,
    live_tensors: liveObjects.filter((o) => o.kind !== 'data').length,
    leaks_reclaimed: reclaimed,
    stacks: true,
  },
};

mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(snapshot, null, 1)}\n`);
console.log(out);
