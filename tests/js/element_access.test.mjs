// Creating tensors and reading/writing their elements: dtype inference,
// get/set, read/toArray/write, the zero-copy view(), and value conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectError, withDevice, iota, build, liveCounts, growHeap, detached, withGetter, coercible,
} from './support.mjs';

const typedCases = [
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
  [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Int32Array, 'int32'], [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'],
];

test('tensor() infers the dtype from a typed array and copies its values', async (t) => {
  const device = await withDevice(t);
  for (const [Type, dtype] of typedCases) {
    const big = Type === BigInt64Array || Type === BigUint64Array;
    const source = new Type(big ? [1n, 2n, 3n] : [1, 2, 3]);
    const tensor = device.tensor(source);
    assert.equal(tensor.dtype, dtype);
    assert.deepEqual([...tensor.shape], [3]);
    const copy = tensor.read();
    assert.ok(copy instanceof Type, `${dtype} read() gives ${Type.name}`);
    assert.deepEqual(copy, source);
    source[0] = big ? 9n : 9;  // the tensor holds its own copy
    assert.equal(tensor.get(0), big ? 1n : 1);
  }
});

test('tensor() of plain numbers and nested arrays is float32 with the nesting as shape', async (t) => {
  const device = await withDevice(t);
  const v = device.tensor([1, 2.5, -3]);
  assert.equal(v.dtype, 'float32');
  assert.deepEqual([...v.shape], [3]);
  assert.deepEqual(v.toArray(), [1, 2.5, -3]);

  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual([...m.shape], [2, 3]);
  assert.deepEqual([...m.strides], [3, 1]);
  assert.equal(m.offset, 0);
  assert.equal(m.size, 6);
  assert.equal(m.ndim, 2);
  assert.equal(m.isContiguous, true);
  assert.equal(m.isReadOnly, false);
  assert.equal(m.isDisposed, false);
  assert.equal(m.device, device);
  assert.equal(typeof m.id, 'number');
  assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);

  const cube = iota([2, 3, 4]);
  const c = device.tensor(cube);
  assert.deepEqual([...c.shape], [2, 3, 4]);
  assert.deepEqual(c.toArray(), cube);

  assert.deepEqual([...device.tensor([]).shape], [0]);
  assert.deepEqual([...device.tensor([[], []]).shape], [2, 0]);
  assert.deepEqual(device.tensor([[], []]).toArray(), [[], []]);
  const s = device.tensor(7);
  assert.deepEqual([...s.shape], []);
  assert.equal(s.toArray(), 7);
});

test('tensor() takes an explicit shape and dtype, converting values', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
  assert.deepEqual(m.toArray(), [[1, 2], [3, 4], [5, 6]]);
  const d = device.tensor(new Float32Array([1.5, -2.5]), { dtype: 'float64' });
  assert.equal(d.dtype, 'float64');
  assert.deepEqual(d.toArray(), [1.5, -2.5]);
  const i = device.tensor([1.9, -1.9, 300], { dtype: 'int32' });
  assert.deepEqual(i.toArray(), [1, -1, 300]);
  const u = device.tensor([-1, 256, 257], { dtype: 'uint8' });
  assert.deepEqual(u.toArray(), [255, 0, 1]);  // as Uint8Array.from would
  const b = device.tensor([[true, false], [false, true]], { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(b.toArray(), [[true, false], [false, true]]);
  const big = device.tensor([1n, -2n, 2n ** 62n], { dtype: 'int64' });
  assert.deepEqual(big.toArray(), [1n, -2n, 2n ** 62n]);
  const fromNumbers = device.tensor([1, -2], { dtype: 'int64' });
  assert.deepEqual(fromNumbers.toArray(), [1n, -2n]);
});

test('empty() and zeros() make float32 by default; zeros() is zero even in reused memory', async (t) => {
  const device = await withDevice(t);
  const e = device.empty([2, 3]);
  assert.equal(e.dtype, 'float32');
  assert.deepEqual([...e.shape], [2, 3]);
  assert.equal(device.empty([4], 'int16').dtype, 'int16');
  for (let round = 0; round < 3; ++round) {
    const dirty = device.tensor(new Float64Array(64).fill(7.25), { shape: [8, 8] });
    dirty.dispose();
    const z = device.zeros([8, 8], 'float64');
    assert.equal(z.dtype, 'float64');
    assert.ok(z.read().every((x) => x === 0));
    z.dispose();
  }
  const zs = device.zeros([]);
  assert.deepEqual([...zs.shape], []);
  assert.equal(zs.toArray(), 0);
  const none = device.zeros([0, 5]);
  assert.equal(none.size, 0);
  assert.deepEqual(none.toArray(), []);
  assert.equal(none.read().length, 0);
  assert.equal(none.view().length, 0);
  assert.equal(device.zeros([3], 'bool').get(1), false);
  assert.equal(device.zeros([3], 'int64').get(1), 0n);
});

test('get and set take one index per dim, negatives counting from the end', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor(iota([3, 4]), { dtype: 'int32' });
  assert.equal(m.get(0, 0), 0);
  assert.equal(m.get(2, 3), 11);
  assert.equal(m.get(-1, -1), 11);
  assert.equal(m.get(-3, 1), 1);
  assert.equal(m.get(1, -4), 4);
  m.set(100, -1, 0);
  assert.equal(m.get(2, 0), 100);
  m.set(-7, 0, -2);
  assert.equal(m.get(0, 2), -7);
  // Through a strided view, set lands at the right element of the base.
  const mt = m.transpose(0, 1).slice([[null, null, -1]]);  // shape [4, 3]
  mt.set(55, 0, 1);  // base [1, 3]
  assert.equal(m.get(1, 3), 55);
  assert.equal(mt.get(-1, -1), 100);  // base [2, 0]
});

