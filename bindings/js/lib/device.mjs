// Device: one runtime with its own wasm instance and memory.
import { checkedView } from './checked_view.mjs';
import { DeviceData, addressOf, byteLengthOf, dataRuntimeOf, isDeviceData, viewCacheOf } from './device_data.mjs';
import {
  BOOL, DTYPES, INT64, MAX_DIMS, bytesOf, dtypeIndex, dtypeOfArray, elementOf, isArray, isRevoked, listLength, newElements,
  outsideHeap, typedArrayLength, typedArrayName, typedArraySet, typedElements,
} from './dtype.mjs';
import { fail, show } from './errors.mjs';
import { kernelsOf } from './kernels.mjs';
import { compiledModule as compileRuntime, instantiate } from './loader.mjs';
import { INTERNAL, handleOf, idOf, internalsOf } from './resource.mjs';
import { Runtime } from './runtime.mjs';
import { checkAutoShrink, queueAutoShrink, shrink } from './shrink.mjs';
import { Tensor, createTensor, layoutOf } from './tensor.mjs';
import { DEVICE_GUARD, fromTransferable } from './transfer.mjs';

const MiB = 1024 * 1024;
const DEFAULTS = Object.freeze({ maxMemory: 256 * MiB, compactThreshold: 0.8, autoCompact: true, debug: false });

// Each option is read once (a getter runs once), here.
function checkOptions(options) {
  if (options === null || typeof options !== 'object' || isRevoked(options)) {
    fail('INVALID_ARGUMENT', `Device.create: options is ${show(options)}; it must be an object`);
  }
  const resolved = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== typeof DEFAULTS[key]) {
      fail('INVALID_ARGUMENT', `Device.create: ${key} is ${show(value)}; it must be a ${typeof DEFAULTS[key]}`);
    }
    resolved[key] = value;
  }
  resolved.autoShrink = checkAutoShrink(options.autoShrink);
  return Object.freeze(resolved);
}

// getMemoryStats() counters in the order tm_stats() writes them.
const STATS = Object.freeze(['bytesInUse', 'bytesRequested', 'bytesCached', 'totalAllocated', 'peakBytesInUse',
  'peakBytesReserved', 'maxMemory', 'liveBuffers', 'liveData', 'liveTensors', 'allocCount', 'freeCount', 'poolHits',
  'poolMisses', 'compactions', 'bytesReleased', 'failedAllocations', 'guardViolations', 'failedReleases']);

export class Device {
  #rt;
  #options;
  #kernels;
  notCloneable = DEVICE_GUARD;  // postMessage / structuredClone throw (transfer.mjs)

  constructor(token) {
    if (token !== INTERNAL) throw new TypeError('use `await Device.create(options)`');
  }

  /** Loads (once per process) and instantiates a runtime with its own wasm memory. */
  static async create(options = {}) {
    const resolved = checkOptions(options);
    // Each loading option read once (a getter could answer differently each time).
    const source = { wasmUrl: options.wasmUrl, wasmBinary: options.wasmBinary, locateFile: options.locateFile };
    const device = new Device(INTERNAL);
    const rt = new Runtime(device, resolved);
    rt.start(await instantiate(source, rt), resolved);
    rt.autoShrink = resolved.autoShrink;
    device.#options = resolved;
    device.#rt = rt;
    try {
      device.#kernels = kernelsOf(rt);
    } catch (error) {
      rt.shutdown();
      throw error;
    }
    return device;
  }

  /** The compiled runtime (compiled once per location), to hand to workers' Device.create({ wasmBinary }). */
  static async compile(options = {}) {
    checkOptions(options);
    return compileRuntime(options);
  }

