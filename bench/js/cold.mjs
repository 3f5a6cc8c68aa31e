// One cold measurement, in a fresh node process (run.mjs starts one per
// sample): these benchmarks time the first batch after Device.create(),
// with nothing compiled yet, or the first Device.create() itself (import,
// read, compile, instantiate; also the idle device's wasm memory).
// Prints {"ns": <time of the batch>, ...} on stdout.
//
//   node bench/js/cold.mjs <scenario> <tensormem|raw> <package dir>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [scenario, variant, packageDir] = process.argv.slice(2);

async function device() {
  const { Device } = await import(pathToFileURL(join(packageDir, 'index.mjs')).href);
  return Device.create();
}

let ns;
let s = 0;
let heapBytes;
if (scenario === 'device-create' && variant === 'tensormem') {
  const t0 = process.hrtime.bigint();
  const d = await device();
  ns = Number(process.hrtime.bigint() - t0);
  heapBytes = d.getMemoryStats().wasmHeapBytes;
  d.dispose();
} else if (scenario === 'device-create' && variant === 'raw') {
  const wasm = readFileSync(join(packageDir, 'package.json'), 'utf8').includes('"./tensormem.wasm"')
    ? 'tensormem.wasm' : 'tensormem_wasm.wasm';
  const t0 = process.hrtime.bigint();
  const module = await WebAssembly.compile(readFileSync(join(packageDir, wasm)));
  ns = Number(process.hrtime.bigint() - t0);
  s = WebAssembly.Module.exports(module).length;
} else if (scenario === 'createData-x1000' && variant === 'tensormem') {
  const d = await device();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) {
    const data = d.createData(1024);
    d.disposeData(data);
  }
  ns = Number(process.hrtime.bigint() - t0);
  d.dispose();
} else if (scenario === 'createData-x1000' && variant === 'raw') {
  const keep = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) keep[i & 7] = new Float32Array(256);
  ns = Number(process.hrtime.bigint() - t0);
  s = keep.length;
} else if (scenario === 'readDataView-x10000' && variant === 'tensormem') {
  const d = await device();
  const data = d.createData(1024 * 1024);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 10000; i++) {
    const view = d.readDataView(data, 'float32');
    s += view[0];
  }
  ns = Number(process.hrtime.bigint() - t0);
  d.dispose();
} else if (scenario === 'readDataView-x10000' && variant === 'raw') {
  const buffer = new ArrayBuffer(1024 * 1024);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 10000; i++) {
    const view = new Float32Array(buffer, 0, 262144);
    s += view[0];
  }
  ns = Number(process.hrtime.bigint() - t0);
} else {
  throw new Error(`unknown cold scenario ${scenario} / ${variant}`);
}
process.stdout.write(`${JSON.stringify({ ns, s, heapBytes })}\n`);
