// Tensors and threads: a tensormem object cannot be cloned or posted (a clear
// error that names the fix, never a silent `{}`), and the documented worker
// pattern works: the compiled runtime shared with each worker's Device,
// tensors moved as transferable copies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, Worker } from 'node:worker_threads';

import { Device, entryUrl, expectError, expectRejection, liveCounts, withDevice } from './support.mjs';

const TENSOR_FIX = /^A Tensor cannot be cloned, posted to a worker or serialized: it is a handle into this thread's wasm memory\. Post t\.toTransferable\(\) with its buffer in the transfer list/;

test('structuredClone, postMessage and JSON.stringify of a Tensor throw a TensorMemError naming the fix', async (t) => {
  const device = await withDevice(t);
  const x = device.tensor([[1, 2], [3, 4]]);
  expectError(() => structuredClone(x), 'INVALID_ARGUMENT', TENSOR_FIX);
  expectError(() => structuredClone({ batch: [x] }), 'INVALID_ARGUMENT', TENSOR_FIX);  // nested too
  expectError(() => JSON.stringify(x), 'INVALID_ARGUMENT', TENSOR_FIX);
  const { port1, port2 } = new MessageChannel();
  t.after(() => { port1.close(); port2.close(); });
  expectError(() => port1.postMessage(x), 'INVALID_ARGUMENT', TENSOR_FIX);
  const view = x.slice([[0, 1]]);
  expectError(() => structuredClone(view), 'INVALID_ARGUMENT', TENSOR_FIX);
  // A failed post sent nothing and left the tensor usable.
  assert.deepEqual(x.toArray(), [[1, 2], [3, 4]]);
  view.dispose();
  x.dispose();
  expectError(() => structuredClone(x), 'INVALID_ARGUMENT', TENSOR_FIX);  // disposed: still no `{}`
});

test('DeviceData and Device refuse cloning with their own fix; a checked view is a DataCloneError', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(16);
  expectError(() => structuredClone(data), 'INVALID_ARGUMENT',
    /^A DeviceData cannot be cloned, posted to a worker or serialized: .* Post a copy of its bytes \(await device\.readData\(data\)/);
  expectError(() => structuredClone(device), 'INVALID_ARGUMENT',
    /^A Device cannot be cloned, posted to a worker or serialized: .* Post the compiled module \(await Device\.compile\(\)\) and call Device\.create\(\{ wasmBinary: module \}\) in the worker$/);
  // A checked view is a Proxy, which the engine refuses before any of its code runs.
  assert.throws(() => structuredClone(device.readDataView(data)), { name: 'DataCloneError' });
  data.dispose();
});

test('toTransferable() copies the elements in logical order into a buffer of their own; fromTransferable() rebuilds them', async (t) => {
  const device = await withDevice(t);
  const x = device.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
  const columns = x.transpose();                   // strided: copied in logical order
  const message = columns.toTransferable();
  assert.deepEqual(Object.keys(message), ['dtype', 'shape', 'buffer']);
  assert.equal(message.dtype, 'int32');
  assert.deepEqual(message.shape, [3, 2]);
  assert.equal(message.buffer.byteLength, 6 * 4); // exactly the elements, not the wasm memory
  const moved = structuredClone(message, { transfer: [message.buffer] });
  assert.equal(message.buffer.byteLength, 0);      // transferred: detached here
  const other = await withDevice(t);
  const y = other.fromTransferable(moved);
  assert.deepEqual(y.toArray(), [[1, 4], [2, 5], [3, 6]]);
  assert.equal(y.dtype, 'int32');
  for (const [dtype, values] of [['bool', [true, false]], ['int64', [1n, -2n]], ['float64', [0.5, -1]]]) {
    const z = device.tensor(values, { dtype });
    const w = other.fromTransferable(z.toTransferable());
    assert.deepEqual([w.dtype, w.toArray()], [dtype, values]);
    z.dispose();
    w.dispose();
  }
  for (const o of [x, columns, y]) o.dispose();
  expectError(() => x.toTransferable(), 'DISPOSED', 'toTransferable: Tensor #1 was disposed');
  assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
});

