// Memory accounting: stats fields and invariants, the limit, compaction,
// liveAllocations(), and correctness across wasm memory growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, withDevice, growHeap, MiB } from './support.mjs';

const statFields = [
  'totalAllocated', 'bytesInUse', 'bytesRequested', 'bytesCached', 'peakBytesInUse', 'peakBytesReserved',
  'maxMemory', 'liveBuffers', 'liveData', 'liveTensors', 'allocCount', 'freeCount', 'poolHits', 'poolMisses',
  'compactions', 'bytesReleased', 'failedAllocations', 'leaksReclaimed', 'wasmHeapBytes',
];

function checkInvariants(s) {
  for (const field of statFields) {
    assert.equal(typeof s[field], 'number', field);
    if (field !== 'maxMemory') assert.ok(Number.isSafeInteger(s[field]) && s[field] >= 0, `${field} = ${s[field]}`);
  }
  assert.equal(s.totalAllocated, s.bytesInUse + s.bytesCached);
  assert.ok(s.peakBytesInUse >= s.bytesInUse);
  assert.ok(s.peakBytesReserved >= s.totalAllocated);
  assert.ok(s.bytesRequested <= s.bytesInUse);
  assert.ok(s.totalAllocated <= s.maxMemory);
  assert.ok(s.wasmHeapBytes >= s.totalAllocated);
  assert.equal(s.allocCount - s.freeCount, s.liveBuffers);
  assert.equal(s.poolHits + s.poolMisses, s.allocCount);
}

test('a new device reports every stats field, empty, with the default limit and options', async (t) => {
  const device = await withDevice(t);
  assert.deepEqual({ ...device.options },
                   { maxMemory: 256 * MiB, compactThreshold: 0.8, autoCompact: true, debug: false, autoShrink: null });
  assert.equal(device.isDisposed, false);
  const s = device.getMemoryStats();
  checkInvariants(s);
  assert.equal(s.maxMemory, 256 * MiB);
  for (const field of ['bytesInUse', 'bytesRequested', 'liveBuffers', 'liveData', 'liveTensors', 'leaksReclaimed',
    'failedAllocations']) {
    assert.equal(s[field], 0, field);
  }
  assert.ok(s.wasmHeapBytes > 0 && s.wasmHeapBytes % 65536 === 0);
});

test('options are reported as given; maxMemory Infinity means no limit', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity, compactThreshold: 0.5, autoCompact: false, debug: true });
  assert.deepEqual({ ...device.options },
                   { maxMemory: Infinity, compactThreshold: 0.5, autoCompact: false, debug: true, autoShrink: null });
  assert.equal(device.getMemoryStats().maxMemory, Infinity);
  checkInvariants(device.getMemoryStats());
});

test('stats follow allocations: live counts, requested bytes, hits and misses', async (t) => {
  const device = await withDevice(t);
  const s0 = device.getMemoryStats();
  const data = device.createData(1000);
  const tensor = device.fromData(data, 'float32');
  const view = tensor.reshape([10, 25]);
  const other = device.zeros([10], 'float64');
  const s1 = device.getMemoryStats();
  checkInvariants(s1);
  assert.equal(s1.liveBuffers, 2);
  assert.equal(s1.liveData, 1);
  assert.equal(s1.liveTensors, 3);
  assert.equal(s1.bytesRequested, 1080);
  assert.ok(s1.bytesInUse >= 1080);
  assert.equal(s1.allocCount, s0.allocCount + 2);
  view.dispose();
  tensor.dispose();
  data.dispose();
  other.dispose();
  const s2 = device.getMemoryStats();
  checkInvariants(s2);
  assert.equal(s2.bytesInUse, 0);
  assert.equal(s2.bytesRequested, 0);
  assert.equal(s2.freeCount, s0.freeCount + 2);
  assert.equal(s2.peakBytesInUse, s1.bytesInUse);
  assert.ok(s2.bytesCached > 0);  // freed blocks are kept for reuse
  const again = device.createData(1000);
  const s3 = device.getMemoryStats();
  assert.equal(s3.poolHits, s2.poolHits + 1);
  assert.equal(s3.poolMisses, s2.poolMisses);
  again.dispose();
});

test('an allocation past maxMemory throws MEMORY_LIMIT naming the request and limit, and counts it', async (t) => {
  const device = await withDevice(t, { maxMemory: MiB });
  const held = device.createData(512 * 1024);
  expectError(() => device.createData(2 * MiB), 'MEMORY_LIMIT',
              /^Memory limit exceeded: requested 2097152 bytes \(block of \d+\), \d+ bytes in use, \d+ bytes cached, limit 1048576 bytes$/);
  expectError(() => device.zeros([600 * 1024], 'uint8'), 'MEMORY_LIMIT', /requested 614400 bytes/);
  const s = device.getMemoryStats();
  checkInvariants(s);
  assert.equal(s.failedAllocations, 2);
  assert.equal(s.liveBuffers, 1);
  assert.ok(s.totalAllocated <= MiB);
  held.dispose();
  const ok = device.createData(900 * 1024);  // fits once the first is gone
  assert.equal(ok.byteLength, 900 * 1024);
});

test('performIntensiveCleanup returns cached blocks and reports the bytes released; compact() is the same', async (t) => {
  const device = await withDevice(t, { autoCompact: false });
  const items = [];
  for (let i = 0; i < 8; ++i) items.push(device.createData(256 * 1024), device.zeros([1000]));
  const keep = device.createData(4096);
  for (const x of items) x.dispose();
  const s1 = device.getMemoryStats();
  assert.ok(s1.bytesCached > 0);
  const released = device.performIntensiveCleanup();
  const s2 = device.getMemoryStats();
  checkInvariants(s2);
  assert.equal(released, s1.bytesCached);
  assert.equal(s2.bytesCached, 0);
  assert.equal(s2.totalAllocated, s1.totalAllocated - released);
  assert.equal(s2.bytesInUse, s1.bytesInUse);
  assert.equal(s2.compactions, s1.compactions + 1);
  assert.equal(s2.bytesReleased, s1.bytesReleased + released);
  assert.equal(device.compact(), 0);  // nothing left to release
  device.createData(64 * 1024).dispose();
  assert.ok(device.compact() > 0);
  assert.equal(device.getMemoryStats().bytesCached, 0);
  assert.equal(keep.byteLength, 4096);
});

