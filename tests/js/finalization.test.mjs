// The FinalizationRegistry safety net: objects garbage-collected undisposed
// are freed and counted; debug mode warns once per leak site.
// Needs node --expose-gc (the README's test command passes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDevice, liveCounts, collectGarbage, collectUntil, Device } from './support.mjs';

// Each helper drops its objects on return; the call site is the leak site.
function leakTensors(device, count) {
  for (let i = 0; i < count; ++i) device.zeros([16]);
}
function leakData(device, count) {
  for (let i = 0; i < count; ++i) device.createData(64);
}
function leakViews(device) {
  const base = device.tensor([[1, 2], [3, 4]]);
  base.transpose(0, 1);
  base.select(0, 1).reshape([2, 1]);
}
function leakAtSiteA(device, count) {
  for (let i = 0; i < count; ++i) device.zeros([4]);
}
function leakAtSiteB(device, count) {
  for (let i = 0; i < count; ++i) device.createData(8);
}

function captureWarnings(t) {
  const warnings = [];
  const original = console.warn;
  console.warn = (...args) => { warnings.push(args.map(String).join(' ')); };
  t.after(() => { console.warn = original; });
  return warnings;
}

test('undisposed tensors, views and data are reclaimed after GC and counted in leaksReclaimed', async (t) => {
  const device = await withDevice(t);
  const baseline = liveCounts(device);
  leakTensors(device, 10);
  leakData(device, 3);
  leakViews(device);  // 4 tensors on one buffer
  const s = device.getMemoryStats();
  assert.equal(s.liveTensors, 14);
  assert.equal(s.liveData, 3);
  const reclaimed = await collectUntil(() => device.getMemoryStats().leaksReclaimed >= 17);
  assert.ok(reclaimed, `leaksReclaimed is ${device.getMemoryStats().leaksReclaimed}, expected 17`);
  assert.equal(device.getMemoryStats().leaksReclaimed, 17);
  assert.deepEqual(liveCounts(device), baseline);
  assert.deepEqual(device.liveAllocations(), []);
});

test('objects disposed in time are never counted as leaks', async (t) => {
  const device = await withDevice(t);
  for (let i = 0; i < 200; ++i) {
    const x = device.zeros([8]);
    const v = x.reshape([2, 4]);
    const d = device.createData(16);
    v.dispose();
    x.dispose();
    d.dispose();
  }
  // Disposed after a turn has passed (so after any deferred registration) as well.
  const late = [device.zeros([8]), device.createData(16)];
  await collectGarbage(1);
  for (const x of late) x.dispose();
  device.scope(() => { device.zeros([3]); });
  await collectGarbage(6);
  assert.equal(device.getMemoryStats().leaksReclaimed, 0);
});

test('a leaked base does not free the buffer its live view still uses', async (t) => {
  const device = await withDevice(t);
  let view = (() => device.tensor([10, 20, 30, 40]).narrow(0, 1, 2))();
  await collectUntil(() => device.getMemoryStats().leaksReclaimed >= 1, 10);
  assert.equal(device.getMemoryStats().liveBuffers, 1);
  assert.deepEqual(view.toArray(), [20, 30]);
  view.set(25, 0);
  assert.equal(view.get(0), 25);
  view = null;  // now leak the view too
  assert.ok(await collectUntil(() => device.getMemoryStats().leaksReclaimed === 2));
  assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
});

test('without debug mode, reclaiming leaks prints nothing', async (t) => {
  const warnings = captureWarnings(t);
  const device = await withDevice(t);
  leakTensors(device, 3);
  assert.ok(await collectUntil(() => device.getMemoryStats().leaksReclaimed === 3));
  assert.deepEqual(warnings, []);
});

test('debug mode warns once per leak site, with the creation stack', async (t) => {
  const warnings = captureWarnings(t);
  const device = await withDevice(t, { debug: true });
  for (let round = 1; round <= 3; ++round) {
    leakAtSiteA(device, 3);
    leakAtSiteB(device, 2);
    assert.ok(await collectUntil(() => device.getMemoryStats().leaksReclaimed === 5 * round),
              `leaksReclaimed is ${device.getMemoryStats().leaksReclaimed}`);
    await collectGarbage(2);  // let any straggling warnings out
    // Two sites, however often they leak: two warnings.
    assert.equal(warnings.length, 2, warnings.join('\n---\n'));
  }
  const a = warnings.find((w) => w.includes('leakAtSiteA'));
  const b = warnings.find((w) => w.includes('leakAtSiteB'));
  assert.ok(a && b, warnings.join('\n---\n'));
  assert.match(a, /finalization\.test\.mjs/);
  assert.match(b, /finalization\.test\.mjs/);
});

test('objects freed by device.dispose() are collected quietly, without errors', async (t) => {
  const warnings = captureWarnings(t);
  const device = await Device.create({ debug: true });
  leakTensors(device, 5);
  leakData(device, 2);
  device.dispose();
  await collectGarbage(6);
  assert.deepEqual(warnings, []);  // device.dispose() freed them: not leaks
  const next = await Device.create();
  assert.deepEqual(next.tensor([1, 2]).toArray(), [1, 2]);
  next.dispose();
});
