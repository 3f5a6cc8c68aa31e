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

// A value as a message shows it: strings quoted, objects by kind.
export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object' && typeof value !== 'function') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${value.constructor?.name ?? 'object'}`;
}
