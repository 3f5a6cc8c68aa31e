// Reading a tensormem snapshot (docs/snapshot-format.md) and deriving what the
// inspector draws: the timeline's bands and lines, the size-class bars, live
// objects by creation site, and the headline numbers. No DOM here: the CLI
// (bin/tensormem-inspect.mjs) checks snapshots with the same code in node.
//
// The inspector's build (the CLI) joins its modules into one inline script by
// dropping import lines and `export ` prefixes: imports stay on one line each,
// and top-level names must not clash across the modules.

export const SNAPSHOT_FORMAT = 'tensormem-snapshot';
export const SNAPSHOT_VERSION = 1;
// Allocations drawn as bands of their own; the rest are summed into one band.
export const MAX_BANDS = 1500;

export class SnapshotError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SnapshotError';
  }
}

// ---- reading -------------------------------------------------------------------------

// The snapshot in `text`; throws SnapshotError saying what is wrong with it.
export function readSnapshot(text) {
  let snapshot;
  try {
    snapshot = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(`not valid JSON (${e.message})`);
  }
  checkSnapshot(snapshot);
  return snapshot;
}

function shown(value) {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function need(ok, where, value, what) {
  if (!ok) throw new SnapshotError(`"${where}" is ${shown(value)}; it must be ${what}`);
}

const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Checks what the inspector relies on; members it does not read are not checked.
export function checkSnapshot(s) {
  if (!isObject(s)) throw new SnapshotError(`not a snapshot: the JSON is ${shown(s)}, not an object`);
  if (s.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(`not a tensormem snapshot: "format" is ${shown(s.format)}, expected "${SNAPSHOT_FORMAT}"`);
  }
  need(Number.isInteger(s.version), 'version', s.version, 'an integer');
  if (s.version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(`snapshot format version ${s.version} is not supported: this inspector reads version ${SNAPSHOT_VERSION}`);
  }
  need(isObject(s.stats), 'stats', s.stats, 'an object');
  for (const key of ['bytes_in_use', 'bytes_requested', 'bytes_cached', 'bytes_reserved', 'peak_bytes_in_use',
    'peak_bytes_reserved', 'live_buffers', 'failed_allocations']) {
    need(isCount(s.stats[key]), `stats.${key}`, s.stats[key], 'a byte count or count (an integer >= 0)');
  }
  need(s.stats.max_bytes === null || isCount(s.stats.max_bytes), 'stats.max_bytes', s.stats.max_bytes,
    'an integer >= 0 or null');
  need(Array.isArray(s.size_classes), 'size_classes', s.size_classes, 'an array');
  s.size_classes.forEach((c, i) => {
    need(isObject(c), `size_classes[${i}]`, c, 'an object');
    need(isCount(c.class) || c.class === 'large', `size_classes[${i}].class`, c.class, 'an integer or "large"');
    for (const key of ['in_use_blocks', 'in_use_bytes', 'cached_blocks', 'cached_bytes']) {
      need(isCount(c[key]), `size_classes[${i}].${key}`, c[key], 'an integer >= 0');
    }
  });
  need(Array.isArray(s.strings), 'strings', s.strings, 'an array');
  s.strings.forEach((text, i) => need(typeof text === 'string', `strings[${i}]`, text, 'a string'));
  need(Array.isArray(s.buffers), 'buffers', s.buffers, 'an array');
  s.buffers.forEach((b, i) => {
    need(isObject(b), `buffers[${i}]`, b, 'an object');
    for (const key of ['index', 'generation', 'bytes', 'block_bytes', 'refcount']) {
      need(isCount(b[key]), `buffers[${i}].${key}`, b[key], 'an integer >= 0');
    }
    if (b.owners !== undefined) {
      need(Array.isArray(b.owners), `buffers[${i}].owners`, b.owners, 'an array');
      b.owners.forEach((o, j) => {
        need(isObject(o), `buffers[${i}].owners[${j}]`, o, 'an object');
        need(typeof o.kind === 'string', `buffers[${i}].owners[${j}].kind`, o.kind, 'a string');
        checkSite(s, `buffers[${i}].owners[${j}].site`, o.site);
      });
    }
  });
  if (s.device !== undefined) {
    need(isObject(s.device), 'device', s.device, 'an object');
    need(s.device.wasm_heap_bytes === undefined || isCount(s.device.wasm_heap_bytes), 'device.wasm_heap_bytes',
      s.device.wasm_heap_bytes, 'an integer >= 0');
  }
  need(s.history === null || isObject(s.history), 'history', s.history, 'an object or null');
  if (s.history === null) return;
  need(isCount(s.history.now_ns), 'history.now_ns', s.history.now_ns, 'an integer >= 0');
  need(isCount(s.history.dropped), 'history.dropped', s.history.dropped, 'an integer >= 0');
  need(Array.isArray(s.history.events), 'history.events', s.history.events, 'an array');
  let last = 0;
  s.history.events.forEach((e, i) => {
    const where = `history.events[${i}]`;
    need(isObject(e), where, e, 'an object');
    need(typeof e.kind === 'string', `${where}.kind`, e.kind, 'a string');
    need(isCount(e.time_ns), `${where}.time_ns`, e.time_ns, 'an integer >= 0');
    need(e.time_ns >= last, `${where}.time_ns`, e.time_ns, `at least the previous event's (${last}): events are oldest first`);
    last = e.time_ns;
    if (e.buffer !== undefined && e.buffer !== null) {
      need(isObject(e.buffer) && isCount(e.buffer.index) && isCount(e.buffer.generation), `${where}.buffer`, e.buffer,
        'null or {"index", "generation"}');
    }
    if (e.site !== undefined) checkSite(s, `${where}.site`, e.site);
    if (e.name !== undefined) checkSite(s, `${where}.name`, e.name);
  });
}

function checkSite(s, where, site) {
  if (site === undefined || site === null) return;
  need(Number.isInteger(site) && site >= 0 && site < s.strings.length, where, site, s.strings.length === 0
    ? 'null: "strings" is empty' : `null or an index into "strings" (0 to ${s.strings.length - 1})`);
}

// ---- numbers as text ------------------------------------------------------------------

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

// 3670016 -> "3.5 MiB"; three significant digits at most.
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return 'none';
  let unit = 0;
  let value = Math.abs(bytes);
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${Number(value.toFixed(digits))} ${BYTE_UNITS[unit]}`;
}

const TIME_UNITS = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];

// 1500000 -> "1.5 ms".
export function formatDuration(ns) {
  const [scale, unit] = TIME_UNITS.find(([s]) => ns >= s) ?? TIME_UNITS[3];
  const value = ns / scale;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${unit}`;
}

