// Tensor: a plain JS object holding a handle on a runtime tensor (a strided
// view of a refcounted buffer). Element access checks indices here against a
// cached layout and reads the heap directly ("check once, then raw"); every
// failure is reported in the runtime's words by its slow path.
//
// View ops (reshape/view, permute, slice, transpose, select, narrow) derive
// the new layout here (layout.mjs) when they can, with no wasm call: the id
// comes from the runtime's counter in the mailbox, and the buffer is held by
// the tensor the view was derived from (its Layout lends it: see Layout).
// Such a view holds its layout's spec where the handle goes, and has no
// entry until something needs one
// (#promote: any use of the handle, and Runtime.promotePending() before
// stats, snapshots, shrink, recording and finalization). Every such view is
// in the runtime's pending list until then, so the runtime's books are
// complete whenever they are read. Anything the derivation does not cover,
// and every view op while a history or creation stacks are recorded, is one
// wasm call as before.
import {
  ARRAY_TYPES, BOOL, DTYPES, INT64, MAX_DIMS, arrayLength, attachedLength, dtypeIndex, elementOf, isArray,
  listElements, listLength, typedArrayLength, typedArrayName, typedArraySet, typedElements,
} from './dtype.mjs';
import { fail, show } from './errors.mjs';
import {
  CONTIGUOUS, READ_ONLY, SPEC_BUFFER, SPEC_DIMS, SPEC_EPOCH, SPEC_GENERATION, SPEC_LENDER, SPEC_OFFSET,
  SPEC_READ_ONLY,
  describedLayout, narrowLayout, permuteLayout, selectLayout, sliceLayout, specLayout, specSource, transposeLayout,
  viewLayout,
} from './layout.mjs';
import {
  DISPOSED, INTERNAL, KEPT, addClass, checkToken, disposedError, lend, register, release, releaseView, returnLent,
  seal,
} from './resource.mjs';
import { Runtime, readInts } from './runtime.mjs';
import { ownFunctions } from './stacks.mjs';
import { TENSOR_GUARD, toTransferable } from './transfer.mjs';

// tm_require(): checks and the op names it reports
const WRITABLE = 1, CONTIGUOUS_CHECK = 2, OP_SET = 0, OP_WRITE = 1, OP_VIEW = 2;
const SPEC_DOUBLES = 4;
const SCRATCH_DOUBLES = 64;  // kScratchDoubles in js_runtime.hpp
const LAST_ID = 2;  // mailbox::kLastId in js_runtime.hpp

const num = Runtime.num;

export let layoutOf;  // (tensor) => its Layout (described on first use), or DISPOSED
export let isTensor;  // (value) => whether it is a Tensor (no user code runs)
// A kernel argument's checks, without the scan of the classes that
// runtimeOf/handleOf make (lib/kernels.mjs): its runtime, and its live handle
// (DISPOSED naming `op` otherwise). Only for values isTensor accepted.
export let tensorRuntime, tensorHandle;

// A new tensor of dtype k and `shape` (read by putInts); zero-filled when `zero`.
export function createTensor(rt, k, shape, zero, op) {
  const n = rt.putInts(shape, op, 'shape');
  const h = rt.x.tm_empty(k, n, zero);
  if (h < 0) rt.raise();
  return new Tensor(INTERNAL, rt, h, k);
}
ownFunctions(createTensor);  // its frame is the package's in a leak report

export class Tensor {
  // Six fields: a view op makes one of these, and each field costs.
  #rt;
  #h;
  #id;
  #state = 0;
  #k;               // dtype index
  #m = undefined;   // Layout, once described; undefined again after dispose
  notCloneable = TENSOR_GUARD;  // postMessage / structuredClone throw (transfer.mjs)

  // `handle`: the runtime's, or for a view derived here its spec (layout.mjs), with its `id`.
  constructor(token, rt, handle, k, id) {
    checkToken(token);
    this.#rt = rt;
    this.#h = handle;
    this.#id = typeof handle === 'number' ? rt.createdId() : id;
    this.#k = k;
    rt.track(this, handle);
  }

