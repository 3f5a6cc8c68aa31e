// DeviceData: a raw buffer in wasm memory (the seed's device API).
import { ARRAY_TYPES, dtypeIndex } from './dtype.mjs';
import { Resource, handleOf, kReleased } from './resource.mjs';

const FIRST_ELEMENT = 3;  // described::kFirstElement in js_runtime.hpp

export let addressOf;  // (data, op) => byte address of the buffer, or DISPOSED

export class DeviceData extends Resource {
  #rt;
  #byteLength;
  #address = -1;  // until first needed

  constructor(token, rt, handle, byteLength) {
    super(token, rt, handle);
    this.#rt = rt;
    this.#byteLength = byteLength;
  }

  static {
    addressOf = (data, op) => {
      const h = handleOf(data, op);
      if (data.#address < 0) {
        const rt = data.#rt;
        if (rt.x.tm_describe(h) < 0) rt.raise();
        data.#address = rt.scratch()[rt.scratchIndex + FIRST_ELEMENT];
      }
      return data.#address;
    };
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

  [kReleased]() { this.#address = -1; }

  get [Symbol.toStringTag]() { return 'DeviceData'; }
  toString() { return `DeviceData(#${this.id}, ${this.#byteLength} bytes${this.isDisposed ? ', disposed' : ''})`; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}
