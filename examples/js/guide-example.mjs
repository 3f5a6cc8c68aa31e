// The example of docs/js-guide.md: tensors, views, element access, scopes,
// errors and leak hunting. Each assert is a claim the guide makes.
// In a project that has tensormem installed: node guide-example.mjs
// From this repository: node --import ./examples/js/resolve-tensormem.mjs examples/js/guide-example.mjs
import assert from 'node:assert/strict';
import { Device, TensorMemError } from 'tensormem';

const device = await Device.create({ maxMemory: 64 * 1024 * 1024, debug: true });

// Views share the buffer: a write through one is seen by all.
const t = device.tensor([[1, 2, 3], [4, 5, 6]]);   // float32, shape [2, 3]
const column = t.select(1, 2);                     // [3, 6], no copy
column.set(60, 1);
assert.equal(t.get(1, 2), 60);

// reshape() copies when strides cannot express the new shape: ask which happened.
const tt = t.transpose();                          // shape [3, 2], strides [1, 3]
const flat = tt.reshape([6]);
assert.equal(flat.sharesStorage(t), false);        // a copy; tt.view([6]) throws NOT_VIEWABLE
assert.equal(tt.reshape([3, 1, 2]).sharesStorage(t), true);  // (this view leaks: see below)

// Element access: checked get/set, bulk read()/write(), and the raw view() for hot loops.
assert.deepEqual(Array.from(flat.read()), [1, 4, 2, 5, 3, 60]);
const raw = flat.view();                           // a Float32Array over wasm memory
raw[0] = 10;                                       // re-derive it after any allocation
assert.equal(flat.get(0), 10);
for (const x of [column, tt, flat]) x.dispose();

// A scope disposes what was created inside it, except what it returns.
const rowSums = device.scope(() => {
  const ones = device.tensor([1, 1, 1], { shape: [3, 1] });
  const sums = device.zeros([2]);
  for (let r = 0; r < 2; ++r) {
    let s = 0;
    for (let c = 0; c < 3; ++c) s += t.get(r, c) * ones.get(c, 0);
    sums.set(s, r);
  }
  return sums;                                     // survives; ones does not
});
assert.deepEqual(Array.from(rowSums.read()), [6, 69]);

// Async scopes stay open until the promise settles.
const loaded = await device.scope(async () => {
  const bytes = await Promise.resolve(new Float32Array([1, 2, 3, 4]).buffer);  // e.g. a fetch
  const data = device.createDataWithBuffer(bytes);
  return device.fromData(data, 'float32', [2, 2]); // data is disposed; the tensor keeps the buffer
});
assert.deepEqual(loaded.toArray(), [[1, 2], [3, 4]]);

// Every failure is a TensorMemError with a code and a message naming the values.
try {
  t.slice([[0, 10]]);
  assert.fail('slice past the end must throw');
} catch (error) {
  assert.ok(error instanceof TensorMemError);
  assert.equal(error.code, 'OUT_OF_BOUNDS');
  console.log(`${error.code}: ${error.message}`);
}

// Leak hunting: what is still live, and (debug: true) where it was created.
for (const x of [t, rowSums, loaded]) x.dispose();
const leaks = device.liveAllocations();
assert.equal(leaks.length, 1);                     // the reshape view above, never disposed
console.log(`leak: ${leaks[0].kind} #${leaks[0].id} ${leaks[0].dtype} [${leaks[0].shape}] ${leaks[0].bytes} bytes`);
console.log(leaks[0].stack.split('\n').find((line) => line.includes('guide-example')).trim());

const stats = device.getMemoryStats();
console.log(`live buffers ${stats.liveBuffers}, in use ${stats.bytesInUse} B, wasm heap ${stats.wasmHeapBytes} B`);
device.dispose();                                  // frees everything, the leak included
assert.throws(() => device.zeros([1]), { code: 'DISPOSED' });
