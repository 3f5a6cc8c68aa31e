// The audio-kernels demo: an app analyses audio file after file, in wasm, on
// views, with flat memory. Each "file" is 10 s of interleaved stereo; the app
// computes the spectrogram of its left channel (a strided view of the
// interleaved samples: no copy), then the loudest frequency (rowRms over the
// spectrogram's transpose, another view), and prints it. Everything a file
// creates lives in a device.scope(), so the wasm heap stays the same size
// from the second file on.
//
// Run: node examples/kernels/demo.mjs
// (TENSORMEM_EXAMPLE_KERNELS_PACKAGE: the package directory; default: the copy
// scripts/pack-js.sh installs into build/js-test from its tarball.)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageDir = process.env.TENSORMEM_EXAMPLE_KERNELS_PACKAGE ||
  path.join(repo, 'build/js-test/node_modules/audio-kernels');
if (!existsSync(path.join(packageDir, 'index.mjs'))) {
  console.error(`audio-kernels not found in ${packageDir}: run bash scripts/pack-js.sh`);
  process.exit(1);
}
const { Device } = await import(pathToFileURL(path.join(packageDir, 'index.mjs')).href);

const RATE = 44100;
const SECONDS = 10;
const FRAME = 1024;
const HOP = 256;
const MiB = 1024 * 1024;
const TONES = [440, 1000, 2500, 3520, 6000, 9000];  // the left channel's tone in each file

function expect(condition, claim) {
  if (!condition) throw new Error(`demo claim failed: ${claim}`);
}

// One "decoded file": interleaved stereo, a tone on the left, noise and a hum on the right.
function decodeFile(tone, seed) {
  const n = RATE * SECONDS;
  const pcm = new Float32Array(2 * n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    pcm[2 * i] = 0.8 * Math.sin((2 * Math.PI * tone * i) / RATE);
    pcm[2 * i + 1] = 0.3 * (s / 2 ** 31 - 1) + 0.2 * Math.sin((2 * Math.PI * 50 * i) / RATE);
  }
  return pcm;
}

const device = await Device.create({ maxMemory: 64 * MiB });
console.log(`audio-kernels on tensormem: kernels ${Object.keys(device.kernels).join(', ')}; limit 64 MiB`);
console.log(`${TONES.length} files of ${SECONDS} s stereo at ${RATE} Hz; spectrogram frame ${FRAME}, hop ${HOP}\n`);

const heaps = [];
for (const [index, tone] of TONES.entries()) {
  const pcm = decodeFile(tone, index + 1);
  const { peakHz, frames } = device.scope(() => {
    const stereo = device.tensor(pcm, { shape: [pcm.length / 2, 2] });   // one copy into wasm memory
    const left = stereo.select(1, 0);                                     // a view: stride 2, no copy
    const spectrogram = device.kernels.spectrogram(left, FRAME, HOP);     // [frames, FRAME / 2 + 1]
    const loudness = device.kernels.rowRms(spectrogram.transpose());     // RMS of each bin over time
    const perBin = loudness.read();
    let peak = 0;
    for (let b = 1; b < perBin.length; b++) if (perBin[b] > perBin[peak]) peak = b;
    return { peakHz: (peak * RATE) / FRAME, frames: spectrogram.shape[0] };
  });
  const stats = device.getMemoryStats();
  heaps.push(stats.wasmHeapBytes);
  console.log(`file ${index + 1}: tone ${String(tone).padStart(4)} Hz -> peak ${peakHz.toFixed(1).padStart(7)} Hz ` +
    `over ${frames} frames; live tensors ${stats.liveTensors}, wasm heap ${(stats.wasmHeapBytes / MiB).toFixed(1)} MiB`);
  expect(Math.abs(peakHz - tone) <= RATE / FRAME, `the peak of file ${index + 1} is within one bin of ${tone} Hz`);
  expect(stats.liveTensors === 0, 'a file leaves no tensor behind');
}
expect(new Set(heaps.slice(1)).size === 1, `the wasm heap is flat from the second file on (${heaps})`);
console.log(`\nwasm heap flat at ${(heaps.at(-1) / MiB).toFixed(1)} MiB from file 2 on; nothing left live.`);
device.dispose();
