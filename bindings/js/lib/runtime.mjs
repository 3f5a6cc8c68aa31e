// The JS side of one device's runtime: the raw exports, views of the wasm
// heap, the scratch area, error translation, and the bookkeeping of object
// lifetimes (scopes and the finalization safety net). Internal to the package.
import {
  ARRAY_TYPES, DTYPES, MAX_DIMS, arrayLength, attachedLength, isArray, isRevoked, typedArrayName,
} from './dtype.mjs';
import { ERROR_CODES, TensorMemError, fail, show } from './errors.mjs';
import { nodeBuiltin } from './loader.mjs';
import { internalsOf } from './resource.mjs';
import { creationStack, shortSite } from './stacks.mjs';

const SCRATCH_DOUBLES = 64;  // kScratchDoubles in js_runtime.hpp
const FLUSH_AT = 1024;    // pending objects that force a synchronous flush
const EMPTY_HEAPS = Object.freeze(ARRAY_TYPES.map((Type) => new Type(0)));
// One cell per dtype: { heap }, what a Layout reads its elements through.
const newCells = () => EMPTY_HEAPS.map((heap) => ({ heap }));


const decoder = new TextDecoder();
const encoder = new TextEncoder();
const TEXT_BYTES = 1024;  // Runtime::kTextBytes in js_runtime.hpp
// The exports of a disposed device: every call throws. Arguments are evaluated
// after the callee is looked up, so a call site's own check (`this.#live(op)`,
// with a better message) still comes first.
const DISPOSED_EXPORTS = new Proxy(Object.freeze({}), {
  get() { return () => fail('DISPOSED', 'the device was disposed'); },
});

export class Runtime {
  constructor(device, options) {
    this.device = device;
    this.options = options;            // Device.create's, resolved: a new instance after shrink() starts with them
    this.module = null;                // the compiled WebAssembly.Module
    this.x = null;                     // raw exports (tm_*)
    this.memory = null;
    this.alive = true;
    // Bumped whenever heap addresses cached in JS stop being valid: by
    // device.shrink() after it moves every buffer into a new instance, and by
    // shutdown(). Every cached address or Layout records the epoch it was
    // derived in and is re-derived from the runtime when this differs.
    this.epoch = 0;
    this.lost = null;                  // why the instance can no longer be trusted (it trapped), or null
    this.heaps = EMPTY_HEAPS;          // one view per dtype, rebuilt after the heap grows
    // The heaps again, one cell per dtype, for the element fast paths: a
    // Layout keeps its dtype's cell, which refresh() updates after growth and
    // newEpoch() empties, so a cached address is never read through the heap
    // of another epoch and a kept Layout keeps no wasm memory alive.
    this.cells = newCells();
    this.autoShrink = null;            // { ratio, minBytes } (Device.create's autoShrink), or null
    this.shrinkQueued = false;
    this.scratchIndex = 0;             // scratch address / 8
    this.mailboxIndex = 0;             // mailbox address / 8
    this.viewScratchIndex = 0;         // view scratch address / 8 (a derived view's layout, for its entry)
    this.localBuffer = null;           // see borrowLocal()
    this.scope = null;                 // the scope being run synchronously
    this.asyncScopes = 0;              // async scopes not yet settled (with asyncContext)
    this.pending = [];                 // objects not yet registered for finalization
    this.flushQueued = false;
    this.flush = this.flush.bind(this);
    this.leaks = 0;
    this.debug = options.debug;
    this.stacks = options.debug ? new Map() : null;  // handle -> creation stack (debug, or recording sites)
    this.history = null;               // while recording: { stacks, sites: Map(site text -> id) }
    this.recordSites = false;          // history.stacks, as a plain field: track() reads it per object
    // Whether view ops may derive layouts in JavaScript (tensor.mjs): not while
    // a history or creation stacks are recorded, which need an entry per view.
    this.deriveViews = this.stacks === null;
    this.heapBytes = 0;                // the wasm memory's size at the last growth
    this.warnedSites = new Set();
    this.registry = new FinalizationRegistry((held) => this.reclaim(held));
  }

