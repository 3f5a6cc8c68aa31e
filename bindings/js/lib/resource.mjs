// What DeviceData and Tensor share: a handle on a runtime object, dispose()
// and Symbol.dispose, scope and finalization bookkeeping, and sealing.
import { fail } from './errors.mjs';
import { kHandle, kKeep, kKept, kRegister } from './runtime.mjs';

// Only the package constructs objects.
export const INTERNAL = Symbol('tensormem.internal');
// Subclasses drop cached state in this method when disposed.
export const kReleased = Symbol('tensormem.released');

// Accessors of the private state, for the subclasses (set in the static block).
export let handleOf;   // (object, op) => handle, or DISPOSED
export let runtimeOf;  // (object) => Runtime

// #state bits
const DISPOSED = 1, REGISTERED = 2, KEPT = 4;

export class Resource {
  // Few fields on purpose: objects are made on every view op, and each field costs.
  #rt;
  #h;
  #state = 0;

  constructor(token, rt, handle) {
    if (token !== INTERNAL) throw new TypeError('tensormem objects are created by a Device');
    this.#rt = rt;
    this.#h = handle;
    rt.track(this);
  }

  static {
    handleOf = (object, op) => {
      if ((object.#state & DISPOSED) !== 0 || !object.#rt.alive) object.#disposedError(op);
      return object.#h;
    };
    runtimeOf = (object) => object.#rt;
  }

  /** Unique per device, never reused. */
  get id() { return this.#h; }
  get device() { return this.#rt.device; }
  get isDisposed() { return (this.#state & DISPOSED) !== 0 || !this.#rt.alive; }

  dispose() {
    const state = this.#state;
    if ((state & DISPOSED) !== 0) return;
    this.#state = state | DISPOSED;
    this[kReleased]();
    const rt = this.#rt;
    if (!rt.alive) return;  // the device took everything with it
    rt.untrack(this);
    if ((state & REGISTERED) !== 0) rt.registry.unregister(this);
    if (rt.x.tm_release(this.#h) < 0) rt.raise();
  }

  [Symbol.dispose]() { this.dispose(); }

  [kReleased]() {}

  get [kHandle]() { return this.#h; }
  get [kKept]() { return (this.#state & KEPT) !== 0; }
  [kKeep]() { this.#state |= KEPT; }
  [kRegister](registry) {
    if ((this.#state & (DISPOSED | REGISTERED)) !== 0 || !this.#rt.alive) return;
    this.#state |= REGISTERED;
    registry.register(this, this.#rt.heldValue(this.#h, this.constructor.name), this);
  }

  #disposedError(op) {
    const what = `${this.constructor.name} #${this.#h}`;
    if (!this.#rt.alive) fail('DISPOSED', `${op}: ${what} belongs to a device that was disposed`);
    fail('DISPOSED', `${op}: ${what} was disposed`);
  }
}

// Assigning anything but a writable property of these objects throws, so
// that no code can replace their state from outside (seed 000, issue 6).
const sealed = new Proxy(Object.prototype, {
  set(target, key, value, receiver) {
    fail('INVALID_ARGUMENT', `Cannot set property ${String(key)} of ${receiver.constructor.name}: ` +
      'its state is private and changes only through its methods');
  },
});
Object.setPrototypeOf(Resource.prototype, sealed);