test('get and set report bad indices in the runtime wording', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2, 3]);
  expectError(() => m.get(2, 0), 'OUT_OF_BOUNDS', 'Index 2 is out of bounds for dim 0 of size 2 (shape [2, 3])');
  expectError(() => m.get(0, -4), 'OUT_OF_BOUNDS', 'Index -4 is out of bounds for dim 1 of size 3 (shape [2, 3])');
  expectError(() => m.set(1, 0, 3), 'OUT_OF_BOUNDS', 'Index 3 is out of bounds for dim 1 of size 3 (shape [2, 3])');
  expectError(() => m.get(0), 'INVALID_ARGUMENT', '1 indices [0] for a tensor of shape [2, 3] (2 dims)');
  expectError(() => m.get(0, 0, 0), 'INVALID_ARGUMENT', '3 indices [0, 0, 0] for a tensor of shape [2, 3] (2 dims)');
  expectError(() => m.set(1), 'INVALID_ARGUMENT', '0 indices [] for a tensor of shape [2, 3] (2 dims)');
  assert.deepEqual(m.toArray(), [[0, 0, 0], [0, 0, 0]]);
});

test('values convert as typed arrays convert them', async (t) => {
  const device = await withDevice(t);
  const cases = [
    ['int32', [3.7, -3.7, 2 ** 32 + 5, NaN, Infinity, -(2 ** 31) - 1], Int32Array],
    ['uint8', [-1, 256, 3.9, 1000], Uint8Array],
    ['int8', [200, -129, 127.9], Int8Array],
    ['uint16', [-1, 65536 + 2], Uint16Array],
    ['int16', [40000, -40000], Int16Array],
    ['uint32', [-1, 2 ** 32 + 1], Uint32Array],
    ['float32', [0.1, 1e40, -1e-50, NaN], Float32Array],
    ['float64', [0.1, 1e300, -0], Float64Array],
  ];
  for (const [dtype, values, Type] of cases) {
    const expected = Array.from(Type.from(values));
    const viaSet = device.zeros([values.length], dtype);
    values.forEach((v, i) => viaSet.set(v, i));
    assert.deepEqual(Array.from(viaSet.read()), expected, `${dtype} set`);
    const viaWrite = device.zeros([values.length], dtype);
    viaWrite.write(values);
    assert.deepEqual(Array.from(viaWrite.read()), expected, `${dtype} write`);
    const viaTensor = device.tensor(values, { dtype });
    assert.deepEqual(Array.from(viaTensor.read()), expected, `${dtype} tensor()`);
    assert.deepEqual(values.map((_, i) => viaSet.get(i)), expected, `${dtype} get`);
  }
  assert.ok(Object.is(device.tensor([-0], { dtype: 'float64' }).get(0), -0));
});

