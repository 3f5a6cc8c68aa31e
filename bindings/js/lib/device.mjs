// Device: one runtime with its own wasm instance and memory.
import { checkedView } from './checked_view.mjs';
import { DeviceData, addressOf } from './device_data.mjs';
import { BOOL, DTYPES, dtypeIndex, dtypeOfArray } from './dtype.mjs';
import { fail, show } from './errors.mjs';
import { kernelsOf } from './kernels.mjs';
import { compiledModule as compileRuntime, instantiate } from './loader.mjs';
import { INTERNAL, handleOf, kKeep, runtimeOf } from './resource.mjs';
import { Runtime } from './runtime.mjs';
import { Tensor, fill, layoutOf } from './tensor.mjs';
import { DEVICE_GUARD, fromTransferable } from './transfer.mjs';

const MiB = 1024 * 1024;
const DEFAULTS = Object.freeze({ maxMemory: 256 * MiB, compactThreshold: 0.8, autoCompact: true, debug: false });

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
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
    const device = new Device(INTERNAL);
    const rt = new Runtime(device, resolved);
    rt.start(await instantiate(options, rt), resolved);
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
    if (!(data instanceof DeviceData)) fail('INVALID_ARGUMENT', `${op}: data is ${show(data)}; it must be a DeviceData`);
    if (runtimeOf(data) !== this.#rt) fail('INVALID_ARGUMENT', `${op}: DeviceData #${data.id} belongs to another device`);
    return data;
  }

  // --- raw buffers ---------------------------------------------------------------
  createData(byteLength) {
    const rt = this.#live('createData');
    const bytes = Runtime.num(byteLength, 'createData', 'byteLength');
    const h = rt.x.tm_create_data(bytes);
    if (h < 0) rt.raise();
    return new DeviceData(INTERNAL, rt, h, bytes);
  }

  createDataWithBuffer(buffer) {
    this.#live('createDataWithBuffer');
    const bytes = asBytes(buffer, 'createDataWithBuffer');
    const data = this.createData(bytes.byteLength);
    this.#rt.heap(3).set(bytes, addressOf(data, 'createDataWithBuffer'));
    return data;
  }

  readDataView(data, dtype = 'uint8') {
    this.#live('readDataView');
    handleOf(this.#data(data, 'readDataView'), 'readDataView');  // DISPOSED now, not at the first access
    return checkedView(this.#rt, data, dtypeIndex(dtype, 'readDataView'));
  }

  async readData(data) {
    this.#data(data, 'readData');
    const address = addressOf(data, 'readData');
    // One copy, straight into the returned buffer.
    return this.#rt.heap(3).slice(address, address + data.byteLength).buffer;
  }

  async writeData(data, buffer, byteOffset = 0) {
    this.#data(data, 'writeData');
    const bytes = asBytes(buffer, 'writeData');
    const address = addressOf(data, 'writeData');
    if (!Number.isInteger(byteOffset)) {
      fail('INVALID_ARGUMENT', `writeData: byteOffset is ${show(byteOffset)}; it must be an integer`);
    }
    if (!(byteOffset >= 0 && byteOffset + bytes.byteLength <= data.byteLength)) {
      fail('OUT_OF_BOUNDS', `writeData: ${bytes.byteLength} bytes at byteOffset ${show(byteOffset)} do not fit in ` +
        `DeviceData #${data.id} of ${data.byteLength} bytes`);
    }
    this.#rt.heap(3).set(bytes, address + byteOffset);
  }

  disposeData(data) {
    this.#data(data, 'disposeData').dispose();
  }

  // --- tensors ---------------------------------------------------------------------
  empty(shape, dtype = 'float32') { return this.#make(shape, dtype, 0, 'empty'); }
  zeros(shape, dtype = 'float32') { return this.#make(shape, dtype, 1, 'zeros'); }

  #make(shape, dtype, zero, op) {
    const rt = this.#live(op);
    const k = dtypeIndex(dtype, op);
    const h = rt.x.tm_empty(k, rt.putInts(shape, op, 'shape'), zero);
    if (h < 0) rt.raise();
    return new Tensor(INTERNAL, rt, h, k);
  }

  tensor(values, options = {}) {
    this.#live('tensor');
    if (options === null || typeof options !== 'object') {
      fail('INVALID_ARGUMENT', `tensor: options is ${show(options)}; it must be an object`);
    }
    const { flat, shape: inferred, k: inferredK } = flatten(values);
    const k = options.dtype === undefined ? inferredK : dtypeIndex(options.dtype, 'tensor');
    const shape = options.shape ?? inferred;
    const t = this.empty(shape, DTYPES[k]);
    try {
      const m = layoutOf(t);
      if (flat.length !== m.size) {
        fail('INVALID_SHAPE', `tensor: ${flat.length} values for shape [${m.shape.join(', ')}] (${m.size} elements)`);
      }
      fill(this.#rt.heap(k), m.first, flat, k, 'tensor');
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
    const h = handleOf(this.#data(data, 'fromData'), 'fromData');
    const k = dtypeIndex(dtype, 'fromData');
    const result = rt.x.tm_from_data(h, k, shape === undefined ? -1 : rt.putInts(shape, 'fromData', 'shape'));
    if (result < 0) rt.raise();
    return new Tensor(INTERNAL, rt, result, k);
  }

  // --- lifetimes ---------------------------------------------------------------------
  scope(fn) {
    return this.#live('scope').runScope(fn);
  }

  keep(object) {
    this.#live('keep');
    if (!(object instanceof Tensor) && !(object instanceof DeviceData)) {
      fail('INVALID_ARGUMENT', `keep: ${show(object)} is not a Tensor or DeviceData`);
    }
    if (runtimeOf(object) !== this.#rt) fail('INVALID_ARGUMENT', `keep: ${object} belongs to another device`);
    handleOf(object, 'keep');
    object[kKeep]();
    return object;
  }

  liveAllocations() {
    const rt = this.#live('liveAllocations');
    const list = [];
    for (let cursor = 0; ;) {
      cursor = rt.x.tm_live_object(cursor);
      if (cursor < 0) rt.raise();
      if (cursor === 0) return list;
      const s = rt.scratch();
      const b = rt.scratchIndex;
      const ndim = s[b + 7];
      const entry = { kind: s[b + 2] === 1 ? 'data' : 'tensor', id: s[b], bufferId: s[b + 3], bytes: s[b + 5],
        dtype: DTYPES[s[b + 6]], shape: Array.from(s.subarray(b + 8, b + 8 + ndim)) };
      if (rt.stacks !== null) entry.stack = rt.stacks.get(s[b + 1]);
      list.push(entry);
    }
  }

  // --- memory ---------------------------------------------------------------------------
  getMemoryStats() {
    const rt = this.#live('getMemoryStats');
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
    return released;
  }

  compact() {
    this.#live('compact');
    return this.performIntensiveCleanup();
  }

  dispose() { this.#rt?.shutdown(); }
  [Symbol.dispose]() { this.dispose(); }

  toString() { return `Device(${this.isDisposed ? 'disposed' : `${this.#rt.memory.buffer.byteLength} heap bytes`})`; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

function asBytes(buffer, op) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return fail('INVALID_ARGUMENT', `${op}: buffer is ${show(buffer)}; it must be an ArrayBuffer or a typed array`);
}

// Values, a row-major flat list and its shape: typed arrays and flat arrays
// are 1-d, nested arrays give their nesting, a lone value is 0-d.
function flatten(values) {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    const k = dtypeOfArray(values);
    if (k < 0) fail('INVALID_ARGUMENT', `tensor: values is ${show(values)}, which holds no tensormem dtype`);
    return { flat: values, shape: [values.length], k };
  }
  if (!Array.isArray(values)) {
    if (typeof values === 'number' || typeof values === 'bigint' || typeof values === 'boolean') {
      return { flat: [values], shape: [], k: kindOf(values) };
    }
    return fail('INVALID_ARGUMENT', `tensor: values is ${show(values)}; it must be a typed array, an array or a number`);
  }
  const shape = [];
  for (let level = values; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat = [];
  const walk = (level, d, path) => {
    if (d === shape.length) {
      if (Array.isArray(level)) fail('INVALID_SHAPE', `tensor: nested array is ragged at [${path}]: an array where a value was expected`);
      flat.push(level);
      return;
    }
    if (!Array.isArray(level) || level.length !== shape[d]) {
      fail('INVALID_SHAPE', `tensor: nested array is ragged at [${path}]: expected ${shape[d]} elements, found ` +
        `${Array.isArray(level) ? level.length : show(level)}`);
    }
    for (let i = 0; i < level.length; i++) walk(level[i], d + 1, path === '' ? `${i}` : `${path}, ${i}`);
  };
  walk(values, 0, '');
  return { flat, shape, k: flat.length === 0 ? 0 : kindOf(flat[0]) };
}

function kindOf(value) {
  if (typeof value === 'bigint') return 8;
  if (typeof value === 'boolean') return BOOL;
  return 0;
}