test('autoCompact trims the cache before reserving past compactThreshold; without it the cache stays', async (t) => {
  const run = async (autoCompact) => {
    const device = await withDevice(t, { maxMemory: 8 * MiB, compactThreshold: 0.5, autoCompact });
    device.createData(3 * MiB).dispose();  // cached
    const fresh = device.createData(2 * MiB);  // too small to reuse the 3 MiB block
    const s = device.getMemoryStats();
    checkInvariants(s);
    fresh.dispose();
    return s;
  };
  const auto = await run(true);
  assert.equal(auto.compactions, 1);
  assert.ok(auto.totalAllocated < 3 * MiB);
  const manual = await run(false);
  assert.equal(manual.compactions, 0);
  assert.ok(manual.totalAllocated >= 5 * MiB);
});

test('at the limit the pool compacts and retries before failing, even with autoCompact off', async (t) => {
  const device = await withDevice(t, { maxMemory: 4 * MiB, autoCompact: false });
  device.createData(3 * MiB).dispose();
  const data = device.createData(2 * MiB);
  assert.equal(data.byteLength, 2 * MiB);
  const s = device.getMemoryStats();
  assert.equal(s.compactions, 1);
  assert.equal(s.failedAllocations, 0);
});

test('views and values stay correct after the wasm memory grows', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const base = device.tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4], dtype: 'int32' });
  const col = base.select(2, 1);
  const rev = base.slice([[null, null, -1]]);
  const data = device.createDataWithBuffer(new Float64Array([1.25, 2.5]));
  const checked = device.readDataView(data, 'float64');
  const before = device.getMemoryStats().wasmHeapBytes;
  const held = growHeap(device);
  assert.ok(device.getMemoryStats().wasmHeapBytes > before);
  assert.equal(base.get(1, 2, 3), 23);
  assert.deepEqual(col.toArray(), [[1, 5, 9], [13, 17, 21]]);
  assert.equal(rev.get(0, 0, 0), 12);
  assert.deepEqual(Array.from(base.read()), Array.from({ length: 24 }, (_, i) => i));
  const raw = base.view();  // re-derived after growth
  assert.equal(raw.length, 24);
  assert.equal(raw[23], 23);
  raw[0] = -1;
  assert.equal(rev.get(1, 0, 0), -1);
  col.set(100, 0, 0);
  assert.equal(base.get(0, 0, 1), 100);
  assert.equal(checked[1], 2.5);
  checked[0] = 7;
  assert.equal(data.view('float64')[0], 7);
  assert.deepEqual(Array.from(new Float64Array(await device.readData(data))), [7, 2.5]);
  for (const h of held) h.dispose();
  // The heap never shrinks, even after compaction.
  const grown = device.getMemoryStats().wasmHeapBytes;
  device.compact();
  assert.equal(device.getMemoryStats().wasmHeapBytes, grown);
});

test('liveAllocations lists live data and tensors with ids, buffers, bytes, dtype and shape', async (t) => {
  const device = await withDevice(t);
  assert.deepEqual(device.liveAllocations(), []);
  const data = device.createData(48);
  const m = device.zeros([4, 4], 'float32');
  const row = m.select(0, 2);
  const tensorOfData = device.fromData(data, 'int32', [3, 4]);
  const list = device.liveAllocations();
  assert.equal(list.length, 4);
  const byId = (id) => list.find((a) => a.id === id);
  const d = byId(data.id);
  assert.equal(d.kind, 'data');
  assert.equal(d.bytes, 48);
  assert.equal(d.dtype, 'uint8');
  assert.deepEqual([...d.shape], [48]);
  const a = byId(m.id);
  assert.equal(a.kind, 'tensor');
  assert.equal(a.bytes, 64);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual([...a.shape], [4, 4]);
  const r = byId(row.id);
  assert.equal(r.kind, 'tensor');
  assert.deepEqual([...r.shape], [4]);
  assert.equal(r.bufferId, a.bufferId);
  assert.equal(r.bytes, 64);  // the buffer's bytes, not the view's
  const td = byId(tensorOfData.id);
  assert.equal(td.bufferId, d.bufferId);
  assert.equal(td.dtype, 'int32');
  assert.notEqual(a.bufferId, d.bufferId);
  for (const entry of list) assert.equal(entry.stack, undefined);
  m.dispose();
  const after = device.liveAllocations();
  assert.equal(after.length, 3);
  assert.ok(!after.some((x) => x.id === m.id));
  assert.ok(after.some((x) => x.id === row.id && x.bufferId === a.bufferId));
});

test('in debug mode liveAllocations carries each creation stack', async (t) => {
  const device = await withDevice(t, { debug: true });
  function loadAudio() { return device.createData(1024); }
  const data = loadAudio();
  const tensor = device.zeros([2]);
  const list = device.liveAllocations();
  const d = list.find((x) => x.id === data.id);
  assert.equal(typeof d.stack, 'string');
  assert.match(d.stack, /loadAudio/);
  assert.match(d.stack, /memory\.test\.mjs/);
  const tEntry = list.find((x) => x.id === tensor.id);
  assert.match(tEntry.stack, /memory\.test\.mjs/);
});