test('64-bit integers are bigint in and out, wrapping as BigInt64Array does', async (t) => {
  const device = await withDevice(t);
  const i = device.zeros([4], 'int64');
  i.set(-5n, 0);
  i.set(7, 1);  // a number is accepted
  i.set(2n ** 63n, 2);  // wraps
  i.set(2n ** 62n + 1n, 3);
  assert.equal(i.get(0), -5n);
  assert.equal(typeof i.get(1), 'bigint');
  assert.equal(i.get(1), 7n);
  assert.equal(i.get(2), -(2n ** 63n));
  assert.equal(i.get(-1), 2n ** 62n + 1n);
  assert.ok(i.read() instanceof BigInt64Array);
  assert.deepEqual(i.toArray(), [-5n, 7n, -(2n ** 63n), 2n ** 62n + 1n]);
  assert.ok(i.view() instanceof BigInt64Array);

  const u = device.zeros([2], 'uint64');
  u.set(-1n, 0);
  u.set(2n ** 64n + 3n, 1);
  assert.deepEqual(u.toArray(), [2n ** 64n - 1n, 3n]);
  assert.ok(u.read() instanceof BigUint64Array);
  u.write([5n, 6n]);
  assert.deepEqual(u.toArray(), [5n, 6n]);
  u.write(new BigUint64Array([8n, 9n]));
  assert.deepEqual(u.toArray(), [8n, 9n]);
});

test('bool elements are boolean in get/toArray, 0/1 bytes in read/view', async (t) => {
  const device = await withDevice(t);
  const b = device.zeros([4], 'bool');
  b.set(true, 0);
  b.set(1, 1);
  b.set(2, 2);  // any nonzero value is stored as 1
  b.set(false, 3);
  assert.equal(b.get(0), true);
  assert.equal(b.get(1), true);
  assert.equal(b.get(2), true);
  assert.equal(b.get(3), false);
  assert.deepEqual(b.toArray(), [true, true, true, false]);
  const bytes = b.read();
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(Array.from(bytes), [1, 1, 1, 0]);
  b.write([0, 5, 0, 1]);
  assert.deepEqual(Array.from(b.read()), [0, 1, 0, 1]);
  b.write([true, false, true, false]);
  assert.deepEqual(b.toArray(), [true, false, true, false]);
  assert.ok(b.view() instanceof Uint8Array);
  assert.deepEqual(Array.from(b.view()), [1, 0, 1, 0]);
});

test('read() and toArray() copy in logical order; the copy is detached from the tensor', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const mt = m.transpose(0, 1);
  const r = mt.read();
  assert.ok(r instanceof Float32Array);
  assert.deepEqual(Array.from(r), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(mt.toArray(), [[1, 4], [2, 5], [3, 6]]);
  r[0] = 99;
  const arr = m.toArray();
  arr[0][0] = 99;
  assert.equal(m.get(0, 0), 1);
  const rev = m.slice([null, [null, null, -2]]);
  assert.deepEqual(Array.from(rev.read()), [3, 1, 6, 4]);
  // A 3-d transpose.
  const cube = device.tensor(iota([2, 3, 4]));
  assert.deepEqual(cube.permute([2, 0, 1]).toArray(), build([4, 2, 3], ([k, i, j]) => 12 * i + 4 * j + k));
});

test('write() copies exactly size values in row-major order, also into strided views', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2, 3]);
  m.write([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
  m.transpose(0, 1).write(new Float32Array([10, 40, 20, 50, 30, 60]));
  assert.deepEqual(m.toArray(), [[10, 20, 30], [40, 50, 60]]);
  m.select(1, 1).write([-1, -2]);
  assert.deepEqual(m.toArray(), [[10, -1, 30], [40, -2, 60]]);
  m.slice([null, [null, null, -1]]).write(new Float64Array([3, 2, 1, 6, 5, 4]));
  assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
  const i = device.zeros([3], 'int32');
  i.write(new Float64Array([3.9, -3.9, 2 ** 31]));
  assert.deepEqual(Array.from(i.read()), Array.from(Int32Array.from([3.9, -3.9, 2 ** 31])));
  expectError(() => m.write([1, 2, 3, 4, 5]), 'INVALID_SHAPE', /5 values for a tensor of shape \[2, 3\] \(6 elements\)/);
  expectError(() => m.write(new Float32Array(7)), 'INVALID_SHAPE', /7 values for a tensor of shape \[2, 3\] \(6 elements\)/);
  assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
});

test('view() is the zero-copy typed array of a contiguous tensor', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int16' });
  const raw = m.view();
  assert.ok(raw instanceof Int16Array);
  assert.equal(raw.length, 6);
  raw[4] = 50;
  assert.equal(m.get(1, 1), 50);
  m.set(-9, 0, 0);
  assert.equal(raw[0], -9);
  const r = m.reshape([3, 2]).view();
  assert.equal(r.length, 6);
  assert.equal(r.byteOffset, raw.byteOffset);
});