test('fromTransferable() refuses what toTransferable() cannot have made', async (t) => {
  const device = await withDevice(t);
  const buffer = new Float32Array(4).buffer;
  expectError(() => device.fromTransferable(null), 'INVALID_ARGUMENT',
    'fromTransferable: message is null; it must be { dtype, shape, buffer } from toTransferable()');
  expectError(() => device.fromTransferable({ dtype: 'float16', shape: [4], buffer }), 'INVALID_ARGUMENT',
    /^fromTransferable: dtype "float16" is not one of float32, /);
  expectError(() => device.fromTransferable({ dtype: 'float32', shape: 4, buffer }), 'INVALID_ARGUMENT',
    'fromTransferable: shape is 4; it must be an array of integers');
  expectError(() => device.fromTransferable({ dtype: 'float32', shape: [4], buffer: new Float32Array(4) }),
    'INVALID_ARGUMENT', 'fromTransferable: buffer is a Float32Array; it must be an ArrayBuffer');
  expectError(() => device.fromTransferable({ dtype: 'float64', shape: [1], buffer: new ArrayBuffer(12) }),
    'INVALID_SHAPE', 'fromTransferable: a buffer of 12 bytes holds no whole number of float64 elements');
  expectError(() => device.fromTransferable({ dtype: 'float32', shape: [5], buffer }), 'INVALID_SHAPE',
    'tensor: 4 values for shape [5] (5 elements)');
  assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
  device.dispose();
  expectError(() => device.fromTransferable({ dtype: 'float32', shape: [4], buffer }), 'DISPOSED',
    'fromTransferable: the device was disposed');
});

test('Device.compile() gives the module Device.create() uses, compiled once; a bad location rejects', async () => {
  const module = await Device.compile();
  assert.ok(module instanceof WebAssembly.Module);
  assert.equal(await Device.compile(), module);
  const device = await Device.create({ wasmBinary: module });
  assert.deepEqual(device.zeros([2]).toArray(), [0, 0]);
  device.dispose();
  await expectRejection(() => Device.compile({ wasmUrl: 42 }), 'INVALID_ARGUMENT',
    'Device.create: wasmUrl is 42; it must be a string or URL');
  await expectRejection(() => Device.compile(null), 'INVALID_ARGUMENT',
    'Device.create: options is null; it must be an object');
});

test('worker_threads: each worker makes its Device from the shared module; tensors travel as transferable copies', async (t) => {
  const module = await Device.compile();
  const workers = [2, 3].map((factor) => ({
    factor,
    worker: new Worker(new URL('./workers/scale.mjs', import.meta.url), { workerData: { entryUrl, module } }),
  }));
  t.after(() => Promise.all(workers.map(({ worker }) => worker.terminate())));
  const ask = (worker, message, transfer) => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.postMessage(message, transfer);
  });
  const device = await withDevice(t);
  const x = device.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.throws(() => workers[0].worker.postMessage({ tensor: x, factor: 2 }), { code: 'INVALID_ARGUMENT' });
  const replies = await Promise.all(workers.map(({ worker, factor }) => {
    const message = x.toTransferable();
    return ask(worker, { tensor: message, factor }, [message.buffer]);
  }));
  const results = replies.map((reply) => {
    const y = device.fromTransferable(reply);
    const values = y.toArray();
    y.dispose();
    return values;
  });
  assert.deepEqual(results, [[[2, 4, 6], [8, 10, 12]], [[3, 6, 9], [12, 15, 18]]]);
  x.dispose();
  // Each worker's device is its own, and its scope left nothing live there.
  const stats = await Promise.all(workers.map(({ worker }) => ask(worker, {})));
  for (const { stats: s } of stats) assert.deepEqual([s.liveTensors, s.liveBuffers], [0, 0]);
  assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
});
