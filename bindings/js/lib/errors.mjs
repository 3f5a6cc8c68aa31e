// The one error type. The runtime's errors arrive with its code and message;
// the few errors found in JS (wrong argument types, disposed objects) use the
// same codes and say which value was wrong.

// Indexed by the runtime's ErrorCode values (error.hpp); 0 is unused.
export const ERROR_CODES = Object.freeze(['OK', 'DISPOSED', 'OUT_OF_BOUNDS', 'INVALID_SHAPE', 'INVALID_ARGUMENT',
  'NOT_VIEWABLE', 'NOT_CONTIGUOUS', 'DTYPE_MISMATCH', 'MEMORY_LIMIT', 'OUT_OF_MEMORY', 'READ_ONLY', 'KERNEL_FAILED']);

// Every package built on tensormem (tensormem itself, kernel packages, a copy
// bundled twice) has its own copy of this class; the brand, registered
// globally, makes `instanceof` accept errors from any of them.
const BRAND = Symbol.for('tensormem.TensorMemError');

export class TensorMemError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }

  static [Symbol.hasInstance](value) {
    return typeof value === 'object' && value !== null && value[BRAND] === true;
  }
}
Object.defineProperty(TensorMemError.prototype, 'name', { value: 'TensorMemError' });
Object.defineProperty(TensorMemError.prototype, BRAND, { value: true });

export function fail(code, message) {
  throw new TensorMemError(code, message);
}

// The package's own classes by name, with their brand checks (resource.mjs
// adds them): an object whose constructor has one of these names but which
// is not one of them (a Proxy of one, one from another copy of the
// package, another library's class of that name) is shown as such, not as
// what it only looks like.
const ownClasses = new Map();
export function addOwnClass(name, is) { ownClasses.set(name, is); }

// A value as a message shows it: strings quoted, objects by kind. Runs no
// user code on ordinary objects (no getters, no toString); a Proxy's traps
// may run, and whatever they throw is ignored.
export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object' && typeof value !== 'function') return String(value);
  try {
    Array.isArray(value);
  } catch {
    return 'a revoked Proxy';  // Array.isArray throws for those, and only for those
  }
  try {
    if (Array.isArray(value)) {
      const n = value.length;
      return typeof n === 'number' ? `an array of length ${n}` : 'an array';
    }
    const name = constructorName(value);
    if (name === 'Object') return 'an object';
    if (name !== undefined) {
      const is = ownClasses.get(name);
      if (is !== undefined && !is(value)) {
        return `an object that looks like a ${name} but is not one (a Proxy of one, one from another copy of tensormem, ` +
          `or another library's ${name})`;
      }
      return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
    }
  } catch {
    // a Proxy's trap threw
  }
  return typeof value === 'function' ? 'a function' : 'an object';
}

// The name of value's constructor, read from data properties only.
function constructorName(value) {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return undefined;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  if (typeof ctor !== 'function') return undefined;
  const name = Object.getOwnPropertyDescriptor(ctor, 'name')?.value;
  return typeof name === 'string' && /^[A-Za-z_$][\w$]*$/.test(name) ? name : undefined;
}
