// device.shrink(): gives wasm memory back by moving. A wasm memory never
// shrinks, but each Device has its own instance and JS names every object by
// a handle the runtime resolves. So the live buffers and the table of objects
// move into a new instance of the same compiled module, sized for what is
// live, with the same handles, generations and ids; then the old instance
// and its memory are dropped. docs/memory-model.md describes the whole move.
import { ERROR_CODES, TensorMemError, fail, show } from './errors.mjs';
import { instantiateSync } from './loader.mjs';

const PAGE = 65536;
// What the new heap may hold beyond the live blocks and the runtime's own
// start-up heap: the images while they are copied, the list of moves, and
// the allocator's per-block overhead. Documented in docs/memory-model.md.
export const SHRINK_HEADROOM = 1 << 20;
const WASM_MAX = 2 ** 31;  // -sMAXIMUM_MEMORY (cmake/TensormemWasm.cmake)

/** The checked options of shrink({ maxHeapBytes }). */
function checkShrinkOptions(options) {
  if (options === null || typeof options !== 'object') {
    fail('INVALID_ARGUMENT', `shrink: options is ${show(options)}; it must be an object`);
  }
  const cap = options.maxHeapBytes ?? Infinity;
  if (typeof cap !== 'number' || !(cap > 0)) {
    fail('INVALID_ARGUMENT', `shrink: maxHeapBytes is ${show(cap)}; it must be a positive number of bytes`);
  }
  return cap;
}

// The error a runtime recorded, read through its own exports and memory.
function errorOf(x, memory) {
  const code = x.tm_last_error();
  const s = new Float64Array(memory.buffer, x.tm_scratch(), 2);
  return new TensorMemError(ERROR_CODES[code], new TextDecoder().decode(new Uint8Array(memory.buffer, s[0], s[1])));
}

// Counters both instances must agree on after the move (tm_stats order: see STATS in device.mjs).
const LIVE_COUNTERS = Object.freeze({ bytesRequested: 1, liveBuffers: 7, liveData: 8, liveTensors: 9 });
function liveCounts(x, memory) {
  const n = x.tm_stats();
  if (n < 0) throw errorOf(x, memory);
  const s = new Float64Array(memory.buffer, x.tm_scratch(), n);
  const counts = {};
  for (const [name, i] of Object.entries(LIVE_COUNTERS)) counts[name] = s[i];
  return counts;
}

/**
 * Moves rt's runtime into a new instance: { heapBefore, heapAfter,
 * bytesMoved, ms }. Before the swap nothing of rt changes: on any failure the
 * new instance is dropped and the error thrown (OUT_OF_MEMORY naming the
 * bytes needed, or the restore's own error).
 */