  // After instantiate(): the instance's exports and memory; starts its runtime.
  start(loaded, options) {
    this.module = loaded.module;
    this.x = loaded.exports;
    this.memory = loaded.memory;
    const status = this.x.tm_init(options.maxMemory, options.compactThreshold, options.autoCompact ? 1 : 0,
      options.debug ? 1 : 0);
    if (status < 0) {
      // No runtime, so no scratch: the message comes through its own two exports.
      const message = this.string(this.x.tm_last_error_message(), this.x.tm_last_error_length());
      this.shutdown();
      throw new TensorMemError(ERROR_CODES[-status], message);
    }
    this.scratchIndex = this.x.tm_scratch() / 8;
    this.mailboxIndex = this.x.tm_mailbox() / 8;
    this.viewScratchIndex = this.x.tm_view_scratch() / 8;
    this.refresh();
    this.heapBytes = this.memory.buffer.byteLength;
  }

  // --- what the instance calls --------------------------------------------------
  onGrowth() {
    if (!this.alive) return;
    this.refresh();
    const heapBytes = this.memory.buffer.byteLength;
    // Not while a snapshot is being written (its events are being read).
    if (this.history !== null && !this.history.writing) this.x.tm_history_heap_growth(heapBytes - this.heapBytes, heapBytes);
    this.heapBytes = heapBytes;
  }

  // The instance trapped or exited: nothing in it can be trusted any more.
  lose(reason) {
    this.lost ??= reason;
  }

  // --- heap access ------------------------------------------------------------
  // Views of a grown heap are detached (length 0); so is every view after
  // dispose(), which sends accessors to their slow paths and DISPOSED.
  refresh() {
    if (!this.alive) fail('DISPOSED', 'the device was disposed');
    const buffer = this.memory.buffer;
    const heaps = ARRAY_TYPES.map((Type) => new Type(buffer));
    this.heaps = heaps;
    const cells = this.cells;
    for (let k = 0; k < heaps.length; k++) cells[k].heap = heaps[k];
    return heaps;
  }

  // Every heap address cached in JS becomes invalid (device.shrink() moved
  // the buffers, or shutdown() freed them): the epoch changes and the cells
  // of the old one read nothing, which sends Layouts to their slow paths.
  newEpoch() {
    this.epoch++;
    for (let k = 0; k < this.cells.length; k++) this.cells[k].heap = EMPTY_HEAPS[k];
    this.cells = newCells();
  }

  heap(k) {
    const heap = this.heaps[k];
    return heap.length !== 0 ? heap : this.refresh()[k];
  }

  scratch() {
    const heap = this.heaps[1];
    return heap.length !== 0 ? heap : this.refresh()[1];
  }

  // The id the runtime gave the object the last call created.
  createdId() {
    return this.scratch()[this.mailboxIndex];
  }

  // UTF-8 bytes [address, address + length) of wasm memory.
  string(address, length) {
    return decoder.decode(new Uint8Array(this.memory.buffer, address, length));
  }

  // Writes a list of integers (a shape, dims) to the scratch; its length.
  // The list is read into a local buffer first: its getters and a Proxy's
  // traps run then, and may call other ops (which use the scratch), dispose
  // objects or grow the heap; the scratch is written only after the last of
  // them, and the caller resolves handles only after this returns. Types are
  // checked here, values by the runtime.
  putInts(list, op, what) {
    const local = this.borrowLocal();
    const n = readInts(list, local, op, what);
    this.toScratch(local, n < SCRATCH_DOUBLES ? n : SCRATCH_DOUBLES);
    return n;
  }

  // A list of integers as putInts() reads it, copied into a new array (for
  // an argument that goes to the scratch only after other calls).
  copyInts(list, op, what) {
    const local = new Float64Array(SCRATCH_DOUBLES);
    const n = readInts(list, local, op, what);
    if (n > SCRATCH_DOUBLES) {
      fail('INVALID_SHAPE', `${op}: ${what} has ${n} values; at most ${MAX_DIMS} are supported`);
    }
    return Array.from(local.subarray(0, n));
  }

  // A buffer of SCRATCH_DOUBLES for reading a list argument. It leaves the
  // pool while in use, so a call made from inside the list (a getter) gets
  // its own; one lost to an error is simply replaced.
  borrowLocal() {
    const local = this.localBuffer;
    if (local === null) return new Float64Array(SCRATCH_DOUBLES);
    this.localBuffer = null;
    return local;
  }

  // Copies local[0, count) to the scratch and returns local to the pool. No
  // user code may run from here to the export call that reads the scratch.
  toScratch(local, count) {
    const s = this.scratch();
    const base = this.scratchIndex;
    for (let i = 0; i < count; i++) s[base + i] = local[i];
    this.localBuffer = local;
  }

