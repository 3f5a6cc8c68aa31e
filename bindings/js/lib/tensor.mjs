// Tensor: a plain JS object holding a handle on a runtime tensor (a strided
// view of a refcounted buffer). View ops are one raw wasm call each; element
// access checks indices here against a cached layout and reads the heap
// directly ("check once, then raw"); every failure is reported in the
// runtime's words by its slow path.
import { ARRAY_TYPES, BOOL, DTYPES, dtypeIndex, isBigIntDtype } from './dtype.mjs';
import { fail, show } from './errors.mjs';
import {
  DISPOSED, INTERNAL, KEPT, checkToken, disposedError, kHandle, kKeep, kKept, kLive, kRegister, kRuntime, register,
  release, seal,
} from './resource.mjs';
import { Runtime } from './runtime.mjs';
import { TENSOR_GUARD, toTransferable } from './transfer.mjs';

// described:: in js_runtime.hpp
const NDIM = 0, OFFSET = 2, FIRST = 3, FLAGS = 4, NUMEL = 5, SHAPE = 6, STRIDES = 14;
const CONTIGUOUS = 1, READ_ONLY = 2;
// tm_require(): checks and the op names it reports
const WRITABLE = 1, CONTIGUOUS_CHECK = 2, OP_SET = 0, OP_WRITE = 1, OP_VIEW = 2;
const SPEC_DOUBLES = 4;

const num = Runtime.num;

export let layoutOf;  // (tensor) => its Layout (described on first use), or DISPOSED
export let isTensor;  // (value) => whether it is a Tensor: a brand check, which runs no Proxy trap or getter

// A described layout, read by the element fast paths. `shape` and `strides`
// are plain arrays (a frozen array reads slower in V8); the getters hand out
// the frozen copies.
class Layout {
  constructor(rt, s, b) {
    const ndim = s[b + NDIM];
    const shape = new Array(ndim);
    const strides = new Array(ndim);
    for (let d = 0; d < ndim; d++) {
      shape[d] = s[b + SHAPE + d];
      strides[d] = s[b + STRIDES + d];
    }
    this.rt = rt;
    this.shape = shape;
    this.strides = strides;
    this.offset = s[b + OFFSET];
    this.first = s[b + FIRST];  // heap index (in elements) of element [0, ..., 0]
    this.flags = s[b + FLAGS];
    this.size = s[b + NUMEL];
    this.shapeOut = Object.freeze(shape.slice());
    this.stridesOut = Object.freeze(strides.slice());
  }
}

export class Tensor {
  // Six fields: a view op makes one of these, and each field costs.
  #rt;
  #h;
  #id;
  #state = 0;
  #k;               // dtype index
  #m = undefined;   // Layout, once described; undefined again after dispose
  notCloneable = TENSOR_GUARD;  // postMessage / structuredClone throw (transfer.mjs)

