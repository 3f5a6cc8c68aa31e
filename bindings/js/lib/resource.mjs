// What DeviceData and Tensor share: a handle on a runtime object, dispose(),
// scope and finalization bookkeeping, and sealing.
//
// The two are flat classes that each declare the same three private fields
// (#rt, #h, #state) and call the functions below: V8 constructs an instance
// of a derived class with private fields ~40 ns slower than one of a flat
// class (measured), and objects are made on every view op.
import { addOwnClass, fail } from './errors.mjs';
import { SPEC_LENDER } from './layout.mjs';
import { queueAutoShrink } from './shrink.mjs';
import { GUARD_KEY } from './transfer.mjs';

// Only the package constructs objects.
export const INTERNAL = Symbol('tensormem.internal');

// #state bits
export const DISPOSED = 1, REGISTERED = 2, KEPT = 4;

// The package's access to an object's state. Each class registers functions
// over its private fields ({ kind, is, handle, id, live, runtime, kept, keep,
// register, promote, dispose }); the package never reads a property of its own
// objects, which an own property defined on an instance could shadow, and
// `is` is a private brand check (`#h in value`), which runs no user code,
// not even a Proxy's.
const classes = [];
export function addClass(internals) {
  classes.push(internals);
  addOwnClass(internals.kind, internals.is);
}

/** The internals of a DeviceData or Tensor, or null for any other value. */
export function internalsOf(value) {
  if (value === null || typeof value !== 'object') return null;
  for (const internals of classes) if (internals.is(value)) return internals;
  return null;
}
export function isResource(value) { return internalsOf(value) !== null; }
export function handleOf(object, op) { return internalsOf(object).live(object, op); }
export function runtimeOf(object) { return internalsOf(object).runtime(object); }
export function idOf(object) { return internalsOf(object).id(object); }

export function checkToken(token) {
  if (token !== INTERNAL) throw new TypeError('tensormem objects are created by a Device');
}

// `id` is the object's short id (what users see), not its handle.
export function disposedError(kind, rt, id, op) {
  const what = `${kind} #${id}`;
  if (rt.lost !== null) fail('DISPOSED', `${op}: ${what} belongs to a device that was lost (${rt.lost})`);
  if (!rt.alive) fail('DISPOSED', `${op}: ${what} belongs to a device that was disposed`);
  fail('DISPOSED', `${op}: ${what} was disposed`);
}

// dispose() of an object that was live in `state` (the caller marks it
// disposed first, so that an error here cannot lead to a second release).
export function release(object, rt, h, state) {
  if (!rt.alive) return;  // the device took everything with it
  rt.untrack(object, h);
  if ((state & REGISTERED) !== 0) rt.registry.unregister(object);
  if (rt.x.tm_release(h) < 0) rt.raise();
  if (rt.autoShrink !== null) queueAutoShrink(rt);
}

// release() for a view derived in JavaScript that never got an entry (its
// layout's `spec`, see layout.mjs): the pending list forgets it, and its
// lender has one view less.
export function releaseView(object, rt, spec) {
  if (!rt.alive) return;
  rt.forgetPending(object);
  returnLent(rt, spec);
}

// The Layout `m` of a tensor being disposed lends its buffer to views: one
// runtime reference holds it for them from now on.
export function lend(rt, m) {
  if (m.owned || !rt.alive) return;
  if (rt.x.tm_view_retain(m.buffer, m.generation) < 0) rt.raise();
  m.owned = true;
}

// A derived view (its layout's `spec`) no longer borrows its buffer (it was
// disposed, or has an entry): the lender's reference goes back with the last
// such view once its tensor is gone. The spec lets go of the lender, which
// keeps that tensor reachable.
export function returnLent(rt, spec) {
  const m = spec[SPEC_LENDER];
  spec[SPEC_LENDER] = null;
  if (--m.views === 0 && m.owned) giveBack(rt, m);
}

function giveBack(rt, m) {
  m.owned = false;
  if (rt.x.tm_view_release(m.buffer, m.generation) < 0) rt.raise();
  if (rt.autoShrink !== null) queueAutoShrink(rt);
}

// Registration with the FinalizationRegistry (deferred: see Runtime.track); the new state.
export function register(object, kind, rt, h, state, registry) {
  if ((state & (DISPOSED | REGISTERED)) !== 0 || !rt.alive) return state;
  registry.register(object, rt.heldValue(h, kind), object);
  return state | REGISTERED;
}

// Assigning anything but a writable property of these objects throws, so
// that no code can replace their state from outside (a handle swapped
// from outside was one of the bugs this package exists to prevent).
// A Proxy as the prototype's prototype costs nothing until such an assignment.
const sealed = new Proxy(Object.prototype, {
  set(target, key, value, receiver) {
    if (key === GUARD_KEY && value !== null && typeof value === 'object' && !Object.hasOwn(receiver, key)) {
      return Reflect.defineProperty(receiver, key, { value, writable: true, enumerable: true, configurable: true });
    }
    fail('INVALID_ARGUMENT', `Cannot set property ${String(key)} of ${internalsOf(receiver)?.kind ?? 'this object'}: ` +
      'its state is private and changes only through its methods');
  },
});
export function seal(cls) {
  Object.setPrototypeOf(cls.prototype, sealed);
}
