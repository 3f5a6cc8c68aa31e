// A tensor's layout as JavaScript holds it (Layout), and the view ops derived
// from one in JavaScript: reshape/view, permute, slice, transpose, select and
// narrow, ported from src/layout.cpp for the inputs that succeed there. Each
// returns the new view's spec (see `derived`), or null for anything else (an
// error, a copy, a size past int32, an empty tensor): the caller then runs
// the op in the runtime, which reports the error in its words. So a derived
// layout is always the one the runtime would have made, and the runtime
// checks it against the buffer when the view gets its entry
// (Runtime::adopt_view).
import { BOOL, INT64, MAX_DIMS } from './dtype.mjs';

// described:: in js_runtime.hpp
const NDIM = 0, OFFSET = 2, FIRST = 3, FLAGS = 4, NUMEL = 5, SHAPE = 6, STRIDES = 14, BUFFER_INDEX = 22,
  BUFFER_GENERATION = 23;
export const CONTIGUOUS = 1, READ_ONLY = 2;

// A layout, read by the element fast paths. `shape` and `strides` are plain
// arrays (a frozen array reads slower in V8); the getters hand out frozen
// copies, made on first use. The first four dims are also scalar fields, read
// by the fast paths. It holds no heap view of its own but the runtime's cell
// of its dtype (Runtime.cells): the cell follows the heap when it grows, and
// when the epoch changes (device.shrink() moves buffers, shutdown() frees
// them) the cell is emptied, so the fast paths read nothing through a stale
// address, and a kept Layout keeps no wasm memory alive. `epoch` is the
// runtime's when described, for the other readers of the layout.
// `buffer` and `generation` name the buffer.
//
// The buffer of a view derived in JavaScript is held for it by a lender:
// the Layout of a tensor with an entry (`lender` is the Layout itself,
// `owner` that tensor, which it keeps reachable), counting such views in
// `views`. While its tensor is live, its entry's reference holds them all;
// when it is disposed with views left, one runtime reference is taken for
// them (`owned`), given back with the last of them. A derived view's own
// Layout lends nothing (`lender` null) until its tensor has an entry.
export class Layout {
  #shapeOut = null;
  #stridesOut = null;

  constructor(rt, k, shape, strides, offset, first, flags, size, buffer, generation) {
    const ndim = shape.length;
    this.rt = rt;
    this.epoch = rt.epoch;
    this.cell = rt.cells[k];
    this.k = k;
    this.bool = k === BOOL;
    this.ndim = ndim;
    this.shape = shape;
    this.strides = strides;
    this.d0 = shape[0]; this.d1 = shape[1]; this.d2 = shape[2]; this.d3 = shape[3];
    this.s0 = strides[0]; this.s1 = strides[1]; this.s2 = strides[2]; this.s3 = strides[3];
    this.offset = offset;
    this.first = first;  // heap index (in elements) of element [0, ..., 0]
    this.base = first - offset;  // heap index of the buffer's first element
    this.flags = flags;
    this.readOnly = (flags & READ_ONLY) !== 0 ? 1 : 0;
    this.writable = (flags & READ_ONLY) === 0;
    // set() stores a number as it is (typed arrays convert) into a writable tensor.
    this.settable = this.writable && k < INT64;
    this.size = size;
    this.buffer = buffer;
    this.generation = generation;
    this.small = small(this);  // view ops may be derived from it (see below)
    this.rowMajor = rowMajor(shape, strides, ndim);
    this.lender = this;
    this.owner = null;
    this.views = 0;
    this.owned = false;
  }