  get options() { return this.#options; }
  get isDisposed() { return !this.#rt.alive; }
  /** The kernels compiled into this device's wasm runtime, as methods. */
  get kernels() { return this.#kernels; }

  #live(op) {
    const rt = this.#rt;
    if (!rt.alive) fail('DISPOSED', `${op}: the device was disposed`);
    return rt;
  }

  // An argument that must be this device's DeviceData.
  #data(data, op) {
    if (!isDeviceData(data)) fail('INVALID_ARGUMENT', `${op}: data is ${show(data)}; it must be a DeviceData`);
    if (dataRuntimeOf(data) !== this.#rt) {
      fail('INVALID_ARGUMENT', `${op}: DeviceData #${internalsOf(data).handle(data)} belongs to another device`);
    }
    return data;
  }

  // --- raw buffers ---------------------------------------------------------------
  createData(byteLength) {
    return this.#createData(this.#live('createData'), Runtime.num(byteLength, 'createData', 'byteLength'));
  }

  #createData(rt, bytes) {
    const h = rt.x.tm_create_data(bytes);
    if (h < 0) rt.raise();
    return new DeviceData(INTERNAL, rt, h, bytes);
  }

  createDataWithBuffer(buffer) {
    const rt = this.#live('createDataWithBuffer');
    // A copy when `buffer` views this device's heap: the allocation may grow (and detach) it.
    const bytes = bytesOf(buffer, 'createDataWithBuffer', rt.heap(3).buffer);
    const data = this.#createData(rt, typedArrayLength(bytes));
    try {
      typedArraySet(rt.heap(3), bytes, addressOf(data, 'createDataWithBuffer'));
    } catch (error) {
      data.dispose();
      throw error;
    }
    return data;
  }

