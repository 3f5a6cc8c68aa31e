// device.recordHistory() / stopHistory() / snapshot(): the events and the
// state a snapshot holds, asserted exactly for scripted scenarios (times are
// checked to be monotonic, then left out). Needs node --expose-gc.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';

import { MiB, collectUntil, expectError, growHeap, installedPackage, withDevice } from './support.mjs';

const kernelsDir = installedPackage('tensormem-test-kernels');
const { Device: KernelDevice } = await import(pathToFileURL(path.join(kernelsDir, 'index.mjs')).href);

// The events without their times, which must not go back.
function events(snapshot) {
  const list = snapshot.history.events;
  for (let i = 1; i < list.length; i++) assert.ok(list[i].time_ns >= list[i - 1].time_ns, `event ${i} goes back in time`);
  assert.ok(list.length === 0 || snapshot.history.now_ns >= list[list.length - 1].time_ns);
  return list.map(({ time_ns, ...rest }) => rest);
}

const buffer0 = { index: 0, generation: 1 };
const totals = (inUse, reserved) => ({ bytes_in_use: inUse, bytes_cached: reserved - inUse, bytes_reserved: reserved });

test('a create, a view and two disposes are recorded as allocate, retain and releases with their owners', async (t) => {
  const device = await withDevice(t, { maxMemory: 64 * MiB });
  device.recordHistory();
  const a = device.zeros([250]);               // 1000 bytes: a 1024-byte block
  const v = a.reshape([25, 10]);
  const during = device.snapshot();
  a.dispose();
  v.dispose();
  const after = device.snapshot();

  const tensor = { id: 1, kind: 'tensor' };
  const view = { id: 2, kind: 'view' };
  assert.deepEqual(events(after), [
    { kind: 'allocate', buffer: buffer0, bytes: 1000, block_bytes: 1024, refcount: 1, ...totals(1024, 1024) },
    { kind: 'object_created', owner: tensor, buffer: buffer0, bytes: 1000, dtype: 'float32', shape: [250], site: null,
      ...totals(1024, 1024) },
    { kind: 'retain', buffer: buffer0, bytes: 1000, block_bytes: 1024, refcount: 2, ...totals(1024, 1024) },
    { kind: 'object_created', owner: view, buffer: buffer0, bytes: 1000, dtype: 'float32', shape: [25, 10], site: null,
      ...totals(1024, 1024) },
    { kind: 'object_disposed', owner: tensor, buffer: buffer0, bytes: 1000, dtype: 'float32', shape: [250], site: null,
      ...totals(1024, 1024) },
    { kind: 'release', buffer: buffer0, bytes: 1000, block_bytes: 1024, refcount: 1, ...totals(1024, 1024) },
    { kind: 'object_disposed', owner: view, buffer: buffer0, bytes: 1000, dtype: 'float32', shape: [25, 10], site: null,
      ...totals(1024, 1024) },
    { kind: 'release', buffer: buffer0, bytes: 1000, block_bytes: 1024, refcount: 0, ...totals(0, 1024) },
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(after)), after, 'a snapshot is plain JSON');
  assert.equal(after.format, 'tensormem-snapshot');
  assert.equal(after.version, 1);
  assert.equal(after.producer.layer, 'device');
  assert.deepEqual({ ...after.history, events: undefined, now_ns: undefined },
    { max_events: 16384, recorded: 8, dropped: 0, dropped_strings: 0, events: undefined, now_ns: undefined });

  // While both were live: one buffer with two owners, oldest first, their creation times from the events.
  const created = during.history.events.filter((e) => e.kind === 'object_created').map((e) => e.time_ns);
  assert.deepEqual(during.buffers, [{ ...buffer0, bytes: 1000, block_bytes: 1024, size_class: 15, refcount: 2, owners: [
    { id: 1, kind: 'tensor', dtype: 'float32', shape: [250], site: null, created_ns: created[0] },
    { id: 2, kind: 'view', dtype: 'float32', shape: [25, 10], site: null, created_ns: created[1] },
  ] }]);
  assert.deepEqual(during.size_classes, [{ class: 15, block_bytes: 1024, in_use_blocks: 1, in_use_bytes: 1024,
    cached_blocks: 0, cached_bytes: 0, hits: 0, misses: 1 }]);
  assert.equal(during.stats.bytes_in_use, 1024);
  assert.equal(during.stats.max_bytes, 64 * MiB);
  assert.deepEqual({ ...during.device, wasm_heap_bytes: undefined }, { wasm_heap_bytes: undefined, live_data: 0,
    live_tensors: 2, leaks_reclaimed: 0, stacks: false });
  assert.equal(during.device.wasm_heap_bytes, device.getMemoryStats().wasmHeapBytes);

  assert.deepEqual(after.buffers, []);
  assert.deepEqual(after.size_classes, [{ class: 15, block_bytes: 1024, in_use_blocks: 0, in_use_bytes: 0,
    cached_blocks: 1, cached_bytes: 1024, hits: 0, misses: 1 }]);
});

