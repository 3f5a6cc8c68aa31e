// Bad input from JS gets a TensorMemError with the right code, never a crash,
// and the device stays usable with nothing leaked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectError, expectRejection, withDevice, liveCounts, TensorMemError, Device, MiB, detached, withGetter,
} from './support.mjs';

// Asserts every case throws its code (reporting all cases that do not), then
// that the device still works and the failed calls left nothing behind.
function checkAll(device, cases) {
  const before = liveCounts(device);
  const failures = [];
  for (const [name, fn, code, message] of cases) {
    try {
      expectError(fn, code, message);
    } catch (e) {
      failures.push(`${name}: ${e.message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(liveCounts(device), before);
  const probe = device.tensor([1, 2, 3]);
  assert.deepEqual(probe.reshape([3, 1]).toArray(), [[1], [2], [3]]);
  const data = device.createData(8);
  assert.equal(data.byteLength, 8);
}

test('TensorMemError is an Error subclass users can construct', () => {
  const e = new TensorMemError('OUT_OF_BOUNDS', 'Index 1 out of bounds');
  assert.ok(e instanceof Error);
  assert.ok(e instanceof TensorMemError);
  assert.equal(e.name, 'TensorMemError');
  assert.equal(e.code, 'OUT_OF_BOUNDS');
  assert.equal(e.message, 'Index 1 out of bounds');
  assert.equal(typeof e.stack, 'string');
});

test('errors thrown by the package carry a JS stack pointing at the caller', async (t) => {
  const device = await withDevice(t);
  const e = expectError(() => device.zeros([2]).get(7), 'OUT_OF_BOUNDS');
  assert.match(e.stack, /errors\.test\.mjs/);
});

test('createData and createDataWithBuffer reject bad sizes and non-buffers', async (t) => {
  const device = await withDevice(t);
  checkAll(device, [
    ['negative size', () => device.createData(-1), 'INVALID_ARGUMENT'],
    ['NaN size', () => device.createData(NaN), 'INVALID_ARGUMENT'],
    ['fractional size', () => device.createData(1.5), 'INVALID_ARGUMENT'],
    ['string size', () => device.createData('16'), 'INVALID_ARGUMENT'],
    ['missing size', () => device.createData(), 'INVALID_ARGUMENT'],
    ['null size', () => device.createData(null), 'INVALID_ARGUMENT'],
    ['infinite size', () => device.createData(Infinity), 'INVALID_ARGUMENT'],
    ['bigint size', () => device.createData(16n), 'INVALID_ARGUMENT'],
    ['object size', () => device.createData({}), 'INVALID_ARGUMENT'],
    ['string buffer', () => device.createDataWithBuffer('abc'), 'INVALID_ARGUMENT'],
    ['number buffer', () => device.createDataWithBuffer(12), 'INVALID_ARGUMENT'],
    ['plain array buffer', () => device.createDataWithBuffer([1, 2, 3]), 'INVALID_ARGUMENT'],
    ['null buffer', () => device.createDataWithBuffer(null), 'INVALID_ARGUMENT'],
  ]);
});

test('sizes past the memory limit are MEMORY_LIMIT (or OUT_OF_MEMORY past what wasm can address)', async (t) => {
  const device = await withDevice(t);
  checkAll(device, [
    ['300 MiB on a 256 MiB device', () => device.createData(300 * MiB), 'MEMORY_LIMIT',
      /^Memory limit exceeded: requested 314572800 bytes .*limit 268435456 bytes$/],
    // The issue lists INVALID_SHAPE beside INVALID_ARGUMENT for sizes that overflow.
    ['2^40 bytes', () => device.createData(2 ** 40), ['MEMORY_LIMIT', 'OUT_OF_MEMORY', 'INVALID_ARGUMENT', 'INVALID_SHAPE']],
    // Past what the pool can represent (2 GiB on wasm32) the runtime says OUT_OF_MEMORY.
    ['1e9 float32 elements', () => device.zeros([1e9]), ['MEMORY_LIMIT', 'OUT_OF_MEMORY'], /requested 4000000000 bytes/],
  ]);
  assert.ok(device.getMemoryStats().failedAllocations >= 2);
});

test('shapes: negative sizes and overflowing products are INVALID_SHAPE; non-integers INVALID_ARGUMENT', async (t) => {
  const device = await withDevice(t);
  checkAll(device, [
    ['negative dim', () => device.zeros([2, -1]), 'INVALID_SHAPE', /shape \[2, -1\] has size -1 at dim 1; sizes must be >= 0/],
    ['negative dim (empty)', () => device.empty([-3]), 'INVALID_SHAPE'],
    ['product past int64', () => device.zeros([2 ** 31, 2 ** 31, 2 ** 31]), 'INVALID_SHAPE'],
    ['product past wasm32 size_t', () => device.zeros([2 ** 20, 2 ** 20]), 'INVALID_SHAPE'],
    ['int64 product past wasm32 size_t', () => device.zeros([2 ** 30], 'int64'), 'INVALID_SHAPE'],
    ['nine dims', () => device.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), 'INVALID_SHAPE',
      /shape \[1, 1, 1, 1, 1, 1, 1, 1, 1\] has 9 dims; at most 8 are supported/],
    ['fractional dim', () => device.zeros([1.5]), 'INVALID_ARGUMENT'],
    ['NaN dim', () => device.zeros([NaN]), 'INVALID_ARGUMENT'],
    ['infinite dim', () => device.zeros([Infinity]), 'INVALID_ARGUMENT'],
    ['string dim', () => device.zeros(['2']), 'INVALID_ARGUMENT'],
    ['shape not an array', () => device.zeros(3), 'INVALID_ARGUMENT'],
    ['shape missing', () => device.empty(), 'INVALID_ARGUMENT'],
    ['unknown dtype', () => device.zeros([2], 'float16'), 'INVALID_ARGUMENT'],
    ['dtype not a string', () => device.empty([2], 7), 'INVALID_ARGUMENT'],
  ]);
});

test('tensor() rejects wrong types, ragged nesting and count mismatches', async (t) => {
  const device = await withDevice(t);
  const other = device.zeros([2]);
  checkAll(device, [
    ['string', () => device.tensor('abc'), 'INVALID_ARGUMENT'],
    ['null', () => device.tensor(null), 'INVALID_ARGUMENT'],
    ['undefined', () => device.tensor(undefined), 'INVALID_ARGUMENT'],
    ['object', () => device.tensor({ a: 1 }), 'INVALID_ARGUMENT'],
    ['string element', () => device.tensor([1, 'a']), 'INVALID_ARGUMENT'],
    ['object element', () => device.tensor([1, {}]), 'INVALID_ARGUMENT'],
    ['a tensor as values', () => device.tensor(other), 'INVALID_ARGUMENT'],
    ['ragged rows', () => device.tensor([[1, 2], [3]]), 'INVALID_SHAPE'],
    ['ragged depth', () => device.tensor([[1, 2], 3]), 'INVALID_SHAPE'],
    ['ragged deeper', () => device.tensor([[[1], [2]], [[3], []]]), 'INVALID_SHAPE'],
    ['count vs shape', () => device.tensor([1, 2, 3], { shape: [2, 2] }), 'INVALID_SHAPE', /3 values.*\[2, 2\]/],
    ['typed count vs shape', () => device.tensor(new Float32Array(5), { shape: [2, 3] }), 'INVALID_SHAPE'],
    ['bad dtype', () => device.tensor([1, 2], { dtype: 'complex64' }), 'INVALID_ARGUMENT'],
    ['fractional shape', () => device.tensor([1, 2], { shape: [2.5] }), 'INVALID_ARGUMENT'],
    ['options not an object', () => device.tensor([1, 2], 'float64'), 'INVALID_ARGUMENT'],
  ]);
});

test('view ops reject non-integer, NaN and wrongly typed arguments', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  checkAll(device, [
    ['reshape fraction', () => m.reshape([2.5, 2]), 'INVALID_ARGUMENT'],
    ['reshape string', () => m.reshape('6'), 'INVALID_ARGUMENT'],
    ['reshape NaN', () => m.reshape([NaN]), 'INVALID_ARGUMENT'],
    ['view fraction', () => m.view([6.5]), 'INVALID_ARGUMENT'],
    ['slice not an array', () => m.slice('0:1'), 'INVALID_ARGUMENT'],
    ['slice fractional stop', () => m.slice([[0, 1.5]]), 'INVALID_ARGUMENT'],
    ['slice NaN start', () => m.slice([[NaN, 1]]), 'INVALID_ARGUMENT'],
    ['slice string start', () => m.slice([['0', 1]]), 'INVALID_ARGUMENT'],
    ['slice fractional select', () => m.slice([0.5]), 'INVALID_ARGUMENT'],
    ['slice spec of four', () => m.slice([[0, 1, 1, 1]]), 'INVALID_ARGUMENT'],
    ['slice spec object', () => m.slice([{ start: 0 }]), 'INVALID_ARGUMENT'],
    ['slice step zero', () => m.slice([[0, 2, 0]]), 'INVALID_ARGUMENT',
      'Slice step 0 is invalid (dim 0 of shape [2, 3]): it must be nonzero'],
    ['select NaN', () => m.select(0, NaN), 'INVALID_ARGUMENT'],
    ['select fraction', () => m.select(0.5, 0), 'INVALID_ARGUMENT'],
    ['select string', () => m.select('0', 0), 'INVALID_ARGUMENT'],
    ['narrow fraction', () => m.narrow(0, 0, 1.5), 'INVALID_ARGUMENT'],
    ['permute fraction', () => m.permute([0, 1.5]), 'INVALID_ARGUMENT'],
    ['permute not an array', () => m.permute(1), 'INVALID_ARGUMENT'],
    ['transpose string', () => m.transpose(0, 'a'), 'INVALID_ARGUMENT'],
    ['unsqueeze NaN', () => m.unsqueeze(NaN), 'INVALID_ARGUMENT'],
    ['squeeze fraction', () => m.squeeze(0.5), 'INVALID_ARGUMENT'],
    ['flatten fraction', () => m.flatten(0.5), 'INVALID_ARGUMENT'],
    ['expand NaN', () => m.expand([NaN, 3]), 'INVALID_ARGUMENT'],
    ['to bad dtype', () => m.to('float16'), 'INVALID_ARGUMENT'],
    ['sharesStorage of a non-tensor', () => m.sharesStorage({}), 'INVALID_ARGUMENT'],
  ]);
});

test('get and set reject non-integer and non-number indices', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  checkAll(device, [
    ['get fraction', () => m.get(0.5, 0), 'INVALID_ARGUMENT'],
    ['get NaN', () => m.get(0, NaN), 'INVALID_ARGUMENT'],
    ['get string', () => m.get('1', 0), 'INVALID_ARGUMENT'],
    ['get Infinity', () => m.get(Infinity, 0), 'INVALID_ARGUMENT'],
    ['get huge', () => m.get(2 ** 53, 0), ['INVALID_ARGUMENT', 'OUT_OF_BOUNDS']],
    ['set fraction', () => m.set(1, 0, 1.25), 'INVALID_ARGUMENT'],
    ['set NaN index', () => m.set(1, NaN, 0), 'INVALID_ARGUMENT'],
    ['write non-array', () => m.write(5), 'INVALID_ARGUMENT'],
    ['write string', () => m.write('123456'), 'INVALID_ARGUMENT'],
  ]);
  assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
});

test('readDataView, readData, writeData, disposeData and fromData reject bad arguments', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  const tensor = device.zeros([4]);
  checkAll(device, [
    ['readDataView bad dtype', () => device.readDataView(data, 'float16'), 'INVALID_ARGUMENT'],
    ['readDataView non-data', () => device.readDataView({ id: 1, byteLength: 16 }), 'INVALID_ARGUMENT'],
    ['readDataView null', () => device.readDataView(null), 'INVALID_ARGUMENT'],
    ['readDataView of a tensor', () => device.readDataView(tensor), 'INVALID_ARGUMENT'],
    ['disposeData non-data', () => device.disposeData({}), 'INVALID_ARGUMENT'],
    ['fromData bad dtype', () => device.fromData(data, 'float16'), 'INVALID_ARGUMENT'],
    ['fromData non-data', () => device.fromData({}, 'float32'), 'INVALID_ARGUMENT'],
    ['fromData fraction shape', () => device.fromData(data, 'float32', [1.5]), 'INVALID_ARGUMENT'],
    ['keep a non-object', () => device.keep(5), 'INVALID_ARGUMENT'],
  ]);
  const failures = [];
  for (const [name, fn, code] of [
    ['readData non-data', () => device.readData({}), 'INVALID_ARGUMENT'],
    ['writeData string', () => device.writeData(data, 'abc'), 'INVALID_ARGUMENT'],
    ['writeData fractional offset', () => device.writeData(data, new Uint8Array(1), 1.5), 'INVALID_ARGUMENT'],
    ['writeData NaN offset', () => device.writeData(data, new Uint8Array(1), NaN), 'INVALID_ARGUMENT'],
    ['writeData string offset', () => device.writeData(data, new Uint8Array(1), '2'), 'INVALID_ARGUMENT'],
    ['writeData negative offset', () => device.writeData(data, new Uint8Array(1), -1), ['INVALID_ARGUMENT', 'OUT_OF_BOUNDS']],
  ]) {
    try {
      await expectRejection(fn, code);
    } catch (e) {
      failures.push(`${name}: ${e.message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(data.view().every((b) => b === 0));
});

test("another device's objects are INVALID_ARGUMENT and stay intact", async (t) => {
  const device = await withDevice(t);
  const other = await withDevice(t);
  const foreignData = other.createDataWithBuffer(new Uint8Array([1, 2, 3, 4]));
  const foreignTensor = other.tensor([1, 2]);
  checkAll(device, [
    ['readDataView', () => device.readDataView(foreignData), 'INVALID_ARGUMENT'],
    ['disposeData', () => device.disposeData(foreignData), 'INVALID_ARGUMENT'],
    ['fromData', () => device.fromData(foreignData, 'uint8'), 'INVALID_ARGUMENT'],
    ['keep', () => device.keep(foreignTensor), 'INVALID_ARGUMENT'],
  ]);
  await expectRejection(() => device.readData(foreignData), 'INVALID_ARGUMENT');
  await expectRejection(() => device.writeData(foreignData, new Uint8Array(1)), 'INVALID_ARGUMENT');
  assert.equal(foreignData.isDisposed, false);
  assert.deepEqual(Array.from(foreignData.view()), [1, 2, 3, 4]);
  assert.deepEqual(foreignTensor.toArray(), [1, 2]);
});

test('Device.create rejects bad options with INVALID_ARGUMENT', async () => {
  const bad = [
    { maxMemory: -1 }, { maxMemory: 0 }, { maxMemory: NaN }, { maxMemory: '1024' }, { maxMemory: 1.5 },
    { compactThreshold: 0 }, { compactThreshold: 1.5 }, { compactThreshold: NaN }, { compactThreshold: -0.5 },
  ];
  for (const options of bad) {
    await expectRejection(() => Device.create(options), 'INVALID_ARGUMENT');
  }
  await expectRejection(() => Device.create({ compactThreshold: 2 }), 'INVALID_ARGUMENT', /must be in \(0, 1\]/);
});

test('a long run of failing calls leaks nothing and leaves the device usable', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const view = device.readDataView(device.createData(12), 'float32');
  const before = device.getMemoryStats();
  for (let i = 0; i < 20000; ++i) {
    try { m.select(0, 5); } catch { /* expected */ }
    try { m.get(9, 9); } catch { /* expected */ }
    try { m.reshape([7]); } catch { /* expected */ }
    try { device.zeros([-1]); } catch { /* expected */ }
    try { view[3]; } catch { /* expected */ }
  }
  const after = device.getMemoryStats();
  assert.equal(after.wasmHeapBytes, before.wasmHeapBytes);
  assert.equal(after.liveTensors, before.liveTensors);
  assert.equal(after.liveBuffers, before.liveBuffers);
  assert.equal(after.bytesInUse, before.bytesInUse);
  expectError(() => m.select(0, 5), 'OUT_OF_BOUNDS', 'Index 5 is out of bounds for dim 0 of size 2 (shape [2, 3])');
  assert.deepEqual(m.select(0, 1).toArray(), [4, 5, 6]);
  assert.deepEqual(device.tensor(new Float32Array(1000)).size, 1000);
});

test('tensor(): cyclic nested arrays and nesting deeper than 8 are INVALID_SHAPE', async (t) => {
  const device = await withDevice(t);
  const self = [];
  self.push(self);
  const pair = [[1, 2], [3, 4]];
  pair[1][1] = pair;
  const deep = [[[[[[[[[1]]]]]]]]];
  checkAll(device, [
    ['an array holding itself', () => device.tensor(self), 'INVALID_SHAPE', 'tensor: nested array contains itself at [0]'],
    ['a cycle further in', () => device.tensor(pair), 'INVALID_SHAPE',
      'tensor: nested array is ragged at [1, 1]: an array where a value was expected'],
    ['nine levels', () => device.tensor(deep), 'INVALID_SHAPE',
      'tensor: nested array is nested more than 8 deep; at most 8 dims are supported'],
  ]);
  assert.deepEqual([...device.tensor(deep[0]).shape], [1, 1, 1, 1, 1, 1, 1, 1]);
});

test('tensor(): nested arrays sharing their rows up to a huge element count are refused before they are walked', async (t) => {
  const device = await withDevice(t);
  let level = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  for (let d = 1; d < 8; d++) level = new Array(10).fill(level);  // 10^8 elements from 80 arrays
  checkAll(device, [
    ['10^8 float32 on a 256 MiB device', () => device.tensor(level), 'MEMORY_LIMIT', /requested 400000000 bytes/],
  ]);
  let reads = 0;
  const traced = new Proxy([1, 2], { get(target, key) { reads++; return target[key]; } });
  const rows = new Array(4).fill(traced);
  expectError(() => device.tensor(rows, { shape: [3, 3] }), 'INVALID_SHAPE', 'tensor: 8 values for shape [3, 3] (9 elements)');
  assert.equal(reads, 2);  // the first row's length and first value, for the shape and the dtype
});

test('tensor(): user code in values, options and shape runs before the tensor is written, and cannot redirect it', async (t) => {
  const device = await withDevice(t);
  const reads = [];
  const options = {
    get dtype() { reads.push('dtype'); return 'int32'; },
    get shape() { reads.push('shape'); return withGetter([2, 2], 1, () => device.zeros([8]).reshape([2, 2, 2]).dispose()); },
  };
  const values = withGetter([[1, 2], [3, 4]], 1, () => device.tensor([9, 9, 9, 9]).dispose());
  const m = device.tensor(values, options);
  assert.deepEqual(reads, ['dtype', 'shape']);
  assert.equal(m.dtype, 'int32');
  assert.deepEqual(m.toArray(), [[1, 2], [3, 4]]);
  // A getter that disposes the device: DISPOSED, and nothing written anywhere.
  const doomed = await Device.create();
  expectError(() => doomed.tensor(withGetter([1, 2, 3], 2, () => doomed.dispose())), 'DISPOSED',
    /^tensor: Tensor #\d+ belongs to a device that was disposed$/);
});

test('typed arrays that are detached are INVALID_ARGUMENT naming them wherever they are passed', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([4]);
  const why = 'its buffer was transferred or resized, or it viewed wasm memory that has grown since';
  checkAll(device, [
    ['tensor()', () => device.tensor(detached(Float32Array)), 'INVALID_ARGUMENT',
      `tensor: values is a detached Float32Array: ${why}`],
    ['tensor() converting', () => device.tensor(detached(Int8Array), { dtype: 'float64' }), 'INVALID_ARGUMENT',
      `tensor: values is a detached Int8Array: ${why}`],
    ['tensor() shape', () => device.tensor([1, 2], { shape: detached(Int32Array) }), 'INVALID_ARGUMENT',
      `tensor: shape is a detached Int32Array: ${why}`],
    ['write()', () => m.write(detached(Float32Array)), 'INVALID_ARGUMENT', `write: values is a detached Float32Array: ${why}`],
    ['read(out)', () => m.read(detached(Float32Array)), 'INVALID_ARGUMENT', `read: out is a detached Float32Array: ${why}`],
    ['createDataWithBuffer()', () => device.createDataWithBuffer(detached(Uint8Array)), 'INVALID_ARGUMENT',
      `createDataWithBuffer: buffer is a detached Uint8Array: ${why}`],
    ['zeros() shape', () => device.zeros(detached(Uint32Array)), 'INVALID_ARGUMENT',
      `zeros: shape is a detached Uint32Array: ${why}`],
    ['permute() dims', () => m.permute(detached(Int32Array)), 'INVALID_ARGUMENT',
      `permute: dims is a detached Int32Array: ${why}`],
  ]);
  await expectRejection(() => device.writeData(device.createData(4), detached(Uint8Array)), 'INVALID_ARGUMENT',
    `writeData: buffer is a detached Uint8Array: ${why}`);
});

const lookalike = (kind) => `an object that looks like a ${kind} but is not one (a Proxy of one, one from another ` +
  `copy of tensormem, or another library's ${kind})`;

test('a Proxy of a Tensor or DeviceData is not one: INVALID_ARGUMENT, without reading through it', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2]);
  const data = device.createData(8);
  let reads = 0;
  const spy = (target) => new Proxy(target, { get(...args) { reads++; return Reflect.get(...args); } });
  checkAll(device, [
    ['sharesStorage', () => m.sharesStorage(spy(m)), 'INVALID_ARGUMENT',
      `sharesStorage: other is ${lookalike('Tensor')}; it must be a Tensor`],
    ['keep', () => device.keep(spy(m)), 'INVALID_ARGUMENT', `keep: ${lookalike('Tensor')} is not a Tensor or DeviceData`],
    ['readDataView', () => device.readDataView(spy(data)), 'INVALID_ARGUMENT',
      `readDataView: data is ${lookalike('DeviceData')}; it must be a DeviceData`],
    ['fromData', () => device.fromData(spy(data), 'uint8'), 'INVALID_ARGUMENT'],
    ['disposeData', () => device.disposeData(spy(data)), 'INVALID_ARGUMENT'],
  ]);
  await expectRejection(() => device.readData(spy(data)), 'INVALID_ARGUMENT');
  await expectRejection(() => device.writeData(spy(data), new Uint8Array(1)), 'INVALID_ARGUMENT');
  assert.equal(reads, 0);
});