// The first line of a creation site (the frame nearest the call), for labels.
export function siteHeadline(site) {
  if (site === null || site === undefined) return '(no creation site recorded)';
  const line = site.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? site;
  return line.replace(/^at\s+/, '');
}

// A site's first frame as its function and a short location:
// "at loadAudioFile (file:///app/player.mjs:18:23)" -> { name: "loadAudioFile", where: "player.mjs:18:23" }.
export function siteParts(site) {
  const headline = siteHeadline(site);
  const framed = /^(.*?) \((.*)\)$/.exec(headline);
  const [name, location] = framed === null ? [headline, ''] : [framed[1], framed[2]];
  return { name, where: location.replace(/^.*[/\\]/, '') };
}

// ---- what the page draws -------------------------------------------------------------------

const keyOf = (buffer) => `${buffer.index}:${buffer.generation}`;
const NO_SITE = null;

// Everything the page needs, from a checked snapshot.
export function analyze(snapshot) {
  const strings = snapshot.strings;
  const text = (id) => (id === null || id === undefined ? null : strings[id]);
  const events = snapshot.history?.events ?? [];
  const now = snapshot.history?.now_ns ?? 0;

  // Per buffer: what the events and the live state say about it.
  const buffers = new Map();
  const bufferOf = (key) => {
    let b = buffers.get(key);
    if (b === undefined) {
      b = { key, bytes: 0, blockBytes: 0, start: null, end: null, allocated: false, owners: [], reclaimed: [], live: false };
      buffers.set(key, b);
    }
    return b;
  };
  const failures = [];
  const reclaims = [];
  const compactions = [];
  for (const e of events) {
    const b = e.buffer ? bufferOf(keyOf(e.buffer)) : null;
    if (b !== null && b.start === null) {
      // A buffer first seen in anything but its allocation was live before the history began (or its allocation was dropped).
      b.start = e.kind === 'allocate' ? e.time_ns : 0;
      b.allocated = e.kind === 'allocate';
    }
    if (b !== null && e.block_bytes !== undefined && b.blockBytes === 0) {
      b.blockBytes = e.block_bytes;
      b.bytes = e.bytes ?? 0;
    }
    switch (e.kind) {
      case 'release':
        if (e.refcount === 0) b.end = e.time_ns;
        break;
      case 'object_created':
        if (b !== null) {
          b.owners.push({ id: e.owner?.id, kind: e.owner?.kind, dtype: e.dtype ?? null, shape: e.shape ?? null,
            site: text(e.site), created: e.time_ns });
        }
        break;
      case 'reclaimed':
        reclaims.push({ time: e.time_ns, site: text(e.site), bytes: e.bytes ?? 0, kind: e.owner?.kind, buffer: b?.key });
        b?.reclaimed.push(e.time_ns);
        break;
      case 'limit_failure':
      case 'out_of_memory':
        failures.push(e);
        break;
      case 'compact':
        compactions.push(e);
        break;
      default:
    }
  }
  for (const live of snapshot.buffers) {
    const b = bufferOf(keyOf(live));
    b.live = true;
    b.end = null;
    if (b.start === null) b.start = 0;
    b.bytes = live.bytes;
    b.blockBytes = live.block_bytes;
    b.refcount = live.refcount;
    if (live.owners !== undefined) {
      b.liveOwners = live.owners.map((o) => ({ id: o.id, kind: o.kind, dtype: o.dtype ?? null, shape: o.shape ?? null,
        site: text(o.site), created: o.created_ns ?? null }));
    }
  }
  for (const b of buffers.values()) {
    // The creator: the oldest object that held the buffer.
    const all = [...b.owners, ...(b.liveOwners ?? [])];
    b.creator = all.find((o) => o.kind !== 'view') ?? all[0] ?? null;
    b.site = b.creator?.site ?? NO_SITE;
  }

  const sites = groupBySite(snapshot, buffers, reclaims, now);
  return {
    headline: headline(snapshot, sites, failures, reclaims),
    timeline: snapshot.history === null ? null : timeline(snapshot, buffers, events, failures, reclaims, compactions, now),
    sizeClasses: sizeClasses(snapshot),
    sites,
    hasOwners: snapshot.buffers.some((b) => b.owners !== undefined),
    liveBuffers: [...buffers.values()].filter((b) => b.live).sort((a, b) => b.blockBytes - a.blockBytes || a.start - b.start),
    now,
  };
}