  /** Unique per device, never reused: 1, 2, 3... in creation order. */
  get id() { return this.#id; }
  get device() { return this.#rt.device; }
  get isDisposed() { return (this.#state & DISPOSED) !== 0 || !this.#rt.alive; }
  [Symbol.dispose]() { this.#dispose(); }

  // DISPOSED unless live; the handle, giving a derived view its entry first.
  #live(op) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) disposedError('Tensor', this.#rt, this.#id, op);
    const h = this.#h;
    return typeof h === 'number' ? h : this.#promote();
  }

  // Gives a view derived here its runtime entry (with its own reference to
  // the buffer, and its id), and its lender one view less; its handle. The
  // layout goes through the view scratch, so a caller's arguments in the
  // scratch stay as they are. From here on it lends its own buffer.
  #promote() {
    const rt = this.#rt;
    const spec = this.#h;
    const s = rt.scratch();
    const b = rt.viewScratchIndex;
    const n = spec.length - SPEC_DIMS;  // shape, then strides
    for (let i = 0; i < n; i++) s[b + i] = spec[SPEC_DIMS + i];
    const h = rt.x.tm_view_adopt(spec[SPEC_BUFFER], spec[SPEC_GENERATION], this.#k, n / 2, spec[SPEC_OFFSET], this.#id,
      spec[SPEC_READ_ONLY]);
    if (h < 0) rt.raise();
    this.#h = h;
    const m = this.#m;
    if (m !== undefined) {
      m.lender = m;
      m.owner = this;
    }
    returnLent(rt, spec);
    return h;
  }

  /** Releases this view. Idempotent. The buffer lives while other views hold it. */
  dispose() { this.#dispose(); }

  #dispose() {
    const state = this.#state;
    if ((state & DISPOSED) !== 0) return;
    this.#state = state | DISPOSED;
    const h = this.#h;
    if (typeof h !== 'number') {
      this.#m = undefined;
      releaseView(this, this.#rt, h);
    } else {
      this.#release(h, state);
    }
  }

  #release(h, state) {
    const m = this.#m;
    this.#m = undefined;
    // Views derived from it still need its buffer: they get one reference for all of them.
    if (m !== undefined && m.views !== 0 && m.lender === m) lend(this.#rt, m);
    release(this, this.#rt, h, state);
  }

  // --- metadata --------------------------------------------------------------
  // A layout of an older epoch is described again: its addresses may be stale.
  #layout(op = 'tensor') {
    const m = this.#m;
    const rt = this.#rt;
    if (m !== undefined && m.epoch === rt.epoch) {
      if ((this.#state & DISPOSED) !== 0 || !rt.alive) disposedError('Tensor', rt, this.#id, op);
      return m;
    }
    const h = this.#h;
    if (typeof h !== 'number' && h[SPEC_EPOCH] === rt.epoch) {  // a derived view's own layout
      if ((this.#state & DISPOSED) !== 0 || !rt.alive) disposedError('Tensor', rt, this.#id, op);
      return (this.#m = specLayout(rt, this.#k, h));
    }
    if (rt.x.tm_describe(this.#live(op)) < 0) rt.raise();
    const described = describedLayout(rt, rt.scratch(), rt.scratchIndex, this.#k);
    described.owner = this;  // it lends this tensor's buffer to views derived from it
    return (this.#m = described);
  }

  // The Layout a view op derives from, or undefined when it must go to the
  // runtime (disposed, a stale or missing layout, or JS views are off).
  #source() {
    const rt = this.#rt;
    if (!rt.deriveViews || (this.#state & DISPOSED) !== 0) return undefined;
    const m = this.#m;
    return m !== undefined && m.epoch === rt.epoch ? m : this.#describedSource();
  }

  #describedSource() {
    const rt = this.#rt;
    const h = this.#h;
    if (typeof h !== 'number') return h[SPEC_EPOCH] === rt.epoch ? specSource(h) : undefined;
    return this.#layout('view');
  }

  // A new view with the derived layout `spec`: its lender holds the buffer
  // for it (one view more, before the Tensor exists: a flush may promote
  // it), and it takes the next id from the runtime's counter.
  // The lender is this tensor's Layout (what #source() returned), or its own lender's.
  #viewOf(spec) {
    const rt = this.#rt;
    const h = this.#h;
    const lender = typeof h === 'number' ? this.#m : h[SPEC_LENDER];
    spec[SPEC_LENDER] = lender;
    lender.views++;
    const s = rt.scratch();
    const at = rt.mailboxIndex + LAST_ID;
    const id = s[at] + 1;
    s[at] = id;
    return new Tensor(INTERNAL, rt, spec, this.#k, id);
  }

  static {
    layoutOf = (t) => t.#layout();
    isTensor = (value) => value !== null && typeof value === 'object' && #h in value;
    tensorRuntime = (t) => t.#rt;
    tensorHandle = (t, op) => t.#live(op);
    addClass({
      kind: 'Tensor',
      is: isTensor,
      handle: (t) => {  // a derived view's entry is made here if it can be (error messages name handles)
        if ((t.#state & DISPOSED) === 0 && t.#rt.alive && typeof t.#h !== 'number') t.#promote();
        return t.#h;
      },
      id: (t) => t.#id,
      live: (t, op) => t.#live(op),
      runtime: (t) => t.#rt,
      kept: (t) => (t.#state & KEPT) !== 0,
      keep: (t) => { t.#state |= KEPT; },
      register: (t, registry) => {
        if ((t.#state & DISPOSED) === 0 && t.#rt.alive && typeof t.#h !== 'number') t.#promote();
        t.#state = register(t, 'Tensor', t.#rt, t.#h, t.#state, registry);
      },
      promote: (t) => { if ((t.#state & DISPOSED) === 0 && t.#rt.alive && typeof t.#h !== 'number') t.#promote(); },
      dispose: (t) => t.#dispose(),
    });
  }


  get dtype() { return DTYPES[this.#k]; }
  get shape() { return this.#layout('shape').shapeOut; }
  get strides() { return this.#layout('strides').stridesOut; }
  get offset() { return this.#layout('offset').offset; }
  get size() { return this.#layout('size').size; }
  get ndim() { return this.#layout('ndim').ndim; }
  get isContiguous() { return (this.#layout('isContiguous').flags & CONTIGUOUS) !== 0; }
  get isReadOnly() { return (this.#layout('isReadOnly').flags & READ_ONLY) !== 0; }

  // --- view ops: one wasm call each ---------------------------------------------
  #derived(h) {
    if (h < 0) this.#rt.raise();
    return new Tensor(INTERNAL, this.#rt, h, this.#k);
  }

  // List arguments are read (user code may run: it may dispose this tensor
  // or move the buffers) before anything else; then the layout is derived,
  // or the list goes to the scratch as the export call needs it and the
  // handle is resolved.
  reshape(shape) {
    const rt = this.#rt;
    const local = rt.borrowLocal();
    const n = readInts(shape, local, 'reshape', 'shape');
    const m = this.#source();
    const derived = m === undefined ? null : viewLayout(m, local, n);
    if (derived === null) return this.#inRuntime(rt.x.tm_reshape, 'reshape', local, n, n);
    rt.localBuffer = local;
    return this.#viewOf(derived);
  }

  view(shape) {
    if (arguments.length === 0) return this.#rawView();
    const rt = this.#rt;
    const local = rt.borrowLocal();
    const n = readInts(shape, local, 'view', 'shape');
    const m = this.#source();
    const derived = m === undefined ? null : viewLayout(m, local, n);
    if (derived === null) return this.#inRuntime(rt.x.tm_view, 'view', local, n, n);
    rt.localBuffer = local;
    return this.#viewOf(derived);
  }

  // A view op with a list argument that was not derived here: its export
  // called with the list (`count` doubles of local) in the scratch.
  #inRuntime(exported, op, local, n, count) {
    this.#rt.toScratch(local, count < SCRATCH_DOUBLES ? count : SCRATCH_DOUBLES);
    return this.#derived(exported(this.#live(op), n));
  }

  canView(shape) {
    const rt = this.#rt;
    const n = rt.putInts(shape, 'canView', 'shape');
    const result = rt.x.tm_can_view(this.#live('canView'), n);
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

  // Number arguments are type-checked (no user code runs) after liveness, as before.
  select(dim, index) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) this.#live('select');
    const d = num(dim, 'select', 'dim'), i = num(index, 'select', 'index');
    const m = this.#source();
    const derived = m === undefined ? null : selectLayout(m, d, i);
    if (derived !== null) return this.#viewOf(derived);
    return this.#derived(this.#rt.x.tm_select(this.#live('select'), d, i));
  }

  narrow(dim, start, length) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) this.#live('narrow');
    const d = num(dim, 'narrow', 'dim'), first = num(start, 'narrow', 'start'), n = num(length, 'narrow', 'length');
    const m = this.#source();
    const derived = m === undefined ? null : narrowLayout(m, d, first, n);
    if (derived !== null) return this.#viewOf(derived);
    return this.#derived(this.#rt.x.tm_narrow(this.#live('narrow'), d, first, n));
  }

  permute(dims) {
    const rt = this.#rt;
    const local = rt.borrowLocal();
    const n = readInts(dims, local, 'permute', 'dims');
    const m = this.#source();
    const derived = m === undefined ? null : permuteLayout(m, local, n);
    if (derived === null) return this.#inRuntime(rt.x.tm_permute, 'permute', local, n, n);
    rt.localBuffer = local;
    return this.#viewOf(derived);
  }

  transpose(dim0 = 0, dim1 = 1) {
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) this.#live('transpose');
    const a = num(dim0, 'transpose', 'dim0'), b = num(dim1, 'transpose', 'dim1');
    const m = this.#source();
    const derived = m === undefined ? null : transposeLayout(m, a, b);
    if (derived !== null) return this.#viewOf(derived);
    return this.#derived(this.#rt.x.tm_transpose(this.#live('transpose'), a, b));
  }

  expand(shape) {
    const rt = this.#rt;
    const n = rt.putInts(shape, 'expand', 'shape');
    return this.#derived(rt.x.tm_expand(this.#live('expand'), n));
  }

  // Specs: number (select), null (whole dim), [start, stop, step?] with null for an open end.
  slice(specs) {
    const rt = this.#rt;
    const local = rt.borrowLocal();
    const n = readSpecs(specs, local);
    const m = this.#source();
    const derived = m === undefined ? null : sliceLayout(m, local, n);
    if (derived === null) return this.#inRuntime(rt.x.tm_slice, 'slice', local, n, SPEC_DOUBLES * (n < MAX_DIMS ? n : MAX_DIMS));
    rt.localBuffer = local;
    return this.#viewOf(derived);
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
    if (!isTensor(other)) fail('INVALID_ARGUMENT', `sharesStorage: other is ${show(other)}; it must be a Tensor`);
    if (other.#rt !== rt) fail('INVALID_ARGUMENT', `sharesStorage: Tensor #${other.#id} belongs to another device`);
    const result = rt.x.tm_shares_storage(h, other.#live('sharesStorage'));
    if (result < 0) rt.raise();
    return result === 1;
  }

  // --- element access ----------------------------------------------------------------
  // The fast path: up to 4 dims, non-negative integer indices within the
  // cached shape, a layout of the runtime's epoch (device not disposed or
  // shrunk since: its cell is not emptied), a heap view not detached (growth). Anything else takes the
  // slow path, which either succeeds (negative indices, more dims, a grown
  // heap) or throws the runtime's error.
  // Indices are numbers: anything else fails, and nothing is coerced (no
  // valueOf), so no user code runs in get or set.
  // Explicit parameters, not rest or `arguments`: no allocation per call.
  // The slow paths are separate methods, so that get and set stay small
  // enough to be inlined into the caller's loop. get reads the heap at the
  // index without comparing it to the heap's length: a detached heap or a
  // refused index (Infinity) reads undefined, which sends it to the slow path.
  get(i0, i1, i2, i3, i4, i5, i6, i7) {
    const m = this.#m;
    const n = arguments.length;
    if (m !== undefined && n === m.ndim) {
      const value = m.cell.heap[n === 2 ? at2(m, i0, i1) : elementAt(m, n, i0, i1, i2, i3)];
      if (value !== undefined) return m.bool ? value !== 0 : value;
    }
    return this.#getSlow(n, i0, i1, i2, i3, i4, i5, i6, i7);
  }

  #getSlow(n, i0, i1, i2, i3, i4, i5, i6, i7) {
    const at = this.#locate('get', n, i0, i1, i2, i3, i4, i5, i6, i7);
    const value = this.#rt.heap(this.#k)[at];
    return this.#k === BOOL ? value !== 0 : value;
  }

  set(value, i0, i1, i2, i3, i4, i5, i6, i7) {
    const m = this.#m;
    const n = arguments.length - 1;
    if (m !== undefined && n === m.ndim && m.settable && typeof value === 'number') {
      const at = n === 2 ? at2(m, i0, i1) : elementAt(m, n, i0, i1, i2, i3);
      const heap = m.cell.heap;
      if (at < heap.length) {
        heap[at] = value;
        return;
      }
    }
    this.#setSlow(value, n, i0, i1, i2, i3, i4, i5, i6, i7);
  }

  #setSlow(value, n, i0, i1, i2, i3, i4, i5, i6, i7) {
    const k = this.#k;
    const v = typeof value === 'number' && k < INT64 ? value : elementOf(value, k, 'set', 'value', -1);
    const m = this.#m;
    if (m !== undefined && n === m.ndim && m.writable) {
      const at = elementAt(m, n, i0, i1, i2, i3);
      const heap = m.cell.heap;
      if (at < heap.length) {
        heap[at] = v;
        return;
      }
    }
    const at = this.#locate('set', n, i0, i1, i2, i3, i4, i5, i6, i7);
    if ((this.#m.flags & READ_ONLY) !== 0) this.#require(WRITABLE, OP_SET);
    this.#rt.heap(k)[at] = v;
  }

  // The slow path: the runtime checks the index (negatives allowed) and says what is wrong.
  #locate(op, n, ...index) {
    const rt = this.#rt;
    const m = this.#layout(op);
    if (n > MAX_DIMS) {
      fail('INVALID_ARGUMENT', `${n} indices for a tensor of shape [${m.shape.join(', ')}] (${m.shape.length} dims)`);
    }
    for (let d = 0; d < n; d++) {
      const i = index[d];
      if (typeof i !== 'number' || i !== i) num(i, op, `index[${d}]`);
    }
    const h = this.#live(op);
    const s = rt.scratch();
    const b = rt.scratchIndex;
    for (let d = 0; d < n; d++) s[b + d] = index[d];
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
    const k = this.#k;
    const outLength = out === undefined ? -1 : checkOut(out, k);
    const m = this.#layout('read');
    if (out !== undefined && outLength !== m.size) {
      fail('INVALID_SHAPE', `read: out has ${outLength} elements for a tensor of shape [${m.shape.join(', ')}] ` +
        `(${m.size} elements)`);
    }
    if ((m.flags & CONTIGUOUS) === 0) {
      const copy = this.contiguous();  // may grow the heap: `out`, if it viewed the heap, is then detached
      try {
        return copy.read(out);
      } finally {
        copy.dispose();
      }
    }
    const elements = m.rt.heap(k).subarray(m.first, m.first + m.size);
    if (out === undefined) out = elements.slice();
    else typedArraySet(out, elements, 0);
    if (k === BOOL) normalizeBools(out);
    return out;
  }

  toArray() {
    this.#layout('toArray');
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

  /**
   * Copies `values` (row-major, exactly size of them) in. The values are
   * converted into a local array first (their getters run then), and only
   * then is this tensor resolved and its memory written: a failed write
   * changes nothing.
   */
  write(values) {
    const rt = this.#rt;
    const k = this.#k;
    let m = this.#layout('write');
    let elements;
    const name = typedArrayName(values);
    if (name !== undefined) {
      const n = attachedLength(values, name, 'write', 'values');
      if (n !== m.size) writeCountError(n, m);
      elements = typedElements(values, name, k, rt.heap(k).buffer, 'write');
    } else {
      const n = listLength(values, 'write', 'values');
      if (n !== m.size) writeCountError(n, m);
      elements = listElements(values, n, k, 'write');  // runs getters and traps
      m = this.#layout('write');  // DISPOSED if they disposed this tensor
    }
    if ((m.flags & READ_ONLY) !== 0) this.#require(WRITABLE, OP_WRITE);
    if ((m.flags & CONTIGUOUS) !== 0) {
      typedArraySet(rt.heap(k), elements, m.first);
      return;
    }
    // Strided: fill a contiguous temporary, then one runtime copy.
    const staging = createTensor(rt, k, m.shape, 0, 'write');
    try {
      staging.write(elements);
      if (rt.x.tm_copy(this.#live('write'), staging.#live('write')) < 0) rt.raise();
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
    if ((this.#state & DISPOSED) !== 0 || !this.#rt.alive) return `Tensor(#${this.#id}, ${DTYPES[this.#k]}, disposed)`;
    return `Tensor(#${this.#id}, ${DTYPES[this.#k]}, [${this.#layout().shape.join(', ')}])`;
  }
  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }
}

// The length of `out`, a typed array of dtype k's type (read through the built-in getters).
function checkOut(out, k) {
  const Type = ARRAY_TYPES[k];
  const name = typedArrayName(out);
  if (name !== Type.name) {
    fail('INVALID_ARGUMENT', `read: out is ${show(out)}; a ${DTYPES[k]} tensor reads into a ${Type.name}`);
  }
  return attachedLength(out, name, 'read', 'out');
}

// Bool elements read as 0 or 1, whatever byte a DeviceData put there.
function normalizeBools(bytes) {
  const n = typedArrayLength(bytes);
  for (let i = 0; i < n; i++) if (bytes[i] > 1) bytes[i] = 1;
}

function writeCountError(n, m) {
  fail('INVALID_SHAPE', `write: ${n} values for a tensor of shape [${m.shape.join(', ')}] (${m.size} elements)`);
}

// The heap index of an index within the layout's shape, or Infinity. at2 is
// the 2-d case alone: small enough for V8 to inline into get and set, which
// the switch below is not.
function at2(m, i0, i1) {
  return typeof i0 === 'number' && (i0 >>> 0) === i0 && i0 < m.d0 &&
      typeof i1 === 'number' && (i1 >>> 0) === i1 && i1 < m.d1 ? m.first + i0 * m.s0 + i1 * m.s1 : Infinity;
}

// Up to 4 dims.
function elementAt(m, n, i0, i1, i2, i3) {
  switch (n) {
    case 2:
      return at2(m, i0, i1);
    case 1:
      if (typeof i0 === 'number' && (i0 >>> 0) === i0 && i0 < m.d0) return m.first + i0 * m.s0;
      return Infinity;
    case 3:
      if (typeof i0 === 'number' && (i0 >>> 0) === i0 && i0 < m.d0 &&
          typeof i1 === 'number' && (i1 >>> 0) === i1 && i1 < m.d1 &&
          typeof i2 === 'number' && (i2 >>> 0) === i2 && i2 < m.d2) {
        return m.first + i0 * m.s0 + i1 * m.s1 + i2 * m.s2;
      }
      return Infinity;
    case 4:
      if (typeof i0 === 'number' && (i0 >>> 0) === i0 && i0 < m.d0 &&
          typeof i1 === 'number' && (i1 >>> 0) === i1 && i1 < m.d1 &&
          typeof i2 === 'number' && (i2 >>> 0) === i2 && i2 < m.d2 &&
          typeof i3 === 'number' && (i3 >>> 0) === i3 && i3 < m.d3) {
        return m.first + i0 * m.s0 + i1 * m.s1 + i2 * m.s2 + i3 * m.s3;
      }
      return Infinity;
    case 0:
      return m.first;
    default:
      return Infinity;
  }
}

// Slice specs into `out`, SPEC_DOUBLES per dim (see tm_slice); their count.
// Every value is read once, before anything else happens.
function readSpecs(specs, out) {
  if (!isArray(specs)) badSpec(-1, specs);
  const n = arrayLength(specs, 'slice', 'specs');
  for (let d = 0; d < n && d < MAX_DIMS; d++) {
    const spec = specs[d];
    const at = SPEC_DOUBLES * d;
    if (spec === null || spec === undefined) {
      out[at] = 0; out[at + 1] = NaN; out[at + 2] = NaN; out[at + 3] = 1;
    } else if (typeof spec === 'number') {
      out[at] = 1; out[at + 1] = num(spec, 'slice', 'index');
    } else if (isArray(spec) && isSpecLength(spec.length)) {
      const start = spec[0], stop = spec[1], step = spec[2];
      out[at] = 0;
      out[at + 1] = bound(start, 'start');
      out[at + 2] = bound(stop, 'stop');
      out[at + 3] = step === null || step === undefined ? 1 : num(step, 'slice', 'step');
    } else {
      badSpec(d, spec);
    }
  }
  return n;
}

function badSpec(d, spec) {
  if (d < 0) fail('INVALID_ARGUMENT', `slice: specs is ${show(spec)}; it must be an array`);
  fail('INVALID_ARGUMENT', `slice: spec ${d} is ${show(spec)}; it must be a number, null or [start, stop, step?]`);
}

function isSpecLength(n) {
  return typeof n === 'number' && n >= 1 && n <= 3;
}

function bound(value, what) {
  if (value === null || value === undefined) return NaN;
  return num(value, 'slice', what);
}

seal(Tensor);
