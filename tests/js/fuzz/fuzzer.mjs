// A seeded random driver over tensormem's public JavaScript API.
//
// Each step calls one method of a Device, Tensor, DeviceData or checked view,
// with valid arguments in many presentations (arrays, typed arrays of every
// kind, Proxies, views of the device's own heap) or hostile ones (NaN,
// fractions, 2^53, strings, Symbols, bigints, null, objects with valueOf,
// revoked Proxies, cyclic and detached arrays), and with callbacks hidden in
// getters and Proxy traps that dispose the target, allocate until the heap
// grows, call other ops, or throw. After every call it checks:
//
// - the outcome is a result or a TensorMemError with a known code (or the
//   fuzzer's own HostileError, thrown by its callbacks); anything else is a
//   failure, as is a refusal the contract does not allow or an acceptance of
//   an argument it refuses;
// - values match a reference model (model.mjs) of every buffer and view;
// - live counts (getMemoryStats) equal what the fuzzer holds, every object's
//   isDisposed is what the model says, and a small probe still works.
//
// A failure throws FuzzFailure naming the seed and the step, with the trace
// of the last calls; the same seed replays the same calls.
import { coercible } from '../support.mjs';
import { DTYPES, ModelBuffer, contentOf, isInt, product, sameArray, sameValues } from './model.mjs';
import { BAD_INTEGERS, HostileError, detached, revokedProxy, show } from './values.mjs';

const KNOWN_CODES = new Set(['DISPOSED', 'OUT_OF_BOUNDS', 'INVALID_SHAPE', 'INVALID_ARGUMENT', 'NOT_VIEWABLE',
  'NOT_CONTIGUOUS', 'DTYPE_MISMATCH', 'MEMORY_LIMIT', 'OUT_OF_MEMORY', 'READ_ONLY']);
// Codes a valid call with nothing hostile in it may still get.
const RESOURCE_CODES = new Set(['MEMORY_LIMIT', 'OUT_OF_MEMORY']);
const MiB = 1024 * 1024;
const HEAP_CAP = 320 * MiB;  // the fuzzer stops growing the heap here

export class FuzzFailure extends Error {
  constructor(message, { seed, step, trace, cause }) {
    super(`${message}\n  seed ${seed}, step ${step}; replay: node tests/js/fuzz/run.mjs --seeds ${seed} ` +
      `--steps ${step + 1} --verbose\n  last calls:\n    ${trace.join('\n    ')}` +
      (cause?.stack ? `\n  cause: ${cause.stack}` : ''));
    this.name = 'FuzzFailure';
    this.seed = seed;
    this.step = step;
  }
}

// sfc32, seeded through splitmix32: the same seed gives the same calls anywhere.
export class Random {
  constructor(seed) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  float() { return this.u32() / 2 ** 32; }
  int(n) { return Math.floor(this.float() * n); }
  chance(p) { return this.float() < p; }
  pick(list) { return list[this.int(list.length)]; }
  weighted(entries) {
    let total = 0;
    for (const [w] of entries) total += w;
    let r = this.float() * total;
    for (const [w, v] of entries) if ((r -= w) < 0) return v;
    return entries[entries.length - 1][1];
  }
}

export class Fuzzer {
  constructor(pkg, { seed, steps, log = null }) {
    this.pkg = pkg;
    this.seed = seed;
    this.steps = steps;
    this.log = log;
    this.rng = new Random(seed);
    this.step = 0;
    this.trace = [];
    this.stats = { calls: 0, episodes: 0, outcomes: {} };
    this.effectStack = [];
    this.callbackDepth = 0;
    this.coercions = { count: 0 };  // calls of any coercible's valueOf/toString
  }

  // --- bookkeeping ---------------------------------------------------------------
  // Also kept, for a failure thrown inside a callback that the package's error
  // handling might catch (a message built from a Proxy's trap).
  fail(message, cause) {
    const failure = new FuzzFailure(message, { seed: this.seed, step: this.step, trace: this.trace.slice(-25), cause });
    this.failure ??= failure;
    throw failure;
  }

  note(text) {
    const line = `${this.step}: ${'  '.repeat(this.callbackDepth)}${text}`;
    this.trace.push(line);
    if (this.trace.length > 200) this.trace.splice(0, 100);
    if (this.log) this.log(line);
  }