test('shape and strides cannot be changed from outside', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2, 3]);
  try { m.shape[0] = 99; } catch { /* a frozen array refuses: also fine */ }
  try { m.strides[0] = 99; } catch { /* idem */ }
  assert.deepEqual([...m.shape], [2, 3]);
  assert.deepEqual([...m.strides], [3, 1]);
  assert.equal(m.size, 6);
  assert.throws(() => { m.shape = [6]; }, TypeError);
  assert.throws(() => { m.dtype = 'int32'; }, TypeError);
  assert.deepEqual([...m.shape], [2, 3]);
  assert.equal(m.dtype, 'float32');
});

test('tensor ids are unique per device and never reused', async (t) => {
  const device = await withDevice(t);
  const seen = new Set();
  for (let i = 0; i < 50; ++i) {
    const a = device.zeros([2]);
    const v = a.reshape([1, 2]);
    assert.ok(!seen.has(a.id) && !seen.has(v.id));
    assert.notEqual(a.id, v.id);
    seen.add(a.id).add(v.id);
    a.dispose();
    v.dispose();
  }
});

test('read(out) copies into a caller-provided typed array, also from strided views, and checks its type and length', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const out = new Float32Array(6);
  assert.equal(m.read(out), out);
  assert.deepEqual([...out], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...m.transpose(0, 1).read(out)], [1, 4, 2, 5, 3, 6]);
  expectError(() => m.read(new Float64Array(6)), 'INVALID_ARGUMENT',
    'read: out is a Float64Array; a float32 tensor reads into a Float32Array');
  expectError(() => m.read(new Float32Array(5)), 'INVALID_SHAPE',
    'read: out has 5 elements for a tensor of shape [2, 3] (6 elements)');
  const ints = device.tensor(new BigInt64Array([1n, 2n]));
  assert.deepEqual([...ints.read(new BigInt64Array(2))], [1n, 2n]);
});

// --- user code inside a call ------------------------------------------------------

test('write: a values getter that disposes the tensor cannot redirect the write', async (t) => {
  const device = await withDevice(t);
  const target = device.zeros([4]);
  const address = target.view().byteOffset;
  let other;
  const values = withGetter([1, 2, 3, 4], 1, () => {
    target.dispose();
    other = device.zeros([4]);  // the same size class: the block target had
  });
  expectError(() => target.write(values), 'DISPOSED', `write: Tensor #${target.id} was disposed`);
  assert.equal(other.view().byteOffset, address);
  assert.deepEqual(other.toArray(), [0, 0, 0, 0]);
});

test('write: a values getter that grows the heap still writes every value', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const target = device.zeros([2, 2]);
  const strided = target.transpose(0, 1);
  let held = [];
  target.write(withGetter([1, 2, 3, 4], 2, () => { held = growHeap(device); }));
  assert.deepEqual(target.toArray(), [[1, 2], [3, 4]]);
  strided.write(withGetter([5, 6, 7, 8], 0, () => { held.push(...growHeap(device)); }));
  assert.deepEqual(target.toArray(), [[5, 7], [6, 8]]);
  for (const h of held) h.dispose();
});

test('write: a failed write changes nothing', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([1, 2, 3, 4]);
  expectError(() => m.write([9, 9, 'x', 9]), 'INVALID_ARGUMENT',
    'write: values[2] is "x"; a float32 element must be a number, a boolean or a bigint');
  expectError(() => m.transpose(0, 0).write([9, 9, 9, {}]), 'INVALID_ARGUMENT',
    'write: values[3] is an object; a float32 element must be a number, a boolean or a bigint');
  assert.deepEqual(m.toArray(), [1, 2, 3, 4]);
});

