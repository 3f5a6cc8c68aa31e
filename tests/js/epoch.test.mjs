// Runtime.epoch: addresses cached in JS (a Tensor's Layout, a DeviceData's
// address, a checked view's first element) hold only while the runtime's
// epoch is the one they were derived in. device.shrink() moves every buffer
// and bumps it (Runtime.newEpoch, which also empties the heap cells the
// element fast paths read through); these tests bump it by hand after corrupting what is cached,
// as if the buffers had moved, and check that nothing reads the old address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expectError, packageDir, withDevice } from './support.mjs';

// The package's own modules (the same instances index.mjs loaded).
const lib = (name) => import(pathToFileURL(path.join(packageDir, 'lib', name)).href);
const { layoutOf } = await lib('tensor.mjs');
const { runtimeOf } = await lib('resource.mjs');

test('a Runtime starts at epoch 0 and shutdown() moves it on', async (t) => {
  const device = await withDevice(t);
  const m = device.zeros([2]);
  const rt = runtimeOf(m);
  assert.equal(rt.epoch, 0);
  device.dispose();
  assert.equal(rt.epoch, 1);
});

test('a Layout of an older epoch is described again before get, set or any metadata', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2], [3, 4]]);
  const rt = runtimeOf(m);
  assert.equal(m.get(1, 1), 4);  // the fast path now has a Layout
  const stale = layoutOf(m);
  assert.equal(stale.epoch, rt.epoch);
  // As if the buffer had moved: the cached address now names other memory.
  stale.first += 2;
  rt.newEpoch();
  assert.equal(stale.cell.heap.length, 0, 'the old epoch\'s cell reads nothing');
  assert.equal(m.get(0, 0), 1);
  m.set(7, 0, 1);
  assert.deepEqual(m.toArray(), [[1, 7], [3, 4]]);
  const fresh = layoutOf(m);
  assert.notEqual(fresh, stale);
  assert.equal(fresh.epoch, rt.epoch);
  assert.equal(fresh.first, stale.first - 2);
});

test('views made after an epoch change read their own elements, and disposal still wins', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const rt = runtimeOf(m);
  const row = m.select(0, 1);
  assert.equal(row.get(2), 6);
  rt.newEpoch();
  assert.equal(row.get(0), 4);
  row.dispose();
  rt.newEpoch();
  expectError(() => row.get(0), 'DISPOSED', /Tensor #\d+ was disposed/);
});

test('a DeviceData address and a checked view are re-derived after an epoch change', async (t) => {
  const device = await withDevice(t);
  const data = device.createDataWithBuffer(new Float32Array([1.5, 2.5]).buffer);
  const rt = runtimeOf(data);
  const view = device.readDataView(data, 'float32');
  assert.equal(view[1], 2.5);
  const exports = rt.x;
  let described = 0;
  rt.x = { ...exports, tm_describe: (h) => { described++; return exports.tm_describe(h); } };
  t.after(() => { rt.x = exports; });
  assert.equal(view[0], 1.5);
  assert.equal(data.view('float32')[1], 2.5);
  assert.equal(described, 0, 'the same epoch reuses the cached address');
  rt.newEpoch();
  assert.equal(view[0], 1.5);
  assert.equal(described, 1, 'the checked view asked the runtime once');
  view[1] = 8;
  assert.equal(data.view('float32')[1], 8);
  assert.equal(described, 1, 'and the DeviceData kept the new address');
});