  async newEpisode() {
    this.stats.episodes++;
    if (this.rng.chance(0.1)) await this.badCreate();
    const options = this.rng.weighted([[4, {}], [2, { maxMemory: Infinity }], [1, { maxMemory: 8 * MiB }],
      [1, { debug: true }], [1, { autoCompact: false, compactThreshold: 0.5 }]]);
    this.note(`Device.create({${Object.entries(options).map(([key, value]) => `${key}: ${value}`).join(', ')}})`);
    this.device = await this.pkg.Device.create(options);
    this.deviceAlive = true;
    this.limited = options.maxMemory !== Infinity;
    this.entries = [];      // every object the fuzzer made, live or disposed (the disposed ones for a while)
    this.views = [];        // checked views: { view, data, k }
    this.rawViews = [];     // unchecked typed arrays over the heap: { array, owner, heapBytes }
    this.scopes = [];       // model scopes, innermost last
    const probe = this.device.zeros([1]);
    this.T = Object.getPrototypeOf(probe);
    probe.dispose();
    const data = this.device.createData(1);
    this.D = Object.getPrototypeOf(data);
    data.dispose();
    this.isDisposed = (entry) => Object.getOwnPropertyDescriptor(entry.type === 'tensor' ? this.T : this.D,
      'isDisposed').get.call(entry.obj);
  }

  // Device.create with options the contract refuses: a rejection, nothing else.
  async badCreate() {
    let reads = 0;
    const options = this.rng.pick([
      () => ({ maxMemory: this.rng.pick(['1', -1, 0, NaN, 1.5, 1n, null, this.coercible(1)]) }),
      () => ({ compactThreshold: this.rng.pick([0, 2, NaN, '0.5', -1]) }),
      () => ({ autoCompact: 'yes' }), () => ({ debug: 1 }),
      () => ({ get maxMemory() { reads++; return 'lots'; } }),
      () => revokedProxy({}), () => 'options', () => null,
    ])();
    this.note(`Device.create(bad ${show(options)})`);
    const coercions = this.coercions.count;
    let device;
    try {
      device = await this.pkg.Device.create(options);
    } catch (error) {
      if (!(error instanceof this.pkg.TensorMemError) || error.code !== 'INVALID_ARGUMENT') {
        this.fail(`Device.create(bad options) rejected with ${error?.name}: ${error?.message}`, error);
      }
    }
    if (device !== undefined) {
      device.dispose();
      this.fail('Device.create accepted bad options');
    }
    if (reads > 1) this.fail(`Device.create read an option ${reads} times`);
    if (this.coercions.count !== coercions) this.fail('Device.create coerced an option');
  }

  // Calls a prototype method, not whatever an own property of the object says.
  call(entry, method, ...args) {
    return (entry.type === 'tensor' ? this.T : this.D)[method].apply(entry.obj, args);
  }
  tensorGetter(entry, name) {
    return Object.getOwnPropertyDescriptor(this.T, name).get.call(entry.obj);
  }

