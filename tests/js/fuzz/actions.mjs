// The fuzzer's actions: one public method each, its arguments, and what the
// model expects of it. Installed on Fuzzer.prototype.
import { Fuzzer, FuzzFailure } from './fuzzer.mjs';
import {
  ARRAY_TYPES, BOOL, DTYPES, INT64, Invalid, MAX_DIMS, ModelBuffer, acceptsElement, aliases, contentOf, convertElement,
  convertList, convertTyped, expanded, flattened, indices, isInt, narrowed, permuted, position, product, readElement,
  reshaped, rowMajorStrides, sameArray, sameValues, selected, sliced, squeezed, storeElement, transposed, unsqueezed,
} from './model.mjs';
import { BAD_INTEGERS, HostileError, TYPED_ARRAYS, badElement, detached, elementValue, revokedProxy, show } from './values.mjs';

const SIZES = [0, 1, 2, 3, 4, 5, 6];
const itemsize = (k) => ARRAY_TYPES[k].BYTES_PER_ELEMENT;

// The model's expectation, or null when the model says the call must fail.
function expect(fn) {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Invalid) return null;
    throw error;
  }
}

// A few indices of a shape: all of them when small, else the first and last ones.
function sampleIndices(shape) {
  const all = [];
  for (const index of indices(shape)) {
    all.push(index);
    if (all.length > 512) break;
  }
  return all;
}

