// Element types, in the order of the C++ enum tensormem::DType (checked
// against the runtime when a device starts).
import { fail, show } from './errors.mjs';

export const DTYPES = Object.freeze(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
  'int64', 'uint64', 'bool']);
export const BOOL = 10;
// The typed array holding each dtype's elements (bool: bytes 0/1).
export const ARRAY_TYPES = Object.freeze([Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array,
  Int32Array, Uint32Array, BigInt64Array, BigUint64Array, Uint8Array]);

export function isBigIntDtype(k) {
  return k === 8 || k === 9;
}

export function dtypeIndex(dtype, op) {
  const k = DTYPES.indexOf(dtype);
  if (k < 0) fail('INVALID_ARGUMENT', `${op}: dtype ${show(dtype)} is not one of ${DTYPES.join(', ')}`);
  return k;
}

// The dtype a typed array holds (Uint8ClampedArray: uint8), or -1.
export function dtypeOfArray(values) {
  if (values instanceof Uint8ClampedArray) return 3;
  const k = ARRAY_TYPES.indexOf(values.constructor);
  return k === BOOL ? 3 : k;
}
