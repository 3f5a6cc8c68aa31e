// The fuzzer's reference model: buffers as plain JS bytes, tensors as
// layouts over them, and what each operation should give, written from the
// documented contract (index.d.ts, include/tensormem/layout.hpp) without
// looking at how the package computes it.
//
// A model tensor keeps the layout the package reports, but that layout is
// verified when the tensor is made: every element of a view must sit where
// the source's element it stands for sits (views), or hold that element's
// value (copies). From then on the model predicts every read through any view
// of a buffer from the buffer's bytes.

import { indices, product, rowMajorStrides } from '../support.mjs';

export { indices, product, rowMajorStrides };

export const DTYPES = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
  'bool'];
export const ARRAY_TYPES = [Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array,
  Uint32Array, BigInt64Array, BigUint64Array, Uint8Array];
export const INT64 = 8, UINT64 = 9, BOOL = 10;
export const MAX_DIMS = 8;
export const isBig = (k) => k === INT64 || k === UINT64;

/** Thrown by the model when a call that succeeded should have failed. */
export class Invalid extends Error {}
const invalid = (why) => { throw new Invalid(why); };

export const sameArray = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
/** Element lists equal as stored values: -0 is not 0, NaN is NaN. */
export const sameValues = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
export const isInt = (v) => typeof v === 'number' && Number.isSafeInteger(v);

/** Bytes of one buffer; `known` is false when its contents are unspecified (empty(), a stale source). */
export class ModelBuffer {
  constructor(byteLength, known = true) {
    this.bytes = new Uint8Array(byteLength);
    this.known = known;
  }
  elements(k) {
    const Type = ARRAY_TYPES[k];
    return new Type(this.bytes.buffer, 0, Math.floor(this.bytes.length / Type.BYTES_PER_ELEMENT));
  }
}

export const position = (t, index) => index.reduce((at, i, d) => at + i * t.strides[d], t.offset);

/** An element as read() gives it: bool as 0/1. */
export function readElement(t, index) {
  const v = t.buf.elements(t.k)[position(t, index)];
  return t.k === BOOL ? (v !== 0 ? 1 : 0) : v;
}

export const contentOf = (t) => Array.from(indices(t.shape), (index) => readElement(t, index));

/** Whether a layout repeats elements (a stride-0 dim of size > 1): writes are refused. */
export const aliases = (t) => t.shape.some((s, d) => s > 1 && t.strides[d] === 0) && product(t.shape) > 0;

// --- element values -------------------------------------------------------------

/** Whether `value` is accepted as an element of dtype k (index.d.ts: numbers, booleans, bigints). */
export function acceptsElement(value, k) {
  if (typeof value === 'boolean' || typeof value === 'bigint') return true;
  if (typeof value !== 'number') return false;
  return !isBig(k) || Number.isInteger(value);
}

/** Stores an accepted value as dtype k stores it (typed array semantics; bool: truthiness). */
export function storeElement(elements, at, value, k) {
  if (k === BOOL) elements[at] = (typeof value === 'bigint' ? value !== 0n : Boolean(value)) ? 1 : 0;
  else if (isBig(k)) elements[at] = typeof value === 'bigint' ? value : BigInt(value);
  else elements[at] = typeof value === 'bigint' ? Number(value) : Number(value);
}

/** The elements a typed array gives dtype k (write(), tensor()), or Invalid. */
export function convertTyped(source, k) {
  const Type = ARRAY_TYPES[k];
  const out = new Type(source.length);
  const bigSource = source instanceof BigInt64Array || source instanceof BigUint64Array;
  if (k !== BOOL && bigSource === isBig(k)) {
    out.set(source);
    return out;
  }
  for (let i = 0; i < source.length; i++) {
    if (!acceptsElement(source[i], k)) invalid(`element ${i} (${source[i]}) is not a ${DTYPES[k]} value`);
    storeElement(out, i, source[i], k);
  }
  return out;
}

export function convertList(values, k) {
  const out = new ARRAY_TYPES[k](values.length);
  values.forEach((v, i) => {
    if (!acceptsElement(v, k)) invalid(`values[${i}] is not a ${DTYPES[k]} value`);
    storeElement(out, i, v, k);
  });
  return out;
}


// --- layouts of view ops: the result's shape and, for each result index, the source index ---

