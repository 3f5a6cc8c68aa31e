// DeviceData: a raw buffer in wasm memory (the device API of createData/readDataView).
import { ARRAY_TYPES, dtypeIndex } from './dtype.mjs';
import {
  DISPOSED, KEPT, checkToken, disposedError, kHandle, kKeep, kKept, kLive, kRegister, kRuntime, register, release,
  seal,
} from './resource.mjs';
import { DATA_GUARD } from './transfer.mjs';

const FIRST_ELEMENT = 3;  // described::kFirstElement in js_runtime.hpp

export let addressOf;  // (data, op) => byte address of the buffer, or DISPOSED

export class DeviceData {
  #rt;
  #h;
  #id;
  #state = 0;
  #byteLength;
  #address = -1;  // until first needed
  notCloneable = DATA_GUARD;  // postMessage / structuredClone throw (transfer.mjs)

  constructor(token, rt, handle, byteLength) {
    checkToken(token);
    this.#rt = rt;
    this.#h = handle;
    this.#id = rt.createdId();
    this.#byteLength = byteLength;
    rt.track(this);
  }

  static {
    addressOf = (data, op) => {
      const h = data.#live(op);
      if (data.#address < 0) {
        const rt = data.#rt;
        if (rt.x.tm_describe(h) < 0) rt.raise();
        data.#address = rt.scratch()[rt.scratchIndex + FIRST_ELEMENT];
      }
      return data.#address;
    };
  }

  /** Unique per device, never reused: 1, 2, 3... in creation order. */
  get id() { return this.#id; }
  get device() { return this.#rt.device; }
  get isDisposed() { return (this.#state & DISPOSED) !== 0 || !this.#rt.alive; }
  [Symbol.dispose]() { this.dispose(); }

  #live(op) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) disposedError(this, this.#rt, op);
    return this.#h;
  }
  [kLive](op) { return this.#live(op); }
  get [kRuntime]() { return this.#rt; }
  get [kHandle]() { return this.#h; }
  get [kKept]() { return (this.#state & KEPT) !== 0; }
  [kKeep]() { this.#state |= KEPT; }
  [kRegister](registry) { this.#state = register(this, this.#rt, this.#h, this.#state, registry); }

  /** Frees the buffer (unless tensors view it). Idempotent. */
  dispose() {
    const state = this.#state;
    if ((state & DISPOSED) !== 0) return;
    this.#state = state | DISPOSED;
    this.#address = -1;
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
  toString() { return `DeviceData(#${this.id}, ${this.#byteLength} bytes${this.isDisposed ? ', disposed' : ''})`; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

seal(DeviceData);
