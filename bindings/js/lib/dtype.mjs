// Element types, in the order of the C++ enum tensormem::DType (checked
// against the runtime when a device starts), and reading user values as
// elements, bytes and lists.
//
// Nothing here runs user code on a value it reads: typed arrays are read
// through the built-in getters (a `length` getter defined on an instance or
// a subclass is never called), and values are taken by type, never coerced
// (no valueOf, toString or Symbol.toPrimitive). Lists are the exception
// where user code cannot be avoided: reading an array's elements runs their
// getters and a Proxy's traps, so callers read lists into locals before they
// resolve handles or take heap views.
import { fail, show } from './errors.mjs';

export const DTYPES = Object.freeze(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
  'int64', 'uint64', 'bool']);
export const INT64 = 8, UINT64 = 9, BOOL = 10;
export const MAX_DIMS = 8;  // kMaxDims: dims of a tensor
// The typed array holding each dtype's elements (bool: bytes 0/1).
export const ARRAY_TYPES = Object.freeze([Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array,
  Int32Array, Uint32Array, BigInt64Array, BigUint64Array, Uint8Array]);

export function isBigIntDtype(k) {
  return k === INT64 || k === UINT64;
}

const DTYPE_INDEX = new Map(DTYPES.map((name, k) => [name, k]));  // a Map runs no user code for any key

export function dtypeIndex(dtype, op) {
  const k = DTYPE_INDEX.get(dtype);
  if (k === undefined) fail('INVALID_ARGUMENT', `${op}: dtype ${show(dtype)} is not one of ${DTYPES.join(', ')}`);
  return k;
}

// --- typed arrays, through the built-in getters ----------------------------------
// (Closures over `.call`, which V8 inlines, where a bound `call` it does not.)
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype);
const getterOf = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const tagGetter = getterOf(TypedArrayPrototype, Symbol.toStringTag);  // undefined for anything else, Proxies too
const lengthGetter = getterOf(TypedArrayPrototype, 'length');
const bufferGetter = getterOf(TypedArrayPrototype, 'buffer');
const byteOffsetGetter = getterOf(TypedArrayPrototype, 'byteOffset');
const byteLengthGetter = getterOf(TypedArrayPrototype, 'byteLength');
const values = TypedArrayPrototype.values;
const set = TypedArrayPrototype.set;
const arrayBufferByteLengthGetter = getterOf(ArrayBuffer.prototype, 'byteLength');
const dataViewBufferGetter = getterOf(DataView.prototype, 'buffer');
const dataViewByteOffsetGetter = getterOf(DataView.prototype, 'byteOffset');
const dataViewByteLengthGetter = getterOf(DataView.prototype, 'byteLength');
const tagOf = (value) => tagGetter.call(value);
const lengthOf = (view) => lengthGetter.call(view);
const bufferOf = (view) => bufferGetter.call(view);
const byteOffsetOf = (view) => byteOffsetGetter.call(view);
const byteLengthOf = (view) => byteLengthGetter.call(view);
const valuesOf = (view) => values.call(view);
const arrayBufferByteLength = (buffer) => arrayBufferByteLengthGetter.call(buffer);
const dataViewBuffer = (view) => dataViewBufferGetter.call(view);
const dataViewByteOffset = (view) => dataViewByteOffsetGetter.call(view);
const dataViewByteLength = (view) => dataViewByteLengthGetter.call(view);
/** target.set(source, offset) of the built-in %TypedArray%.prototype.set. */
export const typedArraySet = (target, source, offset) => set.call(target, source, offset);

/** The name of a typed array's type ('Float32Array', ...), or undefined for any other value. */
export const typedArrayName = tagOf;
/** The element count of a value typedArrayName() named. */
export const typedArrayLength = lengthOf;

const DTYPE_OF_ARRAY = new Map([
  ['Uint8ClampedArray', 3], ...ARRAY_TYPES.slice(0, BOOL).map((Type, k) => [Type.name, k]),
]);

