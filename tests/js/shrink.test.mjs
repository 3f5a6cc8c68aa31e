// device.shrink(): every live buffer and object moves into a new, right-sized
// wasm instance; handles, ids and values stay, the old memory goes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { Device, MiB, collectGarbage, collectUntil, expectError, installedPackage } from './support.mjs';

const objects = (d) => { const s = d.getMemoryStats(); return { data: s.liveData, tensors: s.liveTensors }; };

// FNV-1a over a typed array's bytes: the values, compared before and after.
function checksum(array) {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
// Values by read() (a copy in any layout), as bytes.
const sumOf = (t) => checksum(t.read());

// The heap of a fresh device: what a new instance's runtime takes before any buffer.
async function freshHeapBytes() {
  const d = await Device.create();
  const bytes = d.getMemoryStats().wasmHeapBytes;
  d.dispose();
  return bytes;
}

// A pattern the dtype can hold, different per tensor.
function fillPattern(t, salt) {
  const v = t.view();
  if (v instanceof BigInt64Array) for (let i = 0; i < v.length; i++) v[i] = BigInt(i * 7 + salt) - 3n;
  else for (let i = 0; i < v.length; i++) v[i] = (i * 31 + salt) % 251;
}

test('shrink moves 32 MiB of survivors out of a 512 MiB heap with every id, value and stale handle kept', async (t) => {
  const d = await Device.create({ maxMemory: Infinity });
  t.after(() => d.dispose());
  const dtypes = ['float32', 'int32', 'uint8', 'float64', 'int16', 'int64'];
  const all = [];
  for (let i = 0; i < 64; i++) {  // 64 x 8 MiB
    const dtype = dtypes[i % dtypes.length];
    const bytesPer = { float32: 4, int32: 4, uint8: 1, float64: 8, int16: 2, int64: 8 }[dtype];
    const x = d.empty([1024, (8 * MiB) / 1024 / bytesPer], dtype);
    if (i % 16 === 0) fillPattern(x, i); else x.view().fill(dtype === 'int64' ? 1n : 1);
    all.push(x);
  }
  // Survivors: 4 x 8 MiB, with views of them, a read-only expand, a kept object, a DeviceData.
  const survivors = [all[0], all[16], all[32], all[48]];
  const small = d.tensor(new Float32Array([1, 2, 3, 4]));
  const views = [
    survivors[0].transpose(0, 1), survivors[1].select(0, 5), survivors[2].slice([[1, 9, 2], [null, null, 3]]),
    survivors[3].reshape([-1]).narrow(0, 10, 100), small.reshape([4, 1]).expand([4, 6]),
  ];
  const readOnly = views[4];
  const data = d.createDataWithBuffer(new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 13) % 256)));
  const checked = d.readDataView(data, 'uint16');
  const onData = d.fromData(data, 'int32', [32, 32]);
  let kept;
  d.scope(() => {
    kept = d.keep(d.tensor([[5, 6], [7, 8]], { dtype: 'int32' }));
    d.zeros([100]);  // disposed by the scope
  });
  const live = [...survivors, small, ...views, onData, kept];
  const ids = live.map((x) => x.id);
  const sums = live.map(sumOf);
  const checkedBefore = Array.from(checked);
  let rawView = survivors[0].view();
  // Dispose down: 60 x 8 MiB go.
  const stale = all.filter((x) => !survivors.includes(x));
  for (const x of stale) x.dispose();
  d.compact();
  const before = d.getMemoryStats();
  assert.ok(before.wasmHeapBytes >= 512 * MiB, `heap ${before.wasmHeapBytes}`);
  assert.ok(before.bytesInUse <= 33 * MiB, `in use ${before.bytesInUse}`);
  // The process's resident memory: node's memoryUsage().arrayBuffers does not
  // count wasm memories, and a WebAssembly.Memory's pages are resident once written.
  global.gc();
  const residentBefore = process.memoryUsage().rss;

  const result = d.shrink();

  const after = d.getMemoryStats();
  assert.equal(result.heapBefore, before.wasmHeapBytes);
  assert.equal(result.heapAfter, after.wasmHeapBytes);
  assert.ok(result.ms >= 0);
  assert.equal(result.bytesMoved, after.bytesRequested);
  const bound = after.bytesInUse + (await freshHeapBytes()) + 2 * MiB;  // + SHRINK_HEADROOM and the images
  assert.ok(after.wasmHeapBytes <= bound, `heap ${after.wasmHeapBytes} > bound ${bound}`);
  assert.ok(after.wasmHeapBytes < before.wasmHeapBytes / 10);
  for (const name of ['liveBuffers', 'liveData', 'liveTensors', 'bytesRequested', 'maxMemory', 'leaksReclaimed']) {
    assert.equal(after[name], before[name], name);
  }
  assert.equal(after.peakBytesInUse, before.peakBytesInUse);
  assert.equal(after.compactions, before.compactions);
  assert.equal(after.bytesCached, 0);
  // Same ids, same values, same layouts; read-only stays read-only.
  assert.deepEqual(live.map((x) => x.id), ids);
  assert.deepEqual(live.map(sumOf), sums);
  assert.equal(readOnly.isReadOnly, true);
  expectError(() => readOnly.set(1, 0, 0), 'READ_ONLY');
  assert.deepEqual(Array.from(checked), checkedBefore);
  assert.equal(checked[3], checkedBefore[3]);
  // Element fast paths re-derive their cached addresses.
  assert.equal(views[0].get(3, 2), survivors[0].get(2, 3));
  survivors[0].set(42, 2, 3);
  assert.equal(views[0].get(3, 2), 42);
  checked[0] = 777;
  assert.equal(new Uint16Array(await d.readData(data))[0], 777);
  // Raw typed arrays over the old memory are detached, as after growth.
  assert.equal(rawView.length, 0);
  rawView = null;  // V8 keeps a wasm memory alive while any typed array over it, even detached, is reachable
  // Stale handles stay stale, also once their slots are reused.
  const fresh = Array.from({ length: 70 }, () => d.zeros([4]));
  for (const x of stale) expectError(() => x.shape, 'DISPOSED');
  assert.ok(Math.min(...fresh.map((x) => x.id)) > Math.max(...ids), 'ids are never reused');
  for (const x of fresh) x.dispose();
  assert.deepEqual(objects(d), { data: 1, tensors: live.length + 2 });  // + the reshapes under two views
  // The old memory is gone.
  await collectGarbage();
  const residentAfter = process.memoryUsage().rss;
  assert.ok(residentBefore - residentAfter >= 400 * MiB, `rss ${residentBefore} -> ${residentAfter}`);
});

