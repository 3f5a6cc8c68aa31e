// Measures one row in this (fresh) process and prints the result as one JSON
// line; run.mjs starts one process per row. A row measured in a process that
// already ran other rows reads differently: the package's call sites have
// then seen other ops, tensors and devices, and V8's feedback for them is no
// longer monomorphic. One process per row makes every figure independent of
// which rows ran before it, so `--filter reshape` matches the full run.
//
//   node bench/js/row.mjs <row id> <settings JSON> <package dir> <peers dir>
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { checksum, measureRow } from './harness.mjs';
import { loadPeers } from './peers.mjs';
import { COLUMNS, ROWS } from './rows.mjs';

const [id, settingsJson, packageDir, peersDir] = process.argv.slice(2);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const settings = JSON.parse(settingsJson);
const row = ROWS.find((r) => r.id === id);
if (!row || row.cold) throw new Error(`no warm row ${id}`);

// The package's internals, for the `internal` rows: its loader gives a
// separate instance (of its own .wasm, or another package's) whose raw
// exports we drive directly.
async function loadInternals(options = {}) {
  const { instantiate } = await import(pathToFileURL(join(packageDir, 'lib', 'loader.mjs')).href);
  const host = { memory: null, onGrowth() {}, lose() {} };
  const { exports: x, memory } = await instantiate(options, host);
  for (const name of ['tm_init', 'tm_scratch', 'tm_create_data', 'tm_empty', 'tm_reshape', 'tm_slice', 'tm_release']) {
    if (typeof x[name] !== 'function') throw new Error(`the module has no export ${name}`);
  }
  if (x.tm_init(256 * 2 ** 20, 0.8, 1, 0) < 0) throw new Error('tm_init failed');
  let f64 = new Float64Array(memory.buffer);
  const internals = {
    x,
    scratchIndex: x.tm_scratch() / 8,
    scratch: () => (f64.length !== 0 ? f64 : (f64 = new Float64Array(memory.buffer))),
    zeros(shape) {
      const s = internals.scratch();
      shape.forEach((extent, d) => (s[internals.scratchIndex + d] = extent));
      const h = x.tm_empty(0, shape.length, 1); // dtype 0: float32
      if (!(h > 0)) throw new Error(`tm_empty returned ${h}: the internal ABI changed`);
      return h;
    },
  };
  return internals;
}

// Devices of the kernel packages, for the `kernels` rows: the test kernels
// (a trivial `sum`) and the example's audio-kernels (`spectrogram`).
const kernelPackages = {
  test: process.env.TENSORMEM_TEST_KERNELS_PACKAGE ?? join(repo, 'build/js-test/node_modules/tensormem-test-kernels'),
  audio: process.env.TENSORMEM_EXAMPLE_KERNELS_PACKAGE ?? join(repo, 'build/js-test/node_modules/audio-kernels'),
};
async function loadKernels() {
  const devices = {};
  for (const [name, dir] of Object.entries(kernelPackages)) {
    const { Device: KernelDevice } = await import(pathToFileURL(join(dir, 'index.mjs')).href);
    devices[name] = await KernelDevice.create();
  }
  devices.testInternals = await loadInternals({ wasmUrl: pathToFileURL(join(kernelPackages.test, 'tensormem.wasm')) });
  return devices;
}

const result = { id, variants: {}, warnings: [] };
try {
  const { Device } = await import(pathToFileURL(join(packageDir, 'index.mjs')).href);
  const usesPeers = Boolean(row.variants.tfjs || row.variants.ndarray);
  const peers = usesPeers ? await loadPeers(peersDir) : {};
  let internals;
  if (row.internal) {
    try {
      internals = await loadInternals();
    } catch (error) {
      result.skipped = `package internals not usable: ${error.message}`;
    }
  }
  let kernels;
  if (row.kernels && !result.skipped) {
    try {
      kernels = await loadKernels();
    } catch (error) {
      result.skipped = `kernel packages not usable (install them: bash scripts/pack-js.sh): ${error.message}`;
    }
  }
  if (row.tfBackend && peers.tf) {
    await peers.tf.setBackend(row.tfBackend);
    await peers.tf.ready();
  }
  if (!result.skipped) {
    const device = await Device.create();
    // The `recording` rows: a second device of the same package, recording its history.
    const recording = row.recording ? await Device.create() : undefined;
    recording?.recordHistory(row.recording);
    const tfBefore = peers.tf?.memory().numTensors;
    const available = { tensormem: true, tfjs: Boolean(peers.tf), ndarray: Boolean(peers.ndarray), raw: true };
    const columns = COLUMNS.filter((c) => row.variants[c] && available[c]);
    const env = { device, recording, tf: peers.tf, ndarray: peers.ndarray, internals, kernels };
    const fixtures = [];
    try {
      for (const column of columns) fixtures.push({ ...row.variants[column].setup(env), opsPerRun: row.opsPerRun });
      const measured = measureRow(fixtures, settings);
      columns.forEach((c, i) => (result.variants[c] = measured[i]));
    } finally {
      for (const f of fixtures) f.teardown?.();
      const stats = device.getMemoryStats();
      if (stats.liveTensors !== 0 || stats.liveData !== 0) {
        result.warnings.push(`${id}: after teardown the device still has ${stats.liveTensors} tensors and ${stats.liveData} buffers live`);
      }
      const tfAfter = peers.tf?.memory().numTensors;
      if (tfAfter !== tfBefore) result.warnings.push(`${id}: tfjs tensors ${tfBefore} before, ${tfAfter} after`);
      device.dispose();
      recording?.dispose();
      kernels?.test.dispose();
      kernels?.audio.dispose();
    }
  }
} catch (error) {
  result.error = error?.stack ?? String(error);
}
result.checksum = checksum();
process.stdout.write(`${JSON.stringify(result)}\n`);
