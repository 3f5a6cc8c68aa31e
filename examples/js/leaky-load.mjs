// The leaky file-loading story, recorded with device.recordHistory() and
// returned as device.snapshot(): what the memory inspector is for.
//
// An audio app loads a small model it keeps (live on purpose), then "audio
// files" one after another. Each load copies the file into a DeviceData,
// decodes its 16-bit PCM into float32 samples, takes a view of the left channel and
// its spectrogram (a C++ kernel). Every third file the app forgets to
// dispose the data and the samples. Twice the garbage collector runs, and the
// safety net reclaims the forgotten objects the app no longer references (and
// a warm-up tensor); the rest stay live. A long file does not fit under the
// limit; two more files play correctly.
//
// Uses the audio-kernels package (examples/kernels: tensormem with its
// spectrogram kernel), which scripts/pack-js.sh installs. Needs node
// --expose-gc for the safety net to run on cue.
//
//   node --expose-gc examples/js/leaky-load.mjs out.json   (writes the snapshot; prints its path)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
export const LIMIT = 40 * MiB;
const FRAME = 1024;
const HOP = 4096;

/** The Device class of the audio-kernels package this repository builds. */
export async function audioDevice() {
  const dir = process.env.TENSORMEM_EXAMPLE_KERNELS_PACKAGE || path.join(repo, 'build/js-test/node_modules/audio-kernels');
  if (!existsSync(path.join(dir, 'index.mjs'))) throw new Error(`audio-kernels not found in ${dir}: run bash scripts/pack-js.sh`);
  return (await import(pathToFileURL(path.join(dir, 'index.mjs')).href)).Device;
}

// One "file": 16-bit stereo PCM, a tone per file.
function pcmFile(i, bytes) {
  const pcm = new Int16Array(bytes / 2);
  const step = (2 * Math.PI * (220 + 40 * i)) / 44100;
  for (let k = 0; k < pcm.length; k += 2) pcm[k] = pcm[k + 1] = Math.round(16000 * Math.sin(step * (k / 2)));
  return pcm;
}

function loadModel(device) {
  const weights = [];
  for (const shape of [[64, 64], [64], [256, 64], [256], [512, 257]]) weights.push(device.zeros(shape));
  return weights;
}

function warmUp(device) {
  device.zeros([256, 256]);  // dropped without dispose(): the safety net's first catch
}

function loadAudioFile(device, i, bytes) {
  return device.createDataWithBuffer(pcmFile(i, bytes));
}

// The PCM as float32 [frames, 2]: a new buffer, twice the file's bytes.
function decodeSamples(device, data) {
  const pcm = device.fromData(data, 'int16', [data.byteLength / 4, 2]);
  try {
    return pcm.to('float32');
  } finally {
    pcm.dispose();
  }
}

function leftChannel(samples) {
  return samples.select(1, 0);
}

function spectrum(device, left) {
  return device.kernels.spectrogram(left, FRAME, HOP);
}

// Plays file i; returns what the app forgot to dispose (every third file), or null.
function playFile(device, i, bytes) {
  const data = loadAudioFile(device, i, bytes);
  const samples = decodeSamples(device, data);
  const left = leftChannel(samples);
  const magnitudes = spectrum(device, left);
  magnitudes.dispose();
  left.dispose();
  if (i % 3 === 2) return { data, samples };  // the bug: no dispose() for these two
  samples.dispose();
  data.dispose();
  return null;
}

const fileBytes = (i) => Math.round((0.4 + ((i * 7) % 10) / 32) * MiB / 4) * 4 + 4 * ((i * 37) % 1000);

async function collect(device, until) {
  for (let round = 0; round < 50 && device.getMemoryStats().leaksReclaimed < until; round++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (device.getMemoryStats().leaksReclaimed < until) throw new Error(`the safety net reclaimed fewer than ${until} objects`);
}

/**
 * Records the story on a new device of `Device` (with the spectrogram kernel)
 * and returns its snapshot; the device is disposed.
 */
export async function recordLeakyLoad(Device) {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc: the story needs the garbage collector');
  const device = await Device.create({ maxMemory: LIMIT });
  try {
    device.recordHistory({ stacks: true });
    const model = loadModel(device);
    warmUp(device);
    let forgotten = [];
    let file = 0;
    for (; file < 9; file++) forgotten.push(playFile(device, file, fileBytes(file)));
    forgotten = forgotten.filter((f) => f !== null).slice(2);  // the app lets go of the first two
    await collect(device, 1 + 2 * 2);                       // the warm-up tensor, two files' data and samples
    for (; file < 21; file++) forgotten.push(playFile(device, file, fileBytes(file)));
    const kept = forgotten.filter((f) => f !== null);
    let refused = null;
    try {
      playFile(device, file, 12 * MiB);                     // the long file: past the limit
    } catch (error) {
      if (error.code !== 'MEMORY_LIMIT') throw error;
      refused = error;
    }
    if (refused === null) throw new Error('the long file was expected to fail at the limit');
    for (const i of [22, 24]) playFile(device, i, fileBytes(i));  // not every third: disposed properly
    const snapshot = device.snapshot();
    if (kept.length === 0 || model.length === 0) throw new Error('the story keeps its model and its leaks');
    return snapshot;
  } finally {
    device.dispose();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(repo, 'build/inspector/leaky-load.json'));
  const snapshot = await recordLeakyLoad(await audioDevice());
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(snapshot)}\n`);
  console.log(out);
}
