// Raw buffers (the raw device API): createData, createDataWithBuffer,
// data.view(), readData, writeData, disposeData, fromData.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, expectRejection, withDevice, liveCounts, growHeap } from './support.mjs';

test('createData makes a zero-filled buffer with id, byteLength and device', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(64);
  assert.equal(data.byteLength, 64);
  assert.equal(data.device, device);
  assert.equal(data.isDisposed, false);
  assert.equal(typeof data.id, 'number');
  const bytes = new Uint8Array(await device.readData(data));
  assert.equal(bytes.length, 64);
  assert.ok(bytes.every((b) => b === 0));
  const empty = device.createData(0);
  assert.equal(empty.byteLength, 0);
  assert.equal((await device.readData(empty)).byteLength, 0);
});

test('createData is zero-filled even when the pool hands back a used block', async (t) => {
  const device = await withDevice(t);
  for (let round = 0; round < 4; ++round) {
    const dirty = device.createData(4096);
    dirty.view().fill(0xab);
    dirty.dispose();
    const clean = device.createData(4096);
    assert.ok(clean.view().every((b) => b === 0), `round ${round}`);
    clean.dispose();
  }
  assert.ok(device.getMemoryStats().poolHits >= 3);
});

test('data ids are unique and never reused after dispose', async (t) => {
  const device = await withDevice(t);
  const ids = new Set();
  for (let i = 0; i < 100; ++i) {
    const data = device.createData(32);
    assert.ok(!ids.has(data.id));
    ids.add(data.id);
    data.dispose();
  }
});

test('createDataWithBuffer copies an ArrayBuffer or exactly the bytes a view covers', async (t) => {
  const device = await withDevice(t);
  const source = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const whole = device.createDataWithBuffer(source.buffer);
  assert.equal(whole.byteLength, 8);
  source[0] = 100;  // a copy: later changes to the source do not show
  assert.deepEqual(Array.from(new Uint8Array(await device.readData(whole))), [1, 2, 3, 4, 5, 6, 7, 8]);

  const part = device.createDataWithBuffer(new Uint8Array(source.buffer, 2, 4));
  assert.equal(part.byteLength, 4);
  assert.deepEqual(Array.from(new Uint8Array(await device.readData(part))), [3, 4, 5, 6]);

  const floats = device.createDataWithBuffer(new Float32Array([1.5, -2]));
  assert.equal(floats.byteLength, 8);
  assert.deepEqual(Array.from(floats.view('float32')), [1.5, -2]);

  const dv = device.createDataWithBuffer(new DataView(source.buffer, 6, 2));
  assert.deepEqual(Array.from(dv.view()), [7, 8]);
});

test('data.view(dtype) is a typed array over the buffer (uint8 by default)', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const bytes = data.view();
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(bytes.length, 16);
  const floats = data.view('float32');
  assert.ok(floats instanceof Float32Array);
  assert.equal(floats.length, 4);
  floats[1] = 2.5;
  assert.deepEqual(Array.from(new Float32Array(await device.readData(data))), [0, 2.5, 0, 0]);
  const longs = data.view('int64');
  assert.ok(longs instanceof BigInt64Array);
  assert.equal(longs.length, 2);
  const flags = data.view('bool');
  assert.ok(flags instanceof Uint8Array);
  for (const [dtype, Type] of [['float64', Float64Array], ['int8', Int8Array], ['uint16', Uint16Array],
    ['int16', Int16Array], ['int32', Int32Array], ['uint32', Uint32Array], ['uint64', BigUint64Array]]) {
    const v = data.view(dtype);
    assert.ok(v instanceof Type, dtype);
    assert.equal(v.length, 16 / Type.BYTES_PER_ELEMENT, dtype);
  }
});

test('data.view() re-derived after the wasm memory grows sees the same bytes', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const data = device.createData(8);
  data.view().set([1, 2, 3, 4, 5, 6, 7, 8]);
  const held = growHeap(device);
  assert.deepEqual(Array.from(data.view()), [1, 2, 3, 4, 5, 6, 7, 8]);
  data.view()[0] = 42;
  assert.equal(new Uint8Array(await device.readData(data))[0], 42);
  for (const h of held) h.dispose();
});

