// readDataView(): a typed-array-like view of a DeviceData in which every read
// and write checks that the buffer is alive and the index in range, and that
// follows the wasm heap when it grows. A Proxy: every access pays for a trap
// (measured: a Proxy per view beats an ordinary object over a Proxy
// prototype, whose element loads V8 cannot cache), so this is the
// compatibility and debugging path; tensors have the fast checked paths.
import { ARRAY_TYPES, BOOL, DTYPES, elementOf } from './dtype.mjs';
import { fail } from './errors.mjs';
import { addressOf, byteLengthOf, isDataLive } from './device_data.mjs';

// The view's state; `first` is the heap index of element 0, read again when
// device.shrink() has moved the buffers since (rt.epoch); liveness is checked
// before every use of it.
export function checkedView(rt, data, k) {
  const Type = ARRAY_TYPES[k];
  const first = addressOf(data, 'readDataView') / Type.BYTES_PER_ELEMENT;
  const length = Math.floor(byteLengthOf(data) / Type.BYTES_PER_ELEMENT);
  return new Proxy({ rt, data, k, first, epoch: rt.epoch, length }, handler);
}

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

// Heap index of element `key`, after the checks.
function locate(view, key, i) {
  if (!isDataLive(view.data)) fail('DISPOSED', DISPOSED_MESSAGE);
  if (!(i >= 0 && i < view.length)) fail('OUT_OF_BOUNDS', `Index ${key} out of bounds for array of length ${view.length}`);
  if (view.epoch !== view.rt.epoch) {
    view.first = addressOf(view.data, 'checked view') / ARRAY_TYPES[view.k].BYTES_PER_ELEMENT;
    view.epoch = view.rt.epoch;
  }
  return view.first + i;
}

// Iterating checks the buffer is alive even when the view has no elements.
function* elements(view) {
  if (!isDataLive(view.data)) fail('DISPOSED', DISPOSED_MESSAGE);
  for (let i = 0; i < view.length; i++) yield handler.get(view, String(i));
}

const handler = {
  get(view, key) {
    const i = indexOf(key);
    if (i !== NOT_NUMERIC) {
      const at = locate(view, key, i);
      const value = view.rt.heap(view.k)[at];
      return view.k === BOOL ? value !== 0 : value;
    }
    switch (key) {
      case 'length': return view.length;
      case 'dtype': return DTYPES[view.k];
      case 'isValid': return isDataLive(view.data);
      case Symbol.iterator: return () => elements(view);
      case Symbol.toStringTag: return 'CheckedView';
      default: return undefined;
    }
  },
  // The value is converted first, as Tensor.set converts it (never coerced:
  // no valueOf runs), then the element is located and written.
  set(view, key, value) {
    const i = indexOf(key);
    if (i === NOT_NUMERIC) fail('INVALID_ARGUMENT', `Cannot set property ${String(key)} of a checked view`);
    const element = elementOf(value, view.k, 'checked view', `the value for element ${key}`, -1);
    const at = locate(view, key, i);
    view.rt.heap(view.k)[at] = element;
    return true;
  },
  has(view, key) {
    const i = indexOf(key);
    if (i !== NOT_NUMERIC) return isDataLive(view.data) && i >= 0 && i < view.length;
    return key === 'length' || key === 'dtype' || key === 'isValid' || key === Symbol.iterator;
  },
  ownKeys(view) {
    if (!isDataLive(view.data)) return [];
    return Array.from({ length: view.length }, (_, i) => String(i));
  },
  getOwnPropertyDescriptor(view, key) {
    const i = indexOf(key);
    if (i < 0 || !handler.has(view, key)) return undefined;
    return { value: handler.get(view, key), writable: true, enumerable: true, configurable: true };
  },
  defineProperty() { fail('INVALID_ARGUMENT', 'A checked view has no properties to define'); },
  deleteProperty() { fail('INVALID_ARGUMENT', 'A checked view has no properties to delete'); },
  // Its elements come and go with the buffer, which a frozen or sealed object could not report.
  preventExtensions() { fail('INVALID_ARGUMENT', 'A checked view cannot be frozen, sealed or made non-extensible'); },
  setPrototypeOf() { fail('INVALID_ARGUMENT', 'A checked view has no prototype to set'); },
};