test('a kernel call is recorded with its name and the bytes it added; its result is a kernel_output owner', async (t) => {
  const device = await KernelDevice.create();
  t.after(() => device.dispose());
  const m = device.tensor(new Float32Array([1, 2, 3, 4]));
  device.recordHistory();
  assert.equal(device.kernels.sum(m), 10);
  const n = device.kernels.iota(300);  // int32 [300]: 1200 bytes, a 1280-byte block
  const snapshot = device.snapshot();
  const calls = events(snapshot).filter((e) => e.kind === 'kernel_call')
    .map((e) => ({ name: snapshot.strings[e.name], bytes_added: e.bytes_added }));
  assert.deepEqual(calls, [{ name: 'sum', bytes_added: 0 }, { name: 'iota', bytes_added: 1280 }]);
  const owner = snapshot.buffers.flatMap((b) => b.owners).find((o) => o.id === n.id);
  assert.deepEqual({ ...owner, created_ns: typeof owner.created_ns },
    { id: n.id, kind: 'kernel_output', dtype: 'int32', shape: [300], site: null, created_ns: 'number' });
  m.dispose();
  n.dispose();
});

test('heap growth is recorded with the bytes added and the heap size after', async (t) => {
  const device = await withDevice(t, { maxMemory: 256 * MiB });
  device.recordHistory();  // its ring may grow the heap itself, before the history exists
  const before = device.getMemoryStats().wasmHeapBytes;
  const held = growHeap(device);
  const after = device.getMemoryStats().wasmHeapBytes;
  const growth = events(device.snapshot()).filter((e) => e.kind === 'heap_growth');
  assert.ok(growth.length >= 1);
  assert.equal(growth.reduce((sum, e) => sum + e.bytes, 0), after - before, 'the growth events add up to the growth');
  assert.equal(growth.at(-1).heap_bytes, after);
  for (const d of held) d.dispose();
});

function makeAndLeak(device) {  // its objects become garbage on return
  device.createData(5000);
  device.zeros([2, 3], 'int32');
}

test('with stacks, objects the safety net reclaims are recorded with their creation site', async (t) => {
  const device = await withDevice(t);
  device.recordHistory({ stacks: true });
  const kept = device.createData(100);
  makeAndLeak(device);
  assert.ok(await collectUntil(() => device.getMemoryStats().leaksReclaimed === 2), 'the two leaks were reclaimed');
  const snapshot = device.snapshot();
  const site = (i) => snapshot.strings[i];
  const reclaimed = snapshot.history.events.filter((e) => e.kind === 'reclaimed');
  assert.deepEqual(reclaimed.map((e) => ({ owner: e.owner, bytes: e.bytes })).sort((x, y) => x.owner.id - y.owner.id),
    [{ owner: { id: 2, kind: 'data' }, bytes: 5000 }, { owner: { id: 3, kind: 'tensor' }, bytes: 24 }]);
  for (const e of reclaimed) assert.match(site(e.site), /^makeAndLeak \(.*inspector_snapshot\.test\.mjs:\d+:\d+\)$/);
  // Each reclaimed object's last reference went with it.
  const freed = snapshot.history.events.filter((e) => e.kind === 'release' && e.refcount === 0);
  assert.deepEqual(freed.map((e) => e.bytes).sort((x, y) => x - y), [24, 5000]);

  assert.deepEqual(snapshot.buffers.map((b) => b.owners.map((o) => ({ ...o, created_ns: typeof o.created_ns }))), [[
    { id: 1, kind: 'data', dtype: null, shape: null, site: snapshot.buffers[0].owners[0].site, created_ns: 'number' },
  ]]);
  assert.match(site(snapshot.buffers[0].owners[0].site), /inspector_snapshot\.test\.mjs:\d+:\d+\)$/);
  assert.equal(snapshot.device.leaks_reclaimed, 2);
  assert.equal(snapshot.device.stacks, true);
  kept.dispose();
});