export function shrink(rt, options = {}) {
  const cap = checkShrinkOptions(options);
  if (rt.lost !== null) fail('DISPOSED', `shrink: the device was lost (${rt.lost})`);
  // Views derived in JavaScript get their entries first: the entry image
  // must hold every reference to every buffer.
  rt.promotePending();
  const start = performance.now();
  const old = { x: rt.x, memory: rt.memory };
  const heapBefore = old.memory.buffer.byteLength;
  if (old.x.tm_export_images() < 0) {
    const error = rt.lastError();
    old.x.tm_drop_images();
    throw error;
  }
  const s = rt.scratch();
  const b = rt.scratchIndex;
  const images = [{ address: s[b], bytes: s[b + 1] }, { address: s[b + 2], bytes: s[b + 3] }];
  const blockBytes = s[b + 4];
  // The new instance calls this host until the swap, rt after it.
  const host = {
    memory: null,
    adopted: false,
    onGrowth() { if (this.adopted) rt.onGrowth(); },
    lose(reason) { if (this.adopted) rt.lose(reason); },
  };
  let fresh = null;
  let result;
  try {
    const imageBytes = images[0].bytes + images[1].bytes;
    const what = () => `${blockBytes} bytes of live blocks and ${imageBytes} bytes of images`;
    try {
      fresh = instantiateSync(rt.module, host);
    } catch (error) {
      fail('OUT_OF_MEMORY', `shrink: could not make a new instance for ${what()} (${error.message}); the device is ` +
        'unchanged');
    }
    const x = fresh.exports;
    const o = rt.options;
    if (x.tm_init(o.maxMemory, o.compactThreshold, o.autoCompact ? 1 : 0, o.debug ? 1 : 0) < 0) {
      const message = new TextDecoder().decode(new Uint8Array(fresh.memory.buffer, x.tm_last_error_message(),
        x.tm_last_error_length()));
      fail(ERROR_CODES[x.tm_last_error()], `shrink: the new instance's runtime did not start: ${message}`);
    }
    const base = fresh.memory.buffer.byteLength;
    const moveBytes = 24 * liveCounts(old.x, old.memory).liveBuffers;
    const needed = Math.ceil((base + blockBytes + imageBytes + moveBytes + SHRINK_HEADROOM) / PAGE) * PAGE;
    if (needed > cap || needed > WASM_MAX) {
      fail('OUT_OF_MEMORY', `shrink: the new heap needs ${needed} bytes (${base} for the runtime, ${what()}, ` +
        `${SHRINK_HEADROOM} of headroom), more than ${needed > cap ? `maxHeapBytes (${cap})` :
        `the wasm heap can hold (${WASM_MAX})`}; the device is unchanged`);
    }
    try {
      fresh.memory.grow((needed - base) / PAGE);
    } catch (error) {
      fail('OUT_OF_MEMORY', `shrink: the new instance's memory could not grow to ${needed} bytes for ${what()} ` +
        `(${error.message}); the device is unchanged`);
    }
    for (let i = 0; i < 2; i++) {
      const to = x.tm_image_room(i, images[i].bytes);
      if (to < 0) throw errorOf(x, fresh.memory);
      new Uint8Array(fresh.memory.buffer, to, images[i].bytes)
        .set(new Uint8Array(old.memory.buffer, images[i].address, images[i].bytes));
    }
    const n = x.tm_restore();
    if (n < 0) throw errorOf(x, fresh.memory);
    const moves = new Float64Array(fresh.memory.buffer, new Float64Array(fresh.memory.buffer, x.tm_scratch(), 1)[0],
      3 * n);
    const from = new Uint8Array(old.memory.buffer);
    const into = new Uint8Array(fresh.memory.buffer);
    let bytesMoved = 0;
    for (let i = 0; i < 3 * n; i += 3) {
      const size = moves[i + 2];
      into.set(from.subarray(moves[i], moves[i] + size), moves[i + 1]);
      bytesMoved += size;
    }
    x.tm_drop_images();
    const before = liveCounts(old.x, old.memory);
    const after = liveCounts(x, fresh.memory);
    for (const name of Object.keys(LIVE_COUNTERS)) {
      if (before[name] !== after[name]) {
        fail('INVALID_ARGUMENT', `shrink: the new instance has ${name} ${after[name]}, the old ${before[name]}; the ` +
          'device is unchanged');
      }
    }
    // A recording goes on in the new instance, as a new one: its events and
    // creation sites lived in the old memory (docs/snapshot-format.md).
    if (rt.history !== null && x.tm_history_start(rt.history.maxEvents) < 0) {
      fail('OUT_OF_MEMORY', `shrink: the new instance cannot hold the history of ${rt.history.maxEvents} events ` +
        'being recorded; the device is unchanged');
    }
    result = { heapBefore, heapAfter: fresh.memory.buffer.byteLength, bytesMoved, ms: 0 };
  } catch (error) {
    if (fresh !== null) {
      try { fresh.exports.tm_shutdown(); } catch { /* the instance is dropped either way */ }
    }
    old.x.tm_drop_images();
    throw error;
  }
  // The swap: from here on every call goes to the new instance.
  rt.x = fresh.exports;
  rt.memory = fresh.memory;
  host.adopted = true;
  rt.scratchIndex = rt.x.tm_scratch() / 8;
  rt.mailboxIndex = rt.x.tm_mailbox() / 8;
  rt.newEpoch();
  rt.refresh();
  if (rt.history !== null) rt.history = { ...rt.history, sites: new Map(), writing: false };
  // Detaches every typed array over the old memory (as growth does), so none
  // keeps it alive; nothing else refers to the old instance.
  old.memory.grow(0);
  result.ms = performance.now() - start;
  return result;
}

/** Device.create's autoShrink option: null, or { ratio, minBytes }. */
export function checkAutoShrink(value) {
  if (value === undefined || value === null || value === false) return null;
  if (typeof value !== 'object') {
    fail('INVALID_ARGUMENT', `Device.create: autoShrink is ${show(value)}; it must be { ratio, minBytes } or null`);
  }
  const ratio = value.ratio ?? 4;
  const minBytes = value.minBytes ?? 64 * 1024 * 1024;
  if (typeof ratio !== 'number' || !(ratio > 1) || ratio === Infinity) {
    fail('INVALID_ARGUMENT', `Device.create: autoShrink.ratio is ${show(ratio)}; it must be a finite number above 1`);
  }
  if (!Number.isSafeInteger(minBytes) || minBytes < 0) {
    fail('INVALID_ARGUMENT', `Device.create: autoShrink.minBytes is ${show(minBytes)}; it must be a non-negative ` +
      'integer number of bytes');
  }
  return Object.freeze({ ratio, minBytes });
}

/**
 * After a dispose or compact (autoShrink set): a shrink at the next quiet
 * point, a microtask, never inside another call, when the heap is then at
 * least minBytes and more than ratio times the bytes of live blocks.
 */
export function queueAutoShrink(rt) {
  if (rt.shrinkQueued) return;
  rt.shrinkQueued = true;
  queueMicrotask(() => {
    rt.shrinkQueued = false;
    if (!rt.alive || rt.lost !== null) return;
    const heap = rt.memory.buffer.byteLength;
    const { ratio, minBytes } = rt.autoShrink;
    if (heap < minBytes) return;
    try {
      rt.promotePending();  // their references count as live
    } catch {
      return;
    }
    const n = rt.x.tm_stats();
    if (n < 0) return;
    const live = rt.scratch()[rt.scratchIndex];  // bytesInUse
    if (heap <= ratio * live || heap <= live + 4 * SHRINK_HEADROOM) return;  // nothing worth a move
    try {
      shrink(rt);
    } catch (error) {
      console.warn(`tensormem: autoShrink could not shrink the device (${error.code}): ${error.message}`);
    }
  });
}
