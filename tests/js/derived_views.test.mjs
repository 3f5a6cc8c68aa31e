// View ops whose layout JavaScript derives (lib/layout.mjs): reshape/view,
// permute, slice, transpose, select and narrow take an id and borrow their
// buffer with no wasm call, and get a runtime entry only when something needs one. Each test checks that nothing can
// tell them from views the runtime made: layouts, values, ids, lifetimes,
// the runtime's books (stats, liveAllocations, snapshots), kernels, shrink
// and the safety net. Needs node --expose-gc.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { collectUntil, expectError, installedPackage, iota, packageDir, withDevice } from './support.mjs';

const lib = (name) => import(pathToFileURL(path.join(packageDir, 'lib', name)).href);
const { runtimeOf } = await lib('resource.mjs');
const kernelsDir = installedPackage('tensormem-test-kernels');
const { Device: KernelDevice } = await import(pathToFileURL(path.join(kernelsDir, 'index.mjs')).href);

const described = (t) => ({ shape: t.shape, strides: t.strides, offset: t.offset, size: t.size,
  isContiguous: t.isContiguous, isReadOnly: t.isReadOnly, values: t.toArray() });

// Sources of several layouts, and view ops on them; each op runs derived and
// in the runtime (deriveViews off), and the two must agree in every respect,
// or fail with the same error.
test('a derived layout is the one the runtime makes, and a refused op fails in the runtime\'s words', async (t) => {
  const device = await withDevice(t);
  const rt = runtimeOf(device.zeros([1]));
  const base = device.tensor(iota([4, 6, 5]), { dtype: 'int32' });
  const sources = [
    base, base.permute([2, 0, 1]), base.slice([[1, 4], null, [null, null, -2]]), base.slice([2]),
    base.reshape([24, 5]).slice([[3, 20, 4]]), base.slice([null, [2, 3]]), base.select(2, 1).unsqueeze(1),
    base.slice([0, 0, [0, 1]]).expand([3, 1]), device.zeros([0, 3]), device.zeros([]), base.flatten().slice([[5, 6]]),
    device.zeros([3, 1, 4]), base.reshape([2, 1, 60]).reshape([1, 120]),
  ];
  const ops = [
    (x) => x.reshape([-1]), (x) => x.reshape([x.size]), (x) => x.view([-1, 1]), (x) => x.reshape([2, -1]),
    (x) => x.reshape([5, -1, 2]), (x) => x.view([1, x.size, 1]), (x) => x.reshape([-1, -1]), (x) => x.reshape([0]),
    (x) => x.reshape([7, 1.5]), (x) => x.view([3, -2]), (x) => x.reshape([]), (x) => x.view([x.size + 1]),
    (x) => x.permute([1, 0]), (x) => x.permute([-1, 0, 1]), (x) => x.permute([0, 0, 1]), (x) => x.permute([2, 1, 0]),
    (x) => x.permute([0, 3, 1]), (x) => x.slice([[1, 3]]), (x) => x.slice([[null, null, -1]]),
    (x) => x.slice([null, [-3, -1]]), (x) => x.slice([1, [0, 2]]), (x) => x.slice([-1]), (x) => x.slice([[0, 0]]),
    (x) => x.slice([[2, 1]]), (x) => x.slice([[3, null, -2], 0]), (x) => x.slice([[0, 9]]), (x) => x.slice([[0, 1, 0]]),
    (x) => x.slice([5]), (x) => x.slice([0.5]), (x) => x.slice([null, null, null, null]), (x) => x.slice([[-9, 2]]),
    (x) => x.slice([[1, 2], -1, [null, 1]]), (x) => x.slice([]), (x) => x.reshape([2, 3]).slice([[1, 2], 1]),
    (x) => x.transpose(), (x) => x.transpose(-1, 0), (x) => x.transpose(0, 5), (x) => x.transpose(1, 1),
    (x) => x.select(0, 1), (x) => x.select(-1, -1), (x) => x.select(0, 99), (x) => x.select(1.5, 0),
    (x) => x.select(1, '0'), (x) => x.narrow(0, 1, 1), (x) => x.narrow(-1, -2, 2), (x) => x.narrow(0, 0, 0),
    (x) => x.narrow(0, 2, 99), (x) => x.narrow(1, 3, -1), (x) => x.select(0, 0).transpose().narrow(0, 1, 2),
    (x) => x.reshape([1, -1, 1]), (x) => x.reshape([-1, 1, 2]).reshape([2, -1]), (x) => x.slice([[x.shape[0], x.shape[0]]]),
    (x) => x.slice([[0, 0], [null, null, 2]]), (x) => x.slice([[1, 2], [0, x.shape[1] ?? 0]]),
  ];
  const run = (op, source, derive) => {
    rt.deriveViews = derive;
    try {
      const v = op(source);
      try { return described(v); } finally { v.dispose(); }
    } catch (error) {
      return { code: error.code, message: error.message };
    } finally {
      rt.deriveViews = true;
    }
  };
  let compared = 0;
  for (const source of sources) {
    for (const op of ops) {
      assert.deepEqual(run(op, source, true), run(op, source, false), `${op} of ${source}`);
      compared++;
    }
  }
  assert.equal(compared, sources.length * ops.length);
  for (const s of sources) s.dispose();
});