function headline(snapshot, sites, failures, reclaims) {
  const top = sites.find((s) => s.objects > 0) ?? null;
  return {
    peakBytesInUse: snapshot.stats.peak_bytes_in_use,
    liveBuffers: snapshot.stats.live_buffers,
    liveBytes: snapshot.stats.bytes_in_use,
    requestedBytes: snapshot.stats.bytes_requested,
    limitBytes: snapshot.stats.max_bytes,
    limitFailures: failures.length,
    failedAllocations: snapshot.stats.failed_allocations,
    reclaimed: snapshot.device?.leaks_reclaimed ?? reclaims.length,
    heapBytes: snapshot.device?.wasm_heap_bytes ?? null,
    topSite: top,
    producer: snapshot.producer ?? null,
    dropped: snapshot.history?.dropped ?? 0,
  };
}

// Live objects by creation site, largest and oldest first; sites whose objects
// the safety net reclaimed are leak suspects, also when none is live now.
function groupBySite(snapshot, buffers, reclaims, now) {
  const groups = new Map();
  const groupOf = (site) => {
    let g = groups.get(site);
    if (g === undefined) {
      g = { site, objects: 0, kinds: {}, bufferKeys: new Set(), bytes: 0, oldest: null, reclaimed: 0, reclaimedBytes: 0 };
      groups.set(site, g);
    }
    return g;
  };
  for (const b of buffers.values()) {
    if (!b.live || b.liveOwners === undefined) continue;
    for (const o of b.liveOwners) {
      const g = groupOf(o.site);
      g.objects++;
      g.kinds[o.kind] = (g.kinds[o.kind] ?? 0) + 1;
      if (!g.bufferKeys.has(b.key)) {
        g.bufferKeys.add(b.key);
        g.bytes += b.blockBytes;
      }
      const created = o.created ?? b.start;
      if (g.oldest === null || created < g.oldest) g.oldest = created;
    }
  }
  for (const r of reclaims) {
    const g = groupOf(r.site);
    g.reclaimed++;
    g.reclaimedBytes += r.bytes;
  }
  return [...groups.values()]
    .map((g) => ({ site: g.site, headline: siteHeadline(g.site), objects: g.objects, kinds: g.kinds,
      buffers: g.bufferKeys.size, bytes: g.bytes, oldest: g.oldest, age: g.oldest === null ? null : now - g.oldest,
      reclaimed: g.reclaimed, reclaimedBytes: g.reclaimedBytes, suspect: g.reclaimed > 0 }))
    .sort((a, b) => b.bytes - a.bytes || (a.oldest ?? Infinity) - (b.oldest ?? Infinity) || b.reclaimed - a.reclaimed);
}