test('shrink refuses a heap over maxHeapBytes with OUT_OF_MEMORY and leaves the device as it was', async (t) => {
  const d = await Device.create();
  t.after(() => d.dispose());
  const a = d.tensor(new Float64Array(1 << 18).map((_, i) => i));
  const big = d.zeros([8 * MiB]);
  big.dispose();
  const before = d.getMemoryStats();
  const raw = a.view();
  expectError(() => d.shrink({ maxHeapBytes: 2 * MiB }), 'OUT_OF_MEMORY', /needs \d+ bytes.*maxHeapBytes \(2097152\).*unchanged/);
  expectError(() => d.shrink({ maxHeapBytes: -1 }), 'INVALID_ARGUMENT', /maxHeapBytes is -1/);
  const after = d.getMemoryStats();
  assert.equal(after.wasmHeapBytes, before.wasmHeapBytes);
  assert.equal(after.liveBuffers, before.liveBuffers);
  assert.equal(raw.length, 1 << 18, 'the memory was not replaced');
  assert.equal(a.get(1000), 1000);
  const b = d.zeros([10]);
  b.set(3, 2);
  assert.equal(b.get(2), 3);
  assert.ok(d.shrink().heapAfter < before.wasmHeapBytes);
  assert.equal(a.get(1000), 1000);
});

test('shrink on a disposed device throws DISPOSED', async () => {
  const d = await Device.create();
  d.dispose();
  expectError(() => d.shrink(), 'DISPOSED', /shrink: the device was disposed/);
});

test('shrink twice keeps everything, and the second finds little to give back', async (t) => {
  const d = await Device.create();
  t.after(() => d.dispose());
  const a = d.tensor(new Int32Array(100000).map((_, i) => i * 3));
  const v = a.narrow(0, 10, 5);
  d.zeros([16 * MiB / 4]).dispose();
  const first = d.shrink();
  const second = d.shrink();
  assert.ok(second.heapAfter <= first.heapAfter);
  assert.deepEqual(Array.from(v.read()), [30, 33, 36, 39, 42]);
  assert.equal(a.get(99999), 299997);
});

test('a debug device shrinks: creation stacks stay, and the new blocks pass their guard checks', async (t) => {
  const d = await Device.create({ debug: true });
  t.after(() => d.dispose());
  const a = d.tensor(new Uint8Array(1000).map((_, i) => i & 0xff));
  d.zeros([4 * MiB]).dispose();
  const stack = d.liveAllocations()[0].stack;
  d.shrink();
  assert.equal(d.liveAllocations()[0].stack, stack);
  assert.equal(a.get(999), 999 & 0xff);
  a.view()[999] = 1;  // within bounds: the guard bytes stay intact
  a.dispose();
  assert.equal(d.getMemoryStats().guardViolations, 0);
});

