// readDataView(): a typed-array-like view of a DeviceData in which every read
// and write checks that the buffer is alive and the index in range, and that
// follows the wasm heap when it grows. A Proxy, so ~200 ns per access: the
// compatibility and debugging path; tensors have fast checked paths.
import { ARRAY_TYPES, BOOL, DTYPES } from './dtype.mjs';
import { fail } from './errors.mjs';
import { addressOf } from './device_data.mjs';

export function checkedView(rt, data, k) {
  const length = Math.floor(data.byteLength / ARRAY_TYPES[k].BYTES_PER_ELEMENT);
  return new Proxy({ rt, data, k, length }, handler);
}

const DISPOSED_MESSAGE = 'View is no longer valid: buffer has been disposed';

// The element index of a property key, or -1 when the key is not numeric.
function indexKey(key) {
  if (typeof key !== 'string' || key.length === 0) return -1;
  const c = key.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 45 ? 1 : -1;
}

// Heap index of element `key`, after the checks.
function locate(view, key) {
  if (view.data.isDisposed) fail('DISPOSED', DISPOSED_MESSAGE);
  const i = Number(key);
  if (!(Number.isInteger(i) && i >= 0 && i < view.length)) {
    fail('OUT_OF_BOUNDS', `Index ${key} out of bounds for array of length ${view.length}`);
  }
  return addressOf(view.data, 'readDataView') / ARRAY_TYPES[view.k].BYTES_PER_ELEMENT + i;
}

function* elements(view) {
  for (let i = 0; i < view.length; i++) yield handler.get(view, String(i));
}

const handler = {
  get(view, key) {
    if (indexKey(key) > 0) {
      const at = locate(view, key);
      const value = view.rt.heap(view.k)[at];
      return view.k === BOOL ? value !== 0 : value;
    }
    switch (key) {
      case 'length': return view.length;
      case 'dtype': return DTYPES[view.k];
      case 'isValid': return !view.data.isDisposed;
      case Symbol.iterator: return () => elements(view);
      case Symbol.toStringTag: return 'CheckedView';
      default: return undefined;
    }
  },
  set(view, key, value) {
    if (indexKey(key) < 0) fail('INVALID_ARGUMENT', `Cannot set property ${String(key)} of a checked view`);
    const at = locate(view, key);
    view.rt.heap(view.k)[at] = view.k === BOOL ? (value ? 1 : 0) : value;
    return true;
  },
  has(view, key) {
    if (indexKey(key) > 0) {
      const i = Number(key);
      return !view.data.isDisposed && Number.isInteger(i) && i >= 0 && i < view.length;
    }
    return key === 'length' || key === 'dtype' || key === 'isValid' || key === Symbol.iterator;
  },
  ownKeys(view) {
    if (view.data.isDisposed) return [];
    return Array.from({ length: view.length }, (_, i) => String(i));
  },
  getOwnPropertyDescriptor(view, key) {
    if (!handler.has(view, key) || indexKey(key) < 0) return undefined;
    return { value: handler.get(view, key), writable: true, enumerable: true, configurable: true };
  },
  defineProperty() { fail('INVALID_ARGUMENT', 'A checked view has no properties to define'); },
  deleteProperty() { fail('INVALID_ARGUMENT', 'A checked view has no properties to delete'); },
};