  constructor(token, rt, handle, k) {
    checkToken(token);
    this.#rt = rt;
    this.#h = handle;
    this.#id = rt.createdId();
    this.#k = k;
    rt.track(this);
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

  /** Releases this view. Idempotent. The buffer lives while other views hold it. */
  dispose() {
    const state = this.#state;
    if ((state & DISPOSED) !== 0) return;
    this.#state = state | DISPOSED;
    this.#m = undefined;
    release(this, this.#rt, this.#h, state);
  }

  // --- metadata --------------------------------------------------------------
  #layout(op) {
    const m = this.#m;
    if (m !== undefined) {
      this.#live(op);
      return m;
    }
    const rt = this.#rt;
    if (rt.x.tm_describe(this.#live(op)) < 0) rt.raise();
    return (this.#m = new Layout(rt, rt.scratch(), rt.scratchIndex));
  }

  static {
    layoutOf = (t) => t.#layout('tensor');
    isTensor = (value) => typeof value === 'object' && value !== null && #h in value;
  }


  get dtype() { return DTYPES[this.#k]; }
  get shape() { return this.#layout('shape').shapeOut; }
  get strides() { return this.#layout('strides').stridesOut; }
  get offset() { return this.#layout('offset').offset; }
  get size() { return this.#layout('size').size; }
  get ndim() { return this.#layout('ndim').shape.length; }
  get isContiguous() { return (this.#layout('isContiguous').flags & CONTIGUOUS) !== 0; }
  get isReadOnly() { return (this.#layout('isReadOnly').flags & READ_ONLY) !== 0; }

  // --- view ops: one wasm call each ---------------------------------------------
  #derived(h) {
    if (h < 0) this.#rt.raise();
    return new Tensor(INTERNAL, this.#rt, h, this.#k);
  }

  reshape(shape) {
    const rt = this.#rt;
    const h = this.#live('reshape');
    return this.#derived(rt.x.tm_reshape(h, rt.putInts(shape, 'reshape', 'shape')));
  }

  view(shape) {
    if (arguments.length === 0) return this.#rawView();
    const rt = this.#rt;
    const h = this.#live('view');
    return this.#derived(rt.x.tm_view(h, rt.putInts(shape, 'view', 'shape')));
  }

  canView(shape) {
    const rt = this.#rt;
    const h = this.#live('canView');
    const result = rt.x.tm_can_view(h, rt.putInts(shape, 'canView', 'shape'));
    if (result < 0) rt.raise();
    return result === 1;
  }

  flatten(startDim = 0, endDim = -1) {
    const h = this.#live('flatten');
    return this.#derived(this.#rt.x.tm_flatten(h, num(startDim, 'flatten', 'startDim'), num(endDim, 'flatten', 'endDim')));
  }

  squeeze(dim) {
    const h = this.#live('squeeze');
    return this.#derived(this.#rt.x.tm_squeeze(h, dim === undefined ? NaN : num(dim, 'squeeze', 'dim')));
  }

  unsqueeze(dim) {
    const h = this.#live('unsqueeze');
    return this.#derived(this.#rt.x.tm_unsqueeze(h, num(dim, 'unsqueeze', 'dim')));
  }

  select(dim, index) {
    const h = this.#live('select');
    return this.#derived(this.#rt.x.tm_select(h, num(dim, 'select', 'dim'), num(index, 'select', 'index')));
  }

  narrow(dim, start, length) {
    const h = this.#live('narrow');
    return this.#derived(this.#rt.x.tm_narrow(h, num(dim, 'narrow', 'dim'), num(start, 'narrow', 'start'),
      num(length, 'narrow', 'length')));
  }

  permute(dims) {
    const rt = this.#rt;
    const h = this.#live('permute');
    return this.#derived(rt.x.tm_permute(h, rt.putInts(dims, 'permute', 'dims')));
  }

  transpose(dim0 = 0, dim1 = 1) {
    const h = this.#live('transpose');
    return this.#derived(this.#rt.x.tm_transpose(h, num(dim0, 'transpose', 'dim0'), num(dim1, 'transpose', 'dim1')));
  }

  expand(shape) {
    const rt = this.#rt;
    const h = this.#live('expand');
    return this.#derived(rt.x.tm_expand(h, rt.putInts(shape, 'expand', 'shape')));
  }

  // Specs: number (select), null (whole dim), [start, stop, step?] with null for an open end.
  slice(specs) {
    const rt = this.#rt;
    const h = this.#live('slice');
    if (!Array.isArray(specs)) fail('INVALID_ARGUMENT', `slice: specs is ${show(specs)}; it must be an array`);
    const n = specs.length;
    const s = rt.scratch();
    const b = rt.scratchIndex;
    for (let d = 0; d < n && d < 8; d++) {
      const spec = specs[d];
      const at = b + SPEC_DOUBLES * d;
      if (spec === null || spec === undefined) {
        s[at] = 0; s[at + 1] = NaN; s[at + 2] = NaN; s[at + 3] = 1;
      } else if (typeof spec === 'number') {
        s[at] = 1; s[at + 1] = num(spec, 'slice', 'index');
      } else if (Array.isArray(spec) && spec.length >= 1 && spec.length <= 3) {
        s[at] = 0;
        s[at + 1] = bound(spec[0], d, 'start');
        s[at + 2] = bound(spec[1], d, 'stop');
        s[at + 3] = spec.length === 3 && spec[2] !== null && spec[2] !== undefined ? num(spec[2], 'slice', 'step') : 1;
      } else {
        fail('INVALID_ARGUMENT', `slice: spec ${d} is ${show(spec)}; it must be a number, null or [start, stop, step?]`);
      }
    }
    return this.#derived(rt.x.tm_slice(h, n));
  }

  // --- copies --------------------------------------------------------------------
  contiguous() {
    const h = this.#live('contiguous');
    return this.#derived(this.#rt.x.tm_contiguous(h));
  }

  clone() {
    const h = this.#live('clone');
    return this.#derived(this.#rt.x.tm_clone(h));
  }

  to(dtype) {
    const rt = this.#rt;
    const h = this.#live('to');
    const k = dtypeIndex(dtype, 'to');
    const result = rt.x.tm_to(h, k);
    if (result < 0) rt.raise();
    return new Tensor(INTERNAL, rt, result, k);
  }

  sharesStorage(other) {
    const rt = this.#rt;
    const h = this.#live('sharesStorage');
    if (!(other instanceof Tensor)) fail('INVALID_ARGUMENT', `sharesStorage: other is ${show(other)}; it must be a Tensor`);
    if (other.#rt !== rt) fail('INVALID_ARGUMENT', `sharesStorage: ${other} belongs to another device`);
    const result = rt.x.tm_shares_storage(h, other.#live('sharesStorage'));
    if (result < 0) rt.raise();
    return result === 1;
  }

  // --- element access ----------------------------------------------------------------
  // The fast path: up to 4 dims, non-negative integer indices within the
  // cached shape, a heap view neither detached (growth) nor emptied (device
  // disposed). Anything else takes the slow path, which either succeeds
  // (negative indices, more dims, a grown heap) or throws the runtime's error.
  // Explicit parameters, not rest or `arguments`: no allocation per call.
  get(i0, i1, i2, i3, i4, i5, i6, i7) {
    const m = this.#m;
    const n = arguments.length;
    if (m !== undefined && n === m.shape.length) {
      const at = elementAt(m, n, i0, i1, i2, i3);
      const heap = m.rt.heaps[this.#k];
      if (at < heap.length) return this.#k === BOOL ? heap[at] !== 0 : heap[at];
    }
    const at = this.#locate('get', n, i0, i1, i2, i3, i4, i5, i6, i7);
    const value = this.#rt.heap(this.#k)[at];
    return this.#k === BOOL ? value !== 0 : value;
  }

  set(value, i0, i1, i2, i3, i4, i5, i6, i7) {
    const m = this.#m;
    const n = arguments.length - 1;
    if (m !== undefined && n === m.shape.length && (m.flags & READ_ONLY) === 0) {
      const at = elementAt(m, n, i0, i1, i2, i3);
      const heap = m.rt.heaps[this.#k];
      if (at < heap.length) {
        store(heap, at, value, this.#k);
        return;
      }
    }
    const at = this.#locate('set', n, i0, i1, i2, i3, i4, i5, i6, i7);
    if ((this.#m.flags & READ_ONLY) !== 0) this.#require(WRITABLE, OP_SET);
    store(this.#rt.heap(this.#k), at, value, this.#k);
  }

  // The slow path: the runtime checks the index (negatives allowed) and says what is wrong.
  #locate(op, n, ...index) {
    const rt = this.#rt;
    this.#layout(op);
    const h = this.#live(op);
    const s = rt.scratch();
    const b = rt.scratchIndex;
    for (let d = 0; d < n && d < 8; d++) s[b + d] = num(index[d], op, `index[${d}]`);
    const at = rt.x.tm_element(h, n);
    if (at < 0) rt.raise();
    return at;
  }

  // Raises the runtime's READ_ONLY / NOT_CONTIGUOUS error for this tensor.
  #require(check, op) {
    const rt = this.#rt;
    if (rt.x.tm_require(this.#live('tensor'), check, op) < 0) rt.raise();
  }

  // The zero-copy typed array (contiguous tensors only).
  #rawView() {
    const m = this.#layout('view');
    if ((m.flags & CONTIGUOUS) === 0) this.#require(CONTIGUOUS_CHECK, OP_VIEW);
    return m.rt.heap(this.#k).subarray(m.first, m.first + m.size);
  }

  /**
   * A copy of the elements in logical order; into `out` when given (a typed
   * array of this dtype's type and exactly `size` elements), which skips
   * allocating a new buffer: for large tensors that allocation, not the copy,
   * is most of the time.
   */
  read(out) {
    const m = this.#layout('read');
    if (out !== undefined) checkOut(out, m, this.#k);
    if ((m.flags & CONTIGUOUS) === 0) {
      const copy = this.contiguous();
      try {
        return copy.read(out);
      } finally {
        copy.dispose();
      }
    }
    const heap = m.rt.heap(this.#k);
    if (out === undefined) return heap.slice(m.first, m.first + m.size);
    out.set(heap.subarray(m.first, m.first + m.size));
    return out;
  }

  toArray() {
    this.#live('toArray');
    const flat = this.read();
    const shape = this.#m.shape;
    const bool = this.#k === BOOL;
    const element = (i) => (bool ? flat[i] !== 0 : flat[i]);
    if (shape.length === 0) return element(0);
    let next = 0;
    const build = (d) => {
      const out = new Array(shape[d]);
      for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? element(next++) : build(d + 1);
      return out;
    };
    return build(0);
  }

  /** Copies `values` (row-major, exactly size of them) in. */
  write(values) {
    const m = this.#layout('write');
    const k = this.#k;
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
      fail('INVALID_ARGUMENT', `write: values is ${show(values)}; it must be an array or typed array`);
    }
    if (values.length !== m.size) {
      fail('INVALID_SHAPE', `write: ${values.length} values for a tensor of shape [${m.shape.join(', ')}] ` +
        `(${m.size} elements)`);
    }
    if ((m.flags & READ_ONLY) !== 0) this.#require(WRITABLE, OP_WRITE);
    if ((m.flags & CONTIGUOUS) !== 0) {
      fill(m.rt.heap(k), m.first, values, k, 'write');
      return;
    }
    // Strided: fill a contiguous temporary, then one runtime copy.
    const staging = m.rt.device.empty(m.shape, DTYPES[k]);
    try {
      staging.write(values);
      if (m.rt.x.tm_copy(this.#live('write'), staging.#live('write')) < 0) m.rt.raise();
    } finally {
      staging.dispose();
    }
  }

  toTransferable() {
    this.#live('toTransferable');
    return toTransferable(this);
  }

  get [Symbol.toStringTag]() { return 'Tensor'; }
  toString() {
    if (this.isDisposed) return `Tensor(#${this.id}, ${this.dtype}, disposed)`;
    return `Tensor(#${this.id}, ${this.dtype}, [${this.shape.join(', ')}])`;
  }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

function checkOut(out, m, k) {
  const Type = ARRAY_TYPES[k];
  if (!(out instanceof Type)) {
    fail('INVALID_ARGUMENT', `read: out is ${show(out)}; a ${DTYPES[k]} tensor reads into a ${Type.name}`);
  }
  if (out.length !== m.size) {
    fail('INVALID_SHAPE', `read: out has ${out.length} elements for a tensor of shape [${m.shape.join(', ')}] ` +
      `(${m.size} elements)`);
  }
}

// The heap index of an index within the layout's shape (up to 4 dims), or Infinity.
function elementAt(m, n, i0, i1, i2, i3) {
  const shape = m.shape;
  const s = m.strides;
  let at = m.first;
  switch (n) {
    case 4:
      if (!((i3 >>> 0) === i3 && i3 < shape[3])) return Infinity;
      at += i3 * s[3];
      // falls through
    case 3:
      if (!((i2 >>> 0) === i2 && i2 < shape[2])) return Infinity;
      at += i2 * s[2];
      // falls through
    case 2:
      if (!((i1 >>> 0) === i1 && i1 < shape[1])) return Infinity;
      at += i1 * s[1];
      // falls through
    case 1:
      if (!((i0 >>> 0) === i0 && i0 < shape[0])) return Infinity;
      return at + i0 * s[0];
    case 0:
      return at;
    default:
      return Infinity;
  }
}

function bound(value, d, what) {
  if (value === null || value === undefined) return NaN;
  return num(value, 'slice', what);
}

// One element, converted as typed arrays convert (bigint dtypes take integral numbers too).
function store(heap, at, value, k) {
  if (k === BOOL) heap[at] = value ? 1 : 0;
  else if (isBigIntDtype(k)) heap[at] = toBigInt(value, 'set');
  else if (typeof value === 'number') heap[at] = value;
  else if (typeof value === 'boolean' || typeof value === 'bigint') heap[at] = Number(value);
  else fail('INVALID_ARGUMENT', `set: value is ${show(value)}; it must be a number`);
}

export function toBigInt(value, op) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return fail('INVALID_ARGUMENT', `${op}: value ${show(value)} is not an integer; int64 and uint64 elements take bigints or integral numbers`);
}

// heap[first, first + values.length) <- values, converting as typed arrays do.
export function fill(heap, first, values, k, op) {
  const bigint = isBigIntDtype(k);
  const direct = ArrayBuffer.isView(values)
    ? (values instanceof BigInt64Array || values instanceof BigUint64Array) === bigint
    : false;
  if (direct) {
    heap.set(values, first);
    return;
  }
  const n = values.length;
  if (bigint) {
    for (let i = 0; i < n; i++) heap[first + i] = toBigInt(values[i], op);
  } else if (k === BOOL) {
    for (let i = 0; i < n; i++) heap[first + i] = values[i] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'number') heap[first + i] = v;
      else if (typeof v === 'boolean' || typeof v === 'bigint') heap[first + i] = Number(v);
      else fail('INVALID_ARGUMENT', `${op}: values[${i}] is ${show(v)}; it must be a number`);
    }
  }
}

seal(Tensor);