/** The dtype a typed array of this name holds (Uint8ClampedArray: uint8), or -1. */
export function dtypeOfArray(name) {
  return DTYPE_OF_ARRAY.get(name) ?? -1;
}

const DETACHED = 'its buffer was transferred or resized, or it viewed wasm memory that has grown since';

/** The length of a typed array named `name`; fails if it views a detached (or shrunk) buffer. */
export function attachedLength(view, name, op, what) {
  const n = lengthOf(view);
  if (n === 0) checkAttached(view, name, op, what);
  return n;
}

function checkAttached(view, name, op, what) {
  try {
    valuesOf(view);  // throws on a detached or out-of-bounds view, and only then
  } catch {
    fail('INVALID_ARGUMENT', `${op}: ${what} is a detached ${name}: ${DETACHED}`);
  }
}

/** A new typed array for n elements of dtype k. */
export function newElements(k, n, op) {
  return allocate(ARRAY_TYPES[k], n, op);
}

// A new typed array; RangeError (no memory for it) becomes OUT_OF_MEMORY.
function allocate(Type, n, op) {
  try {
    return new Type(n);
  } catch {
    return fail('OUT_OF_MEMORY', `${op}: no memory for a ${Type.name} of ${n} elements to convert the values into`);
  }
}

// --- values that are not lists ---------------------------------------------------

/** Whether a value is a revoked Proxy (or one whose target is), which throws on every use. */
export function isRevoked(value) {
  try {
    Array.isArray(value);
    return false;
  } catch {
    return true;
  }
}

