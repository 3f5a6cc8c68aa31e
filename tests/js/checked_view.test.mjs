// readDataView: the checked, typed-array-like view. It refuses use after
// dispose and out-of-range indices, and survives wasm memory growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, withDevice, growHeap, coercible } from './support.mjs';

const disposedMessage = /View is no longer valid: buffer has been disposed/;

test('a checked view reads and writes the buffer like a typed array (uint8 by default)', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(12);
  const bytes = device.readDataView(data);
  assert.equal(bytes.dtype, 'uint8');
  assert.equal(bytes.length, 12);
  assert.equal(bytes.isValid, true);
  const floats = device.readDataView(data, 'float32');
  assert.equal(floats.dtype, 'float32');
  assert.equal(floats.length, 3);
  floats[0] = 42;
  floats[2] = -1.5;
  assert.equal(floats[0], 42);
  assert.deepEqual([...floats], [42, 0, -1.5]);
  assert.deepEqual(Array.from(new Float32Array(await device.readData(data))), [42, 0, -1.5]);
  bytes[4] = 0x80;  // writes through one view are seen through the other
  assert.ok(floats[1] !== 0);
  floats[1] = 0.5;
  assert.equal(data.view('float32')[1], 0.5);
});

test('checked views give bigint for 64-bit dtypes and boolean for bool', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const longs = device.readDataView(data, 'int64');
  assert.equal(longs.length, 2);
  longs[0] = -3n;
  assert.equal(longs[0], -3n);
  assert.equal(typeof longs[1], 'bigint');
  const ulongs = device.readDataView(data, 'uint64');
  assert.equal(ulongs[0], 2n ** 64n - 3n);
  const flags = device.readDataView(data, 'bool');
  assert.equal(flags.length, 16);
  flags[8] = true;
  assert.equal(flags[8], true);
  assert.equal(flags[9], false);
  assert.equal(data.view()[8], 1);
  const int8 = device.readDataView(data, 'int8');
  int8[9] = -2;
  assert.equal(int8[9], -2);
  assert.equal(device.readDataView(data, 'uint8')[9], 254);
  assert.equal(device.readDataView(data, 'float64').length, 2);
});

test('readDataView hands out one view per buffer and dtype; a new buffer in the same block gets its own', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const floats = device.readDataView(data, 'float32');
  assert.equal(device.readDataView(data, 'float32'), floats);
  assert.notEqual(device.readDataView(data, 'int32'), floats);
  assert.equal(device.readDataView(data, 'int32').dtype, 'int32');
  floats[1] = 3;
  data.dispose();
  expectError(() => floats[1], 'DISPOSED', disposedMessage);
  expectError(() => device.readDataView(data, 'float32'), 'DISPOSED');
  const next = device.createData(16);  // likely the same block: its view is a new one, over the new buffer
  const again = device.readDataView(next, 'float32');
  assert.notEqual(again, floats);
  assert.equal(again[1], 0);
  expectError(() => floats[1], 'DISPOSED', disposedMessage);
  next.dispose();
});

test('an index past the end throws OUT_OF_BOUNDS naming the index and length', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(12);
  const view = device.readDataView(data, 'float32');
  expectError(() => view[999], 'OUT_OF_BOUNDS', 'Index 999 out of bounds for array of length 3');
  expectError(() => view[3], 'OUT_OF_BOUNDS', 'Index 3 out of bounds for array of length 3');
  expectError(() => { view[3] = 1; }, 'OUT_OF_BOUNDS', 'Index 3 out of bounds for array of length 3');
  expectError(() => view[-1], 'OUT_OF_BOUNDS', /Index -1 out of bounds for array of length 3/);
  assert.deepEqual(Array.from(new Float32Array(await device.readData(data))), [0, 0, 0]);
});

test('after disposeData every read and write through the view throws DISPOSED', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(1024);
  const view = device.readDataView(data, 'float32');
  view[0] = 42;
  device.disposeData(data);
  assert.equal(view.isValid, false);
  expectError(() => view[0], 'DISPOSED', disposedMessage);
  expectError(() => { view[0] = 123; }, 'DISPOSED', disposedMessage);
  expectError(() => view[999], 'DISPOSED', disposedMessage);  // disposal is reported before bounds
  expectError(() => [...view], 'DISPOSED', disposedMessage);
  const empty = device.createData(2);
  const none = device.readDataView(empty, 'float32');
  assert.deepEqual([...none], []);
  empty.dispose();
  expectError(() => [...none], 'DISPOSED', disposedMessage);  // an empty view too
});