test('creation sites under the working directory are relative to it; others stay whole', async (t) => {
  const device = await withDevice(t);
  const file = fileURLToPath(import.meta.url);
  const cwd = process.cwd();
  t.after(() => process.chdir(cwd));
  const siteOf = (object) => {
    const snapshot = device.snapshot();
    const owner = snapshot.buffers.flatMap((b) => b.owners).find((o) => o.id === object.id);
    return snapshot.strings[owner.site];
  };
  device.recordHistory({ stacks: true });
  process.chdir(path.dirname(file));
  const inside = device.zeros([4]);
  assert.match(siteOf(inside), new RegExp(`\\(${path.basename(file).replace(/\./g, '\\.')}:\\d+:\\d+\\)$`));
  process.chdir(path.dirname(path.dirname(file)));
  const below = device.zeros([4]);
  assert.match(siteOf(below), new RegExp(`\\(js/${path.basename(file).replace(/\./g, '\\.')}:\\d+:\\d+\\)$`));
  // A fresh directory, never an ancestor of this file (the checkout may itself be under the temp dir).
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-sites-'));
  t.after(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
  process.chdir(elsewhere);
  const outside = device.zeros([4]);
  assert.ok(siteOf(outside).includes(pathToFileURL(file).href), siteOf(outside));
  for (const o of [inside, below, outside]) o.dispose();
});

test('a failed allocation at the limit is recorded with the bytes asked for, the block and the limit', async (t) => {
  const device = await withDevice(t, { maxMemory: 4 * MiB });
  device.recordHistory();
  const big = device.createData(3 * MiB);
  expectError(() => device.createData(2 * MiB), 'MEMORY_LIMIT');
  const snapshot = device.snapshot();
  const failure = events(snapshot).filter((e) => e.kind === 'limit_failure');
  assert.deepEqual(failure, [{ kind: 'limit_failure', bytes: 2 * MiB, block_bytes: 2 * MiB, limit_bytes: 4 * MiB,
    ...totals(3 * MiB, 3 * MiB) }]);
  assert.equal(snapshot.stats.failed_allocations, 1);
  big.dispose();
});

test('the ring keeps the last maxEvents events and counts the dropped ones', async (t) => {
  const device = await withDevice(t);
  device.recordHistory({ maxEvents: 4 });
  for (let i = 0; i < 5; i++) device.zeros([4]).dispose();  // 4 events each
  const snapshot = device.snapshot();
  assert.deepEqual({ ...snapshot.history, events: undefined, now_ns: undefined },
    { max_events: 4, recorded: 20, dropped: 16, dropped_strings: 0, events: undefined, now_ns: undefined });
  assert.deepEqual(events(snapshot).map((e) => [e.kind, e.owner?.id ?? null]),
    [['allocate', null], ['object_created', 5], ['object_disposed', 5], ['release', null]]);
});

test('recording off records nothing; stopHistory() drops the history; recordHistory() starts a new one', async (t) => {
  const device = await withDevice(t);
  device.zeros([4]).dispose();
  const off = device.snapshot();
  assert.equal(off.history, null);
  assert.deepEqual(off.strings, []);
  device.recordHistory();
  device.zeros([4]).dispose();
  device.recordHistory();
  assert.deepEqual(device.snapshot().history.events, []);
  device.stopHistory();
  device.stopHistory();  // not recording: nothing to do
  device.zeros([4]).dispose();
  assert.equal(device.snapshot().history, null);
});

test('a new recording forgets the creation sites of the one before (its texts are gone)', async (t) => {
  const device = await withDevice(t);
  device.recordHistory({ stacks: true });
  const a = device.zeros([4]);
  assert.notEqual(device.snapshot().buffers[0].owners[0].site, null);
  device.recordHistory({ stacks: true });
  const snapshot = device.snapshot();
  assert.deepEqual(snapshot.strings, []);
  assert.equal(snapshot.buffers[0].owners[0].site, null);
  a.dispose();
});

test('objects made before recording are owners without a creation time; views among them are told apart', async (t) => {
  const device = await withDevice(t);
  const a = device.zeros([8]);
  const b = a.reshape([2, 4]);
  device.recordHistory();
  const snapshot = device.snapshot();
  assert.deepEqual(snapshot.buffers[0].owners, [
    { id: 1, kind: 'tensor', dtype: 'float32', shape: [8], site: null, created_ns: null },
    { id: 2, kind: 'view', dtype: 'float32', shape: [2, 4], site: null, created_ns: null },
  ]);
  a.dispose();
  b.dispose();
});

test('bad recordHistory() options are refused by value; a disposed device refuses all three', async () => {
  const { Device } = await import('./support.mjs');
  const device = await Device.create();
  for (const maxEvents of [0, -1, 1.5, NaN, Infinity, '8', null]) {
    expectError(() => device.recordHistory({ maxEvents }), 'INVALID_ARGUMENT',
      new RegExp(`maxEvents is ${maxEvents === '8' ? '"8"' : String(maxEvents)}; it must be a positive integer`));
  }
  const most = Number(/can ever hold \((\d+)\)/.exec(expectError(() => device.recordHistory({ maxEvents: 2 ** 32 + 1 }),
    'INVALID_ARGUMENT', /maxEvents 4294967297 is more than a ring of \d+-byte events can ever hold/).message)[1]);
  // As many as fit in the address space: more than the wasm heap's 2 GiB can grow to.
  expectError(() => device.recordHistory({ maxEvents: most }), 'OUT_OF_MEMORY',
    new RegExp(`could not reserve a history of ${most} events`));
  expectError(() => device.recordHistory({ stacks: 1 }), 'INVALID_ARGUMENT', /stacks is 1; it must be a boolean/);
  expectError(() => device.recordHistory(null), 'INVALID_ARGUMENT', /options is null/);
  assert.equal(device.snapshot().history, null, 'a refused call starts nothing');
  device.recordHistory({ maxEvents: 1, unknown: true });  // unknown keys are ignored, as Device.create ignores them
  device.dispose();
  expectError(() => device.recordHistory(), 'DISPOSED', /recordHistory: the device was disposed/);
  expectError(() => device.stopHistory(), 'DISPOSED', /stopHistory/);
  expectError(() => device.snapshot(), 'DISPOSED', /snapshot/);
});