  get shapeOut() { return (this.#shapeOut ??= Object.freeze(this.shape.slice())); }
  get stridesOut() { return (this.#stridesOut ??= Object.freeze(this.strides.slice())); }
}

// Numbers that fit int32 as such: a double read from a Float64Array would
// make the arrays double arrays and every field a boxed number, and a Layout
// is made per view op (boxing its fields was most of its cost).
const int = (v) => ((v | 0) === v ? v | 0 : v);

// The layout tm_describe wrote to the scratch at s[b...].
export function describedLayout(rt, s, b, k) {
  const ndim = s[b + NDIM];
  const shape = new Array(ndim);
  const strides = new Array(ndim);
  for (let d = 0; d < ndim; d++) {
    shape[d] = int(s[b + SHAPE + d]);
    strides[d] = int(s[b + STRIDES + d]);
  }
  return new Layout(rt, k, shape, strides, int(s[b + OFFSET]), int(s[b + FIRST]), s[b + FLAGS] | 0,
    int(s[b + NUMEL]), int(s[b + BUFFER_INDEX]), int(s[b + BUFFER_GENERATION]));
}

// Sizes and strides are kept to int32 here: every product below is then an
// exact double, and anything larger goes to the runtime.
const isInt = (v) => (v | 0) === v;
const LIMIT = 0x7fffffff;

// A derived view's layout, as its Tensor holds it until it is needed (one
// array: a view op allocates nothing else here): buffer index, generation,
// offset, read-only, heap index of element [0, ..., 0], the epoch it is
// valid in and the lender of its buffer (see Layout), then the shape and the strides.
export const SPEC_BUFFER = 0, SPEC_GENERATION = 1, SPEC_OFFSET = 2, SPEC_READ_ONLY = 3, SPEC_FIRST = 4,
  SPEC_EPOCH = 5, SPEC_LENDER = 6, SPEC_DIMS = 7;

// Work arrays of the derivations: sizes and strides as they are computed.
const workShape = new Array(MAX_DIMS).fill(0);
const workStrides = new Array(MAX_DIMS).fill(0);

// The spec of m's buffer with the n dims in the work arrays and `offset`.
// Array literals up to 4 dims: `new Array(length)` of a computed length is
// a call into the runtime that costs more than the rest of a view op.
function derived(m, n, offset) {
  const b = m.buffer, g = m.generation, r = m.readOnly;
  const f = int(m.base + offset), e = m.epoch, l = null;  // the lender: set by the caller
  const x = workShape, y = workStrides;
  switch (n) {
    case 1: return [b, g, offset, r, f, e, l, x[0], y[0]];
    case 2: return [b, g, offset, r, f, e, l, x[0], x[1], y[0], y[1]];
    case 3: return [b, g, offset, r, f, e, l, x[0], x[1], x[2], y[0], y[1], y[2]];
    case 4: return [b, g, offset, r, f, e, l, x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3]];
    default: {
      const spec = [b, g, offset, r, f, e, l];
      for (let d = 0; d < n; d++) spec.push(x[d]);
      for (let d = 0; d < n; d++) spec.push(y[d]);
      return spec;
    }
  }
}

// The Layout of a spec (`derived`), for a tensor of dtype k.
export function specLayout(rt, k, spec) {
  const n = (spec.length - SPEC_DIMS) / 2;
  const shape = spec.slice(SPEC_DIMS, SPEC_DIMS + n);
  const strides = spec.slice(SPEC_DIMS + n);
  let size = 1;
  for (let d = 0; d < n; d++) size *= shape[d];
  const flags = (isContiguous(shape, strides, size) ? CONTIGUOUS : 0) | (spec[SPEC_READ_ONLY] !== 0 ? READ_ONLY : 0);
  const m = new Layout(rt, k, shape, strides, spec[SPEC_OFFSET], spec[SPEC_FIRST], flags, size, spec[SPEC_BUFFER],
    spec[SPEC_GENERATION]);
  m.lender = null;  // it lends nothing while its tensor has no entry
  return m;
}

// A derived view as the source of another view op, in the fields of a
// Layout the derivations read: one object, refilled per op (a view of a
// view allocates no Layout for its source).
const fromSpec = {
  ndim: 0, shape: new Array(MAX_DIMS).fill(0), strides: new Array(MAX_DIMS).fill(0), offset: 0, first: 0, base: 0,
  readOnly: 0, buffer: 0, generation: 0, epoch: 0, size: 0, small: false, rowMajor: false,
};

// `spec` loaded into fromSpec, which it returns.
export function specSource(spec) {
  const m = fromSpec;
  const n = (spec.length - SPEC_DIMS) >> 1;
  let size = 1;
  let ints = true;
  for (let d = 0; d < n; d++) {
    const size_d = spec[SPEC_DIMS + d];
    const stride = spec[SPEC_DIMS + n + d];
    m.shape[d] = size_d;
    m.strides[d] = stride;
    size *= size_d;
    ints = ints && isInt(stride);
  }
  m.ndim = n;
  m.offset = spec[SPEC_OFFSET];
  m.first = spec[SPEC_FIRST];
  m.base = m.first - m.offset;
  m.readOnly = spec[SPEC_READ_ONLY];  // what derived() reads of the flags
  m.buffer = spec[SPEC_BUFFER];
  m.generation = spec[SPEC_GENERATION];
  m.epoch = spec[SPEC_EPOCH];
  m.size = size;
  m.small = ints && size > 0 && size <= LIMIT && isInt(m.offset);
  m.rowMajor = rowMajor(m.shape, m.strides, n);
  return m;
}

// Layout::is_contiguous.
function isContiguous(shape, strides, size) {
  if (size === 0) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1) {
      if (strides[d] !== expected) return false;
      expected *= shape[d];
    }
  }
  return true;
}

// Whether the strides are exactly those of a contiguous tensor of the shape
// (size-1 dims included, which isContiguous ignores).
function rowMajor(shape, strides, n) {
  let expected = 1;
  for (let d = n - 1; d >= 0; d--) {
    if (strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

// Whether the layout is not empty and its size, strides and offset are all within int32.
function small(m) {
  if (!(m.size > 0 && m.size <= LIMIT && isInt(m.offset))) return false;
  for (let d = 0; d < m.ndim; d++) if (!isInt(m.strides[d])) return false;
  return true;
}

// reshape / view to the shape in local[0, n): infer_shape and
// compute_view_strides (src/layout.cpp) for a non-empty tensor of at least
// one dim. Of a row-major source, the view is row-major too (its strides
// are what compute_view_strides gives then); the common case, small enough
// for V8 to inline.
export function viewLayout(m, local, n) {
  if (n > MAX_DIMS || m.ndim === 0 || !m.small || !inferShape(m, local, n)) return null;
  if (!m.rowMajor) return computedView(m, n);
  let stride = 1;
  for (let d = n - 1; d >= 0; d--) {
    workStrides[d] = stride;
    stride *= workShape[d];
  }
  return derived(m, n, m.offset);
}

// infer_shape: the shape in local[0, n) into workShape, -1 inferred;
// false for anything the runtime would refuse.
function inferShape(m, local, n) {
  const shape = workShape;
  let inferred = -1;
  let known = 1;
  for (let d = 0; d < n; d++) {
    const raw = local[d];
    if (!isInt(raw)) return false;
    const v = raw | 0;  // int32 arithmetic from here (a double % is a call)
    if (v === -1) {
      if (inferred >= 0) return false;
      inferred = d;
    } else if (v <= 0) {
      return false;
    } else {
      known *= v;
      if (known > LIMIT) return false;
    }
    shape[d] = v | 0;
  }
  const numel = m.size;
  if (inferred >= 0) {
    if (numel % known !== 0) return false;
    shape[inferred] = (numel / known) | 0;
    return true;
  }
  return known === numel;
}

// compute_view_strides into workStrides for the shape in workShape; the spec, or null if it is no view.
function computedView(m, n) {
  const shape = workShape;
  const oldShape = m.shape;
  const oldStrides = m.strides;
  const strides = workStrides;
  let viewD = n - 1;
  let chunkBaseStride = oldStrides[m.ndim - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let t = m.ndim - 1; t >= 0; t--) {
    tensorNumel *= oldShape[t];
    if (t === 0 || (oldShape[t - 1] !== 1 && oldStrides[t - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        const stride = viewNumel * chunkBaseStride;
        if (!isInt(stride)) return null;
        strides[viewD] = stride | 0;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;  // not a view: reshape copies, view() fails
      if (t > 0) {
        chunkBaseStride = oldStrides[t - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return derived(m, n, m.offset);
}

// permute by the dims in local[0, n): Layout::permute.
export function permuteLayout(m, local, n) {
  const ndim = m.ndim;
  if (n !== ndim || ndim === 0 || !m.small) return null;
  const shape = workShape;
  const strides = workStrides;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const raw = local[i];
    if (!isInt(raw)) return null;
    let d = raw | 0;
    if (d < -ndim || d >= ndim) return null;
    if (d < 0) d += ndim;
    if (((seen >> d) & 1) !== 0) return null;
    seen |= 1 << d;
    shape[i] = m.shape[d];
    strides[i] = m.strides[d];
  }
  return derived(m, n, m.offset);
}

// slice by the specs readSpecs() wrote to local (SPEC_DOUBLES per dim: kind,
// start, stop, step; NaN for an open end), n of them: tm_slice, i.e. the
// ranges by Layout::slice_in_place, then the indices by Layout::select from
// the last dim back.
export function sliceLayout(m, local, n) {
  const ndim = m.ndim;
  if (n > ndim || ndim === 0 || !m.small) return null;
  const shape = workShape;
  const strides = workStrides;
  for (let d = 0; d < ndim; d++) {
    shape[d] = m.shape[d];
    strides[d] = m.strides[d];
  }
  let offset = m.offset;
  let empty = false;  // small(): the source is not empty
  let indices = 0;
  for (let d = 0; d < n; d++) {
    const at = 4 * d;
    if (local[at] !== 0) {
      indices++;
      continue;
    }
    const rawFirst = local[at + 1], rawLast = local[at + 2];
    const size = shape[d];
    // [start, stop] of step 1 within the dim: the common case, without the
    // wrapping and open ends of sliceRange (NaN, an open end, fails every comparison)
    if (local[at + 3] === 1 && rawFirst >= 0 && rawFirst <= size && rawLast >= 0 && rawLast <= size &&
        isInt(rawFirst) && isInt(rawLast)) {
      range.start = rawFirst | 0;
      range.length = rawLast > rawFirst ? (rawLast | 0) - (rawFirst | 0) : 0;
      range.step = 1;
    } else if (!sliceRange(local, at, size)) {
      return null;
    }
    const length = range.length;
    if (length > 0 && !empty) {
      const stride = strides[d];
      if (length > 1 && range.step !== 1) {
        const stepped = stride * range.step;
        if (!isInt(stepped)) return null;
        strides[d] = stepped | 0;
      }
      offset += range.start * stride;
      if (!isInt(offset)) return null;
    }
    shape[d] = length;
    empty = empty || length === 0;
  }
  if (indices !== 0) {
    offset = selectIndices(local, n, ndim, offset);
    if (offset !== offset) return null;
  }
  return derived(m, ndim - indices, offset | 0);
}

// The range of the dim of `size` that local[at + 1, at + 4) (start, stop,
// step; NaN for an open end) selects, into `range`; false if the runtime
// would refuse it.
const range = { start: 0, length: 0, step: 1 };
function sliceRange(local, at, size) {
  const rawFirst = local[at + 1], rawLast = local[at + 2], rawStep = local[at + 3];
  const hasStart = rawFirst === rawFirst, hasStop = rawLast === rawLast;
  if ((hasStart && !isInt(rawFirst)) || (hasStop && !isInt(rawLast)) || !isInt(rawStep) || rawStep === 0) return false;
  const first = rawFirst | 0, last = rawLast | 0, step = rawStep | 0;  // int32 arithmetic from here
  let start, stop, length;
  if (step > 0) {
    start = hasStart ? first : 0;
    stop = hasStop ? last : size;
    if (start < 0) start += size;
    if (stop < 0) stop += size;
    if (start < 0 || start > size || stop < 0 || stop > size) return false;
    // step 1 apart: an integer division costs more than the rest of the dim
    length = stop <= start ? 0 : step === 1 ? stop - start : (((stop - start - 1) / step) | 0) + 1;
  } else {
    start = hasStart ? first : size - 1;
    stop = hasStop ? last : -1;
    if (hasStart && start < 0) start += size;
    if (hasStop && stop < 0) stop += size;
    if (hasStart && (start < 0 || start >= size)) return false;
    if (hasStop && (stop < 0 || stop > size)) return false;
    length = start > stop ? (((start - stop - 1) / -step) | 0) + 1 : 0;
  }
  range.start = start;
  range.length = length;
  range.step = step;
  return true;
}

// The index specs among local's n (kind 1) applied to the sliced dims in
// the work arrays by Layout::select, from the last dim back: the new
// offset, or NaN if the runtime would refuse one.
function selectIndices(local, n, ndim, offset) {
  const shape = workShape;
  const strides = workStrides;
  let count = ndim;
  let numel = 1;
  for (let d = 0; d < ndim; d++) numel *= shape[d];
  for (let d = n - 1; d >= 0; d--) {
    const at = 4 * d;
    if (local[at] === 0) continue;
    const rawIndex = local[at + 1];
    const size = shape[d];
    if (!isInt(rawIndex)) return NaN;
    const index = rawIndex | 0;
    const i = index < 0 ? index + size : index;
    if (i < 0 || i >= size) return NaN;
    if (numel > 0) offset += i * strides[d];
    if (!isInt(offset)) return NaN;
    numel = numel / size;  // size >= 1 here
    for (let e = d + 1; e < count; e++) {  // Layout::erase_dim
      shape[e - 1] = shape[e];
      strides[e - 1] = strides[e];
    }
    count--;
  }
  return offset;
}

// dim as Layout::wrap accepts it (in [-ndim, ndim)), or -1.
function wrapDim(m, dim) {
  if (!isInt(dim)) return -1;
  const d = dim | 0;
  const ndim = m.ndim;
  return d < -ndim || d >= ndim ? -1 : d < 0 ? d + ndim : d;
}

// The source's dims into the work arrays.
function copyDims(m) {
  for (let d = 0; d < m.ndim; d++) {
    workShape[d] = m.shape[d];
    workStrides[d] = m.strides[d];
  }
}

// transpose(dim0, dim1): Layout::transpose.
export function transposeLayout(m, dim0, dim1) {
  if (m.ndim === 0 || !m.small) return null;
  const a = wrapDim(m, dim0);
  const b = wrapDim(m, dim1);
  if (a < 0 || b < 0) return null;
  copyDims(m);
  workShape[a] = m.shape[b]; workShape[b] = m.shape[a];
  workStrides[a] = m.strides[b]; workStrides[b] = m.strides[a];
  return derived(m, m.ndim, m.offset);
}

// select(dim, index): Layout::select (the source is not empty: small()).
export function selectLayout(m, dim, index) {
  if (m.ndim === 0 || !m.small) return null;
  const d = wrapDim(m, dim);
  if (d < 0 || !isInt(index)) return null;
  const size = m.shape[d];
  const i = (index | 0) < 0 ? (index | 0) + size : index | 0;
  if (i < 0 || i >= size) return null;
  const offset = m.offset + i * m.strides[d];
  if (!isInt(offset)) return null;
  copyDims(m);
  for (let e = d + 1; e < m.ndim; e++) {
    workShape[e - 1] = workShape[e];
    workStrides[e - 1] = workStrides[e];
  }
  return derived(m, m.ndim - 1, offset | 0);
}

// narrow(dim, start, length): Layout::narrow (the source is not empty).
export function narrowLayout(m, dim, start, length) {
  if (m.ndim === 0 || !m.small) return null;
  const d = wrapDim(m, dim);
  if (d < 0 || !isInt(start) || !isInt(length)) return null;
  const size = m.shape[d];
  const first = (start | 0) < 0 ? (start | 0) + size : start | 0;
  const n = length | 0;
  if (first < 0 || first > size || n < 0 || n > size - first) return null;
  let offset = m.offset;
  if (n > 0) offset += first * m.strides[d];
  if (!isInt(offset)) return null;
  copyDims(m);
  workShape[d] = n;
  return derived(m, m.ndim, offset | 0);
}