const wrap = (dim, n) => {
  if (!isInt(dim) || dim < -n || dim >= n) invalid(`dim ${dim} out of range for ${n} dims`);
  return dim < 0 ? dim + n : dim;
};

function unravel(flat, shape) {
  const index = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}
const ravel = (index, shape) => index.reduce((acc, i, d) => acc * shape[d] + i, 0);

function sameElements(src, shape) {
  return { shape, map: (index) => unravel(ravel(index, shape), src.shape) };
}

/** reshape/view: the shape with one -1 inferred. */
export function reshaped(src, list) {
  if (list.length > MAX_DIMS) invalid('too many dims');
  if (!list.every(isInt)) invalid('not integers');
  const holes = list.filter((s) => s === -1).length;
  if (holes > 1 || list.some((s) => s < -1)) invalid('bad sizes');
  const size = product(src.shape);
  let shape = list.map((s) => (Object.is(s, -0) ? 0 : s));
  if (holes === 1) {
    const rest = product(shape.filter((s) => s !== -1));
    if (rest === 0 || size % rest !== 0) invalid('cannot infer -1');
    shape = shape.map((s) => (s === -1 ? size / rest : s));
  }
  if (product(shape) !== size) invalid('element count differs');
  return sameElements(src, shape);
}

export function flattened(src, start, end) {
  const n = src.shape.length;
  if (n === 0) {
    if (![0, -1].includes(start) || ![0, -1].includes(end)) invalid('dims of a 0-d tensor');
    return sameElements(src, [1]);
  }
  const s = wrap(start, n), e = wrap(end, n);
  if (s > e) invalid('start after end');
  const shape = [...src.shape.slice(0, s), product(src.shape.slice(s, e + 1)), ...src.shape.slice(e + 1)];
  return sameElements(src, shape);
}

export function squeezed(src, dim) {
  if (dim === undefined) return sameElements(src, src.shape.filter((s) => s !== 1));
  const d = wrap(dim, src.shape.length);
  if (src.shape[d] !== 1) invalid('not size 1');
  return sameElements(src, src.shape.filter((_, i) => i !== d));
}

export function unsqueezed(src, dim) {
  const n = src.shape.length;
  if (!isInt(dim) || dim < -(n + 1) || dim > n || n === MAX_DIMS) invalid('unsqueeze dim');
  const d = dim < 0 ? dim + n + 1 : dim;
  return sameElements(src, [...src.shape.slice(0, d), 1, ...src.shape.slice(d)]);
}

export function selected(src, dim, index) {
  const d = wrap(dim, src.shape.length);
  const size = src.shape[d];
  if (!isInt(index)) invalid('index');
  const i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) invalid('index out of range');
  return { shape: src.shape.filter((_, e) => e !== d), map: (idx) => [...idx.slice(0, d), i, ...idx.slice(d)] };
}

export function narrowed(src, dim, start, length) {
  const d = wrap(dim, src.shape.length);
  const size = src.shape[d];
  if (!isInt(start) || !isInt(length)) invalid('narrow args');
  const first = start < 0 ? start + size : start;
  if (first < 0 || first > size || length < 0 || length > size - first) invalid('narrow range');
  const shape = src.shape.slice();
  shape[d] = length;
  return { shape, map: (idx) => idx.map((i, e) => (e === d ? i + first : i)) };
}

export function permuted(src, dims) {
  const n = src.shape.length;
  if (dims.length !== n) invalid('permute count');
  const order = dims.map((dim) => wrap(dim, n));
  if (new Set(order).size !== n) invalid('permute repeats');
  return {
    shape: order.map((d) => src.shape[d]),
    map: (idx) => {
      const out = new Array(n);
      order.forEach((d, i) => { out[d] = idx[i]; });
      return out;
    },
  };
}

export function transposed(src, dim0, dim1) {
  const n = src.shape.length;
  const a = wrap(dim0, n), b = wrap(dim1, n);
  const dims = [...Array(n).keys()];
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permuted(src, dims);
}

export function expanded(src, list) {
  const n = src.shape.length;
  if (list.length > MAX_DIMS || list.length < n || !list.every(isInt)) invalid('expand shape');
  const leading = list.length - n;
  const shape = list.map((target, d) => {
    if (d < leading) {
      if (target < 0) invalid('new dim size');
      return target;
    }
    const size = src.shape[d - leading];
    if (target === -1 || target === size) return size;
    if (size !== 1 || target < 0) invalid('expand size');
    return target;
  });
  return {
    shape,
    map: (idx) => idx.slice(leading).map((i, d) => (src.shape[d] === 1 ? 0 : i)),
  };
}