  // A number argument, type-checked; its value is checked by the runtime.
  // NaN is refused here because the runtime reads it as "absent" where an
  // argument is optional (slice bounds, squeeze's dim).
  static num(value, op, what) {
    return typeof value === 'number' && value === value ? value : notANumberArgument(value, op, what);
  }

  // The runtime's last error.
  lastError() {
    const code = this.x.tm_last_error();
    const s = this.scratch();
    return new TensorMemError(ERROR_CODES[code], this.string(s[this.scratchIndex], s[this.scratchIndex + 1]));
  }

  // Throws the runtime's last error.
  raise() {
    throw this.lastError();
  }

  // --- lifetimes ------------------------------------------------------------------
  // Called by every new object. Registration with the FinalizationRegistry
  // costs ~500 ns, more than most operations, so it is deferred to a
  // microtask: objects disposed in the same synchronous turn never pay it.
  // The common case (no scope, no stacks, a flush already queued) is one
  // push, small enough for V8 to inline into every constructor.
  track(object, handle) {
    const pending = this.pending;
    pending.push(object);
    if (this.scope !== null || this.asyncScopes !== 0 || this.stacks !== null || !this.flushQueued ||
        pending.length >= FLUSH_AT) this.trackFurther(object, handle);
  }

  trackFurther(object, handle) {
    const scope = this.scope !== null || this.asyncScopes !== 0 ? this.currentScope() : null;
    if (scope !== null) scope.objects.push(object);
    if (this.stacks !== null) {
      const stack = creationStack([object.constructor, this.device.constructor, Runtime]);
      this.stacks.set(handle, stack);
      if (this.recordSites) this.recordSite(handle, stack);
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    } else if (this.pending.length >= FLUSH_AT) {
      this.flush();
    }
  }

  // Called by dispose(): the common create-then-dispose pattern leaves nothing pending.
  untrack(object, handle) {
    this.forgetPending(object);
    if (this.stacks !== null) this.stacks.delete(handle);
  }

  // untrack() of a view derived in JavaScript, which has no creation stack:
  // views are derived only while no stacks are recorded, and recording
  // starts by giving every pending one its entry.
  forgetPending(object) {
    const pending = this.pending;
    if (pending.length !== 0 && pending[pending.length - 1] === object) pending.pop();
  }

  // --- history (device.recordHistory) ------------------------------------------------
  // Views derived in JavaScript get their entries first: the history starts
  // with every live object in the runtime's table.
  startHistory(maxEvents, stacks) {
    this.promotePending();
    if (this.x.tm_history_start(maxEvents) < 0) this.raise();
    this.history = { maxEvents, stacks, sites: new Map(), writing: false };
    this.recordSites = stacks === true;
    this.deriveViews = false;
    if (stacks) this.stacks ??= new Map();
  }

  stopHistory() {
    if (this.x.tm_history_stop() < 0) this.raise();
    this.history = null;
    this.recordSites = false;
    if (!this.debug) this.stacks = null;
    this.deriveViews = this.stacks === null;
  }

  // Gives every view derived in JavaScript its runtime entry (see
  // tensor.mjs): before anything reads the runtime's books. Those views are
  // all in `pending` (flush() promotes what it registers).
  promotePending() {
    for (const object of this.pending) internalsOf(object).promote(object);
  }

  // The id of a text in the history's strings, or -1 when its table is full.
  intern(text) {
    const sites = this.history.sites;
    let id = sites.get(text);
    if (id !== undefined) return id;
    const address = this.x.tm_history_text();
    if (address < 0) this.raise();
    const { written } = encoder.encodeInto(text, new Uint8Array(this.memory.buffer, address, TEXT_BYTES));
    id = this.x.tm_history_intern(written);
    if (id < -1) this.raise();
    sites.set(text, id);
    return id;
  }

  // The creation site of the object with `handle`: the app's frame on top of
  // its creation stack, relative to the app's directory when under it.
  recordSite(handle, stack) {
    const line = stack.split('\n', 1)[0].trim();
    const id = this.intern(shortSite(line.startsWith('at ') ? line.slice(3) : line));
    if (id >= 0 && this.x.tm_history_site(handle, id) < 0) this.raise();
  }

  flush() {
    this.flushQueued = false;
    const pending = this.pending;
    this.pending = [];
    for (const object of pending) {
      try {
        internalsOf(object).register(object, this.registry);
      } catch {
        // A derived view's entry could not be made (the heap is full): it
        // stays pending, for the next flush or promotePending() to retry.
        this.pending.push(object);
      }
    }
  }

