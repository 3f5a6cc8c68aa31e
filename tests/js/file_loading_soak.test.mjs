// The leaking audio app's loop, as a soak: an app loads a 4 MiB "audio" file again and
// again, makes views of it and lets go of everything. With dispose (or a
// scope) the wasm heap must stay flat, and nothing may stay live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDevice } from './support.mjs';

const SAMPLES = 1024 * 1024;  // 4 MiB of float32
const CYCLES = 200;

// A fake decoded file: two interleaved channels, values derived from the cycle.
function makeAudio(cycle) {
  const audio = new Float32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i += 4096) audio[i] = cycle + i / SAMPLES;
  audio[SAMPLES - 1] = -cycle;
  return audio;
}

// One file load: upload, view as [frames, 2 channels], look at a few windows.
function loadAndInspect(device, cycle, audio) {
  const viaData = cycle % 2 === 0;
  const data = viaData ? device.createDataWithBuffer(audio) : null;
  const samples = viaData ? device.fromData(data, 'float32') : device.tensor(audio);
  const frames = samples.reshape([-1, 2]);            // [524288, 2]
  const left = frames.select(1, 0);                   // every other sample
  const window = frames.slice([[0, 4096], null]);     // the first 4096 frames
  const reversed = left.slice([[null, null, -1]]);    // a reversed channel
  const columns = window.transpose(0, 1);
  const peek = columns.narrow(1, 0, 8);
  const checked = viaData ? device.readDataView(data, 'float32') : null;

  assert.equal(left.get(0), cycle);
  assert.equal(frames.get(-1, 1), -cycle);
  assert.equal(reversed.get(-1), cycle);
  assert.equal(reversed.get(0), 0);
  assert.deepEqual([...peek.shape], [2, 8]);
  assert.equal(peek.get(0, 0), cycle);
  if (checked) assert.equal(checked[4096], cycle + 4096 / SAMPLES);
  return { samples, all: [data, samples, frames, left, window, columns, reversed, peek].filter(Boolean) };
}

test(`${CYCLES} loads of a 4 MiB buffer with views, disposed each time, keep the wasm heap flat`, async (t) => {
  const device = await withDevice(t);
  const audio = makeAudio(0);
  let heapAfterWarmup;
  for (let cycle = 0; cycle < CYCLES; ++cycle) {
    for (let i = 0; i < SAMPLES; i += 4096) audio[i] = cycle + i / SAMPLES;
    audio[SAMPLES - 1] = -cycle;
    for (const o of loadAndInspect(device, cycle, audio).all) o.dispose();
    const s = device.getMemoryStats();
    assert.equal(s.liveBuffers, 0, `cycle ${cycle}`);
    assert.equal(s.liveTensors, 0, `cycle ${cycle}`);
    assert.equal(s.liveData, 0, `cycle ${cycle}`);
    if (cycle === 5) heapAfterWarmup = s.wasmHeapBytes;
    if (cycle > 5) assert.equal(s.wasmHeapBytes, heapAfterWarmup, `wasm heap grew at cycle ${cycle}`);
  }
  const s = device.getMemoryStats();
  assert.equal(s.bytesInUse, 0);
  assert.equal(s.leaksReclaimed, 0);
  assert.ok(s.totalAllocated <= 8 * 1024 * 1024, `${s.totalAllocated} bytes reserved after the soak`);
});

test('the same loop inside device.scope() needs no dispose calls and stays flat too', async (t) => {
  const device = await withDevice(t);
  let heapAfterWarmup;
  for (let cycle = 0; cycle < 50; ++cycle) {
    const audio = makeAudio(cycle);
    const firstSample = device.scope(() => loadAndInspect(device, cycle, audio).samples.get(0));
    assert.equal(firstSample, cycle);
    const s = device.getMemoryStats();
    assert.equal(s.liveBuffers, 0);
    assert.equal(s.liveTensors, 0);
    if (cycle === 5) heapAfterWarmup = s.wasmHeapBytes;
    if (cycle > 5) assert.equal(s.wasmHeapBytes, heapAfterWarmup, `wasm heap grew at cycle ${cycle}`);
  }
});

test('the leak of that app is visible: undisposed loads pile up in stats and liveAllocations', async (t) => {
  const device = await withDevice(t, { debug: true });
  const kept = [];
  function loadFile(cycle) {
    kept.push(device.createDataWithBuffer(makeAudio(cycle)));  // never freed: the bug
  }
  for (let cycle = 0; cycle < 5; ++cycle) loadFile(cycle);
  const s = device.getMemoryStats();
  assert.equal(s.liveData, 5);
  assert.ok(s.bytesInUse >= 5 * 4 * SAMPLES);
  const leaks = device.liveAllocations().filter((a) => a.kind === 'data');
  assert.equal(leaks.length, 5);
  for (const leak of leaks) {
    assert.equal(leak.bytes, 4 * SAMPLES);
    assert.match(leak.stack, /loadFile/);
  }
  for (const d of kept) d.dispose();
  assert.equal(device.getMemoryStats().bytesInUse, 0);
});