test('another library\'s class named Tensor is named as a look-alike, a real Tensor as a Tensor', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2]);
  class Tensor {}
  checkAll(device, [
    ['sharesStorage', () => m.sharesStorage(new Tensor()), 'INVALID_ARGUMENT',
      `sharesStorage: other is ${lookalike('Tensor')}; it must be a Tensor`],
    ['fromData', () => device.fromData(m, 'uint8'), 'INVALID_ARGUMENT',
      'fromData: data is a Tensor; it must be a DeviceData'],
  ]);
});

test('messages show values without running their code', async (t) => {
  const device = await withDevice(t);
  let calls = 0;
  const hostile = {
    get constructor() { calls++; throw new Error('constructor getter'); },
    toString() { calls++; return 'x'; },
    [Symbol.toPrimitive]() { calls++; return 'x'; },
  };
  checkAll(device, [
    ['dtype', () => device.zeros([1], hostile), 'INVALID_ARGUMENT',
      'zeros: dtype an object is not one of float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool'],
    ['shape', () => device.zeros(hostile), 'INVALID_ARGUMENT', 'zeros: shape is an object; it must be an array of integers'],
    ['size', () => device.createData(hostile), 'INVALID_ARGUMENT', 'createData: byteLength is an object; it must be a number'],
    ['a class', () => device.tensor(new (class Widget {})()), 'INVALID_ARGUMENT',
      'tensor: values is a Widget; it must be a typed array, an array or a number'],
  ]);
  assert.equal(calls, 0);
});