/** Array.isArray, false for a revoked Proxy instead of a TypeError. */
export function isArray(value) {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * The length of an array or array-like object, read once (a Proxy's trap
 * runs); fails unless it is a valid array length.
 */
export function listLength(list, op, what) {
  if (list === null || typeof list !== 'object' || isRevoked(list)) {
    fail('INVALID_ARGUMENT', `${op}: ${what} is ${show(list)}; it must be an array or typed array`);
  }
  return arrayLength(list, op, what);
}

/** The same for a value Array.isArray accepted (so not a revoked Proxy). */
export function arrayLength(list, op, what) {
  const n = list.length;
  return typeof n === 'number' && n >>> 0 === n ? n : badLength(n, op, what);
}

function badLength(n, op, what) {
  return fail('INVALID_ARGUMENT', `${op}: ${what} has length ${show(n)}; it must be an array or typed array`);
}

// --- elements -----------------------------------------------------------------------

/**
 * One value as dtype k stores it: a number, or a bigint for int64/uint64.
 * Numbers, booleans and bigints are taken (bool: their truthiness, 0 or 1;
 * int64/uint64: integral numbers); any other value fails, naming `what`
 * (with `[i]` when i >= 0).
 */
export function elementOf(value, k, op, what, i) {
  if (typeof value === 'number') {
    if (k < INT64) return value;
    if (k === BOOL) return value ? 1 : 0;
    if (Number.isInteger(value)) return BigInt(value);
  } else if (typeof value === 'boolean') {
    if (k === INT64 || k === UINT64) return value ? 1n : 0n;
    return value ? 1 : 0;
  } else if (typeof value === 'bigint') {
    if (k === INT64 || k === UINT64) return value;
    return k === BOOL ? (value !== 0n ? 1 : 0) : Number(value);
  }
  const name = i >= 0 ? `${what}[${i}]` : what;
  const element = `${DTYPES[k][0] === 'i' ? 'an' : 'a'} ${DTYPES[k]} element`;  // an int8, a uint8
  const accepted = k === INT64 || k === UINT64 ? 'a bigint, an integral number or a boolean'
    : 'a number, a boolean or a bigint';
  return fail('INVALID_ARGUMENT', `${op}: ${name} is ${show(value)}; ${element} must be ${accepted}`);
}

const TYPED_ARRAYS = new Map([Uint8ClampedArray, ...ARRAY_TYPES].map((Type) => [Type.name, Type]));

/**
 * A typed array named `name`, or a copy of it when it lies in `heapBuffer`
 * (the device's wasm memory, which an allocation or user code may detach).
 */
export function outsideHeap(view, name, heapBuffer, op) {
  const n = attachedLength(view, name, op, 'values');
  if (bufferOf(view) !== heapBuffer) return view;
  const copy = allocate(TYPED_ARRAYS.get(name), n, op);
  typedArraySet(copy, view, 0);
  return copy;
}

/**
 * The elements of a typed array (named `name`, as typedArrayName gave) as a
 * typed array of dtype k: the view itself when it already is one and lies
 * outside `heapBuffer` (the device's wasm memory, which an allocation may
 * detach and a write may overwrite), else a converted copy.
 */
export function typedElements(view, name, k, heapBuffer, op) {
  const n = attachedLength(view, name, op, 'values');
  const Type = ARRAY_TYPES[k];
  const bigSource = name === 'BigInt64Array' || name === 'BigUint64Array';
  if (k !== BOOL && bigSource === isBigIntDtype(k)) {
    if (name === Type.name && bufferOf(view) !== heapBuffer) return view;
    const copy = allocate(Type, n, op);
    typedArraySet(copy, view, 0);  // converts as typed arrays convert
    return copy;
  }
  const out = allocate(Type, n, op);
  for (let i = 0; i < n; i++) out[i] = elementOf(view[i], k, op, 'values', i);
  return out;
}

/** The first n elements of an array or array-like as a new typed array of dtype k. Runs getters and traps. */
export function listElements(list, n, k, op) {
  const out = allocate(ARRAY_TYPES[k], n, op);
  for (let i = 0; i < n; i++) {
    const v = list[i];
    out[i] = typeof v === 'number' && k < INT64 ? v : elementOf(v, k, op, 'values', i);
  }
  return out;
}

// --- bytes -----------------------------------------------------------------------------

/**
 * The bytes of an ArrayBuffer, typed array or DataView as a Uint8Array; a
 * copy when they lie in `heapBuffer` (pass the wasm memory's buffer when an
 * allocation follows, which may detach it; null otherwise).
 */
export function bytesOf(value, op, heapBuffer) {
  let buffer, offset, length;
  const name = tagOf(value);
  if (name !== undefined) {
    buffer = bufferOf(value);
    offset = byteOffsetOf(value);
    length = byteLengthOf(value);
    if (length === 0) checkAttached(value, name, op, 'buffer');
  } else if (isDataView(value)) {
    buffer = dataViewBuffer(value);
    try {
      offset = dataViewByteOffset(value);
      length = dataViewByteLength(value);
    } catch {
      fail('INVALID_ARGUMENT', `${op}: buffer is a detached DataView: ${DETACHED}`);
    }
  } else if (isArrayBuffer(value)) {
    buffer = value;
    offset = 0;
    length = arrayBufferByteLength(value);
    if (length === 0 && isDetachedBuffer(value)) {
      fail('INVALID_ARGUMENT', `${op}: buffer is a detached ArrayBuffer: it was transferred`);
    }
  } else {
    fail('INVALID_ARGUMENT', `${op}: buffer is ${show(value)}; it must be an ArrayBuffer or a typed array`);
  }
  const bytes = new Uint8Array(buffer, offset, length);
  if (buffer !== heapBuffer) return bytes;
  const copy = allocate(Uint8Array, length, op);
  typedArraySet(copy, bytes, 0);
  return copy;
}

function isDataView(value) {
  try {
    dataViewBuffer(value);
    return true;
  } catch {
    return false;
  }
}

function isArrayBuffer(value) {
  try {
    arrayBufferByteLength(value);
    return true;
  } catch {
    return false;
  }
}

function isDetachedBuffer(buffer) {
  try {
    new Uint8Array(buffer);
  } catch {
    return true;
  }
  return false;
}
