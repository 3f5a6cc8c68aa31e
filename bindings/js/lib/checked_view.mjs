// readDataView(): a typed-array-like view of a DeviceData in which every read
// and write checks that the buffer is alive and the index in range, and that
// follows the wasm heap when it grows.
//
// A view is an ordinary object whose prototype chain ends in a Proxy: an
// index is no own property, so `view[i]` and `view[i] = x` reach the Proxy's
// traps with the view as receiver. Making a view then costs an object, not a
// Proxy; each element access still pays for a trap, so this is the
// compatibility and debugging path, and tensors have the fast checked paths.
import { ARRAY_TYPES, BOOL, DTYPES } from './dtype.mjs';
import { fail } from './errors.mjs';
import { addressOf } from './device_data.mjs';

const DISPOSED_MESSAGE = 'View is no longer valid: buffer has been disposed';
const NOT_NUMERIC = -1;
const NOT_AN_INDEX = -2;

// A property key as an element index: the index, NOT_NUMERIC for names
// ("length"), NOT_AN_INDEX for numeric keys that name no element ("-1", "1.5").
function indexOf(key) {
  if (typeof key !== 'string') return NOT_NUMERIC;
  const n = key.length;
  const c0 = n === 0 ? 0 : key.charCodeAt(0) - 48;
  if (c0 < 0 || c0 > 9) return n !== 0 && key.charCodeAt(0) === 45 ? NOT_AN_INDEX : NOT_NUMERIC;
  let value = c0;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NOT_AN_INDEX;
    value = value * 10 + c;
  }
  return n > 1 && c0 === 0 ? NOT_AN_INDEX : value;
}

let load;   // (view, key, i) => element
let store;  // (view, key, i, value)

export class CheckedView {
  #rt;
  #data;
  #k;
  #first;  // heap index of element 0: a buffer never moves while it lives, and liveness is checked first
  #length;

  constructor(rt, data, k) {
    const Type = ARRAY_TYPES[k];
    this.#rt = rt;
    this.#data = data;
    this.#k = k;
    this.#first = addressOf(data, 'readDataView') / Type.BYTES_PER_ELEMENT;
    this.#length = Math.floor(data.byteLength / Type.BYTES_PER_ELEMENT);
  }

  static {
    const at = (view, key, i) => {
      if (view.#data.isDisposed) fail('DISPOSED', DISPOSED_MESSAGE);
      if (!(i >= 0 && i < view.#length)) {
        fail('OUT_OF_BOUNDS', `Index ${key} out of bounds for array of length ${view.#length}`);
      }
      return view.#first + i;
    };
    load = (view, key, i) => {
      const value = view.#rt.heap(view.#k)[at(view, key, i)];
      return view.#k === BOOL ? value !== 0 : value;
    };
    store = (view, key, i, value) => {
      view.#rt.heap(view.#k)[at(view, key, i)] = view.#k === BOOL ? (value ? 1 : 0) : value;
    };
  }

  get length() { return this.#length; }
  get dtype() { return DTYPES[this.#k]; }
  get isValid() { return !this.#data.isDisposed; }
  get [Symbol.toStringTag]() { return 'CheckedView'; }

  *[Symbol.iterator]() {
    for (let i = 0; i < this.#length; i++) yield load(this, i, i);
  }
}

Object.setPrototypeOf(CheckedView.prototype, new Proxy(Object.prototype, {
  get(target, key, view) {
    const i = indexOf(key);
    return i === NOT_NUMERIC ? Reflect.get(target, key, view) : load(view, key, i);
  },
  set(target, key, value, view) {
    const i = indexOf(key);
    if (i === NOT_NUMERIC) fail('INVALID_ARGUMENT', `Cannot set property ${String(key)} of a checked view`);
    store(view, key, i, value);
    return true;
  },
  // `has` gets no receiver, so `i in view` cannot know the view's length: false for indices.
  has(target, key) {
    return indexOf(key) === NOT_NUMERIC && Reflect.has(target, key);
  },
}));
