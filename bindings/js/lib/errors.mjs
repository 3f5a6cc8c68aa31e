// The one error type. The runtime's errors arrive with its code and message;
// the few errors found in JS (wrong argument types, disposed objects) use the
// same codes and say which value was wrong.

export class TensorMemError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
Object.defineProperty(TensorMemError.prototype, 'name', { value: 'TensorMemError' });

export function fail(code, message) {
  throw new TensorMemError(code, message);
}

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
    if (name !== undefined) return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
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
