// The one error type. The runtime's errors arrive with its code and message;
// the few errors found in JS (wrong argument types, disposed objects) use the
// same codes and say which value was wrong.

// Indexed by the runtime's ErrorCode values (error.hpp); 0 is unused.
export const ERROR_CODES = Object.freeze(['OK', 'DISPOSED', 'OUT_OF_BOUNDS', 'INVALID_SHAPE', 'INVALID_ARGUMENT',
  'NOT_VIEWABLE', 'NOT_CONTIGUOUS', 'DTYPE_MISMATCH', 'MEMORY_LIMIT', 'OUT_OF_MEMORY', 'READ_ONLY', 'KERNEL_FAILED']);

// Every package built on tensormem (tensormem itself, kernel packages, a copy
// bundled twice) has its own copy of this class; the brand, registered
// globally, makes `instanceof` accept errors from any of them.
const BRAND = Symbol.for('tensormem.TensorMemError');

export class TensorMemError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }

  static [Symbol.hasInstance](value) {
    return typeof value === 'object' && value !== null && value[BRAND] === true;
  }
}
Object.defineProperty(TensorMemError.prototype, 'name', { value: 'TensorMemError' });
Object.defineProperty(TensorMemError.prototype, BRAND, { value: true });

export function fail(code, message) {
  throw new TensorMemError(code, message);
}

// Intrinsics that inspect a value without running any of its code (no
// getter, no Proxy trap): an error message must not call into user code either.
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype),
  Symbol.toStringTag).get;
const arrayBufferLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;

function isArrayBuffer(value) {
  try {
    arrayBufferLength.call(value);
    return true;
  } catch {
    return false;
  }
}

// A value as a message shows it: strings quoted, bigints with n, objects by kind.
export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return 'a Symbol';
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  const typed = typedArrayName.call(value);
  if (typed !== undefined) return `${/^[AEIOU]/.test(typed) ? 'an' : 'a'} ${typed}`;
  if (isArrayBuffer(value)) return 'an ArrayBuffer';
  return 'an object';
}