  readDataView(data, dtype = 'uint8') {
    const rt = this.#live('readDataView');
    const address = addressOf(this.#data(data, 'readDataView'), 'readDataView');  // DISPOSED now, not at the first access
    const k = dtypeIndex(dtype, 'readDataView');
    // One view per buffer and dtype: a checked view has no state of its own
    // (it refuses properties), and making its Proxy is most of the call.
    const views = viewCacheOf(data);
    return views[k] ??= checkedView(rt, data, k, address);
  }

  async readData(data) {
    this.#live('readData');
    this.#data(data, 'readData');
    const address = addressOf(data, 'readData');
    // One copy, straight into the returned buffer.
    return this.#rt.heap(3).slice(address, address + byteLengthOf(data)).buffer;
  }

  async writeData(data, buffer, byteOffset = 0) {
    const rt = this.#live('writeData');
    this.#data(data, 'writeData');
    const bytes = bytesOf(buffer, 'writeData', null);  // nothing is allocated before the copy
    const n = typedArrayLength(bytes);
    if (!Number.isInteger(byteOffset)) {
      fail('INVALID_ARGUMENT', `writeData: byteOffset is ${show(byteOffset)}; it must be an integer`);
    }
    const address = addressOf(data, 'writeData');
    const byteLength = byteLengthOf(data);
    if (!(byteOffset >= 0 && byteOffset + n <= byteLength)) {
      fail('OUT_OF_BOUNDS', `writeData: ${n} bytes at byteOffset ${show(byteOffset)} do not fit in ` +
        `DeviceData #${idOf(data)} of ${byteLength} bytes`);
    }
    typedArraySet(rt.heap(3), bytes, address + byteOffset);
  }

  disposeData(data) {
    internalsOf(this.#data(data, 'disposeData')).dispose(data);
  }

  // --- tensors ---------------------------------------------------------------------
  empty(shape, dtype = 'float32') {
    return createTensor(this.#live('empty'), dtypeIndex(dtype, 'empty'), shape, 0, 'empty');
  }

  zeros(shape, dtype = 'float32') {
    return createTensor(this.#live('zeros'), dtypeIndex(dtype, 'zeros'), shape, 1, 'zeros');
  }

  // Every user value is read first, in argument order (a typed array, taken
  // now, is copied if it views this device's heap, which code in the options
  // could grow; the options; the shape; the first element of nested arrays),
  // then the tensor is allocated, which checks the shape and the memory
  // limit; nested arrays are then read into a local array (their getters
  // run) and copied in after the tensor and the heap are looked up again.
  tensor(values, options = {}) {
    const rt = this.#live('tensor');
    const name = typedArrayName(values);
    const source = name === undefined ? values : outsideHeap(values, name, rt.heap(3).buffer, 'tensor');
    if (options === null || typeof options !== 'object' || isRevoked(options)) {
      fail('INVALID_ARGUMENT', `tensor: options is ${show(options)}; it must be an object`);
    }
    const dtype = options.dtype;
    const shapeOption = options.shape;
    let k = dtype === undefined ? -1 : dtypeIndex(dtype, 'tensor');
    const shape = shapeOption === undefined ? undefined : rt.copyInts(shapeOption, 'tensor', 'shape');
    if (name !== undefined) {
      if (k < 0) k = dtypeOfArray(name);
      if (k < 0) fail('INVALID_ARGUMENT', `tensor: values is ${show(values)}, which holds no tensormem dtype`);
      const elements = typedElements(source, name, k, null, 'tensor');
      const count = typedArrayLength(elements);
      const t = createTensor(rt, k, shape ?? [count], 0, 'empty');
      return this.#filled(t, count, (m) => typedArraySet(rt.heap(k), elements, m.first));
    }
    if (isArray(values)) {
      const { shape: inferred, first } = inferShape(values);
      if (k < 0) k = kindOf(first);
      const count = inferred.reduce((a, b) => a * b, 1);
      const t = createTensor(rt, k, shape ?? inferred, 0, 'empty');
      return this.#filled(t, count, (m) => {
        const elements = readNested(values, inferred, k, m.size);  // runs getters and traps
        const after = layoutOf(t);  // DISPOSED if they disposed the device
        typedArraySet(rt.heap(k), elements, after.first);
      });
    }
    if (typeof values === 'number' || typeof values === 'bigint' || typeof values === 'boolean') {
      if (k < 0) k = kindOf(values);
      const element = elementOf(values, k, 'tensor', 'values', -1);
      const t = createTensor(rt, k, shape ?? [], 0, 'empty');
      return this.#filled(t, 1, (m) => { rt.heap(k)[m.first] = element; });
    }
    return fail('INVALID_ARGUMENT', `tensor: values is ${show(values)}; it must be a typed array, an array or a number`);
  }

  // t, after fillIn(its layout) wrote its `count` values; disposed on any failure.
  #filled(t, count, fillIn) {
    try {
      const m = layoutOf(t);
      if (count !== m.size) {
        fail('INVALID_SHAPE', `tensor: ${count} values for shape [${m.shape.join(', ')}] (${m.size} elements)`);
      }
      fillIn(m);
    } catch (error) {
      t.dispose();
      throw error;
    }
    return t;
  }

  fromTransferable(message) {
    this.#live('fromTransferable');
    return fromTransferable(this, message);
  }

  fromData(data, dtype, shape) {
    const rt = this.#live('fromData');
    this.#data(data, 'fromData');
    const k = dtypeIndex(dtype, 'fromData');
    const n = shape === undefined ? -1 : rt.putInts(shape, 'fromData', 'shape');  // user code runs here
    const result = rt.x.tm_from_data(handleOf(data, 'fromData'), k, n);
    if (result < 0) rt.raise();
    return new Tensor(INTERNAL, rt, result, k);
  }

  // --- lifetimes ---------------------------------------------------------------------
  scope(fn) {
    return this.#live('scope').runScope(fn);
  }

  keep(object) {
    this.#live('keep');
    const internals = internalsOf(object);
    if (internals === null) fail('INVALID_ARGUMENT', `keep: ${show(object)} is not a Tensor or DeviceData`);
    if (internals.runtime(object) !== this.#rt) {
      fail('INVALID_ARGUMENT', `keep: ${internals.kind} #${internals.handle(object)} belongs to another device`);
    }
    internals.live(object, 'keep');
    internals.keep(object);
    return object;
  }

  liveAllocations() {
    const rt = this.#live('liveAllocations');
    return liveObjects(rt).map((object) => {
      const entry = { kind: object.kind === DATA ? 'data' : 'tensor', id: object.id, bufferId: object.bufferIndex,
        bytes: object.bytes, dtype: object.dtype, shape: object.shape };
      if (rt.stacks !== null) entry.stack = rt.stacks.get(object.handle);
      return entry;
    });
  }

  // --- history (docs/snapshot-format.md) -------------------------------------------------
  recordHistory(options = {}) {
    const rt = this.#live('recordHistory');
    const { maxEvents, stacks } = checkHistoryOptions(options);
    rt.startHistory(maxEvents, stacks);
  }

  stopHistory() {
    const rt = this.#live('stopHistory');
    if (rt.history !== null) rt.stopHistory();
  }

  snapshot() {
    const rt = this.#live('snapshot');
    rt.promotePending();  // views derived in JavaScript are owners too
    const history = rt.history;
    if (history !== null) history.writing = true;
    let text;
    try {
      const address = rt.x.tm_snapshot();
      if (address < 0) rt.raise();
      text = rt.string(address, rt.scratch()[rt.scratchIndex]);
    } finally {
      if (history !== null) history.writing = false;
    }
    const snapshot = JSON.parse(text);
    snapshot.producer.layer = 'device';
    const created = new Map();  // owner id -> time of its object_created event
    for (const event of snapshot.history?.events ?? []) {
      if (event.kind === 'object_created') created.set(event.owner.id, event.time_ns);
    }
    const buffers = new Map(snapshot.buffers.map((b) => [`${b.index}:${b.generation}`, b]));
    for (const b of snapshot.buffers) b.owners = [];
    for (const object of liveObjects(rt)) {
      const owners = buffers.get(`${object.bufferIndex}:${object.bufferGeneration}`).owners;
      let kind = OWNER_KINDS[object.kind];
      // Made before recording: a tensor over a buffer an older object holds is a view of it.
      if (kind === 'tensor' && !created.has(object.id) && owners.length !== 0) kind = 'view';
      owners.push({ id: object.id, kind, dtype: object.kind === DATA ? null : object.dtype,
        shape: object.kind === DATA ? null : object.shape, site: object.site < 0 ? null : object.site,
        created_ns: created.get(object.id) ?? null });
    }
    for (const b of snapshot.buffers) b.owners.sort((x, y) => x.id - y.id);
    const stats = this.getMemoryStats();
    snapshot.device = { wasm_heap_bytes: stats.wasmHeapBytes, live_data: stats.liveData,
      live_tensors: stats.liveTensors, leaks_reclaimed: stats.leaksReclaimed,
      stacks: rt.history?.stacks === true || this.#options.debug };
    return snapshot;
  }

  // --- memory ---------------------------------------------------------------------------
  getMemoryStats() {
    const rt = this.#live('getMemoryStats');
    rt.promotePending();  // views derived in JavaScript count as live tensors
    const count = rt.x.tm_stats();
    if (count < 0) rt.raise();
    if (count !== STATS.length) throw new Error(`tensormem: the runtime reports ${count} counters, expected ${STATS.length}`);
    const s = rt.scratch();
    const stats = {};
    for (let i = 0; i < count; i++) stats[STATS[i]] = s[rt.scratchIndex + i];
    stats.leaksReclaimed = rt.leaks;
    stats.wasmHeapBytes = rt.memory.buffer.byteLength;
    return stats;
  }

  performIntensiveCleanup() {
    const rt = this.#live('performIntensiveCleanup');
    const released = rt.x.tm_compact();
    if (released < 0) rt.raise();
    if (rt.autoShrink !== null) queueAutoShrink(rt);
    return released;
  }

  /**
   * Gives wasm memory back: moves every live buffer and object into a new
   * instance sized for what is live (docs/memory-model.md), keeping every
   * handle, id and value. { heapBefore, heapAfter, bytesMoved, ms }.
   */
  shrink(options = {}) {
    return shrink(this.#live('shrink'), options);
  }

  compact() {
    this.#live('compact');
    return this.performIntensiveCleanup();
  }

  dispose() { this.#rt?.shutdown(); }
  [Symbol.dispose]() { this.#rt?.shutdown(); }

  toString() { return `Device(${!this.#rt.alive ? 'disposed' : `${this.#rt.memory.buffer.byteLength} heap bytes`})`; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

// recordHistory() options, each read once; unknown keys are ignored (as Device.create does).
const HISTORY_DEFAULTS = Object.freeze({ maxEvents: 16384, stacks: false });
function checkHistoryOptions(options) {
  if (options === null || typeof options !== 'object' || isRevoked(options)) {
    fail('INVALID_ARGUMENT', `recordHistory: options is ${show(options)}; it must be an object`);
  }
  let { maxEvents, stacks } = options;
  maxEvents = maxEvents === undefined ? HISTORY_DEFAULTS.maxEvents : maxEvents;
  stacks = stacks === undefined ? HISTORY_DEFAULTS.stacks : stacks;
  if (!Number.isSafeInteger(maxEvents) || maxEvents <= 0) {
    fail('INVALID_ARGUMENT', `recordHistory: maxEvents is ${show(maxEvents)}; it must be a positive integer`);
  }
  if (typeof stacks !== 'boolean') {
    fail('INVALID_ARGUMENT', `recordHistory: stacks is ${show(stacks)}; it must be a boolean`);
  }
  return { maxEvents, stacks };
}

// The runtime's OwnerKind values (history.hpp), by number.
const OWNER_KINDS = Object.freeze(['none', 'data', 'tensor', 'view', 'kernel_output']);
const DATA = 1;

// Every live object, in slot order, as tm_live_object() describes it.
function liveObjects(rt) {
  rt.promotePending();  // views derived in JavaScript, too
  const list = [];
  for (let cursor = 0; ;) {
    cursor = rt.x.tm_live_object(cursor);
    if (cursor < 0) rt.raise();
    if (cursor === 0) return list;
    const s = rt.scratch();
    const b = rt.scratchIndex;
    const ndim = s[b + 7];
    list.push({ id: s[b], handle: s[b + 1], kind: s[b + 8 + MAX_DIMS], bufferIndex: s[b + 3],
      bufferGeneration: s[b + 4], bytes: s[b + 5], dtype: DTYPES[s[b + 6]],
      shape: Array.from(s.subarray(b + 8, b + 8 + ndim)), site: s[b + 9 + MAX_DIMS] });
  }
}

// The shape of nested arrays, from the chain of first elements, and the first
// value (undefined when an array is empty). Refuses cycles and nesting
// deeper than a tensor can have.
function inferShape(values) {
  const shape = [];
  const chain = [];
  let level = values;
  while (isArray(level)) {
    if (chain.includes(level)) {
      fail('INVALID_SHAPE', `tensor: nested array contains itself at [${shape.map(() => 0).join(', ')}]`);
    }
    if (shape.length === MAX_DIMS) {
      fail('INVALID_SHAPE', `tensor: nested array is nested more than ${MAX_DIMS} deep; at most ${MAX_DIMS} dims are ` +
        'supported');
    }
    chain.push(level);
    const n = listLength(level, 'tensor', 'values');
    shape.push(n);
    if (n === 0) return { shape, first: undefined };
    level = level[0];
  }
  return { shape, first: level };
}

// The values of nested arrays of `shape` (count elements) in row-major order,
// converted to dtype k in a new typed array. Every level must be an array of
// its dim's length, and every value an element.
function readNested(values, shape, k, count) {
  const out = newElements(k, count, 'tensor');
  const ndim = shape.length;
  const path = [];
  let next = 0;
  const ragged = (found) => {
    fail('INVALID_SHAPE', `tensor: nested array is ragged at [${path.join(', ')}]: ${found}`);
  };
  const walk = (level, d) => {
    if (!isArray(level)) ragged(`expected ${shape[d]} elements, found ${show(level)}`);
    const n = listLength(level, 'tensor', 'values');
    if (n !== shape[d]) ragged(`expected ${shape[d]} elements, found ${n}`);
    if (d === ndim - 1) {
      for (let i = 0; i < n; i++) {
        const value = level[i];
        if (typeof value === 'number' && k < INT64) {
          out[next++] = value;
          continue;
        }
        if (isArray(value)) {
          path.push(i);
          ragged('an array where a value was expected');
        }
        out[next] = elementOf(value, k, 'tensor', 'values', next);
        next++;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      path.push(i);
      walk(level[i], d + 1);
      path.pop();
    }
  };
  walk(values, 0);
  return out;
}

function kindOf(value) {
  if (typeof value === 'bigint') return INT64;
  if (typeof value === 'boolean') return BOOL;
  return 0;
}