  heldValue(handle, kind) {
    return this.stacks === null ? handle : { handle, kind, stack: this.stacks.get(handle) };
  }

  // The safety net: an object was garbage-collected without dispose().
  reclaim(held) {
    if (!this.alive) return;  // its memory went with the device
    const debug = typeof held === 'object';
    const handle = debug ? held.handle : held;
    if (this.x.tm_release_reclaimed(handle) < 0) {
      const { code, message } = this.lastError();
      console.error(`tensormem: releasing a garbage-collected object failed (${code}): ${message}`);
      return;
    }
    this.leaks++;
    if (debug) {
      this.stacks?.delete(handle);
      const site = held.stack ?? '(unknown site)';
      if (this.debug && !this.warnedSites.has(site)) {
        this.warnedSites.add(site);
        console.warn(`tensormem: a ${held.kind} was garbage-collected without dispose(); the safety net freed it. ` +
          `Created at:\n${site}\n(further leaks from this site are not reported)`);
      }
    }
  }

  // --- scopes ---------------------------------------------------------------------
  // A scope collects the objects created while it is the current scope.
  // Synchronously that is the innermost scope being run (this.scope). An
  // async fn's continuations run later, interleaved with other code: in node,
  // AsyncLocalStorage carries its scope into them, so each object lands in the
  // scope of the async task that created it. Without it (browsers), an async
  // scope stays current until it settles, and catches what other code creates
  // meanwhile (docs/js-guide.md says so).
  currentScope() {
    let scope = this.scope;
    if (scope === null && this.asyncScopes !== 0) scope = openScope(asyncContext.getStore());
    return scope;
  }

  // The scope closes whatever fn and its result do: fn may throw, and
  // examining the result runs user code (a `then` getter, a Proxy trap, an
  // array element's getter) that may throw too; then the scope closes as if
  // fn had thrown that error.
  runScope(fn) {
    if (typeof fn !== 'function') fail('INVALID_ARGUMENT', `scope: fn is ${show(fn)}; it must be a function`);
    const scope = { objects: [], parent: this.currentScope(), closed: false };
    const outer = this.scope;
    this.scope = scope;
    let result, then;
    try {
      result = asyncContext === null ? fn() : asyncContext.run(scope, fn);
      const object = result !== null && (typeof result === 'object' || typeof result === 'function');
      then = object && !isRevoked(result) ? result.then : undefined;
    } catch (error) {
      this.scope = outer;
      this.closeScope(scope, undefined);
      throw error;
    }
    if (typeof then !== 'function') {
      this.scope = outer;
      this.closeScope(scope, result);
      return result;
    }
    if (asyncContext !== null) {
      this.scope = outer;  // continuations find the scope through asyncContext
      this.asyncScopes++;
    }
    const settle = () => {
      if (asyncContext !== null) this.asyncScopes--;
      else if (this.scope === scope) this.scope = openScope(outer);
      else unlink(this.scope, scope);  // scopes opened after it are still open
    };
    // Not Promise.resolve(result), which reads result.constructor and can
    // throw here; resolving with a thenable never throws (it rejects).
    return new Promise((resolve) => resolve(result)).then(
      (value) => { settle(); this.closeScope(scope, value); return value; },
      (error) => { settle(); this.closeScope(scope, undefined); throw error; });
  }

  // Disposes the scope's objects except those the result holds (they move to
  // the enclosing open scope) and those kept. If examining the result throws,
  // nothing counts as returned and that error is thrown after the disposal.
  closeScope(scope, result) {
    scope.closed = true;
    const returned = new Set();
    let examining;
    try {
      collectReturned(result, returned);
    } catch (error) {
      examining = { error };
      returned.clear();
    }
    const heir = openScope(scope.parent);
    const objects = scope.objects;
    if (heir !== null && returned.size !== 0) {
      for (const object of objects) if (returned.has(object)) heir.objects.push(object);
    }
    // Newest first, as `using` declarations dispose: a view goes before the
    // tensor it was derived from (which then lends its buffer to none), and
    // each dispose pops the pending list (see untrack) instead of leaving
    // every object of the scope there until the next flush.
    let firstError;
    for (let i = objects.length - 1; i >= 0; i--) {
      const object = objects[i];
      if (returned.has(object)) continue;
      const internals = internalsOf(object);
      if (!internals.kept(object)) {
        try { internals.dispose(object); } catch (error) { firstError ??= { error }; }
      }
    }
    if (examining !== undefined) throw examining.error;
    if (firstError !== undefined) throw firstError.error;
  }

