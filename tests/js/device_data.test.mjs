// Raw buffers (the raw device API): createData, createDataWithBuffer,
// data.view(), readData, writeData, disposeData, fromData.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, expectRejection, withDevice, liveCounts, growHeap, detached } from './support.mjs';

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

test('createDataWithBuffer copies a view of the device\'s own heap correctly when the allocation grows the heap', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const source = device.createDataWithBuffer(Uint8Array.from({ length: 4096 }, (_, i) => i % 251));
  const expected = Array.from(source.view());
  const heapBefore = device.getMemoryStats().wasmHeapBytes;
  const held = [];
  let copy;
  do {  // until the copy's allocation is the one that grows the heap
    copy = device.createDataWithBuffer(source.view());
    held.push(copy);
  } while (device.getMemoryStats().wasmHeapBytes === heapBefore);
  assert.deepEqual(Array.from(copy.view()), expected);
  assert.equal(device.getMemoryStats().liveData, held.length + 1);
  for (const h of held) h.dispose();
});

test('detached buffers are INVALID_ARGUMENT naming them, and leave nothing behind', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(8);
  const before = liveCounts(device);
  const transferred = new ArrayBuffer(8);
  structuredClone(transferred, { transfer: [transferred] });
  const detachedView = new DataView(new ArrayBuffer(8));
  structuredClone(detachedView.buffer, { transfer: [detachedView.buffer] });
  const why = 'its buffer was transferred or resized, or it viewed wasm memory that has grown since';
  expectError(() => device.createDataWithBuffer(detached(Uint16Array)), 'INVALID_ARGUMENT',
    `createDataWithBuffer: buffer is a detached Uint16Array: ${why}`);
  expectError(() => device.createDataWithBuffer(transferred), 'INVALID_ARGUMENT',
    'createDataWithBuffer: buffer is a detached ArrayBuffer: it was transferred');
  expectError(() => device.createDataWithBuffer(detachedView), 'INVALID_ARGUMENT',
    `createDataWithBuffer: buffer is a detached DataView: ${why}`);
  await expectRejection(() => device.writeData(data, detached(Float64Array)), 'INVALID_ARGUMENT',
    `writeData: buffer is a detached Float64Array: ${why}`);
  assert.deepEqual(liveCounts(device), before);
  // Empty buffers that are not detached are fine.
  assert.equal(device.createDataWithBuffer(new ArrayBuffer(0)).byteLength, 0);
  await device.writeData(data, new Uint8Array(0), 8);
});

test('own properties defined on a DeviceData cannot widen readData and writeData', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Uint8Array([1, 2, 3, 4]));
  const id = data.id;
  device.createDataWithBuffer(new Uint8Array(64).fill(0xab));
  Object.defineProperty(data, 'byteLength', { value: 4096 });
  Object.defineProperty(data, 'id', { value: -1 });
  assert.deepEqual(Array.from(new Uint8Array(await device.readData(data))), [1, 2, 3, 4]);
  await expectRejection(() => device.writeData(data, new Uint8Array(8)), 'OUT_OF_BOUNDS',
    `writeData: 8 bytes at byteOffset 0 do not fit in DeviceData #${id} of 4 bytes`);
  expectError(() => device.fromData(data, 'float32', [1024]), 'OUT_OF_BOUNDS');
});

test('writeData byteOffset is an integer number, never coerced', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(8);
  let calls = 0;
  for (const [offset, shown] of [[1n, '1n'], ['1', '"1"'], [{ valueOf() { calls++; return 1; } }, 'an object'],
    [2 ** 53, '9007199254740992'], [Infinity, 'Infinity']]) {
    const code = typeof offset === 'number' ? ['INVALID_ARGUMENT', 'OUT_OF_BOUNDS'] : 'INVALID_ARGUMENT';
    await expectRejection(() => device.writeData(data, new Uint8Array(1), offset), code,
      new RegExp(`^writeData: (1 bytes at )?byteOffset (is )?${shown}[ ;]`));
  }
  assert.equal(calls, 0);
  await device.writeData(data, new Uint8Array([5]), -0);
  assert.equal(data.view()[0], 5);
});
