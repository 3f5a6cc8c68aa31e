// The example kernel package (examples/kernels, built against an installed
// tensormem by scripts/build-example-kernels.sh): its kernels' values against
// plain-JS references, every error path, and lifetimes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { expectError, installedPackage, liveCounts } from './support.mjs';

const packageDir = installedPackage('audio-kernels');
const { Device } = await import(pathToFileURL(path.join(packageDir, 'index.mjs')).href);

async function device(t, options) {
  const d = await Device.create(options);
  t.after(() => d.dispose());
  return d;
}

// A deterministic pseudo-random signal in [-1, 1).
function noise(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// |DFT(w * x)| of each frame, in float64: the definition, not an FFT.
function referenceSpectrogram(x, frame, hop) {
  const frames = 1 + Math.floor((x.length - frame) / hop);
  const bins = frame / 2 + 1;
  const out = new Float64Array(frames * bins);
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < bins; b++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < frame; k++) {
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / frame);
        const v = w * x[f * hop + k];
        re += v * Math.cos((2 * Math.PI * b * k) / frame);
        im -= v * Math.sin((2 * Math.PI * b * k) / frame);
      }
      out[f * bins + b] = Math.hypot(re, im);
    }
  }
  return { frames, bins, values: out };
}

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('spectrogram of one channel of interleaved stereo (a strided view) matches the DFT definition', async (t) => {
  const d = await device(t);
  const before = liveCounts(d);
  const n = 1000;
  const left = noise(n, 7);
  const right = noise(n, 8);
  const interleaved = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    interleaved[2 * i] = left[i];
    interleaved[2 * i + 1] = right[i];
  }
  d.scope(() => {
    const stereo = d.tensor(interleaved, { shape: [n, 2] });
    for (const [channel, samples] of [[0, left], [1, right]]) {
      const view = stereo.select(1, channel);
      assert.deepEqual(view.strides, [2]);
      for (const [frame, hop] of [[64, 16], [32, 32], [128, 100]]) {
        const spec = d.kernels.spectrogram(view, frame, hop);
        const expected = referenceSpectrogram(samples, frame, hop);
        assert.deepEqual(spec.shape, [expected.frames, expected.bins]);
        assertClose(spec.read(), expected.values, 2e-4 * frame, `channel ${channel}, frame ${frame}, hop ${hop}`);
      }
    }
    // A reversed view: negative stride.
    const reversed = stereo.select(1, 0).slice([[null, null, -1]]);
    const expected = referenceSpectrogram(Float32Array.from(left).reverse(), 64, 64);
    assertClose(d.kernels.spectrogram(reversed, 64, 64).read(), expected.values, 2e-4 * 64, 'reversed');
  });
  assert.deepEqual(liveCounts(d), before);
});

test('a pure tone peaks in its bin', async (t) => {
  const d = await device(t);
  const rate = 8192;
  const tone = Float32Array.from({ length: rate }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / rate));
  const signal = d.tensor(tone);
  const spec = d.kernels.spectrogram(signal, 1024, 256);
  const frame = spec.select(0, 5).read();
  const peak = frame.indexOf(Math.max(...frame));
  assert.equal(peak, 125);  // 1000 Hz * 1024 / 8192
  spec.dispose();
  signal.dispose();
});

test('rowRms of strided views matches the definition', async (t) => {
  const d = await device(t);
  const rows = [[3, 4, 0], [1, 1, 1], [-2, 0, 2], [0, 0, 0]];
  const m = d.tensor(rows);
  const rms = (values) => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  assertClose(d.kernels.rowRms(m).read(), rows.map(rms), 1e-6, 'rows');
  const columns = rows[0].map((_, c) => rows.map((r) => r[c]));
  assertClose(d.kernels.rowRms(m.transpose()).read(), columns.map(rms), 1e-6, 'columns');
  assertClose(d.kernels.rowRms(m.slice([[null, null, -2], [1, null]])).read(),
    [rows[3], rows[1]].map((r) => rms(r.slice(1))), 1e-6, 'a reversed, stepped slice');
  assertClose(d.kernels.rowRms(d.tensor([[2, 2]]).expand([3, 2])).read(), [2, 2, 2], 1e-6, 'a broadcast');
  assert.deepEqual(Array.from(d.kernels.rowRms(d.zeros([2, 0])).read()), [0, 0]);
});

test('every error path names the kernel, the argument and the value', async (t) => {
  const d = await device(t);
  const other = await device(t);
  const before = liveCounts(d);
  const k = d.kernels;
  d.scope(() => {
    const signal = d.tensor(noise(2000));
    expectError(() => k.spectrogram(signal.slice([[0, 100]]), 1024, 256), 'INVALID_SHAPE',
      'spectrogram: the signal has 100 samples, fewer than one frame of 1024');
    expectError(() => k.spectrogram(signal, 1000, 256), 'INVALID_ARGUMENT',
      'spectrogram: frame 1000 is not a power of two of at least 2');
    expectError(() => k.spectrogram(signal, 1024, 0), 'INVALID_ARGUMENT', 'spectrogram: hop 0 must be at least 1');
    expectError(() => k.spectrogram(signal, 1024.5, 256), 'INVALID_ARGUMENT',
      'spectrogram: argument frame is 1024.5; it must be an integer (int32)');
    expectError(() => k.spectrogram(signal.reshape([1000, 2]), 64, 16), 'INVALID_SHAPE',
      'spectrogram: argument signal has 2 dims (shape [1000, 2]); it must have 1');
    expectError(() => k.spectrogram(signal.to('float64'), 64, 16), 'DTYPE_MISMATCH',
      'spectrogram: argument signal is float64; it must be float32');
    expectError(() => k.spectrogram(noise(2000), 64, 16), 'INVALID_ARGUMENT',
      'spectrogram: argument signal is a Float32Array; it must be a Tensor');
    expectError(() => k.rowRms(signal), 'INVALID_SHAPE', 'rowRms: argument x has 1 dim (shape [2000]); it must have 2');
    expectError(() => k.rowRms(), 'INVALID_ARGUMENT', 'rowRms: takes 1 argument (x), got 0');
    signal.dispose();
    expectError(() => k.spectrogram(signal, 64, 16), 'DISPOSED', /^spectrogram: Tensor #\d+ was disposed$/);
  });
  const foreign = other.tensor(noise(100));
  expectError(() => k.spectrogram(foreign, 64, 16), 'INVALID_ARGUMENT',
    'spectrogram: argument signal belongs to another device');
  foreign.dispose();
  assert.deepEqual(liveCounts(d), before, 'no failed call left anything behind');
});

test('spectrograms of file after file keep the heap flat', async (t) => {
  const d = await device(t, { maxMemory: 64 << 20 });
  const heaps = [];
  for (let file = 0; file < 20; file++) {
    d.scope(() => {
      const pcm = d.tensor(noise(2 * 44100, file + 1), { shape: [44100, 2] });
      const spec = d.kernels.spectrogram(pcm.select(1, 0), 1024, 256);
      assert.deepEqual(spec.shape, [169, 513]);
    });
    heaps.push(d.getMemoryStats().wasmHeapBytes);
  }
  assert.equal(new Set(heaps.slice(2)).size, 1, `heap sizes: ${heaps}`);
  assert.equal(d.getMemoryStats().liveTensors, 0);
});