/** slice specs as the fuzzer gave them (effective values): number, null/undefined, or [start, stop, step]. */
export function sliced(src, specs) {
  const n = src.shape.length;
  if (specs.length > n) invalid('too many specs');
  const picks = [];  // per source dim: { index } or { start, step, length }
  specs.forEach((spec, d) => {
    const size = src.shape[d];
    if (spec === null || spec === undefined) {
      picks.push({ start: 0, step: 1, length: size });
    } else if (typeof spec === 'number') {
      if (!isInt(spec)) invalid('index spec');
      const i = spec < 0 ? spec + size : spec;
      if (i < 0 || i >= size) invalid('index spec range');
      picks.push({ index: i });
    } else {
      const [start, stop, stepValue] = spec;
      const step = stepValue === null || stepValue === undefined ? 1 : stepValue;
      for (const v of [start, stop]) if (v !== null && v !== undefined && !isInt(v)) invalid('bound');
      if (!isInt(step) || step === 0) invalid('step');
      const has = (v) => v !== null && v !== undefined;
      let first, last, length;
      if (step > 0) {
        first = has(start) ? start : 0;
        last = has(stop) ? stop : size;
        if (first < 0) first += size;
        if (last < 0) last += size;
        if (first < 0 || first > size || last < 0 || last > size) invalid('bound range');
        length = last > first ? Math.floor((last - first - 1) / step) + 1 : 0;
      } else {
        first = has(start) ? start : size - 1;
        last = has(stop) ? stop : -1;
        if (has(start) && first < 0) first += size;
        if (has(stop) && last < 0) last += size;
        if (has(start) && (first < 0 || first >= size)) invalid('start range');
        if (has(stop) && (last < 0 || last > size)) invalid('stop range');
        length = first > last ? Math.floor((first - last - 1) / -step) + 1 : 0;
      }
      picks.push({ start: first, step, length });
    }
  });
  for (let d = specs.length; d < n; d++) picks.push({ start: 0, step: 1, length: src.shape[d] });
  const kept = picks.map((p, d) => [p, d]).filter(([p]) => p.index === undefined);
  return {
    shape: kept.map(([p]) => p.length),
    map: (idx) => {
      const out = new Array(n);
      let r = 0;
      picks.forEach((p, d) => { out[d] = p.index !== undefined ? p.index : p.start + idx[r++] * p.step; });
      return out;
    },
  };
}

// --- conversions between dtypes (to()): the runtime's rules (include/tensormem/convert.hpp) ---

const INT_BITS = { 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 32, 8: 64, 9: 64 };
const SIGNED = new Set([2, 4, 6, 8]);
const isFloat = (k) => k === 0 || k === 1;

/**
 * An element of dtype `from` (as stored: a number, a bigint, or 0/1 for bool)
 * converted to dtype `to`, or undefined where the model does not promise the
 * exact value (int64 beyond 2^53 to float32: JS would round twice).
 */
export function convertElement(v, from, to) {
  if (from === to) return v;
  if (to === BOOL) return (typeof v === 'bigint' ? v !== 0n : v !== 0) ? 1 : 0;  // NaN != 0: true
  if (from === BOOL) return isBig(to) ? BigInt(v) : v;
  if (isFloat(to)) {
    if (typeof v === 'bigint' && to === 0 && (v > 2n ** 53n || v < -(2n ** 53n))) return undefined;
    const n = Number(v);
    return to === 0 ? Math.fround(n) : n;
  }
  const bits = INT_BITS[to];
  const signed = SIGNED.has(to);
  let big;
  if (isFloat(from)) {
    if (Number.isNaN(v)) return isBig(to) ? 0n : 0;
    const low = signed ? -(2 ** (bits - 1)) : 0;
    const high = signed ? 2 ** (bits - 1) : 2 ** bits;
    if (v < low) big = BigInt(low);
    else if (v >= high) big = BigInt(high) - 1n;
    else big = BigInt(Math.trunc(v));
  } else {
    big = BigInt(v);
  }
  const wrapped = signed ? BigInt.asIntN(bits, big) : BigInt.asUintN(bits, big);
  return isBig(to) ? wrapped : Number(wrapped);
}