  adopt(obj, fields) {
    const proto = fields.type === 'tensor' ? this.T : this.D;
    const entry = { obj, disposed: false, kept: false, ...fields, id: Object.getOwnPropertyDescriptor(proto, 'id').get.call(obj) };
    this.entries.push(entry);
    this.note(`  = ${entry.type} #${entry.id}${entry.type === 'tensor' ? ` ${DTYPES[entry.k]} [${entry.shape}]` : ` ${entry.byteLength} bytes`}`);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope !== undefined) scope.objects.push(entry);
    return entry;
  }

  tensorEntry(obj, k, buf, extra = {}) {
    const shape = [...this.tensorGetter({ obj }, 'shape')];
    const strides = [...this.tensorGetter({ obj }, 'strides')];
    const offset = this.tensorGetter({ obj }, 'offset');
    return { type: 'tensor', obj, k, buf, shape, strides, offset, ...extra };
  }

  // A live object to use. Not a helper: a helper's heap view is an argument of
  // the call being made, and disposing it from a callback would leave the
  // call a stale view, whose contents nobody promises.
  live(type, filter = () => true) {
    const list = this.entries.filter((e) => !e.disposed && !e.helper && (type === undefined || e.type === type) &&
      filter(e));
    return list.length === 0 ? null : this.rng.pick(list);
  }

  // A target for a call: live, or now and then a disposed one (use after dispose).
  target(type, filter) {
    if (this.rng.chance(0.04)) {
      const gone = this.entries.filter((e) => e.disposed && e.type === type);
      if (gone.length !== 0) return this.rng.pick(gone);
    }
    return this.live(type, filter);
  }

  markDisposed(entry) {
    if (entry.disposed) return;
    entry.disposed = true;
  }

  liveCount(type) {
    return this.entries.filter((e) => e.type === type && !e.disposed).length;
  }

  // --- one call -------------------------------------------------------------------
  // The outcome of fn(): { ok, value } or { ok: false, code } or { ok: false,
  // hostile }; anything but a TensorMemError with a known code or a
  // HostileError our callbacks threw is a failure.
  attempt(label, fn) {
    this.note(label);
    const effects = { threw: false, disposed: new Set(), device: false, grew: false };
    this.effectStack.push(effects);
    const coercions = this.coercions.count;
    this.stats.calls++;
    let outcome;
    try {
      outcome = { ok: true, value: fn(), effects };
    } catch (error) {
      outcome = this.classify(label, error, effects);
    } finally {
      this.effectStack.pop();
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.coercions.count !== coercions) this.fail(`${label}: a value was coerced (valueOf or toString ran)`);
    return outcome;
  }

  async attemptAsync(label, fn) {
    this.note(label);
    const effects = { threw: false, disposed: new Set(), device: false, grew: false };
    this.effectStack.push(effects);
    const coercions = this.coercions.count;
    this.stats.calls++;
    let outcome;
    try {
      outcome = { ok: true, value: await fn(), effects };
    } catch (error) {
      outcome = this.classify(label, error, effects);
    } finally {
      this.effectStack.pop();
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.coercions.count !== coercions) this.fail(`${label}: a value was coerced (valueOf or toString ran)`);
    return outcome;
  }

  classify(label, error, effects) {
    if (error instanceof this.pkg.TensorMemError && KNOWN_CODES.has(error.code)) {
      this.stats.outcomes[error.code] = (this.stats.outcomes[error.code] ?? 0) + 1;
      this.note(`  -> ${error.code}: ${error.message.split('\n')[0].slice(0, 160)}`);
      return { ok: false, code: error.code, error, effects };
    }
    if (error instanceof FuzzFailure) throw error;
    if (error instanceof HostileError) {
      if (!effects.threw) this.fail(`${label}: a HostileError no callback of this call threw`, error);
      this.note('  -> HostileError');
      return { ok: false, hostile: true, effects };
    }
    return this.fail(`${label} threw ${error?.name ?? typeof error}: ${error?.message ?? String(error)}`, error);
  }

  // After a call whose arguments were all `valid` and whose target was
  // `target`: success is wrong when something should have stopped it, and a
  // refusal is wrong when nothing should have.
  judge(label, outcome, { valid, target = null, refusable = [] }) {
    const { effects } = outcome;
    const stopped = effects.threw || effects.device || !this.deviceAlive ||
      (target !== null && (target.disposed || effects.disposed.has(target)));
    if (outcome.ok) {
      if (!valid) this.fail(`${label}: accepted an argument the contract refuses`);
      if (effects.threw) this.fail(`${label}: succeeded although a callback threw`);
      if (effects.device) this.fail(`${label}: succeeded on a device disposed during the call`);
      if (target !== null && target.disposed) this.fail(`${label}: succeeded on a disposed ${target.type}`);
      return true;
    }
    // A callback that grew the heap detaches every view of it, arguments the call had not yet read included.
    const detachedByGrowth = effects.grew && / is a detached /.test(outcome.error?.message ?? '');
    if (valid && !stopped && !detachedByGrowth && !outcome.hostile && !RESOURCE_CODES.has(outcome.code) && !refusable.includes(outcome.code)) {
      this.fail(`${label}: refused a valid call with ${outcome.code}: ${outcome.error?.message}`);
    }
    return false;
  }

  // --- callbacks hidden in arguments ------------------------------------------------
  effect(target) {
    if (this.callbackDepth > 0) return { run() {}, note: '' };
    const kind = this.rng.weighted([[30, 'none'], [22, 'callOp'], [10, 'allocate'], [5, 'grow'],
      [10, 'disposeTarget'], [8, 'disposeRandom'], [6, 'throw'], [0.4, 'disposeDevice'], [3, 'shrink']]);
    if (kind === 'none') return { run() {}, note: '' };
    const seed = this.rng.u32();
    let ran = false;
    return {
      note: ` {${kind}}`,
      run: () => {
        if (ran && kind !== 'throw') return;  // a getter may be read more than once; its side effect happens once
        ran = true;
        const effects = this.effectStack[this.effectStack.length - 1];
        this.callbackDepth++;
        try {
          this.runEffect(kind, target, effects, seed);
        } finally {
          this.callbackDepth--;
        }
      },
    };
  }

  runEffect(kind, target, effects, seed) {
    switch (kind) {
      case 'callOp': {
        const saved = this.rng;
        this.rng = new Random(seed);
        try {
          this.rng.pick(this.innerActions).call(this);
        } finally {
          this.rng = saved;
        }
        break;
      }
      case 'allocate': {
        this.note('callback: zeros([8])');
        const t = this.device.zeros([8]);
        this.adopt(t, this.tensorEntry(t, 0, new ModelBuffer(32)));
        break;
      }
      case 'grow': {
        const heap = this.device.getMemoryStats().wasmHeapBytes;
        if (heap >= HEAP_CAP || this.limited) break;
        this.note(`callback: createData(${heap}) to grow the heap`);
        const data = this.device.createData(heap);
        this.adopt(data, { type: 'data', buf: new ModelBuffer(0, false), byteLength: heap, big: true });
        effects.grew = true;
        break;
      }
      case 'shrink': {
        // Every buffer moves to another instance (new addresses); raw views detach, as after growth.
        this.note('callback: device.shrink()');
        this.device.shrink();
        effects.grew = true;
        break;
      }
      case 'disposeTarget':
        if (target !== null && !target.disposed) {
          this.note('callback: dispose the target');
          this.call(target, 'dispose');
          this.markDisposed(target);
          effects.disposed.add(target);
        }
        break;
      case 'disposeRandom': {
        const victim = this.live();
        if (victim !== null) {
          this.note('callback: dispose another object');
          this.call(victim, 'dispose');
          this.markDisposed(victim);
          effects.disposed.add(victim);
        }
        break;
      }
      case 'throw':
        effects.threw = true;
        throw new HostileError('throw');
      case 'disposeDevice':
        this.note('callback: device.dispose()');
        this.device.dispose();
        this.deviceAlive = false;
        effects.device = true;
        break;
      default:
        break;
    }
  }

  // An object whose valueOf/toString must never be called.
  coercible(value) {
    return coercible(value, this.coercions);
  }

  // --- argument generators ----------------------------------------------------------
  // An integer argument: mostly `effective`, else something no integer argument accepts.
  int(effective, { optional = false } = {}) {
    if (this.rng.chance(0.9)) {
      if (effective === 0 && this.rng.chance(0.2)) return { value: -0, valid: true, effective: 0, note: '-0' };
      return { value: effective, valid: isInt(effective), effective, note: show(effective) };
    }
    if (optional && this.rng.chance(0.2)) return { value: undefined, valid: true, effective: undefined, note: 'undefined' };
    const value = this.rng.chance(0.15) ? this.coercible(1) : this.rng.pick(BAD_INTEGERS);
    const numeric = typeof value === 'number' && isInt(value);
    return { value, valid: numeric, effective: value, note: show(value) };
  }

  // A list of integers (shape, dims) in some presentation; callbacks run when it is read.
  list(effective, target) {
    const effect = this.effect(target);
    const plain = effective.slice();
    const r = this.rng.float();
    const int32 = effective.every((v) => (v | 0) === v);
    if (r < 0.4 || effective.length === 0) {
      if (effect.note !== '' && plain.length > 0) {
        const at = this.rng.int(plain.length);
        const v = plain[at];
        Object.defineProperty(plain, at, { get() { effect.run(); return v; }, enumerable: true });
        return { value: plain, valid: effective.every(isInt), effective, note: `${show(effective)} getter@${at}${effect.note}` };
      }
      return { value: plain, valid: effective.every(isInt), effective, note: show(effective) };
    }
    if (r < 0.55 && int32) {
      const Type = this.rng.pick([Int32Array, Float64Array, Int16Array, Float32Array]);
      const typed = Type.from(effective);
      const exact = Array.from(typed).every((v, i) => v === effective[i]);
      return { value: typed, valid: exact && effective.every(isInt), effective: Array.from(typed), note: `${Type.name}${show(effective)}` };
    }
    if (r < 0.7) {
      const proxy = new Proxy(plain, { get(t, key, receiver) { effect.run(); return Reflect.get(t, key, receiver); } });
      return { value: proxy, valid: effective.every(isInt), effective, note: `Proxy${show(effective)}${effect.note}` };
    }
    if (r < 0.78 && int32 && effective.length > 0) {
      // A view of the device's own heap, holding the list.
      const t = this.device.tensor(Int32Array.from(effective));
      const entry = this.adopt(t, this.tensorEntry(t, 6, bufferOf(Int32Array.from(effective)), { helper: true }));
      return { value: this.call(entry, 'view'), valid: effective.every(isInt), effective, note: `heapview${show(effective)}` };
    }
    // Hostile: one bad element, or a list that is not one.
    // Every variant is refused, except an empty BigInt64Array, which is an empty list.
    const [bad, note] = this.rng.pick([
      () => {
        const l = plain.slice();
        l[this.rng.int(l.length + 1)] = this.rng.pick(BAD_INTEGERS.concat([this.coercible(1)]));
        return [l, show(l)];
      },
      () => { const v = this.rng.pick(['2,3', 6, null, undefined, {}, { length: 2, 0: 1, 1: 2 }]); return [v, show(v)]; },
      () => [new DataView(new ArrayBuffer(8)), 'DataView'],
      () => [revokedProxy(plain), 'revoked Proxy'],
      () => [detached(Int32Array), 'detached Int32Array'],
      () => [BigInt64Array.from(effective.map((v) => BigInt(Math.trunc(Number.isFinite(v) ? v : 0)))), 'BigInt64Array'],
      () => [new Proxy(plain, { get: (t, key) => (key === 'length' ? this.rng.pick([-1, 1.5, '2', 2 ** 32, NaN]) : t[key]) }),
        'Proxy with a bad length'],
    ])();
    const emptyBig = note === 'BigInt64Array' && effective.length === 0;
    return { value: bad, valid: emptyBig, effective: emptyBig ? [] : bad, note: `bad ${note}` };
  }

  dtype(k) {
    if (this.rng.chance(0.95)) return { value: DTYPES[k], valid: true, effective: k, note: `'${DTYPES[k]}'` };
    const value = this.rng.pick(['float16', 'Float32', 7, null, Symbol('dtype'), this.coercible('float32'), {}]);
    return { value, valid: false, effective: -1, note: show(value) };
  }

  // --- checks -------------------------------------------------------------------------
  checkCounts(label) {
    if (!this.deviceAlive) return;
    const stats = this.device.getMemoryStats();
    const tensors = this.liveCount('tensor');
    const data = this.liveCount('data');
    if (stats.liveTensors !== tensors || stats.liveData !== data) {
      this.fail(`${label}: live counts ${stats.liveTensors} tensors, ${stats.liveData} data; the fuzzer holds ` +
        `${tensors} and ${data}`);
    }
  }

  checkFlags(label) {
    for (const entry of this.entries) {
      const reported = this.isDisposed(entry);
      const expected = entry.disposed || !this.deviceAlive;
      if (reported !== expected) {
        this.fail(`${label}: ${entry.type} #${entry.id} isDisposed is ${reported}, the model says ${expected}`);
      }
    }
  }

  checkContent(entry, label) {
    if (entry.disposed || !entry.buf.known) return;
    if (entry.type === 'tensor') {
      const actual = Array.from(this.call(entry, 'read'));
      const expected = contentOf(entry);
      if (!sameValues(actual, expected)) {
        this.fail(`${label}: read() of ${DTYPES[entry.k]} [${entry.shape}] gives ${show(actual)}, the model ${show(expected)}`);
      }
    } else {
      const view = this.call(entry, 'view');
      const actual = Array.from(view);
      const expected = Array.from(entry.buf.bytes.subarray(0, entry.byteLength));
      if (!sameArray(actual, expected)) this.fail(`${label}: data bytes ${show(actual)}, the model ${show(expected)}`);
    }
  }

  probe() {
    if (!this.deviceAlive) return;
    const p = this.device.tensor([1, 2, 3]);
    p.set(5, 1);
    const values = Array.from(p.read());
    p.dispose();
    if (!sameArray(values, [1, 5, 3])) this.fail(`the probe read ${show(values)}`);
  }

  checkAll(label) {
    this.checkCounts(label);
    this.checkFlags(label);
    if (this.deviceAlive) {
      for (const entry of this.entries) if (!entry.disposed && entry.buf.known && (entry.type === 'data' ? entry.byteLength <= 4096 : product(entry.shape) <= 4096)) this.checkContent(entry, label);
    }
    this.probe();
  }

  // Drops disposed entries the fuzzer no longer needs, and big buffers made to grow the heap.
  tidy() {
    for (const entry of this.entries) {
      if (!entry.disposed && (entry.big || entry.helper) && this.deviceAlive && this.scopes.length === 0) {
        this.call(entry, 'dispose');
        this.markDisposed(entry);
      }
    }
    const disposed = this.entries.filter((e) => e.disposed);
    if (disposed.length > 40) {
      const drop = new Set(disposed.slice(0, disposed.length - 20));
      this.entries = this.entries.filter((e) => !drop.has(e));
    }
    const alive = this.entries.filter((e) => !e.disposed);
    while (alive.length > 60) {
      const victim = alive.splice(this.rng.int(alive.length), 1)[0];
      if (this.scopes.length !== 0) break;
      this.call(victim, 'dispose');
      this.markDisposed(victim);
    }
    this.views = this.views.filter((v) => !v.data.disposed || this.rng.chance(0.5)).slice(-12);
  }

  // --- the run --------------------------------------------------------------------------
  async run() {
    this.innerActions = [this.aGet, this.aSet, this.aReshape, this.aSlice, this.aDescribe, this.aZeros, this.aDispose,
      this.aSelect, this.aWrite];
    await this.newEpisode();
    for (this.step = 0; this.step < this.steps; this.step++) {
      if (!this.deviceAlive) await this.endEpisode('the device was disposed by a callback');
      const action = this.rng.weighted(this.actions());
      await action.call(this);
      if (this.deviceAlive) this.tidy();
      this.checkAll(`after step ${this.step}`);
    }
    await this.endEpisode('the end');
    return this.stats;
  }

  // device.dispose(): every object reports disposed and refuses use; then a new device.
  async endEpisode(why) {
    this.note(`device.dispose() (${why})`);
    this.device.dispose();
    this.deviceAlive = false;
    this.checkFlags('after device.dispose()');
    const sample = this.entries.slice(-5);
    for (const entry of sample) {
      const outcome = this.attempt(`${entry.type}.dispose() after device.dispose()`, () => this.call(entry, 'dispose'));
      if (!outcome.ok) this.fail('dispose() after device.dispose() threw');
      const use = this.attempt('use after device.dispose()',
        () => (entry.type === 'tensor' ? this.call(entry, 'read') : this.call(entry, 'view')));
      if (use.ok || use.code !== 'DISPOSED') this.fail('a use after device.dispose() was not DISPOSED');
    }
    if (this.step < this.steps) await this.newEpisode();
  }

  actions() {
    return [
      [6, this.aCreateData], [5, this.aCreateDataWithBuffer], [6, this.aZeros], [10, this.aTensor], [4, this.aFromData],
      [6, this.aReshape], [3, this.aView], [2, this.aCanView], [3, this.aFlatten], [3, this.aSqueeze],
      [3, this.aUnsqueeze], [4, this.aSelect], [3, this.aNarrow], [4, this.aPermute], [3, this.aTranspose],
      [4, this.aExpand], [7, this.aSlice], [3, this.aContiguous], [2, this.aClone], [3, this.aTo],
      [2, this.aSharesStorage], [8, this.aGet], [8, this.aSet], [5, this.aRead], [3, this.aToArray], [8, this.aWrite],
      [3, this.aRawView], [3, this.aReadDataView], [6, this.aCheckedAccess], [3, this.aReadData], [3, this.aWriteData],
      [6, this.aDispose], [2, this.aKeep], [5, this.aScope], [2, this.aAsyncScope], [1, this.aCompact],
      [1, this.aShrink], [1, this.aStats], [2, this.aShadow], [1, this.aDescribe],
    ];
  }
}

// A ModelBuffer holding a typed array's bytes.
export function bufferOf(typed) {
  const buf = new ModelBuffer(typed.byteLength);
  buf.bytes.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  return buf;
}