test('a derived view shares the buffer, takes the next id and keeps the buffer after its source goes', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor(iota([4, 4]), { dtype: 'float32' });
  const v = m.slice([[1, 3], [1, 3]]);
  const w = v.permute([1, 0]);
  assert.ok(w.id > v.id && v.id > m.id);
  assert.ok(v.sharesStorage(m) && w.sharesStorage(m));
  v.set(100, 0, 1);
  assert.equal(m.get(1, 2), 100);
  assert.deepEqual(w.toArray(), [[5, 9], [100, 10]]);
  const copy = w.reshape([-1]);  // not a view of these strides: a copy, as the runtime makes it
  assert.ok(!copy.sharesStorage(m));
  assert.deepEqual(copy.toArray(), [5, 9, 100, 10]);
  copy.dispose();
  m.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 1);
  assert.deepEqual(v.toArray(), [[5, 100], [9, 10]]);
  v.dispose();
  w.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 0);
  expectError(() => w.get(0), 'DISPOSED', /Tensor #\d+ was disposed/);
  expectError(() => v.reshape([4]), 'DISPOSED', /reshape: Tensor #\d+ was disposed/);
});

// No call makes such a view: its id comes from the runtime's counter, which
// the runtime's own objects continue, and its buffer is lent by its source
// while that lives, then held by one reference for the views left.
test('derived views take consecutive ids with the runtime\'s objects; their buffer outlives the source with them', async (t) => {
  const device = await withDevice(t);
  const before = device.getMemoryStats();
  const m = device.tensor(iota([3, 4]), { dtype: 'int32' });
  const v = m.reshape([4, 3]);
  const z = device.zeros([2]);
  const w = v.transpose(0, 1);
  assert.deepEqual([v.id, z.id, w.id], [m.id + 1, m.id + 2, m.id + 3]);
  z.dispose();
  m.dispose();  // v and w borrowed its buffer: one reference now holds it for them
  const u = w.select(0, 2);  // from the views left, of the same buffer
  assert.deepEqual(u.shape, [4]);
  v.dispose();
  w.dispose();
  assert.deepEqual(u.toArray(), [2, 5, 8, 11]);  // u alone holds the buffer now
  u.dispose();
  const after = device.getMemoryStats();
  assert.equal(after.liveBuffers, before.liveBuffers);
  assert.equal(after.liveTensors, before.liveTensors);
  assert.equal(after.bytesInUse, before.bytesInUse);
  // Disposed with no view promoted: the reference goes with the last view.
  const n = device.tensor(iota([8]), { dtype: 'float32' });
  const views = [n.reshape([2, 4]), n.slice([[1, 7, 2]]), n.narrow(0, 2, 3)];
  n.dispose();
  for (const x of views) x.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before.liveBuffers);
  // Promoted after the source went (stats): each entry holds its own reference.
  const p = device.tensor(iota([6]), { dtype: 'float32' });
  const q = p.reshape([2, 3]);
  const r = q.narrow(1, 1, 2);
  p.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before.liveBuffers + 1);
  q.dispose();
  assert.deepEqual(r.toArray(), [[1, 2], [4, 5]]);
  r.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, before.liveBuffers);
});

test('the runtime\'s books count derived views: stats, liveAllocations and snapshot owners', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([6, 4]);
  const a = m.reshape([24]);
  const b = a.slice([[2, 10, 2]]);
  const stats = device.getMemoryStats();
  assert.equal(stats.liveTensors, 3);
  assert.deepEqual(device.liveAllocations().map((o) => [o.id, o.shape]), [[m.id, [6, 4]], [a.id, [24]], [b.id, [4]]]);
  const owners = device.snapshot().buffers[0].owners;
  assert.deepEqual(owners.map((o) => [o.id, o.kind, o.shape]), [[m.id, 'tensor', [6, 4]], [a.id, 'view', [24]],
    [b.id, 'view', [4]]]);
  for (const x of [b, a, m]) x.dispose();
  assert.equal(device.getMemoryStats().liveTensors, 0);
});