const actions = {
  // --- verification of derived tensors ------------------------------------------------
  // A tensor an op derived from `src`: its shape must be expected.shape, and each
  // element must sit where the source element it stands for sits (a view) or
  // hold its value, converted to k (a copy). mode: 'view', 'copy' or 'either'.
  adoptDerived(label, src, obj, expected, mode, k = src.k) {
    const layout = this.tensorEntry(obj, k, null);
    if (!sameArray(layout.shape, expected.shape)) {
      this.fail(`${label}: shape [${layout.shape}], the model expects [${expected.shape}]`);
    }
    const shares = this.T.sharesStorage.call(obj, src.obj);
    if (mode === 'view' && !shares) this.fail(`${label}: a view op returned a copy`);
    if (mode === 'copy' && shares) this.fail(`${label}: a copy shares the source's buffer`);
    let entry;
    if (shares) {
      entry = { ...layout, buf: src.buf };
      for (const index of sampleIndices(expected.shape)) {
        const at = position(entry, index);
        const want = position(src, expected.map(index));
        if (at !== want) this.fail(`${label}: element [${index}] is at ${at}, the source's element is at ${want}`);
      }
    } else {
      const buf = new ModelBuffer(product(expected.shape) * itemsize(k), src.buf.known);
      entry = { ...layout, buf };
      const out = buf.elements(k);
      for (const index of indices(expected.shape)) {
        const at = position(entry, index);
        if (!(at >= 0 && at < out.length)) this.fail(`${label}: a copy's element [${index}] is at ${at}, outside it`);
        const element = readElement(src, expected.map(index));  // undefined: the model does not know it
        const value = element === undefined ? undefined : convertElement(element, src.k, k);
        if (value === undefined) buf.known = false;
        else out[at] = value;
      }
    }
    const adopted = this.adopt(obj, entry);
    this.checkContent(adopted, label);
    return adopted;
  },

  // A view op: the call, the judgement, the check of the result.
  viewOp(label, src, fn, expected, argsValid, mode = 'view', refusable = []) {
    const outcome = this.attempt(label, fn);
    if (!this.judge(label, outcome, { valid: argsValid && expected !== null, target: src, refusable })) return;
    this.adoptDerived(label, src, outcome.value, expected, mode);
  },

  // --- raw buffers -----------------------------------------------------------------------
  aCreateData() {
    const n = this.int(this.rng.pick([0, 1, 7, 16, 64, 100, 1000, 4096]));
    const outcome = this.attempt(`createData(${n.note})`, () => this.device.createData(n.value));
    if (!this.judge('createData', outcome, { valid: n.valid && n.effective >= 0 })) return;
    this.adopt(outcome.value, { type: 'data', buf: new ModelBuffer(n.effective), byteLength: n.effective });
    this.checkContent(this.entries[this.entries.length - 1], 'createData');
  },

  // Bytes to pass: { value, valid, bytes (Uint8Array, or null when unknown), note }.
  byteSource() {
    const r = this.rng.float();
    if (r < 0.35) {
      const Type = this.rng.pick(TYPED_ARRAYS);
      const n = this.rng.int(12);
      const typed = new Type(n);
      const bytes = new Uint8Array(typed.buffer);
      for (let i = 0; i < bytes.length; i++) bytes[i] = this.rng.int(256);
      const view = this.rng.chance(0.3) && n > 1 ? typed.subarray(1) : typed;
      return { value: view, valid: true, bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice(),
        note: `${Type.name}(${view.length})` };
    }
    if (r < 0.45) {
      const buffer = new ArrayBuffer(this.rng.int(20));
      new Uint8Array(buffer).forEach((_, i, a) => { a[i] = i * 7; });
      return { value: buffer, valid: true, bytes: new Uint8Array(buffer).slice(), note: `ArrayBuffer(${buffer.byteLength})` };
    }
    if (r < 0.5) {
      const buffer = new ArrayBuffer(16);
      new Uint8Array(buffer).forEach((_, i, a) => { a[i] = 200 - i; });
      const view = new DataView(buffer, 3, 9);
      return { value: view, valid: true, bytes: new Uint8Array(buffer, 3, 9).slice(), note: 'DataView(3, 9)' };
    }
    if (r < 0.72) {
      const raw = this.heapView();
      if (raw !== null) return raw;
    }
    const value = this.rng.pick([
      () => detached(this.rng.pick(TYPED_ARRAYS)), () => { const b = new ArrayBuffer(4); structuredClone(b, { transfer: [b] }); return b; },
      () => 'bytes', () => 12, () => [1, 2, 3], () => null, () => new Proxy(new Uint8Array(4), {}), () => revokedProxy(),
      () => ({ byteLength: 4, buffer: new ArrayBuffer(4) }), () => this.coercible(4),
    ])();
    return { value, valid: false, bytes: null, note: `bad ${show(value)}` };
  },

  // A typed array over this device's heap: a live object's view (its bytes as
  // the model knows them), now and then a stale one (detached by growth).
  heapView() {
    if (this.rng.chance(0.2) && this.rawViews.length !== 0) {
      const stale = this.rng.pick(this.rawViews);
      const grown = this.device.getMemoryStats().wasmHeapBytes !== stale.heapBytes;
      if (grown) return { value: stale.array, valid: false, bytes: null, note: 'a heap view detached by growth' };
    }
    const owner = this.live(undefined, (e) => e.buf.known && (e.type === 'data' ? e.byteLength > 0 :
      this.tensorGetter(e, 'isContiguous')));
    if (owner === null) return null;
    const k = owner.type === 'data' ? this.rng.int(DTYPES.length) : owner.k;
    const array = owner.type === 'data' ? this.call(owner, 'view', DTYPES[k]) : this.call(owner, 'view');
    if (array.length !== (owner.type === 'data' ? Math.floor(owner.byteLength / itemsize(k)) : product(owner.shape))) {
      this.fail(`view() of ${owner.type} #${owner.id} has ${array.length} elements`);
    }
    const first = owner.type === 'data' ? 0 : owner.offset * itemsize(owner.k);
    const bytes = owner.buf.bytes.slice(first, first + array.byteLength);
    this.rawViews.push({ array, owner, heapBytes: this.device.getMemoryStats().wasmHeapBytes });
    if (this.rawViews.length > 8) this.rawViews.shift();
    return { value: array, valid: true, bytes, owner, note: `heap view of ${owner.type} #${owner.id}` };
  },

  aCreateDataWithBuffer() {
    const source = this.byteSource();
    const outcome = this.attempt(`createDataWithBuffer(${source.note})`, () => this.device.createDataWithBuffer(source.value));
    if (!this.judge('createDataWithBuffer', outcome, { valid: source.valid })) return;
    const buf = new ModelBuffer(source.bytes.length);
    buf.bytes.set(source.bytes);
    const entry = this.adopt(outcome.value, { type: 'data', buf, byteLength: source.bytes.length });
    this.checkContent(entry, 'createDataWithBuffer');
  },

  async aReadData() {
    const data = this.target('data');
    if (data === null) return;
    const outcome = await this.attemptAsync(`readData(#${data.id})`, () => this.device.readData(data.obj));
    if (!this.judge('readData', outcome, { valid: true, target: data })) return;
    if (!data.buf.known) return;
    const actual = new Uint8Array(outcome.value);
    if (!sameArray(Array.from(actual), Array.from(data.buf.bytes.subarray(0, data.byteLength)))) {
      this.fail(`readData gives ${show(Array.from(actual))}, the model ${show(Array.from(data.buf.bytes))}`);
    }
  },

  async aWriteData() {
    const data = this.target('data');
    if (data === null) return;
    const source = this.byteSource();
    const length = source.bytes?.length ?? 0;
    const offset = this.int(this.rng.int(Math.max(1, data.byteLength - length + 2)), { optional: true });
    const at = offset.effective ?? 0;
    const fits = source.bytes !== null && isInt(at) && at >= 0 && at + length <= data.byteLength;
    const outcome = await this.attemptAsync(`writeData(#${data.id}, ${source.note}, ${offset.note})`,
      () => this.device.writeData(data.obj, source.value, offset.value));
    if (!this.judge('writeData', outcome, { valid: source.valid && offset.valid && fits, target: data })) return;
    data.buf.bytes.set(source.bytes, at);
  },

  aFromData() {
    const data = this.target('data');
    if (data === null) return;
    const k = this.rng.int(DTYPES.length);
    const dtype = this.dtype(k);
    const whole = Math.floor(data.byteLength / itemsize(k));
    let list = null;
    if (this.rng.chance(0.5)) {
      const n = this.rng.chance(0.8) ? this.rng.int(whole + 1) : whole + 1;
      list = this.list(this.rng.chance(0.5) ? [n] : [1, n], data);
      if (list.value === undefined) list = null;  // the default shape
    }
    const shape = list === null ? [whole] : list.effective;
    const valid = dtype.valid && (list === null || (list.valid && shape.every((s) => s >= 0) &&
      product(shape) * itemsize(k) <= data.byteLength && shape.length <= MAX_DIMS));
    const label = `fromData(#${data.id}, ${dtype.note}${list === null ? '' : `, ${list.note}`})`;
    const outcome = this.attempt(label, () => (list === null ? this.device.fromData(data.obj, dtype.value)
      : this.device.fromData(data.obj, dtype.value, list.value)));
    if (!this.judge(label, outcome, { valid, target: data })) return;
    const entry = this.tensorEntry(outcome.value, k, data.buf);
    if (!sameArray(entry.shape, shape) || !sameArray(entry.strides, rowMajorStrides(shape)) || entry.offset !== 0) {
      this.fail(`${label}: layout [${entry.shape}] / [${entry.strides}] + ${entry.offset}, the model expects [${shape}]`);
    }
    this.checkContent(this.adopt(outcome.value, entry), label);
  },

  // --- tensors ------------------------------------------------------------------------
  randomShape(maxDims = 3) {
    const ndim = this.rng.int(maxDims + 1);
    return Array.from({ length: ndim }, () => this.rng.pick(SIZES));
  },

  aZeros() {
    const k = this.rng.int(DTYPES.length);
    const shape = this.randomShape();
    const list = this.list(this.rng.chance(0.05) ? [2, -1] : shape, null);
    const dtype = this.dtype(k);
    const zero = this.rng.chance(0.8);
    const valid = list.valid && dtype.valid && list.effective.every((s) => s >= 0) && list.effective.length <= MAX_DIMS &&
      product(list.effective) < 2 ** 20;
    const label = `${zero ? 'zeros' : 'empty'}(${list.note}, ${dtype.note})`;
    const outcome = this.attempt(label, () => (zero ? this.device.zeros(list.value, dtype.value)
      : this.device.empty(list.value, dtype.value)));
    if (!this.judge(label, outcome, { valid })) return;
    const buf = new ModelBuffer(product(list.effective) * itemsize(k), zero);
    const entry = this.tensorEntry(outcome.value, k, buf);
    if (!sameArray(entry.shape, list.effective)) this.fail(`${label}: shape [${entry.shape}]`);
    this.checkContent(this.adopt(outcome.value, entry), label);
  },

  // Nested arrays of `shape` holding `flat` (row-major), with a callback in a getter or a Proxy somewhere.
  nested(shape, flat, effect) {
    let next = 0;
    const build = (d) => {
      if (d === shape.length) return flat[next++];
      const level = Array.from({ length: shape[d] }, () => build(d + 1));
      return level;
    };
    const root = shape.length === 0 ? [] : build(0);
    if (effect.note !== '' && shape.length > 0 && product(shape) > 0) {
      // the callback: in a getter of a random element of the last level, or as a Proxy of the root
      if (this.rng.chance(0.5)) {
        let level = root;
        for (let d = 0; d < shape.length - 1; d++) level = level[this.rng.int(shape[d])];
        const at = this.rng.int(level.length);
        const value = level[at];
        Object.defineProperty(level, at, { get() { effect.run(); return value; }, enumerable: true });
        return root;
      }
      return new Proxy(root, { get(t, key, receiver) { effect.run(); return Reflect.get(t, key, receiver); } });
    }
    return root;
  },

  aTensor() {
    const r = this.rng.float();
    let values, valid, shape, elements = null, note, k;
    const explicit = this.rng.chance(0.4) ? this.rng.int(DTYPES.length) : -1;
    if (r < 0.3) {
      // A typed array (or a view of the heap), converted to the dtype option.
      const Type = this.rng.pick(TYPED_ARRAYS);
      const n = this.rng.int(9);
      const source = new Type(n);
      const big = Type === BigInt64Array || Type === BigUint64Array;
      for (let i = 0; i < n; i++) {
        const v = elementValue(this.rng, big ? INT64 : 1);
        source[i] = big ? (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)) || 0)) : Number(v);
      }
      values = source;
      k = explicit >= 0 ? explicit : [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9][TYPED_ARRAYS.indexOf(Type)];
      elements = expect(() => convertTyped(source, k));
      valid = elements !== null;
      shape = [n];
      note = `${Type.name}(${show(Array.from(source))})`;
      if (this.rng.chance(0.25)) {
        const raw = this.heapView();
        if (raw !== null && raw.owner !== undefined && raw.valid) {
          values = raw.value;
          const copy = new (Object.getPrototypeOf(raw.value).constructor)(raw.bytes.buffer.slice(0));
          k = explicit >= 0 ? explicit : [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9][TYPED_ARRAYS.indexOf(copy.constructor)];
          elements = expect(() => convertTyped(copy, k));
          valid = elements !== null;
          shape = [copy.length];
          note = raw.note;
        }
      }
    } else if (r < 0.8) {
      // Nested arrays: k from the dtype option or the first value.
      shape = this.randomShape();
      if (shape.length === 0) shape = [this.rng.pick(SIZES)];
      if (shape.includes(0)) shape = shape.slice(0, shape.indexOf(0) + 1);  // an empty array ends the nesting
      const n = product(shape);
      k = explicit >= 0 ? explicit : this.rng.weighted([[6, 0], [1, INT64], [1, BOOL]]);
      if (explicit < 0 && n === 0) k = 0;  // no first value: float32
      const flat = Array.from({ length: n }, () => elementValue(this.rng, k));
      if (explicit < 0 && n > 0) {
        flat[0] = k === INT64 ? BigInt(this.rng.int(100)) : k === BOOL ? this.rng.chance(0.5) : this.rng.int(100) / 4;
      }
      let bad = false;
      if (this.rng.chance(0.1) && n > 0) {
        let value;
        do value = badElement(this.rng, (v) => this.coercible(v)); while (Array.isArray(value));  // an array is a level
        flat[this.rng.int(n)] = value;
        bad = true;
      }
      const effect = this.effect(null);
      note = `${show(this.nested(shape, flat, { note: '' }))}${effect.note}`;
      values = this.nested(shape, flat, effect);
      elements = bad ? null : expect(() => convertList(flat, k));
      valid = elements !== null;
      if (this.rng.chance(0.06)) {
        const self = [];
        self.push(this.rng.chance(0.5) ? self : [1, self]);
        values = self;
        valid = false;
        note = 'a cyclic array';
      } else if (this.rng.chance(0.03)) {
        values = [[[[[[[[[1]]]]]]]]];
        valid = false;
        note = 'nine levels of arrays';
      } else if (this.rng.chance(0.04) && effect.note === '' && shape.length >= 2 && shape[0] > 1 && shape[1] > 0) {
        values[1] = values[1].slice(1);  // ragged
        valid = false;
        note += ' (ragged)';
      }
    } else if (r < 0.9) {
      k = explicit >= 0 ? explicit : this.rng.weighted([[3, 0], [1, INT64], [1, BOOL]]);
      values = explicit < 0 ? (k === INT64 ? 7n : k === BOOL ? true : 2.5) : elementValue(this.rng, k);
      shape = [];
      elements = expect(() => convertList([values], k));
      valid = elements !== null;
      note = show(values);
    } else {
      values = this.rng.pick(['1,2', null, undefined, {}, new Map(), new DataView(new ArrayBuffer(4)),
        detached(Float64Array), revokedProxy([1]), () => [1]]);
      k = 0;
      valid = false;
      shape = [];
      note = `bad ${show(values)}`;
    }
    // Options: the dtype, an explicit shape (maybe wrong), getters, or something that is not options.
    let options, optionsNote = '', dtypeValid = true;
    let explicitShape = null;
    const r2 = this.rng.float();
    if (r2 < 0.9) {
      options = {};
      if (explicit >= 0) {
        const dtype = this.dtype(explicit);
        options.dtype = dtype.value;
        dtypeValid = dtype.valid;
        optionsNote += `dtype: ${dtype.note}`;
      }
      if (this.rng.chance(0.25) && valid) {
        const count = product(shape);
        const wanted = this.rng.chance(0.8) ? (count === 0 ? [0, 3] : [count, 1]) : [count + 1];
        explicitShape = this.list(wanted, null);
        if (explicitShape.value === undefined) {
          explicitShape = null;  // no shape option
        } else {
          options.shape = explicitShape.value;
          optionsNote += ` shape: ${explicitShape.note}`;
        }
      }
      if (this.rng.chance(0.2)) {
        const effect = this.effect(null);
        const plain = options;
        options = {};
        for (const key of Object.keys(plain)) {
          Object.defineProperty(options, key, { get() { effect.run(); return plain[key]; }, enumerable: true });
        }
        optionsNote += ` (getters${effect.note})`;
      }
    } else {
      options = this.rng.pick([null, 'float64', 5, revokedProxy({})]);
      dtypeValid = false;
      optionsNote = `bad ${show(options)}`;
    }
    let finalShape = shape;
    if (explicitShape !== null) {
      finalShape = explicitShape.effective;
      if (!explicitShape.valid || !finalShape.every((s) => s >= 0) || product(finalShape) !== product(shape)) valid = false;
    }
    const label = `tensor(${note}, {${optionsNote}})`;
    const outcome = this.attempt(label, () => this.device.tensor(values, options));
    if (!this.judge(label, outcome, { valid: valid && dtypeValid })) return;
    const buf = new ModelBuffer(elements.byteLength);
    buf.bytes.set(new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength));
    const entry = this.tensorEntry(outcome.value, k, buf);
    if (!sameArray(entry.shape, finalShape)) this.fail(`${label}: shape [${entry.shape}], the model expects [${finalShape}]`);
    if (this.tensorGetter(entry, 'dtype') !== DTYPES[k]) this.fail(`${label}: dtype ${this.tensorGetter(entry, 'dtype')}`);
    this.checkContent(this.adopt(outcome.value, entry), label);
  },

  // --- view ops -----------------------------------------------------------------------------
  aReshape(viewOnly = false) {
    const src = this.target('tensor');
    if (src === null) return;
    const size = product(src.shape);
    const wanted = this.rng.pick([[size], [-1], [1, size], [size, 1], size % 2 === 0 ? [2, size / 2] : [size],
      size % 2 === 0 ? [-1, 2] : [-1, 1], [size + 1], [...src.shape].reverse(), [1, ...src.shape], []]);
    const list = this.list(wanted, src);
    const expected = list.valid ? expect(() => reshaped(src, list.effective)) : null;
    const op = viewOnly ? 'view' : 'reshape';
    this.viewOp(`#${src.id}.${op}(${list.note})`, src, () => this.call(src, op, list.value), expected, list.valid,
      viewOnly ? 'view' : 'either', viewOnly ? ['NOT_VIEWABLE'] : []);
  },

  aView() { this.aReshape(true); },

  aCanView() {
    const src = this.target('tensor');
    if (src === null) return;
    const size = product(src.shape);
    const list = this.list(this.rng.pick([[size], [-1], [size + 1], [1, -1], [...src.shape].reverse()]), src);
    const label = `#${src.id}.canView(${list.note})`;
    const outcome = this.attempt(label, () => this.call(src, 'canView', list.value));
    if (!this.judge(label, outcome, { valid: list.valid && list.effective.length <= 64, target: src })) return;
    if (typeof outcome.value !== 'boolean') this.fail(`${label} returned ${show(outcome.value)}`);
    const expected = expect(() => reshaped(src, list.effective));
    if (expected === null && outcome.value) this.fail(`${label}: true for a shape of another element count`);
    if (outcome.value && !src.disposed && this.deviceAlive) {
      this.viewOp(`#${src.id}.view(${show(list.effective)}) after canView`, src,
        () => this.call(src, 'view', list.effective), expected, true, 'view');
    }
  },

  aFlatten() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const start = this.int(this.rng.int(n + 1) - 1, { optional: true });
    const end = this.int(this.rng.pick([-1, n - 1, this.rng.int(n + 1)]), { optional: true });
    const s = start.effective ?? 0, e = end.effective ?? -1;
    const valid = start.valid && end.valid;
    const expected = valid ? expect(() => flattened(src, s, e)) : null;
    this.viewOp(`#${src.id}.flatten(${start.note}, ${end.note})`, src, () => this.call(src, 'flatten', start.value, end.value),
      expected, valid, 'either');
  },

  aSqueeze() {
    const src = this.target('tensor');
    if (src === null) return;
    const dim = this.rng.chance(0.4) ? { value: undefined, valid: true, effective: undefined, note: '' }
      : this.int(this.rng.int(src.shape.length + 1) - 1);
    const expected = dim.valid ? expect(() => squeezed(src, dim.effective)) : null;
    this.viewOp(`#${src.id}.squeeze(${dim.note})`, src,
      () => (dim.value === undefined ? this.call(src, 'squeeze') : this.call(src, 'squeeze', dim.value)), expected, dim.valid);
  },

  aUnsqueeze() {
    const src = this.target('tensor');
    if (src === null) return;
    const dim = this.int(this.rng.int(src.shape.length + 3) - 2);
    const expected = dim.valid ? expect(() => unsqueezed(src, dim.effective)) : null;
    this.viewOp(`#${src.id}.unsqueeze(${dim.note})`, src, () => this.call(src, 'unsqueeze', dim.value), expected, dim.valid);
  },

  aSelect() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const dim = this.int(this.rng.int(n + 1) - (n > 0 ? 1 : 0));
    const d = dim.valid ? dim.effective : 0;
    const size = src.shape[d < 0 ? d + n : d] ?? 1;
    const index = this.int(this.rng.int(size + 2) - 1);
    const valid = dim.valid && index.valid;
    const expected = valid ? expect(() => selected(src, dim.effective, index.effective)) : null;
    this.viewOp(`#${src.id}.select(${dim.note}, ${index.note})`, src, () => this.call(src, 'select', dim.value, index.value),
      expected, valid);
  },

  aNarrow() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const dim = this.int(this.rng.int(Math.max(n, 1)));
    const size = src.shape[dim.valid ? dim.effective : 0] ?? 1;
    const start = this.int(this.rng.int(size + 1) - (this.rng.chance(0.2) ? size : 0));
    const length = this.int(this.rng.int(size + 2));
    const valid = dim.valid && start.valid && length.valid;
    const expected = valid ? expect(() => narrowed(src, dim.effective, start.effective, length.effective)) : null;
    this.viewOp(`#${src.id}.narrow(${dim.note}, ${start.note}, ${length.note})`, src,
      () => this.call(src, 'narrow', dim.value, start.value, length.value), expected, valid);
  },

  aPermute() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const dims = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [dims[i], dims[j]] = [dims[j], dims[i]];
    }
    if (n > 0 && this.rng.chance(0.3)) dims[0] -= n;  // negative dims count from the end
    if (this.rng.chance(0.1)) dims.push(0);
    const list = this.list(dims, src);
    const expected = list.valid ? expect(() => permuted(src, list.effective)) : null;
    this.viewOp(`#${src.id}.permute(${list.note})`, src, () => this.call(src, 'permute', list.value), expected, list.valid);
  },

  aTranspose() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const d0 = this.int(this.rng.int(n + 1) - 1, { optional: true });
    const d1 = this.int(this.rng.int(n + 1) - 1, { optional: true });
    const valid = d0.valid && d1.valid;
    const expected = valid ? expect(() => transposed(src, d0.effective ?? 0, d1.effective ?? 1)) : null;
    this.viewOp(`#${src.id}.transpose(${d0.note}, ${d1.note})`, src, () => this.call(src, 'transpose', d0.value, d1.value),
      expected, valid);
  },

  aExpand() {
    const src = this.target('tensor');
    if (src === null) return;
    const shape = src.shape.map((s) => (s === 1 ? this.rng.pick([1, 2, 3, -1, 0]) : this.rng.pick([s, -1, s, s + 1])));
    const leading = Array.from({ length: this.rng.int(3) }, () => this.rng.pick([1, 2, 3, 0, -1]));
    const wanted = [...leading, ...shape].slice(-MAX_DIMS - (this.rng.chance(0.05) ? 1 : 0));
    const list = this.list(wanted, src);
    const expected = list.valid ? expect(() => expanded(src, list.effective)) : null;
    this.viewOp(`#${src.id}.expand(${list.note})`, src, () => this.call(src, 'expand', list.value), expected, list.valid);
  },

  aSlice() {
    const src = this.target('tensor');
    if (src === null) return;
    const n = src.shape.length;
    const count = this.rng.int(n + 1) + (this.rng.chance(0.05) ? 1 : 0);
    const effect = this.effect(src);
    let valid = true;
    const specs = [];
    for (let d = 0; d < count; d++) {
      const size = src.shape[d] ?? 1;
      const r = this.rng.float();
      if (r < 0.2) specs.push(this.rng.chance(0.5) ? null : undefined);
      else if (r < 0.4) specs.push(this.rng.int(size + 2) - 1 - (this.rng.chance(0.2) ? size : 0));
      else {
        const bound = () => (this.rng.chance(0.25) ? null : this.rng.int(2 * size + 3) - size - 1);
        const step = this.rng.pick([1, 1, 2, -1, -2, 3, 0, null]);
        specs.push(this.rng.pick([[bound(), bound(), step], [bound(), bound()], [bound()]]));
      }
    }
    if (this.rng.chance(0.08) && specs.length > 0) {
      specs[this.rng.int(specs.length)] = this.rng.pick([{ start: 0 }, '0:1', 1n, NaN, 0.5, [], [0, 1, 1, 1],
        [this.rng.pick(BAD_INTEGERS.filter((v) => v !== null)), 1], this.coercible(0)]);  // null is an open end
      valid = false;
    }
    const effective = specs.map((s) => (Array.isArray(s) ? s.slice() : s));
    let value = specs;
    let note = show(specs);
    if (effect.note !== '' && specs.length > 0) {
      const at = this.rng.int(specs.length);
      if (this.rng.chance(0.5)) {
        const spec = specs[at];
        Object.defineProperty(value, at, { get() { effect.run(); return spec; }, enumerable: true });
      } else {
        value = new Proxy(specs, { get(t, key, receiver) { effect.run(); return Reflect.get(t, key, receiver); } });
      }
      note += effect.note;
    } else if (this.rng.chance(0.05)) {
      value = this.rng.pick([revokedProxy([]), 'specs', null, { length: 1, 0: null }]);
      valid = false;
      note = `bad ${show(value)}`;
    }
    const expected = valid ? expect(() => sliced(src, effective)) : null;
    this.viewOp(`#${src.id}.slice(${note})`, src, () => this.call(src, 'slice', value), expected, valid);
  },

  aContiguous() {
    const src = this.target('tensor');
    if (src === null) return;
    this.viewOp(`#${src.id}.contiguous()`, src, () => this.call(src, 'contiguous'),
      { shape: src.shape, map: (i) => i }, true, 'either');
  },

  aClone() {
    const src = this.target('tensor');
    if (src === null) return;
    this.viewOp(`#${src.id}.clone()`, src, () => this.call(src, 'clone'), { shape: src.shape, map: (i) => i }, true, 'copy');
  },

  aTo() {
    const src = this.target('tensor');
    if (src === null) return;
    const k = this.rng.int(DTYPES.length);
    const dtype = this.dtype(k);
    const label = `#${src.id}.to(${dtype.note})`;
    const outcome = this.attempt(label, () => this.call(src, 'to', dtype.value));
    if (!this.judge(label, outcome, { valid: dtype.valid, target: src })) return;
    this.adoptDerived(label, src, outcome.value, { shape: src.shape, map: (i) => i }, 'copy', k);
  },

  aSharesStorage() {
    const a = this.target('tensor');
    if (a === null) return;
    const b = this.rng.chance(0.85) ? this.live('tensor') : null;
    const other = b !== null ? { value: b.obj, valid: true, note: `#${b.id}` }
      : this.rng.pick([{ value: {}, valid: false, note: '{}' }, { value: new Proxy(a.obj, {}), valid: false, note: 'Proxy(tensor)' },
        { value: null, valid: false, note: 'null' }, { value: this.live('data')?.obj, valid: false, note: 'a DeviceData' }]);
    const label = `#${a.id}.sharesStorage(${other.note})`;
    const outcome = this.attempt(label, () => this.call(a, 'sharesStorage', other.value));
    if (!this.judge(label, outcome, { valid: other.valid && !(b?.disposed), target: a })) return;
    if (outcome.value !== (a.buf === b.buf)) this.fail(`${label} is ${outcome.value}, the model says ${a.buf === b.buf}`);
  },

  aDescribe() {
    const t = this.target('tensor');
    if (t === null) return;
    const outcome = this.attempt(`#${t.id} layout getters`, () => ['shape', 'strides', 'offset', 'size', 'ndim',
      'isContiguous', 'isReadOnly', 'dtype'].map((name) => this.tensorGetter(t, name)));
    if (!this.judge('layout getters', outcome, { valid: true, target: t })) return;
    const [shape, strides, offset, size, ndim] = outcome.value;
    const text = this.T.toString.call(t.obj);
    if (text !== `Tensor(#${t.id}, ${DTYPES[t.k]}, [${t.shape.join(', ')}])`) this.fail(`toString() is ${text}`);
    if (!sameArray([...shape], t.shape) || !sameArray([...strides], t.strides) || offset !== t.offset ||
        size !== product(t.shape) || ndim !== t.shape.length) {
      this.fail(`#${t.id}: its layout changed`);
    }
  },

  // Whether writes to t must succeed. isReadOnly may be true of a view that
  // repeats nothing (an empty one: the runtime is conservative), but must be
  // true of every view that repeats an element.
  writable(t) {
    if (t.disposed || !this.deviceAlive) return true;
    const readOnly = this.tensorGetter(t, 'isReadOnly');
    if (aliases(t) && !readOnly) this.fail(`#${t.id}: a view that repeats elements is not read-only`);
    return !readOnly;
  },

  // --- elements --------------------------------------------------------------------------------
  index(t) {
    let valid = true;
    const n = t.shape.length + (this.rng.chance(0.05) ? this.rng.pick([-1, 1]) : 0);
    const index = [];
    const notes = [];
    for (let d = 0; d < Math.max(n, 0); d++) {
      const size = t.shape[d] ?? 1;
      const i = this.int(this.rng.chance(0.15) ? this.rng.int(size + 2) - 1 - size : this.rng.int(size + 1));
      index.push(i.value);
      notes.push(i.note);
      if (!i.valid || !(i.effective >= -size && i.effective < size)) valid = false;
    }
    if (index.length !== t.shape.length) valid = false;
    const effective = valid ? index.map((i, d) => (i < 0 ? i + t.shape[d] : i) + 0) : null;
    return { index, valid, effective, note: notes.join(', ') };
  },

  aGet() {
    const t = this.target('tensor');
    if (t === null) return;
    const index = this.index(t);
    const label = `#${t.id}.get(${index.note})`;
    const outcome = this.attempt(label, () => this.call(t, 'get', ...index.index));
    if (!this.judge(label, outcome, { valid: index.valid, target: t })) return;
    if (!t.buf.known) return;
    const stored = readElement(t, index.effective);
    const expected = t.k === BOOL ? stored === 1 : stored;
    if (!sameValues([outcome.value], [expected])) this.fail(`${label} is ${show(outcome.value)}, the model ${show(expected)}`);
  },

  aSet() {
    const t = this.target('tensor');
    if (t === null) return;
    const index = this.index(t);
    const value = this.rng.chance(0.9) ? elementValue(this.rng, t.k) : badElement(this.rng, (v) => this.coercible(v));
    const writable = this.writable(t);
    const label = `#${t.id}.set(${show(value)}, ${index.note})`;
    const outcome = this.attempt(label, () => this.call(t, 'set', value, ...index.index));
    const valid = index.valid && acceptsElement(value, t.k) && writable;
    if (!this.judge(label, outcome, { valid, target: t, refusable: writable ? [] : ['READ_ONLY'] })) return;
    storeElement(t.buf.elements(t.k), position(t, index.effective), value, t.k);
  },

  aRead() {
    const t = this.target('tensor');
    if (t === null) return;
    const Type = ARRAY_TYPES[t.k];
    const size = product(t.shape);
    let out;
    let valid = true;
    let owner = null;
    const r = this.rng.float();
    if (r < 0.4) out = undefined;
    else if (r < 0.7) out = new Type(size);
    else if (r < 0.8) {
      // A view of another tensor's memory in this heap, of the right type and size.
      owner = this.live('tensor', (e) => e !== t && e.k === t.k && product(e.shape) === size && e.buf !== t.buf &&
        this.tensorGetter(e, 'isContiguous') && !aliases(e));
      out = owner === null ? new Type(size) : this.call(owner, 'view');
    } else {
      out = this.rng.pick([new (t.k === 0 ? Float64Array : Float32Array)(size), new Type(size + 1), detached(Type),
        new Proxy(new Type(size), {}), [], 'out', null]);
      valid = false;
      if (out === null) valid = false;
    }
    const label = `#${t.id}.read(${out === undefined ? '' : owner !== null ? `heap view of #${owner.id}` : show(out)})`;
    const outcome = this.attempt(label, () => (out === undefined ? this.call(t, 'read') : this.call(t, 'read', out)));
    if (!this.judge(label, outcome, { valid, target: t })) return;
    if (out !== undefined && outcome.value !== out) this.fail(`${label} did not return out`);
    if (!t.buf.known) {
      if (owner !== null) owner.buf.known = false;
      return;
    }
    const expected = contentOf(t);
    const actual = Array.from(outcome.value);
    if (!sameValues(actual, expected)) this.fail(`${label} gives ${show(actual)}, the model ${show(expected)}`);
    if (owner !== null) {
      const elements = owner.buf.elements(owner.k);
      let i = 0;
      for (const index of indices(owner.shape)) elements[position(owner, index)] = expected[i++];
    }
  },

  aToArray() {
    const t = this.target('tensor');
    if (t === null) return;
    const label = `#${t.id}.toArray()`;
    const outcome = this.attempt(label, () => this.call(t, 'toArray'));
    if (!this.judge(label, outcome, { valid: true, target: t }) || !t.buf.known) return;
    const flat = t.shape.length === 0 ? [outcome.value] : outcome.value.flat(t.shape.length - 1);
    const expected = contentOf(t).map((v) => (t.k === BOOL ? v === 1 : v));
    if (!sameValues(flat, expected)) this.fail(`${label} gives ${show(flat)}, the model ${show(expected)}`);
  },

  aWrite() {
    const t = this.target('tensor');
    if (t === null) return;
    const size = product(t.shape);
    const n = this.rng.chance(0.9) ? size : size + this.rng.pick([1, -1]);
    const r = this.rng.float();
    let value, converted, note, valid;
    if (r < 0.35) {
      const Type = this.rng.pick(TYPED_ARRAYS);
      const source = new Type(Math.max(n, 0));
      const big = Type === BigInt64Array || Type === BigUint64Array;
      for (let i = 0; i < source.length; i++) {
        const v = elementValue(this.rng, big ? INT64 : 1);
        source[i] = big ? (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)) || 0)) : Number(v);
      }
      value = source;
      converted = expect(() => convertTyped(source, t.k));
      note = `${Type.name}(${show(Array.from(source))})`;
    } else if (r < 0.45) {
      const raw = this.heapView();
      if (raw === null || !raw.valid) {
        value = raw?.value ?? detached(Float32Array);
        converted = null;
        note = raw?.note ?? 'detached';
      } else {
        value = raw.value;
        const copy = new (Object.getPrototypeOf(raw.value).constructor)(raw.bytes.buffer.slice(0));
        converted = expect(() => convertTyped(copy, t.k));
        note = raw.note;
      }
    } else {
      const flat = Array.from({ length: Math.max(n, 0) }, () => elementValue(this.rng, t.k));
      if (this.rng.chance(0.08) && flat.length > 0) flat[this.rng.int(flat.length)] = badElement(this.rng, (v) => this.coercible(v));
      converted = expect(() => convertList(flat, t.k));
      const effect = this.effect(t);
      value = flat.slice();
      note = `${show(flat)}${effect.note}`;
      if (effect.note !== '' && flat.length > 0) {
        if (this.rng.chance(0.5)) {
          const at = this.rng.int(flat.length);
          Object.defineProperty(value, at, { get() { effect.run(); return flat[at]; }, enumerable: true });
        } else {
          value = new Proxy(value, { get(target, key, receiver) { effect.run(); return Reflect.get(target, key, receiver); } });
        }
      } else if (this.rng.chance(0.05)) {
        value = this.rng.pick([5, 'abc', null, { length: -1 }, revokedProxy([]), new DataView(new ArrayBuffer(4))]);
        converted = null;
        note = `bad ${show(value)}`;
      }
    }
    const writable = this.writable(t);
    valid = converted !== null && converted.length === size && writable;
    const label = `#${t.id}.write(${note})`;
    const outcome = this.attempt(label, () => this.call(t, 'write', value));
    if (!this.judge(label, outcome, { valid, target: t, refusable: writable ? [] : ['READ_ONLY'] })) return;
    const elements = t.buf.elements(t.k);
    let i = 0;
    for (const index of indices(t.shape)) elements[position(t, index)] = converted[i++];
  },

  aRawView() {
    const raw = this.heapView();
    if (raw !== null) this.note(`raw view: ${raw.note}`);
  },

  // --- checked views ---------------------------------------------------------------------------
  aReadDataView() {
    const data = this.target('data');
    if (data === null) return;
    const k = this.rng.int(DTYPES.length);
    const dtype = this.rng.chance(0.2) ? { value: undefined, valid: true, effective: 3, note: '' } : this.dtype(k);
    const label = `readDataView(#${data.id}, ${dtype.note})`;
    const outcome = this.attempt(label, () => (dtype.value === undefined ? this.device.readDataView(data.obj)
      : this.device.readDataView(data.obj, dtype.value)));
    if (!this.judge(label, outcome, { valid: dtype.valid, target: data })) return;
    const view = { view: outcome.value, data, k: dtype.effective };
    if (outcome.value.length !== Math.floor(data.byteLength / itemsize(view.k))) this.fail(`${label}: length ${outcome.value.length}`);
    this.views.push(view);
  },

  aCheckedAccess() {
    if (this.views.length === 0) return this.aReadDataView();
    const v = this.rng.pick(this.views);
    const length = Math.floor(v.data.byteLength / itemsize(v.k));
    const alive = !v.data.disposed;
    const i = this.rng.chance(0.85) ? this.rng.int(length + 1) : this.rng.pick([-1, length + 5, 1.5, 'length', 'dtype']);
    const inRange = typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < length;
    const elements = v.data.buf.elements(v.k);
    const r = this.rng.float();
    if (r < 0.45) {
      const label = `checked view [${show(i)}]`;
      const outcome = this.attempt(label, () => v.view[i]);
      const property = i === 'length' || i === 'dtype';
      if (!this.judge(label, outcome, { valid: property || (alive && inRange), target: property ? null : v.data })) return;
      if (property) {
        const want = i === 'length' ? length : DTYPES[v.k];
        if (outcome.value !== want) this.fail(`${label} is ${outcome.value}`);
      } else if (v.data.buf.known) {
        const stored = elements[i];
        const expected = v.k === BOOL ? stored !== 0 : stored;
        if (!sameValues([outcome.value], [expected])) this.fail(`${label} is ${show(outcome.value)}, the model ${show(expected)}`);
      }
    } else if (r < 0.9) {
      const value = this.rng.chance(0.88) ? elementValue(this.rng, v.k) : badElement(this.rng, (x) => this.coercible(x));
      const label = `checked view [${show(i)}] = ${show(value)}`;
      const outcome = this.attempt(label, () => { v.view[i] = value; });
      if (!this.judge(label, outcome, { valid: alive && inRange && acceptsElement(value, v.k), target: v.data })) return;
      storeElement(elements, i, value, v.k);
    } else {
      const label = 'checked view iteration';
      const outcome = this.attempt(label, () => [...v.view]);
      if (!this.judge(label, outcome, { valid: alive, target: v.data }) || !v.data.buf.known) return;
      const expected = Array.from(elements, (x) => (v.k === BOOL ? x !== 0 : x));
      if (!sameValues(outcome.value, expected)) this.fail(`${label} gives ${show(outcome.value)}, the model ${show(expected)}`);
    }
    return undefined;
  },

  // --- lifetimes ------------------------------------------------------------------------------
  aDispose() {
    const entry = this.rng.chance(0.9) ? this.live() : this.entries.find((e) => e.disposed) ?? this.live();
    if (entry === null || entry === undefined) return;
    const viaDevice = entry.type === 'data' && this.rng.chance(0.4);
    const label = `${viaDevice ? 'disposeData' : 'dispose'}(${entry.type} #${entry.id}${entry.disposed ? ', disposed' : ''})`;
    const outcome = this.attempt(label, () => (viaDevice ? this.device.disposeData(entry.obj)
      : this.rng.chance(0.2) ? entry.obj[Symbol.dispose]() : this.call(entry, 'dispose')));
    if (!this.judge(label, outcome, { valid: true })) return;
    this.markDisposed(entry);
  },

  aKeep() {
    const entry = this.live();
    const value = entry !== null && this.rng.chance(0.85) ? entry.obj : this.rng.pick([{}, 5, null, new Proxy({}, {})]);
    const label = `keep(${value === entry?.obj ? `#${entry.id}` : show(value)})`;
    const outcome = this.attempt(label, () => this.device.keep(value));
    if (!this.judge(label, outcome, { valid: value === entry?.obj, target: value === entry?.obj ? entry : null })) return;
    if (outcome.value !== value) this.fail(`${label} did not return its argument`);
    entry.kept = true;
  },

  // What a scope returns: some of the objects it made, in some structure; the
  // entries that count as returned; or a result whose examination throws.
  scopeResult(scope) {
    const made = scope.objects.filter((e) => !e.disposed);
    const some = made.filter(() => this.rng.chance(0.5));
    const returned = new Set(some);
    const objects = some.map((e) => e.obj);
    const kind = this.rng.weighted([[3, 'none'], [3, 'direct'], [4, 'array'], [3, 'object'], [2, 'map'], [1, 'set'],
      [1, 'cyclic'], [2, 'getter'], [1, 'throwingProxy'], [1, 'throwingThen'], [1, 'revoked'], [1, 'throw']]);
    switch (kind) {
      case 'none': returned.clear(); return { kind, value: 42, returned };
      case 'direct':
        if (some.length === 0) return { kind, value: undefined, returned };
        returned.clear(); returned.add(some[0]);
        return { kind, value: some[0].obj, returned };
      case 'array': return { kind, value: [objects, 1, [objects.slice(1)]], returned };
      case 'object': return { kind, value: Object.fromEntries(objects.map((o, i) => [`k${i}`, { deep: o }])), returned };
      case 'map': return { kind, value: new Map(objects.map((o, i) => (i % 2 === 0 ? [o, i] : [i, o]))), returned };
      case 'set': return { kind, value: new Set(objects), returned };
      case 'cyclic': {
        const a = [...objects];
        a.push(a, { a, again: a });
        return { kind, value: a, returned };
      }
      case 'getter': {
        // a getter's value does not count: whatever only it holds is disposed
        let calls = 0;
        const value = { get hidden() { calls++; return objects; } };
        returned.clear();
        return { kind, value, returned, check: () => calls === 0 };
      }
      case 'throwingProxy':
        returned.clear();
        return { kind, value: [new Proxy(objects, { get() { throw new HostileError('trap'); } })], returned, throws: true };
      case 'throwingThen':
        returned.clear();
        return { kind, value: { get then() { throw new HostileError('then getter'); } }, returned, throws: true };
      case 'revoked': returned.clear(); return { kind, value: revokedProxy(objects), returned };
      default: returned.clear(); return { kind, value: null, returned, throwsInFn: true };
    }
  },

  // Closes a model scope as device.scope closes it.
  closeScope(scope, returned) {
    const parent = this.scopes[this.scopes.length - 1];
    for (const entry of scope.objects) {
      if (returned.has(entry) && !entry.disposed) {
        if (parent !== undefined) parent.objects.push(entry);
      } else if (!entry.kept) {
        this.markDisposed(entry);
      }
    }
  },

  scopeBody(scope, steps) {
    for (let i = 0; i < steps; i++) {
      if (!this.deviceAlive) return;
      const action = this.rng.weighted(this.actions().filter(([, a]) => a.constructor.name !== 'AsyncFunction'));
      action.call(this);
    }
  },

  aScope() {
    if (this.scopes.length >= 2) return this.aGet();
    const scope = { objects: [] };
    let plan;
    const fn = () => {
      this.scopes.push(scope);
      try {
        this.scopeBody(scope, 1 + this.rng.int(3));
        plan = this.scopeResult(scope);
        if (plan.throwsInFn) {
          this.effectStack[this.effectStack.length - 1].threw = true;
          throw new HostileError('scope fn');
        }
        if (plan.throws) this.effectStack[this.effectStack.length - 1].threw = true;
        return plan.value;
      } finally {
        this.scopes.pop();
      }
    };
    const outcome = this.attempt('device.scope(fn)', () => this.device.scope(fn));
    if (plan === undefined) {  // fn never ran to its end (a failure inside it)
      this.closeScope(scope, new Set());
      return undefined;
    }
    if (!outcome.ok && !outcome.hostile) {
      if (this.deviceAlive) this.fail(`device.scope refused a valid fn with ${outcome.code}`);
      this.closeScope(scope, new Set());
      return undefined;
    }
    this.closeScope(scope, outcome.ok ? plan.returned : new Set());
    if (outcome.ok && plan.throws) this.fail(`device.scope: a ${plan.kind} result did not throw`);
    if (outcome.ok && outcome.value !== plan.value) this.fail('device.scope did not return what fn returned');
    if (plan.check && !plan.check()) this.fail('device.scope called a getter of its result');
    return undefined;
  },

  // An async fn, or a sync fn returning a thenable: the scope stays open until it settles.
  async aAsyncScope() {
    if (this.scopes.length !== 0) return;
    const scope = { objects: [] };
    const thenable = this.rng.chance(0.3);
    let plan;
    let effects;
    const finish = () => {
      plan = this.scopeResult(scope);
      // Promise resolution reads `then` itself: of a throwing getter, or of a revoked Proxy (a TypeError).
      if ((plan.kind === 'throwingThen' && !thenable) || plan.kind === 'revoked') {
        plan = { kind: 'none', value: 7, returned: new Set() };
      }
      if (plan.throwsInFn || plan.throws) effects.threw = true;
      if (plan.throwsInFn) throw new HostileError('scope fn');
      return plan.value;
    };
    // The scope is the model's current one only while the body's own code
    // runs: what other code does while the body awaits belongs to no scope
    // (in node, AsyncLocalStorage carries a scope to its own continuations).
    const segment = (fn) => {
      this.scopes.push(scope);
      try {
        return fn();
      } finally {
        this.scopes.pop();
      }
    };
    const body = async () => {
      segment(() => this.scopeBody(scope, 1 + this.rng.int(2)));
      await null;
      segment(() => this.scopeBody(scope, this.rng.int(2)));
      await new Promise((resolve) => setTimeout(resolve, 0));
      return segment(() => {
        this.scopeBody(scope, 1);
        return finish();
      });
    };
    const syncWithThenable = () => {
      this.scopes.push(scope);
      try {
        this.scopeBody(scope, 1 + this.rng.int(2));
        const value = finish();
        if (plan.kind === 'throwingThen') return value;
        return { then: (resolve) => { resolve(value); } };
      } finally {
        this.scopes.pop();
      }
    };
    const label = thenable ? 'await device.scope(() => thenable)' : 'await device.scope(async fn)';
    const pending = this.attemptAsync(label, () => {
      effects = this.effectStack[this.effectStack.length - 1];
      return this.device.scope(thenable ? syncWithThenable : body);
    });
    if (!thenable && this.rng.chance(0.5)) {
      // Other code runs while the scope is pending.
      this.note('while the async scope is pending:');
      this.scopeBody(null, 1 + this.rng.int(3));
    }
    const outcome = await pending;
    if (plan === undefined) {
      this.closeScope(scope, new Set());
      return;
    }
    if (!outcome.ok && !outcome.hostile && this.deviceAlive) this.fail(`${label} rejected with ${outcome.code}`);
    this.closeScope(scope, outcome.ok ? plan.returned : new Set());
    if (outcome.ok && plan.throws) this.fail(`${label}: a ${plan.kind} result did not throw`);
    if (outcome.ok && outcome.value !== plan.value) this.fail(`${label} did not resolve to what fn gave`);
    if (plan.check && !plan.check()) this.fail(`${label} called a getter of its result`);
  },

  aCompact() {
    const intensive = this.rng.chance(0.5);
    const outcome = this.attempt(intensive ? 'performIntensiveCleanup()' : 'compact()',
      () => (intensive ? this.device.performIntensiveCleanup() : this.device.compact()));
    if (this.judge('compact', outcome, { valid: true }) && !(outcome.value >= 0)) this.fail(`compact() returned ${outcome.value}`);
  },

  aShrink() {
    const outcome = this.attempt('shrink()', () => this.device.shrink());
    if (this.judge('shrink', outcome, { valid: true }) && !(outcome.value.heapAfter > 0)) {
      this.fail(`shrink() returned ${JSON.stringify(outcome.value)}`);
    }
  },

  aStats() {
    const outcome = this.attempt('liveAllocations()', () => this.device.liveAllocations());
    if (!this.judge('liveAllocations', outcome, { valid: true })) return;
    const expected = this.liveCount('tensor') + this.liveCount('data');
    if (outcome.value.length !== expected) this.fail(`liveAllocations() lists ${outcome.value.length}, the fuzzer holds ${expected}`);
  },

  // Own properties on an object shadow its getters and methods for the app; never for the package.
  aShadow() {
    const entry = this.live();
    if (entry === null) return;
    const key = this.rng.pick(['byteLength', 'isDisposed', 'dispose', 'constructor', 'id', 'shape', 'size', 'toString',
      Symbol.toPrimitive]);
    const value = this.rng.pick([4096, false, () => {}, -1, [99], null]);
    this.note(`define ${String(key)} on #${entry.id}`);
    Object.defineProperty(entry.obj, key, { get() { return value; }, configurable: true });
  },
};

Object.assign(Fuzzer.prototype, actions);
export { Fuzzer, FuzzFailure };