test('readData resolves to a detached copy of the bytes', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Uint8Array([9, 8, 7]));
  const pending = device.readData(data);
  assert.ok(pending instanceof Promise);
  const copy = await pending;
  assert.ok(copy instanceof ArrayBuffer);
  assert.equal(copy.byteLength, 3);
  new Uint8Array(copy)[0] = 0;
  assert.deepEqual(Array.from(data.view()), [9, 8, 7]);
  // Its own memory, not the wasm heap.
  assert.notEqual(copy, data.view().buffer);
});

test('writeData copies into the buffer at a byte offset, OUT_OF_BOUNDS when it does not fit', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(8);
  await device.writeData(data, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer);
  assert.deepEqual(Array.from(data.view()), [1, 2, 3, 4, 5, 6, 7, 8]);
  await device.writeData(data, new Uint8Array([0xaa, 0xbb]), 6);
  assert.deepEqual(Array.from(data.view()), [1, 2, 3, 4, 5, 6, 0xaa, 0xbb]);
  await device.writeData(data, new Uint16Array([0x0102]), 2);
  assert.deepEqual(Array.from(data.view()).slice(2, 4), [0x02, 0x01]);
  const pending = device.writeData(data, new Uint8Array(0));
  assert.ok(pending instanceof Promise);
  await pending;
  await expectRejection(() => device.writeData(data, new Uint8Array(9)), 'OUT_OF_BOUNDS');
  await expectRejection(() => device.writeData(data, new Uint8Array(3), 6), 'OUT_OF_BOUNDS');
  assert.deepEqual(Array.from(data.view()), [1, 2, 2, 1, 5, 6, 0xaa, 0xbb]);
});

test('disposeData and data.dispose() free the buffer; both are idempotent', async (t) => {
  const device = await withDevice(t);
  const baseline = liveCounts(device);
  const a = device.createData(100);
  const b = device.createData(100);
  const s = device.getMemoryStats();
  assert.equal(s.liveData, baseline.liveData + 2);
  assert.equal(s.liveBuffers, baseline.liveBuffers + 2);
  device.disposeData(a);
  b.dispose();
  assert.equal(a.isDisposed, true);
  assert.equal(b.isDisposed, true);
  device.disposeData(a);
  a.dispose();
  b[Symbol.dispose]();
  device.disposeData(b);
  assert.deepEqual(liveCounts(device), baseline);
  const c = device.createData(10);
  c[Symbol.dispose]();
  assert.equal(c.isDisposed, true);
  assert.deepEqual(liveCounts(device), baseline);
});

test('use of disposed data throws DISPOSED', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  data.dispose();
  expectError(() => data.view(), 'DISPOSED');
  expectError(() => data.view('float32'), 'DISPOSED');
  expectError(() => device.fromData(data, 'float32'), 'DISPOSED');
  await expectRejection(() => device.readData(data), 'DISPOSED');
  await expectRejection(() => device.writeData(data, new Uint8Array(1)), 'DISPOSED');
  expectError(() => device.readDataView(data), 'DISPOSED');
});

test('fromData views a buffer as a tensor; the buffer lives while either holds it', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Float32Array([1, 2, 3, 4]));
  const flat = device.fromData(data, 'float32');
  assert.deepEqual([...flat.shape], [4]);
  assert.equal(flat.dtype, 'float32');
  const m = device.fromData(data, 'float32', [2, 2]);
  assert.deepEqual(m.toArray(), [[1, 2], [3, 4]]);
  const firstTwo = device.fromData(data, 'float32', [2]);
  assert.deepEqual(firstTwo.toArray(), [1, 2]);
  const ints = device.fromData(data, 'int16');
  assert.deepEqual([...ints.shape], [8]);
  const odd = device.createData(10);
  assert.deepEqual([...device.fromData(odd, 'float32').shape], [2]);  // whole elements only
  odd.dispose();

  m.set(20, 0, 1);
  assert.equal(new Float32Array(await device.readData(data))[1], 20);
  data.view('float32')[3] = 40;
  assert.equal(m.get(1, 1), 40);

  const before = device.getMemoryStats().liveBuffers;
  data.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before);  // tensors still hold it
  assert.deepEqual(m.toArray(), [[1, 20], [3, 40]]);
  for (const x of [flat, m, firstTwo]) x.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before);
  ints.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before - 1);
});

test('fromData refuses a shape larger than the buffer', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  expectError(() => device.fromData(data, 'float32', [5]), ['INVALID_SHAPE', 'OUT_OF_BOUNDS']);
  assert.equal(device.getMemoryStats().liveTensors, 0);
});
