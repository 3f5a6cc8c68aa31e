// DeviceData: a raw buffer in wasm memory (the device API of createData/readDataView).
import { ARRAY_TYPES, dtypeIndex } from './dtype.mjs';
import { DISPOSED, KEPT, addClass, checkToken, disposedError, register, release, seal } from './resource.mjs';
import { DATA_GUARD } from './transfer.mjs';

const FIRST_ELEMENT = 3;  // described::kFirstElement in js_runtime.hpp

export let addressOf;  // (data, op) => byte address of the buffer, or DISPOSED
export let isDeviceData;  // (value) => whether it is a DeviceData (no user code runs)
export let byteLengthOf;  // (data) => its byteLength
export let dataRuntimeOf;  // (data) => its Runtime
export let isDataLive;  // (data) => whether it is neither disposed nor of a disposed device
export let viewCacheOf;  // (data) => its checked views by dtype, right after addressOf(data)

export class DeviceData {
  #rt;
  #h;
  #id;
  #state = 0;
  #byteLength;
  // { address, epoch, views } once needed: the byte address and the runtime's
  // epoch when it was read (see Runtime.epoch), and readDataView's checked
  // views by dtype. One field: each field of an object made per createData costs.
  #at = null;
  notCloneable = DATA_GUARD;  // postMessage / structuredClone throw (transfer.mjs)

  constructor(token, rt, handle, byteLength) {
    checkToken(token);
    this.#rt = rt;
    this.#h = handle;
    this.#id = rt.createdId();
    this.#byteLength = byteLength;
    rt.track(this, handle);
  }

  static {
    isDeviceData = (value) => value !== null && typeof value === 'object' && #h in value;
    byteLengthOf = (data) => data.#byteLength;
    dataRuntimeOf = (data) => data.#rt;
    isDataLive = (data) => (data.#state & DISPOSED) === 0 && data.#rt.alive;
    addClass({
      kind: 'DeviceData',
      is: isDeviceData,
      handle: (data) => data.#h,
      id: (data) => data.#id,
      live: (data, op) => data.#live(op),
      runtime: (data) => data.#rt,
      kept: (data) => (data.#state & KEPT) !== 0,
      keep: (data) => { data.#state |= KEPT; },
      register: (data, registry) => {
        data.#state = register(data, 'DeviceData', data.#rt, data.#h, data.#state, registry);
      },
      promote: () => {},  // always has its entry
      dispose: (data) => data.#dispose(),
    });
    viewCacheOf = (data) => data.#at.views;
    addressOf = (data, op) => {
      const h = data.#live(op);
      const rt = data.#rt;
      const at = data.#at;
      if (at !== null && at.epoch === rt.epoch) return at.address;
      if (rt.x.tm_describe(h) < 0) rt.raise();
      const address = rt.scratch()[rt.scratchIndex + FIRST_ELEMENT];
      data.#at = { address, epoch: rt.epoch, views: [] };
      return address;
    };
  }

  /** Unique per device, never reused: 1, 2, 3... in creation order. */
  get id() { return this.#id; }
  get device() { return this.#rt.device; }
  get isDisposed() { return (this.#state & DISPOSED) !== 0 || !this.#rt.alive; }
  [Symbol.dispose]() { this.#dispose(); }

  #live(op) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) disposedError('DeviceData', this.#rt, this.#id, op);
    return this.#h;
  }

  /** Frees the buffer (unless tensors view it). Idempotent. */
  dispose() { this.#dispose(); }

  #dispose() {
    const state = this.#state;
    if ((state & DISPOSED) !== 0) return;
    this.#state = state | DISPOSED;
    this.#at = null;
    release(this, this.#rt, this.#h, state);
  }

  get byteLength() { return this.#byteLength; }

  /**
   * The raw typed array over the buffer: fast and unchecked. Invalidated by
   * dispose() and by any growth of the wasm memory.
   */
  view(dtype = 'uint8') {
    const k = dtypeIndex(dtype, 'view');
    const address = addressOf(this, 'view');
    const Type = ARRAY_TYPES[k];
    return new Type(this.#rt.memory.buffer, address, Math.floor(this.#byteLength / Type.BYTES_PER_ELEMENT));
  }


  get [Symbol.toStringTag]() { return 'DeviceData'; }
  toString() {
    const disposed = (this.#state & DISPOSED) !== 0 || !this.#rt.alive;
    return `DeviceData(#${this.#id}, ${this.#byteLength} bytes${disposed ? ', disposed' : ''})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

seal(DeviceData);