test('kernels take derived views, whatever the other arguments', async (t) => {
  const device = await KernelDevice.create();
  t.after(() => device.dispose());
  const m = device.tensor(iota([3, 4]), { dtype: 'float32' });
  assert.equal(device.kernels.sum(m.slice([[1, 3], [null, null, 2]])), 4 + 6 + 8 + 10);
  const row = m.slice([2]);
  device.kernels.fill(row, 7);
  assert.deepEqual(m.toArray()[2], [7, 7, 7, 7]);
  row.dispose();
  m.dispose();
});

test('device.shrink() moves derived views with their ids, layouts and values', async (t) => {
  const device = await withDevice(t);
  const big = device.zeros([4 * 1024 * 1024]);
  const m = device.tensor(iota([5, 6]), { dtype: 'int32' });
  const p = m.permute([1, 0]);
  const v = p.slice([[1, 5], [null, null, 2]]);
  const before = described(v);
  const id = v.id;
  big.dispose();
  device.shrink();
  assert.equal(v.id, id);
  assert.deepEqual(described(v), before);
  v.set(-1, 0, 0);
  assert.equal(m.get(0, 1), -1);
  const again = v.reshape([-1]);  // derived from a moved view
  assert.equal(again.get(0), -1);
  for (const x of [again, v, p, m]) x.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 0);
});

function leakViews(device, m) {  // its views become garbage on return
  m.reshape([-1]);
  m.slice([[0, 1]]);
}

test('the safety net reclaims a derived view that was never disposed', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2, 2]);
  leakViews(device, m);
  m.dispose();
  assert.ok(await collectUntil(() => device.getMemoryStats().leaksReclaimed === 2), 'both views were reclaimed');
  assert.equal(device.getMemoryStats().liveBuffers, 0);
});

test('while a history is recorded, view ops go to the runtime and are recorded; derived ones made before are owners', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([8]);
  const before = m.reshape([2, 4]);
  device.recordHistory();
  const during = m.slice([[1, 5]]);
  const snapshot = device.snapshot();
  const kinds = snapshot.history.events.map((e) => [e.kind, e.owner?.id ?? null]);
  assert.deepEqual(kinds, [['retain', null], ['object_created', during.id]]);
  assert.deepEqual(snapshot.buffers[0].owners.map((o) => [o.id, o.kind]),
    [[m.id, 'tensor'], [before.id, 'view'], [during.id, 'view']]);
  device.stopHistory();
  for (const x of [during, before, m]) x.dispose();
});

test('past a thousand pending views, the synchronous flush gives them entries; all dispose cleanly', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor(iota([8, 8]), { dtype: 'int32' });
  const views = [];
  for (let i = 0; i < 2500; i++) views.push(i % 2 === 0 ? m.slice([[i % 8, 8]]) : m.permute([1, 0]));
  assert.equal(device.getMemoryStats().liveTensors, 2501);
  assert.equal(views[2499].get(0, 1), 8);
  assert.equal(views[2498].get(0, 0), (2498 % 8) * 8);
  for (const v of views) v.dispose();
  assert.equal(device.getMemoryStats().liveTensors, 1);
  m.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 0);
});

// A scope disposes newest first: views before their source (which then lends
// to none), each popping the pending list, which is left as it was.
test('a scope disposes its views newest first, leaving nothing pending', async (t) => {
  const device = await withDevice(t);
  const rt = runtimeOf(device.zeros([1]));
  await null;  // the flush of what withDevice and zeros made
  const pendingBefore = rt.pending.length;
  const sum = device.scope(() => {
    const base = device.tensor(iota([4, 4]), { dtype: 'float32' });
    let total = 0;
    for (let i = 0; i < 50; i++) total += base.reshape([16]).slice([[i % 16, 16]]).shape[0];
    return total;
  });
  let expected = 0;
  for (let i = 0; i < 50; i++) expected += 16 - (i % 16);
  assert.equal(sum, expected);
  assert.equal(rt.pending.length, pendingBefore);
  assert.equal(device.getMemoryStats().liveTensors, 1);
});
