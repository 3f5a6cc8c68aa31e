// Two builds of the package in one node process, timed in alternating rounds
// (view op or createData + dispose): for a change whose cost is below the noise of separate
// runs on a busy machine. Prints each build's median ns per op and their ratio.
//
//   node bench/js/ab.mjs <package dir A (before)> <package dir B (after)>
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dirs = process.argv.slice(2);
if (dirs.length !== 2) {
  process.stderr.write('usage: node bench/js/ab.mjs <package dir A> <package dir B>\n');
  process.exit(2);
}
const packages = await Promise.all(dirs.map((dir) => import(pathToFileURL(join(dir, 'index.mjs')).href)));
const devices = await Promise.all(packages.map((p) => p.Device.create()));
const tensors = devices.map((d) => d.zeros([100, 100]));
const SHAPE = [50, 200];
const SPEC = [[0, 50], [0, 50]];
// One loop per op, spelled out: a shared callback would go megamorphic.
function reshape(t, n) {
  let s = 0;
  for (let i = 0; i < n; i++) { const r = t.reshape(SHAPE); s += r.id; r.dispose(); }
  return s;
}
function slice(t, n) {
  let s = 0;
  for (let i = 0; i < n; i++) { const r = t.slice(SPEC); s += r.id; r.dispose(); }
  return s;
}
function createData(t, n) {
  const device = t.device;
  let s = 0;
  for (let i = 0; i < n; i++) { const d = device.createData(1024); s += d.id; d.dispose(); }
  return s;
}
const median = (x) => x.slice().sort((a, b) => a - b)[x.length >> 1];
const N = 100_000;
for (const [name, run] of [['reshape', reshape], ['slice', slice], ['createData(1024)', createData]]) {
  const ns = [[], []];
  for (let w = 0; w < 3; w++) for (const t of tensors) run(t, N / 2);
  for (let round = 0; round < 21; round++) {
    for (let k = 0; k < 2; k++) {
      const j = (round + k) % 2;  // alternate which build goes first
      const t0 = process.hrtime.bigint();
      run(tensors[j], N);
      ns[j].push(Number(process.hrtime.bigint() - t0) / N);
    }
  }
  const [a, b] = ns.map(median);
  console.log(`${name} + dispose: A ${a.toFixed(1)} ns, B ${b.toFixed(1)} ns, B/A ${(b / a).toFixed(3)}`);
}
for (const d of devices) d.dispose();
