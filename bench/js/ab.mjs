// Two builds of the package in one node process, timed in alternating rounds
// (view ops, createData + dispose, element access, readDataView, and with
// kernel packages the trivial kernel call): for a change whose cost is below
// the noise of separate runs on a busy machine. Prints each build's median ns
// per op and their ratio.
//
//   node bench/js/ab.mjs <package dir A (before)> <package dir B (after)> [row regex]
//
// The kernel rows run when both directories are packages with the test
// kernels (build/wasm/tests/js/kernels/package, or its installed copy
// build/js-test/node_modules/tensormem-test-kernels): `sum(t)` of the
// kernel-call row and, beside it, reshape + dispose of the same tensor.
//
// Each build gets its own copy of every loop (compiled from the same source
// by `new Function`), so neither build's objects shape the other's feedback.
// Run a build against itself to see the noise.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dirA, dirB, only] = process.argv.slice(2);
if (dirA === undefined || dirB === undefined) {
  process.stderr.write('usage: node bench/js/ab.mjs <package dir A> <package dir B> [row regex]\n');
  process.exit(2);
}
const filter = only === undefined ? null : new RegExp(only);

// name: [loop body over the context `c` for `n` ops, ops per round]
const ROWS = {
  'reshape': ['let s = 0; for (let i = 0; i < n; i++) { const r = c.m.reshape(c.SHAPE); s += r.id; r.dispose(); } return s;', 1e5],
  'slice': ['let s = 0; for (let i = 0; i < n; i++) { const r = c.m.slice(c.SPEC); s += r.id; r.dispose(); } return s;', 1e5],
  'permute': ['let s = 0; for (let i = 0; i < n; i++) { const r = c.t3.permute(c.DIMS); s += r.id; r.dispose(); } return s;', 1e5],
  'createData(1024)': ['let s = 0; for (let i = 0; i < n; i++) { const d = c.device.createData(1024); s += d.id; d.dispose(); } return s;', 1e5],
  'get(i, j)': ['const m = c.m; let s = 0; for (let k = 0; k < n; k += 10000) for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) s += m.get(i, j); return s;', 1e6],
  'set(v, i, j)': ['const m = c.m; for (let k = 0; k < n; k += 10000) for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) m.set(i + j, i, j); return n;', 1e6],
  'readDataView + [0]': ["const d = c.device, data = c.data; let s = 0; for (let i = 0; i < n; i++) s += d.readDataView(data, 'float32')[0]; return s;", 5e4],
  'kernel sum(t4)': ['const sum = c.device.kernels.sum, t = c.t4; let s = 0; for (let i = 0; i < n; i++) s += sum(t); return s;', 1e5, 'kernels'],
  'reshape t4 [2, 2]': ['const t = c.t4, shape = c.SHAPE4; for (let i = 0; i < n; i++) t.reshape(shape).dispose(); return n;', 1e5, 'kernels'],
};

const builds = [];
for (const dir of [dirA, dirB]) {
  const { Device } = await import(pathToFileURL(join(dir, 'index.mjs')).href);
  const device = await Device.create();
  const c = { device, m: device.zeros([100, 100]), t3: device.zeros([10, 20, 50]), data: device.createData(1 << 20),
    t4: device.tensor(new Float32Array([1, 2, 3, 4])), SHAPE: [50, 200], SPEC: [[25, 75], [25, 75]], DIMS: [2, 0, 1],
    SHAPE4: [2, 2] };
  // eslint-disable-next-line no-new-func
  const loops = Object.fromEntries(Object.entries(ROWS).map(([name, [body]]) => [name, new Function('c', 'n', body)]));
  builds.push({ c, loops });
}
const median = (x) => x.slice().sort((a, b) => a - b)[x.length >> 1];
const haveKernels = builds.every((b) => typeof b.c.device.kernels.sum === 'function');
for (const [name, [, n, needs]] of Object.entries(ROWS)) {
  if (filter !== null && !filter.test(name)) continue;
  if (needs === 'kernels' && !haveKernels) continue;
  const ns = [[], []];
  for (let w = 0; w < 3; w++) for (const b of builds) b.loops[name](b.c, n / 2);
  for (let round = 0; round < 21; round++) {
    for (let k = 0; k < 2; k++) {
      const j = (round + k) % 2;  // alternate which build goes first
      const t0 = process.hrtime.bigint();
      builds[j].loops[name](builds[j].c, n);
      ns[j].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const [a, b] = ns.map(median);
  console.log(`${name.padEnd(18)} A ${a.toFixed(2).padStart(7)} ns, B ${b.toFixed(2).padStart(7)} ns, B/A ${(b / a).toFixed(3)}`);
}
for (const b of builds) b.c.device.dispose();