test('read(out): the length getter of out is never called, so it cannot swap the tensor', async (t) => {
  const device = await withDevice(t);
  const source = device.tensor([1, 2, 3, 4]);
  const out = new Float32Array(4);
  let calls = 0;
  Object.defineProperty(out, 'length', {
    get() {
      calls++;
      source.dispose();
      device.tensor([9, 9, 9, 9]);
      return 4;
    },
  });
  assert.equal(source.read(out), out);
  assert.deepEqual([...new Float32Array(out.buffer)], [1, 2, 3, 4]);
  assert.equal(calls, 0);
  class Sneaky extends Float32Array {
    get length() { calls++; return 1; }
  }
  source.read(new Sneaky(4));
  assert.equal(calls, 0);
  expectError(() => source.read(new Proxy(new Float32Array(4), {})), 'INVALID_ARGUMENT',
    'read: out is a Float32Array; a float32 tensor reads into a Float32Array');
  expectError(() => source.read(detached(Float32Array)), 'INVALID_ARGUMENT',
    'read: out is a detached Float32Array: its buffer was transferred or resized, or it viewed wasm memory that ' +
    'has grown since');
});

test('indices are numbers: bigints, Symbols, strings and objects are INVALID_ARGUMENT on every path, never coerced', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2], [3, 4]]);
  const deep = device.zeros([1, 1, 1, 1, 2]);
  void m.shape;  // described: get and set take their fast paths first
  const calls = { count: 0 };
  const cases = [
    [1n, '1n'], [Symbol('i'), 'Symbol(i)'], ['1', '"1"'], [coercible(1, calls), 'an object'], [true, 'true'],
    [null, 'null'], [[1], 'an array of length 1'],
  ];
  for (const [index, shown] of cases) {
    expectError(() => m.get(0, index), 'INVALID_ARGUMENT', `get: index[1] is ${shown}; it must be a number`);
    expectError(() => m.set(5, index, 0), 'INVALID_ARGUMENT', `set: index[0] is ${shown}; it must be a number`);
    expectError(() => deep.get(0, 0, 0, 0, index), 'INVALID_ARGUMENT', `get: index[4] is ${shown}; it must be a number`);
    expectError(() => m.select(0, index), 'INVALID_ARGUMENT', `select: index is ${shown}; it must be a number`);
    expectError(() => m.narrow(index, 0, 1), 'INVALID_ARGUMENT', `narrow: dim is ${shown}; it must be a number`);
    expectError(() => m.transpose(index, 0), 'INVALID_ARGUMENT', `transpose: dim0 is ${shown}; it must be a number`);
    if (index !== null) {  // null is an open end
      expectError(() => m.slice([[0, index]]), 'INVALID_ARGUMENT', `slice: stop is ${shown}; it must be a number`);
    }
    expectError(() => m.reshape([4, index]), 'INVALID_ARGUMENT', `reshape: shape[1] is ${shown}; it must be a number`);
  }
  expectError(() => m.get(0, NaN), 'INVALID_ARGUMENT', 'get: index[1] is NaN; it must be an integer');
  assert.equal(calls.count, 0);
  assert.deepEqual(m.toArray(), [[1, 2], [3, 4]]);
  // In range, a number index works on both paths, negatives through the slow one.
  assert.equal(m.get(1, -1), 4);
  assert.equal(m.get(-0, 1), 2);
});

test('get and set with more than 8 indices are INVALID_ARGUMENT', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2, 3]);
  expectError(() => m.get(0, 0, 0, 0, 0, 0, 0, 0, 0), 'INVALID_ARGUMENT',
    '9 indices for a tensor of shape [2, 3] (2 dims)');
  expectError(() => m.set(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 'INVALID_ARGUMENT',
    '10 indices for a tensor of shape [2, 3] (2 dims)');
});

test('element values are numbers, booleans or bigints: anything else is INVALID_ARGUMENT, never coerced', async (t) => {
  const device = await withDevice(t);
  const f = device.zeros([2]);
  const i = device.zeros([2], 'int64');
  const b = device.zeros([2], 'bool');
  const calls = { count: 0 };
  for (const value of [coercible(1, calls), '1', Symbol('v'), null, undefined, [1]]) {
    const shown = typeof value === 'symbol' ? 'Symbol(v)' : undefined;
    expectError(() => f.set(value, 0), 'INVALID_ARGUMENT', shown && `set: value is ${shown}; a float32 element must be a number, a boolean or a bigint`);
    expectError(() => i.set(value, 0), 'INVALID_ARGUMENT');
    expectError(() => b.set(value, 0), 'INVALID_ARGUMENT');
    expectError(() => f.write([1, value]), 'INVALID_ARGUMENT');
    if (!Array.isArray(value)) expectError(() => device.tensor([1, value]), 'INVALID_ARGUMENT');
  }
  expectError(() => i.set(1.5, 0), 'INVALID_ARGUMENT',
    'set: value is 1.5; an int64 element must be a bigint, an integral number or a boolean');
  expectError(() => i.write(new Float64Array([1, 0.5])), 'INVALID_ARGUMENT',
    'write: values[1] is 0.5; an int64 element must be a bigint, an integral number or a boolean');
  assert.equal(calls.count, 0);
  f.set(2n, 0);
  f.set(true, 1);
  assert.deepEqual(f.toArray(), [2, 1]);
  i.set(false, 0);
  i.set(-3, 1);
  assert.deepEqual(i.toArray(), [0n, -3n]);
  assert.deepEqual(device.tensor(new BigInt64Array([5n, -1n]), { dtype: 'int8' }).toArray(), [5, -1]);
});

