// What the fuzzer passes: valid values in many presentations, hostile values,
// and the callbacks hidden in them. Each generator returns
// { value, valid, effective, note }: `value` is what the call receives,
// `valid` whether the contract accepts it, `effective` what it means when
// valid, and `note` how it is shown in a trace.

export class HostileError extends Error {
  constructor(note) {
    super(`hostile callback: ${note}`);
    this.name = 'HostileError';
  }
}

export const TYPED_ARRAYS = [Float32Array, Float64Array, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array,
  Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

/** Integers that are not valid integer arguments, and values of other types. */
export const BAD_INTEGERS = [NaN, 0.5, -1.5, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e308, '1', '', 1n, -1n,
  Symbol('index'), null, true, false];

export { detached } from '../support.mjs';

export function revokedProxy(target = []) {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

export function show(value) {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || value === undefined) return String(value);
  try {
    if (Array.isArray(value)) return `[${Array.prototype.map.call(value, (v) => show(v)).slice(0, 10).join(', ')}]`;
  } catch {
    return 'revoked Proxy';
  }
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? '{...}' : tag;
}

/** The values of a dtype the fuzzer writes: mostly small, some at the edges. */
export function elementValue(rng, k) {
  const big = k === 8 || k === 9;
  if (k === 10) return rng.pick([true, false, 0, 1, 2, -1, 0.5, NaN, -0, 1n, 0n]);
  if (big) {
    return rng.pick([
      () => BigInt(rng.int(200) - 100), () => 2n ** 63n - 1n, () => -(2n ** 63n), () => 2n ** 64n + 5n,
      () => rng.int(50) - 25, () => 2 ** 53, () => rng.chance(0.5), () => 2n ** 62n + BigInt(rng.int(1000)),
    ])();
  }
  return rng.pick([
    () => rng.int(100) - 50, () => rng.int(100) - 50, () => (rng.int(2000) - 1000) / 8, () => rng.float() * 1e6,
    () => NaN, () => Infinity, () => -Infinity, () => -0, () => 2 ** 31, () => -(2 ** 31) - 1, () => 2 ** 32 + 7,
    () => 1e40, () => 5e-324, () => rng.chance(0.5), () => BigInt(rng.int(300) - 150),
  ])();
}

/** A value no element accepts. */
export const badElement = (rng, coercible) => rng.pick([
  '1', '', Symbol('v'), null, undefined, [], [1], {}, () => 1, coercible(1),
]);