test('a view of a disposed buffer stays invalid when the pool reuses the block', async (t) => {
  const device = await withDevice(t);
  const data1 = device.createData(1024);
  const view1 = device.readDataView(data1, 'float32');
  view1[0] = 1;
  device.disposeData(data1);
  const hits = device.getMemoryStats().poolHits;
  const data2 = device.createData(1024);
  assert.equal(device.getMemoryStats().poolHits, hits + 1);  // same size class: reused
  const view2 = device.readDataView(data2, 'float32');
  view2[0] = 999;
  expectError(() => view1[0], 'DISPOSED', disposedMessage);
  expectError(() => { view1[0] = 5; }, 'DISPOSED', disposedMessage);
  assert.equal(view2[0], 999);
});

test('disposing the data invalidates its views even while a tensor keeps the buffer', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(8);
  const view = device.readDataView(data, 'float32');
  const tensor = device.fromData(data, 'float32');
  data.dispose();
  expectError(() => view[0], 'DISPOSED', disposedMessage);
  tensor.set(3, 0);
  assert.equal(tensor.get(0), 3);
});

test('a checked view stays valid and correct when the wasm memory grows', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const data = device.createData(16);
  const view = device.readDataView(data, 'int32');
  view[0] = 11;
  view[3] = -44;
  const held = growHeap(device);
  assert.equal(view.isValid, true);
  assert.equal(view[0], 11);
  assert.equal(view[3], -44);
  view[1] = 22;
  assert.deepEqual(Array.from(new Int32Array(await device.readData(data))), [11, 22, 0, -44]);
  for (const h of held) h.dispose();
});

test('a checked view is iterable', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Uint16Array([5, 6, 7]));
  const view = device.readDataView(data, 'uint16');
  assert.deepEqual(Array.from(view), [5, 6, 7]);
  let sum = 0;
  for (const x of view) sum += x;
  assert.equal(sum, 18);
});

test('a value whose valueOf would dispose the data is refused before anything is written', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const view = device.readDataView(data, 'float32');
  let next;
  const hostile = { valueOf() { data.dispose(); next = device.createData(16); return 42; } };
  expectError(() => { view[0] = hostile; }, 'INVALID_ARGUMENT',
    'checked view: the value for element 0 is an object; a float32 element must be a number, a boolean or a bigint');
  assert.equal(next, undefined);
  assert.equal(data.isDisposed, false);
  const calls = { count: 0 };
  expectError(() => { view[1] = coercible(1, calls); }, 'INVALID_ARGUMENT');
  expectError(() => { view[1] = '1'; }, 'INVALID_ARGUMENT');
  assert.equal(calls.count, 0);
  assert.deepEqual([...view], [0, 0, 0, 0]);
  view[2] = true;
  view[3] = 5n;
  assert.deepEqual([...view], [0, 0, 1, 5]);
});

test('int64 and uint64 checked views take bigints and integral numbers; other values are INVALID_ARGUMENT', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const longs = device.readDataView(data, 'int64');
  longs[0] = 1;
  longs[1] = -2n;
  assert.deepEqual([...longs], [1n, -2n]);
  const ulongs = device.readDataView(data, 'uint64');
  ulongs[0] = 2 ** 53;
  assert.equal(ulongs[0], 2n ** 53n);
  expectError(() => { longs[0] = 1.5; }, 'INVALID_ARGUMENT',
    'checked view: the value for element 0 is 1.5; an int64 element must be a bigint, an integral number or a boolean');
  expectError(() => { ulongs[1] = 'x'; }, 'INVALID_ARGUMENT',
    'checked view: the value for element 1 is "x"; a uint64 element must be a bigint, an integral number or a boolean');
  assert.equal(ulongs[0], 2n ** 53n);
});

test('an own isDisposed defined on a DeviceData cannot revive its disposed view', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Uint8Array([1, 2, 3, 4]));
  const view = device.readDataView(data);
  Object.defineProperty(data, 'isDisposed', { value: false });
  data.dispose();
  device.createDataWithBuffer(new Uint8Array(4).fill(7));  // the block data had
  expectError(() => view[0], 'DISPOSED', 'View is no longer valid: buffer has been disposed');
  expectError(() => { view[0] = 1; }, 'DISPOSED', 'View is no longer valid: buffer has been disposed');
  assert.equal(view.isValid, false);
});

test('a checked view cannot be frozen, sealed or given another prototype', async (t) => {
  const device = await withDevice(t);
  const view = device.readDataView(device.createData(4));
  expectError(() => Object.freeze(view), 'INVALID_ARGUMENT', 'A checked view cannot be frozen, sealed or made non-extensible');
  expectError(() => Object.preventExtensions(view), 'INVALID_ARGUMENT');
  expectError(() => Object.setPrototypeOf(view, null), 'INVALID_ARGUMENT', 'A checked view has no prototype to set');
  view[0] = 9;
  assert.deepEqual(Object.getOwnPropertyDescriptor(view, '0'), { value: 9, writable: true, enumerable: true, configurable: true });
});