test('bool elements store truthiness from typed arrays, arrays, set(), write() and tensor(); read() gives 0 or 1', async (t) => {
  const device = await withDevice(t);
  const values = [0.5, 256, 2, -1, 0, -0, NaN];
  const expected = [1, 1, 1, 1, 0, 0, 0];
  for (const Type of [Float32Array, Float64Array, Int16Array, Uint8Array, Int8Array]) {
    const source = Type.from(values.map((v) => (Number.isNaN(v) && Type !== Float32Array && Type !== Float64Array ? 0 : v)));
    const want = Array.from(source, (v) => (v ? 1 : 0));
    assert.deepEqual(Array.from(device.tensor(source, { dtype: 'bool' }).read()), want, Type.name);
    const written = device.zeros([source.length], 'bool');
    written.write(source);
    assert.deepEqual(Array.from(written.read()), want, `${Type.name} write`);
    written.transpose(0, 0).write(source);  // strided: through a staging copy
    assert.deepEqual(Array.from(written.read()), want, `${Type.name} strided write`);
  }
  assert.deepEqual(Array.from(device.tensor(new BigInt64Array([0n, 2n, -1n]), { dtype: 'bool' }).read()), [0, 1, 1]);
  assert.deepEqual(Array.from(device.tensor(values, { dtype: 'bool' }).read()), expected);
  const one = device.zeros([values.length], 'bool');
  values.forEach((v, k) => one.set(v, k));
  assert.deepEqual(Array.from(one.read()), expected);
  assert.deepEqual(one.toArray(), expected.map(Boolean));
  // Bytes put there raw (a DeviceData viewed as bool) read back as 0 or 1, and as booleans.
  const data = device.createDataWithBuffer(new Uint8Array([0, 2, 255, 1]));
  const flags = device.fromData(data, 'bool');
  assert.deepEqual(Array.from(flags.read()), [0, 1, 1, 1]);
  assert.deepEqual(Array.from(flags.read(new Uint8Array(4))), [0, 1, 1, 1]);
  assert.deepEqual(Array.from(flags.transpose(0, 0).read()), [0, 1, 1, 1]);
  assert.deepEqual(flags.toArray(), [false, true, true, true]);
  assert.equal(flags.get(2), true);
  const checked = device.readDataView(data, 'bool');
  assert.deepEqual([...checked], [false, true, true, true]);
  checked[0] = 0.5;
  checked[1] = 0;
  assert.deepEqual(Array.from(data.view()), [1, 0, 255, 1]);
});

test('tensor(): a view of the device\'s own heap is copied correctly when the allocation grows the heap', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const source = device.tensor(Float32Array.from({ length: 1024 }, (_, i) => i));
  const counts = liveCounts(device);
  const heapBefore = device.getMemoryStats().wasmHeapBytes;
  const held = [];
  let copy;
  // Fill the heap until the next tensor() of this size is the allocation that grows it.
  for (;;) {
    copy = device.tensor(source.view());
    if (device.getMemoryStats().wasmHeapBytes !== heapBefore) break;
    held.push(copy);
  }
  assert.deepEqual(Array.from(copy.read()), Array.from({ length: 1024 }, (_, i) => i));
  assert.equal(device.getMemoryStats().liveTensors, counts.liveTensors + held.length + 1);
  for (const h of held) h.dispose();
});

test('tensor(): a view of the device\'s heap is taken before the options, whose getters may grow the heap', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const source = device.tensor(new Int32Array([4, 5, 6]));
  let held = [];
  const copy = device.tensor(source.view(), { get dtype() { held = growHeap(device); return 'float64'; } });
  assert.ok(held.length > 0);
  assert.deepEqual(copy.toArray(), [4, 5, 6]);
  for (const h of held) h.dispose();
});