test('shrink inside a scope: the scope still disposes what it created, and keeps what it returns', async (t) => {
  const d = await Device.create();
  t.after(() => d.dispose());
  const outer = d.zeros([3]);
  const returned = d.scope(() => {
    const inner = d.tensor([1, 2, 3]);
    const r = d.tensor([4, 5]);
    d.zeros([4 * MiB]).dispose();
    d.shrink();
    assert.deepEqual(Array.from(inner.read()), [1, 2, 3]);
    return r;
  });
  assert.deepEqual(Array.from(returned.read()), [4, 5]);
  assert.deepEqual(objects(d), { data: 0, tensors: 2 });
  outer.dispose();
  returned.dispose();
});

test('the finalization safety net frees objects lost before a shrink', async (t) => {
  const d = await Device.create();
  t.after(() => d.dispose());
  (() => { for (let i = 0; i < 10; i++) d.zeros([1000]); })();
  await new Promise((resolve) => setImmediate(resolve));  // registered with the FinalizationRegistry
  d.shrink();
  assert.ok(await collectUntil(() => d.getMemoryStats().leaksReclaimed === 10));
  assert.deepEqual(objects(d), { data: 0, tensors: 0 });
});

test('autoShrink shrinks after a dispose leaves the heap ratio times larger than what is live', async (t) => {
  const d = await Device.create({ autoShrink: { ratio: 4, minBytes: 8 * MiB } });
  t.after(() => d.dispose());
  const keep = d.tensor(new Float32Array([1, 2, 3]));
  const big = d.zeros([32 * MiB / 4]);
  const heap = d.getMemoryStats().wasmHeapBytes;
  big.dispose();
  assert.equal(d.getMemoryStats().wasmHeapBytes, heap, 'never inside the call');
  await Promise.resolve();
  assert.ok(d.getMemoryStats().wasmHeapBytes < heap / 4, `${d.getMemoryStats().wasmHeapBytes}`);
  assert.deepEqual(Array.from(keep.read()), [1, 2, 3]);
  const small = d.zeros([100]);
  small.dispose();
  const settled = d.getMemoryStats().wasmHeapBytes;
  await Promise.resolve();
  assert.equal(d.getMemoryStats().wasmHeapBytes, settled, 'below minBytes: no shrink');
});

test('autoShrink options are checked', async () => {
  await assert.rejects(Device.create({ autoShrink: { ratio: 1 } }), { code: 'INVALID_ARGUMENT', message: /autoShrink.ratio is 1/ });
  await assert.rejects(Device.create({ autoShrink: { minBytes: -5 } }), { code: 'INVALID_ARGUMENT', message: /autoShrink.minBytes is -5/ });
  await assert.rejects(Device.create({ autoShrink: 4 }), { code: 'INVALID_ARGUMENT', message: /autoShrink is 4/ });
  const d = await Device.create({ autoShrink: {} });
  assert.deepEqual(d.options.autoShrink, { ratio: 4, minBytes: 64 * MiB });
  d.dispose();
});

test('a kernel package device shrinks the same way, and its kernels see the same values', async (t) => {
  const dir = installedPackage('tensormem-test-kernels');
  const { Device: KernelDevice } = await import(pathToFileURL(path.join(dir, 'index.mjs')).href);
  const d = await KernelDevice.create();
  t.after(() => d.dispose());
  const m = d.tensor([[1, 2, 3], [4, 5, 6]]);
  d.zeros([8 * MiB]).dispose();
  const result = d.shrink();
  assert.ok(result.heapAfter < result.heapBefore);
  assert.equal(d.kernels.sum(m), 21);
  assert.equal(d.kernels.sum(m.transpose()), 21);
  d.kernels.fill(m.select(0, 1), 7);
  assert.deepEqual(Array.from(m.read()), [1, 2, 3, 7, 7, 7]);
});

test('a shrink keeps each object\'s owner kind, and a recording goes on in the new instance as a new one', async (t) => {
  const d = await Device.create();
  t.after(() => d.dispose());
  d.recordHistory({ maxEvents: 64 });
  const data = d.createData(100);
  const base = d.zeros([10, 10], 'float32');
  const view = base.reshape([100]);
  const owners = (s) => s.buffers.flatMap((b) => b.owners).map((o) => [o.id, o.kind]).sort((a, b) => a[0] - b[0]);
  const before = d.snapshot();
  assert.ok(before.history.recorded > 0);
  d.shrink();
  const moved = d.snapshot();
  assert.deepEqual(owners(moved), owners(before));
  assert.deepEqual(owners(moved), [[data.id, 'data'], [base.id, 'tensor'], [view.id, 'view']]);
  assert.deepEqual({ max_events: moved.history.max_events, recorded: moved.history.recorded, events: moved.history.events },
    { max_events: 64, recorded: 0, events: [] });
  view.dispose();
  assert.deepEqual(d.snapshot().history.events.map((e) => e.kind), ['object_disposed', 'release']);
  base.dispose();
  data.dispose();
});