function sizeClasses(snapshot) {
  return snapshot.size_classes
    .filter((c) => c.in_use_blocks + c.cached_blocks > 0)
    .map((c) => ({
      key: String(c.class),
      label: c.class === 'large' ? 'large (> 1 MiB)' : formatBytes(c.block_bytes),
      inUseBlocks: c.in_use_blocks, inUseBytes: c.in_use_bytes, cachedBlocks: c.cached_blocks, cachedBytes: c.cached_bytes,
      hits: c.hits ?? 0, misses: c.misses ?? 0,
    }));
}

// The stacked timeline: every allocation a band whose bottom edge is the sum
// of the blocks allocated before it and still live, so a free lowers
// everything above it. Times in ns; each band's edges are step lists of
// [time, offset, size]. Allocations past MAX_BANDS (the smallest) share one
// band at the bottom.
function timeline(snapshot, buffers, events, failures, reclaims, compactions, now) {
  const all = [...buffers.values()].filter((b) => b.blockBytes > 0);
  const own = new Set([...all].sort((a, b) => b.blockBytes - a.blockBytes).slice(0, MAX_BANDS));
  const rest = { key: 'rest', rest: true, count: all.length - own.size, blockBytes: 0, start: 0, end: null, site: NO_SITE,
    offset: 0, steps: [[0, 0, 0]] };

  const stack = [rest];  // bottom to top
  const place = (band, time) => band.steps.push([time, band.offset, band.blockBytes]);
  const shiftAbove = (from, delta, time) => {
    for (let i = from + 1; i < stack.length; i++) {
      stack[i].offset += delta;
      place(stack[i], time);
    }
  };
  const top = () => {
    const last = stack[stack.length - 1];
    return last.offset + last.blockBytes;
  };
  const open = (b, time) => {
    if (own.has(b)) {
      b.offset = top();
      b.steps = [];
      place(b, time);
      stack.push(b);
    } else {
      rest.blockBytes += b.blockBytes;
      place(rest, time);
      shiftAbove(0, b.blockBytes, time);
    }
  };
  const close = (b, time) => {
    if (own.has(b)) {
      const i = stack.indexOf(b);
      stack.splice(i, 1);
      shiftAbove(i - 1, -b.blockBytes, time);
    } else {
      rest.blockBytes -= b.blockBytes;
      place(rest, time);
      shiftAbove(0, -b.blockBytes, time);
    }
  };

  // Buffers live before the first event sit at the bottom, oldest (lowest slot) first.
  const before = all.filter((b) => !b.allocated).sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
  for (const b of before) open(b, 0);
  const seen = new Set(before);
  for (const e of events) {
    if (!e.buffer) continue;
    const b = buffers.get(keyOf(e.buffer));
    if (e.kind === 'allocate' && !seen.has(b) && b.blockBytes > 0) {
      seen.add(b);
      open(b, e.time_ns);
    } else if (e.kind === 'release' && e.refcount === 0 && seen.has(b) && b.end === e.time_ns) {
      close(b, e.time_ns);
    }
  }

  // Lines: the pool's totals after each event (steps), the wasm heap, the limit.
  const inUse = [];
  const reserved = [];
  for (const e of events) {
    if (e.bytes_in_use === undefined) continue;
    inUse.push([e.time_ns, e.bytes_in_use]);
    reserved.push([e.time_ns, e.bytes_reserved]);
  }
  const growth = events.filter((e) => e.kind === 'heap_growth');
  let heap = null;
  if (growth.length > 0) {
    heap = [[0, growth[0].heap_bytes - growth[0].bytes], ...growth.map((e) => [e.time_ns, e.heap_bytes])];
    if (snapshot.device?.wasm_heap_bytes !== undefined) heap.push([now, snapshot.device.wasm_heap_bytes]);
  } else if (snapshot.device?.wasm_heap_bytes !== undefined) {
    heap = [[0, snapshot.device.wasm_heap_bytes]];
  }
  const limit = snapshot.stats.max_bytes;
  const bands = all.filter((b) => own.has(b));
  const highest = Math.max(1, ...reserved.map(([, v]) => v), ...(heap ?? []).map(([, v]) => v),
    ...bands.map((b) => Math.max(...b.steps.map(([, o, s]) => o + s))), ...rest.steps.map(([, o, s]) => o + s));
  // The limit is drawn when it is near what was used; far above, only the legend names it.
  const limitShown = limit !== null && limit <= highest * 4;
  return {
    end: Math.max(now, events.length > 0 ? events[events.length - 1].time_ns : 0, 1),
    bands,
    rest: rest.count > 0 ? rest : null,
    inUse,
    reserved,
    heap,
    limit,
    limitShown,
    yMax: Math.max(highest, limitShown ? limit : 0),
    failures,
    reclaims,
    compactions,
  };
}