  // --- the end -----------------------------------------------------------------------
  // Frees everything and lets go of the instance: objects the app still
  // holds keep only this Runtime, which then holds no wasm memory.
  shutdown() {
    if (!this.alive) return;
    this.alive = false;
    this.deriveViews = false;
    this.newEpoch();
    try {
      if (this.lost === null) this.x?.tm_shutdown();
    } finally {
      this.x = DISPOSED_EXPORTS;
      this.memory = null;
      this.module = null;
      this.heaps = EMPTY_HEAPS;
      this.pending = [];
      this.history = null;
      this.recordSites = false;
      this.stacks?.clear();
    }
  }
}

// list[0, n) into out (as much as it holds) as numbers; n. A typed array is
// read through the built-in getters, an array (or a Proxy of one) element by
// element, which runs their getters and traps.
export function readInts(list, out, op, what) {
  const n = isArray(list) ? arrayLength(list, op, what) : typedListLength(list, op, what);
  const count = n < out.length ? n : out.length;
  for (let i = 0; i < count; i++) {
    const v = list[i];
    if (typeof v === 'number') out[i] = v;
    else notANumber(op, what, i, v);
  }
  return n;
}

function notANumberArgument(value, op, what) {
  const expected = typeof value === 'number' ? 'an integer' : 'a number';
  return fail('INVALID_ARGUMENT', `${op}: ${what} is ${show(value)}; it must be ${expected}`);
}

function notANumber(op, what, i, v) {
  fail('INVALID_ARGUMENT', `${op}: ${what}[${i}] is ${show(v)}; it must be a number`);
}

function typedListLength(list, op, what) {
  const name = typedArrayName(list);
  if (name === undefined) fail('INVALID_ARGUMENT', `${op}: ${what} is ${show(list)}; it must be an array of integers`);
  return attachedLength(list, name, op, what);
}

// Where async scopes live across awaits: node's AsyncLocalStorage, or null.
const asyncContext = (() => {
  const hooks = nodeBuiltin('node:async_hooks');
  return hooks === null ? null : new hooks.AsyncLocalStorage();
})();

// The nearest scope, from `scope` outwards, that is still open.
function openScope(scope) {
  while (scope !== undefined && scope !== null && scope.closed) scope = scope.parent;
  return scope ?? null;
}

// Removes `scope` from the chain of scopes opened inside it.
function unlink(innermost, scope) {
  for (let s = innermost; s !== null; s = s.parent) {
    if (s.parent === scope) {
      s.parent = scope.parent;
      return;
    }
  }
}

// The Tensors and DeviceData a scope's result holds: its elements if it is
// an array, the values of its own enumerable data properties if it is a plain
// object (getters are not called), the keys and values of a Map, the members
// of a Set, and so on through what those hold. Each object is visited once,
// so cycles and shared parts cost nothing extra.
function collectReturned(result, into) {
  const seen = new Set();
  const pending = [result];
  const visit = (value) => {
    if (value !== null && typeof value === 'object') pending.push(value);
  };
  while (pending.length !== 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object' || seen.has(value) || isRevoked(value)) continue;
    seen.add(value);
    if (internalsOf(value) !== null) {
      into.add(value);
    } else if (Array.isArray(value)) {
      const n = value.length;
      for (let i = 0; i < n; i++) visit(value[i]);
    } else if (isMap(value)) {
      mapForEach(value, (item, key) => { visit(key); visit(item); });
    } else if (isSet(value)) {
      setForEach(value, visit);
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) continue;
      for (const key of Object.keys(value)) {
        const property = Object.getOwnPropertyDescriptor(value, key);
        if (property !== undefined && 'value' in property) visit(property.value);
      }
    }
  }
}

// Maps and Sets by their internal slots (the `size` getters throw for
// anything else), iterated by the built-in forEach: no user code for real ones.
const uncurry = (fn) => Function.prototype.call.bind(fn);
const mapSize = uncurry(Object.getOwnPropertyDescriptor(Map.prototype, 'size').get);
const setSize = uncurry(Object.getOwnPropertyDescriptor(Set.prototype, 'size').get);
const mapForEach = uncurry(Map.prototype.forEach);
const setForEach = uncurry(Set.prototype.forEach);
const hasSlot = (size) => (value) => {
  try {
    size(value);
    return true;
  } catch {
    return false;
  }
};
const isMap = hasSlot(mapSize);
const isSet = hasSlot(setSize);
