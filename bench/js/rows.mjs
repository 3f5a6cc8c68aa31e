// The rows: one operation measured for tensormem and, where they have it, for
// the peers (tfjs-backend-wasm, ndarray) and a raw JS baseline, in one run.
//
// Every variant spells out its own loop on purpose. A shared helper taking
// the operation as a callback would make the callback's call site see every
// row's closure, go megamorphic, and add a few ns of dispatch to ns-level
// rows, distorting exactly the numbers this harness exists to report.
//
// setup(env) gets { device (one for the whole run), tf, ndarray, internals } and
// returns { run, teardown? } (teardown disposes what setup made):
// run(n) performs n operations (n * opsPerRun for the rows that set it) and
// returns a number the harness consumes. Argument arrays (shapes, slice
// specs) are constants hoisted out of the loops: the rows time the library,
// not the literal's allocation. A ring `keep` holds pure-JS results so their
// allocation cannot be optimized away.
//
// Rows marked `internal` put the public call beside the raw wasm exports it
// makes (env.internals: the package's own loader, a separate instance driven
// through its tm_* exports and scratch area), to show where time goes: the
// raw column's (N×) is then the share spent in wasm. They depend on the
// package's internal ABI; when that is not there, they are skipped.
//
// Targets: maxNs bounds tensormem's time per operation (<=, or < with
// strict), minRatio: raw baseline time / tensormem time >= minRatio, or ratios:
// the named column's time / tensormem time >= min for each. No target:
// informative.

export const COLUMNS = ['tensormem', 'tfjs', 'ndarray', 'raw'];

const MIB = 1 << 20;
const BIG = 1 << 20; // elements in the bandwidth rows (4 MiB of float32)

function filled(length) {
  const values = new Float32Array(length);
  for (let i = 0; i < length; ++i) values[i] = (i % 251) * 0.5;
  return values;
}


// Variants that two rows share (each row runs in its own process, so their
// loops' feedback is still their own).
function reshapeVariant(label) {
  return {
    label,
    setup({ device }) {
      const m = device.zeros([100, 100]);
      const shape = [50, 200];
      const run = (n) => {
        for (let i = 0; i < n; ++i) {
          const r = m.reshape(shape);
          r.dispose();
        }
        return n;
      };
      return { run, teardown: () => m.dispose() };
    },
  };
}

function viewClassVariant(label) {
  return {
    label,
    setup({ ndarray }) {
      const a = ndarray(new Float32Array(10000), [100, 100]);
      const View = a.constructor;
      const keep = new Array(8);
      const run = (n) => {
        for (let i = 0; i < n; ++i) keep[i & 7] = new View(a.data, 50, 200, 200, 1, 0);
        return keep[0].size;
      };
      return { run };
    },
  };
}

function readDataViewVariant(label) {
  return {
    label,
    setup({ device }) {
      const data = device.createData(MIB);
      const run = (n) => {
        let s = 0;
        for (let u = 0; u < n; ++u) {
          for (let i = 0; i < 10000; ++i) s += device.readDataView(data, 'float32')[0];
        }
        return s;
      };
      return { run, teardown: () => device.disposeData(data) };
    },
  };
}

// device.shrink() of 16 MiB live (4 Mi float32), the tensormem side of the shrink rows.
function shrinkVariant(label) {
  return {
    label,
    setup({ device }) {
      const live = device.zeros([4 * MIB]);
      const run = (n) => {
        let moved = 0;
        for (let i = 0; i < n; ++i) moved += device.shrink().bytesMoved;
        return moved;
      };
      return { run, teardown: () => live.dispose() };
    },
  };
}

export const ROWS = [
  {
    id: 'createData',
    title: 'createData(1024) + disposeData',
    target: { maxNs: 100 },
    variants: {
      tensormem: {
        label: '`device.createData(1024)`, `device.disposeData(d)`',
        setup({ device }) {
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const d = device.createData(1024);
              device.disposeData(d);
            }
            return n;
          };
          return { run };
        },
      },
      tfjs: {
        label: '`tf.tensor1d(values)` (1000 float32, copied in), `dispose()`',
        setup({ tf }) {
          const values = new Float32Array(1000);
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const t = tf.tensor1d(values);
              t.dispose();
            }
            return n;
          };
          return { run };
        },
      },
      raw: {
        label: '`new Float32Array(256)` (1 KiB, zero-filled, left to the GC)',
        setup() {
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = new Float32Array(256);
            return keep[0].length;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'createData-x1000',
    title: '1000 × (createData(1024) + disposeData), one unit',
    target: { maxNs: 0.1e6, strict: true },
    variants: {
      tensormem: {
        label: '1000 × (`createData(1024)`, `disposeData`)',
        setup({ device }) {
          const run = (n) => {
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 1000; ++i) {
                const d = device.createData(1024);
                device.disposeData(d);
              }
            }
            return n;
          };
          return { run };
        },
      },
      tfjs: {
        label: '1000 × (`tf.tensor1d(values)`, `dispose()`)',
        setup({ tf }) {
          const values = new Float32Array(1000);
          const run = (n) => {
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 1000; ++i) {
                const t = tf.tensor1d(values);
                t.dispose();
              }
            }
            return n;
          };
          return { run };
        },
      },
      raw: {
        label: '1000 × `new Float32Array(256)`',
        setup() {
          const keep = new Array(8);
          const run = (n) => {
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 1000; ++i) keep[i & 7] = new Float32Array(256);
            }
            return keep[0].length;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'createData-x1000-cold',
    title: '1000 × (createData + disposeData), first batch in a fresh process',
    target: { maxNs: 100e6, strict: true, note: '(first batch)' },
    cold: 'createData-x1000',
    variants: {
      tensormem: { label: 'a new node process: import, `Device.create()`, then the timed batch' },
      raw: { label: 'a new node process: 1000 × `new Float32Array(256)`' },
    },
  },
  {
    id: 'device-create-cold',
    title: 'first `Device.create()` in a fresh process',
    cold: 'device-create',
    variants: {
      tensormem: { label: 'a new node process: import the package, `await Device.create()` (read, compile, instantiate, start)' },
      raw: { label: 'a new node process: read the package\'s .wasm and `WebAssembly.compile` it' },
    },
  },
  {
    id: 'tensor',
    title: 'tensor from 1000 float32 + dispose',
    variants: {
      tensormem: {
        label: '`device.tensor(values)`, `dispose()`',
        setup({ device }) {
          const values = filled(1000);
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const t = device.tensor(values);
              t.dispose();
            }
            return n;
          };
          return { run };
        },
      },
      tfjs: {
        label: '`tf.tensor1d(values)`, `dispose()`',
        setup({ tf }) {
          const values = filled(1000);
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const t = tf.tensor1d(values);
              t.dispose();
            }
            return n;
          };
          return { run };
        },
      },
      raw: {
        label: '`new Float32Array(values)` (a copy)',
        setup() {
          const values = filled(1000);
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = new Float32Array(values);
            return keep[0].length;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'reshape',
    title: 'reshape [100,100] → [50,200] + dispose',
    target: { ratios: [{ column: 'raw', min: 0.5, text: "≤ 2× ndarray's view class" }] },
    variants: {
      tensormem: reshapeVariant('`m.reshape([50, 200])`, `dispose()`'),
      tfjs: {
        label: '`tf.reshape(m, [50, 200])`, `dispose()`',
        setup({ tf }) {
          const m = tf.zeros([100, 100]);
          const shape = [50, 200];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = tf.reshape(m, shape);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '`ndarray(a.data, [50, 200])` (its public constructor: strides, dtype sniffing)',
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [100, 100]);
          const shape = [50, 200];
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = ndarray(a.data, shape);
            return keep[0].size;
          };
          return { run };
        },
      },
      raw: viewClassVariant("`new View(a.data, 50, 200, 200, 1, 0)`: ndarray's own view class (`a.constructor`), what its view ops call"),
    },
  },
  {
    // What is left of a view op without its checks: where the "≤ 2×" of the
    // reshape row stands against the work no safe view can skip.
    id: 'reshape-floor',
    title: "reshape + dispose beside a view's unavoidable work alone",
    variants: {
      tensormem: reshapeVariant('as in the reshape row'),
      ndarray: viewClassVariant("`new View(a.data, 50, 200, 200, 1, 0)`: ndarray's own view class, as in the reshape row"),
      raw: {
        label: "the same allocations and bookkeeping as a derived view, with no argument read and no check: an object " +
          "with a Tensor's fields, its layout array, the pending list's push and pop, the lender's count",
        setup() {
          const pending = [];
          const lender = { views: 0 };
          class Bare {
            #rt; #h; #id; #state = 0; #k; #m = undefined; notCloneable = null;
            constructor(rt, h, k, id) {
              this.#rt = rt; this.#h = h; this.#k = k; this.#id = id;
              pending.push(this);
            }
            get id() { return this.#id; }
            dispose() {
              if ((this.#state & 1) !== 0) return;
              this.#state |= 1;
              this.#m = undefined;
              if (pending[pending.length - 1] === this) pending.pop();
              const h = this.#h;
              h[6].views--;
              h[6] = null;
            }
          }
          let id = 0;
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              lender.views++;
              const r = new Bare(pending, [3, 1, 0, 0, 16, 0, lender, 50, 200, 200, 1], 0, ++id);
              r.dispose();
            }
            return id;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'slice',
    title: 'slice [100,100] → [50,50] + dispose',
    target: { ratios: [{ column: 'ndarray', min: 0.5, text: '≤ 2× ndarray lo().hi()' }] },
    variants: {
      tensormem: {
        label: '`m.slice([[25, 75], [25, 75]])` (a view), `dispose()`',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const specs = [[25, 75], [25, 75]];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = m.slice(specs);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      tfjs: {
        label: '`tf.slice(m, [25, 25], [50, 50])` (a copy), `dispose()`',
        setup({ tf }) {
          const m = tf.zeros([100, 100]);
          const begin = [25, 25];
          const size = [50, 50];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = tf.slice(m, begin, size);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '`a.lo(25, 25).hi(50, 50)`',
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [100, 100]);
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = a.lo(25, 25).hi(50, 50);
            return keep[0].size;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'permute',
    title: 'permute [10,20,50] by [2,0,1] + dispose',
    target: { ratios: [{ column: 'ndarray', min: 0.5, text: '≤ 2× ndarray transpose()' }] },
    variants: {
      tensormem: {
        label: '`t.permute([2, 0, 1])`, `dispose()`',
        setup({ device }) {
          const t = device.zeros([10, 20, 50]);
          const dims = [2, 0, 1];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = t.permute(dims);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
      tfjs: {
        label: '`tf.transpose(t, [2, 0, 1])` (a copy), `dispose()`',
        setup({ tf }) {
          const t = tf.zeros([10, 20, 50]);
          const dims = [2, 0, 1];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = tf.transpose(t, dims);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
      ndarray: {
        label: '`a.transpose(2, 0, 1)`',
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [10, 20, 50]);
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = a.transpose(2, 0, 1);
            return keep[0].size;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'view-chain',
    title: 'chain of 3 views (slice, transpose, select) of [100,100] + dispose',
    variants: {
      tensormem: {
        label: '`m.slice([[25, 75], [25, 75]]).transpose(0, 1).select(0, 3)`, three `dispose()`',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const specs = [[25, 75], [25, 75]];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const a = m.slice(specs);
              const b = a.transpose(0, 1);
              const c = b.select(0, 3);
              c.dispose();
              b.dispose();
              a.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '`a.lo(25, 25).hi(50, 50).transpose(1, 0).pick(3)`',
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [100, 100]);
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = a.lo(25, 25).hi(50, 50).transpose(1, 0).pick(3);
            return keep[0].size;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'scope-100-views',
    title: 'device.scope with 100 reshapes of [100,100] inside, per scope',
    variants: {
      tensormem: {
        label: '`device.scope(() => { 100 × m.reshape([50, 200]) })` (the scope disposes them)',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const shape = [50, 200];
          const body = () => {
            for (let j = 0; j < 100; ++j) m.reshape(shape);
          };
          const run = (n) => {
            for (let i = 0; i < n; ++i) device.scope(body);
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '100 × `ndarray(a.data, [50, 200])`',
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [100, 100]);
          const shape = [50, 200];
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              for (let j = 0; j < 100; ++j) keep[j & 7] = ndarray(a.data, shape);
            }
            return keep[0].size;
          };
          return { run };
        },
      },
      raw: {
        label: "100 × `new View(a.data, 50, 200, 200, 1, 0)`: ndarray's own view class",
        setup({ ndarray }) {
          const a = ndarray(new Float32Array(10000), [100, 100]);
          const View = a.constructor;
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              for (let j = 0; j < 100; ++j) keep[j & 7] = new View(a.data, 50, 200, 200, 1, 0);
            }
            return keep[0].size;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'expand',
    title: 'expand [100,1] → [100,100] + dispose',
    variants: {
      tensormem: {
        label: '`c.expand([100, 100])` (stride 0), `dispose()`',
        setup({ device }) {
          const c = device.zeros([100, 1]);
          const shape = [100, 100];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = c.expand(shape);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => c.dispose() };
        },
      },
      tfjs: {
        label: '`tf.broadcastTo(c, [100, 100])` (a copy), `dispose()`',
        setup({ tf }) {
          const c = tf.zeros([100, 1]);
          const shape = [100, 100];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = tf.broadcastTo(c, shape);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => c.dispose() };
        },
      },
      ndarray: {
        label: '`ndarray(c.data, [100, 100], [1, 0])`',
        setup({ ndarray }) {
          const c = ndarray(new Float32Array(100), [100, 1]);
          const shape = [100, 100];
          const stride = [1, 0];
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = ndarray(c.data, shape, stride, 0);
            return keep[0].size;
          };
          return { run };
        },
      },
      raw: {
        label: "`new View(c.data, 100, 100, 1, 0, 0)`: ndarray's own view class",
        setup({ ndarray }) {
          const c = ndarray(new Float32Array(100), [100, 1]);
          const View = c.constructor;
          const keep = new Array(8);
          const run = (n) => {
            for (let i = 0; i < n; ++i) keep[i & 7] = new View(c.data, 100, 100, 1, 0, 0);
            return keep[0].size;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'get',
    title: 'get(i, j) on [100,100] float32, per element',
    target: { ratios: [{ column: 'ndarray', min: 0.5, text: '≤ 2× ndarray get' }] },
    opsPerRun: 10000,
    variants: {
      tensormem: {
        label: '`m.get(i, j)` (checked), row-major sweep',
        setup({ device }) {
          const m = device.tensor(filled(10000), { shape: [100, 100] });
          const run = (n) => {
            let s = 0;
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) s += m.get(i, j);
            }
            return s;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '`a.get(i, j)` (unchecked) over the same wasm memory',
        setup({ device, ndarray }) {
          const m = device.tensor(filled(10000), { shape: [100, 100] });
          const a = ndarray(m.view(), [100, 100]);
          const run = (n) => {
            let s = 0;
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) s += a.get(i, j);
            }
            return s;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      raw: {
        label: '`f[i * 100 + j]` on `m.view()`',
        setup({ device }) {
          const m = device.tensor(filled(10000), { shape: [100, 100] });
          const f = m.view();
          const run = (n) => {
            let s = 0;
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) s += f[i * 100 + j];
            }
            return s;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
    },
  },
  {
    id: 'set',
    title: 'set(v, i, j) on [100,100] float32, per element',
    target: { ratios: [{ column: 'ndarray', min: 0.5, text: '≤ 2× ndarray set' }] },
    opsPerRun: 10000,
    variants: {
      tensormem: {
        label: '`m.set(v, i, j)` (checked)',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const run = (n) => {
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) m.set(i + j + k, i, j);
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      ndarray: {
        label: '`a.set(i, j, v)` (unchecked) over the same wasm memory',
        setup({ device, ndarray }) {
          const m = device.zeros([100, 100]);
          const a = ndarray(m.view(), [100, 100]);
          const run = (n) => {
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) a.set(i, j, i + j + k);
            }
            return a.get(7, 7);
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      raw: {
        label: '`f[i * 100 + j] = v` on `m.view()`',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const f = m.view();
          const run = (n) => {
            for (let k = 0; k < n; ++k) {
              for (let i = 0; i < 100; ++i) for (let j = 0; j < 100; ++j) f[i * 100 + j] = i + j + k;
            }
            return f[707];
          };
          return { run, teardown: () => m.dispose() };
        },
      },
    },
  },
  {
    id: 'read',
    title: 'read() of 1M float32 (4 MiB), vs TypedArray.set',
    target: { minRatio: 0.8 },
    bytesPerOp: 4 * BIG,
    variants: {
      tensormem: {
        label: '`big.read()` (a new Float32Array)',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += big.read()[i & 1023];
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
      tfjs: {
        label: '`big.dataSync()` (a new Float32Array)',
        setup({ tf }) {
          const big = tf.tensor1d(filled(BIG));
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += big.dataSync()[i & 1023];
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
      raw: {
        label: '`out.set(big.view())` into a preallocated Float32Array',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const out = new Float32Array(BIG);
          const run = (n) => {
            const src = big.view();
            let s = 0;
            for (let i = 0; i < n; ++i) {
              out.set(src);
              s += out[i & 1023];
            }
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
    },
  },
  {
    id: 'read-into',
    title: 'read(out) of 1M float32 into a caller\'s array, vs TypedArray.set',
    target: { minRatio: 0.8 },
    bytesPerOp: 4 * BIG,
    variants: {
      tensormem: {
        label: '`big.read(out)` (a preallocated Float32Array)',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const out = new Float32Array(BIG);
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += big.read(out)[i & 1023];
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
      raw: {
        label: '`out.set(big.view())`',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const out = new Float32Array(BIG);
          const run = (n) => {
            const src = big.view();
            let s = 0;
            for (let i = 0; i < n; ++i) {
              out.set(src);
              s += out[i & 1023];
            }
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
    },
  },
  {
    id: 'read-vs-slice',
    title: 'read() of 1M float32, vs TypedArray.slice (both allocate)',
    bytesPerOp: 4 * BIG,
    variants: {
      tensormem: {
        label: '`big.read()`',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += big.read()[i & 1023];
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
      raw: {
        label: '`big.view().slice()`',
        setup({ device }) {
          const big = device.tensor(filled(BIG));
          const run = (n) => {
            const src = big.view();
            let s = 0;
            for (let i = 0; i < n; ++i) s += src.slice()[i & 1023];
            return s;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
    },
  },
  {
    id: 'write',
    title: 'write() of 1M float32 (4 MiB), vs TypedArray.set',
    target: { minRatio: 0.8 },
    bytesPerOp: 4 * BIG,
    variants: {
      tensormem: {
        label: '`big.write(values)` (a Float32Array)',
        setup({ device }) {
          const big = device.zeros([BIG]);
          const values = filled(BIG);
          const run = (n) => {
            for (let i = 0; i < n; ++i) big.write(values);
            return n;
          };
          return { run, teardown: () => big.dispose() };
        },
      },
      raw: {
        label: '`big.view().set(values)`',
        setup({ device }) {
          const big = device.zeros([BIG]);
          const values = filled(BIG);
          const run = (n) => {
            const dst = big.view();
            for (let i = 0; i < n; ++i) dst.set(values);
            return dst[n & 1023];
          };
          return { run, teardown: () => big.dispose() };
        },
      },
    },
  },
  {
    id: 'shrink',
    title: 'device.shrink() with 16 MiB live, vs TypedArray.set of 16 MiB between two wasm memories, one unit',
    bytesPerOp: 16 * MIB,
    variants: {
      tensormem: shrinkVariant('`device.shrink()` (a new instance, the images, one copy per buffer)'),
      raw: {
        label: '`to.set(from)`, two 16 MiB `WebAssembly.Memory` buffers',
        setup() {
          const pages = (16 * MIB) / 65536;
          const from = new Uint8Array(new WebAssembly.Memory({ initial: pages }).buffer);
          const to = new Uint8Array(new WebAssembly.Memory({ initial: pages }).buffer);
          from.fill(7);
          const run = (n) => {
            for (let i = 0; i < n; ++i) to.set(from);
            return to[n & 1023];
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'shrink-vs-fresh-copy',
    title: 'device.shrink() with 16 MiB live, vs TypedArray.set of 16 MiB into a new wasm memory each time, one unit',
    bytesPerOp: 16 * MIB,
    variants: {
      tensormem: shrinkVariant('`device.shrink()`'),
      raw: {
        label: '`new WebAssembly.Memory`, `grow` to 16 MiB, `set(from)`: the pages are new, as in a shrink',
        setup() {
          const pages = (16 * MIB) / 65536;
          const from = new Uint8Array(new WebAssembly.Memory({ initial: pages }).buffer);
          from.fill(7);
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) {
              const memory = new WebAssembly.Memory({ initial: 16, maximum: 32768 });
              memory.grow(pages);
              const to = new Uint8Array(memory.buffer);
              to.set(from);
              s += to[i & 1023];
            }
            return s;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'readDataView-x10000',
    title: '10000 × (readDataView of 1 MiB + one access), one unit',
    target: { ratios: [{ column: 'raw', min: 0.5, text: '≤ 2× raw typed arrays' }] },
    variants: {
      tensormem: readDataViewVariant("10000 × `device.readDataView(data, 'float32')[0]` (checked Proxy)"),
      raw: {
        label: '10000 × `new Float32Array(heap, offset, 262144)[0]`',
        setup({ device }) {
          const data = device.createData(MIB);
          const run = (n) => {
            const f = data.view('float32');
            let s = 0;
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 10000; ++i) s += new Float32Array(f.buffer, f.byteOffset, f.length)[0];
            }
            return s;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
    },
  },
  {
    // The readDataView row's target against what a Proxy costs before any
    // check: V8 hands a numeric key to a get trap as a string.
    id: 'readDataView-proxy-floor',
    title: '10000 × readDataView + one access, beside 10000 indexed reads through a Proxy that checks nothing',
    variants: {
      tensormem: readDataViewVariant('as in the readDataView-x10000 row'),
      raw: {
        label: '10000 × `p[0]`, `p = new Proxy({}, { get: () => 1 })`: the trap alone, no view made, nothing checked',
        setup() {
          const p = new Proxy({}, { get: () => 1 });
          const run = (n) => {
            let s = 0;
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 10000; ++i) s += p[0];
            }
            return s;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'readDataView-x10000-cold',
    title: '10000 × (readDataView + one access), first batch in a fresh process',
    target: { maxNs: 10e6, strict: true, note: '(first batch)' },
    cold: 'readDataView-x10000',
    variants: {
      tensormem: { label: 'a new node process: import, `Device.create()`, `createData(1 MiB)`, then the timed batch' },
      raw: { label: 'a new node process: 10000 × `new Float32Array(buffer, 0, 262144)[0]`' },
    },
  },
  {
    id: 'dataView-x10000',
    title: '10000 × (data.view() of 1 MiB + one access), one unit',
    variants: {
      tensormem: {
        label: "10000 × `data.view('float32')[0]` (the fast unchecked view)",
        setup({ device }) {
          const data = device.createData(MIB);
          const run = (n) => {
            let s = 0;
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 10000; ++i) s += data.view('float32')[0];
            }
            return s;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
      raw: {
        label: '10000 × `new Float32Array(heap, offset, 262144)[0]`',
        setup({ device }) {
          const data = device.createData(MIB);
          const run = (n) => {
            const f = data.view('float32');
            let s = 0;
            for (let u = 0; u < n; ++u) {
              for (let i = 0; i < 10000; ++i) s += new Float32Array(f.buffer, f.byteOffset, f.length)[0];
            }
            return s;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
    },
  },
  {
    id: 'proxy-get',
    title: 'readDataView element read, per element (the Proxy compatibility path)',
    opsPerRun: 1024,
    variants: {
      tensormem: {
        label: "`v[i]` on `readDataView(data, 'float32')`, 1024 elements",
        setup({ device }) {
          const data = device.createData(4096);
          const v = device.readDataView(data, 'float32');
          const run = (n) => {
            let s = 0;
            for (let k = 0; k < n; ++k) for (let i = 0; i < 1024; ++i) s += v[i];
            return s;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
      raw: {
        label: "`f[i]` on `data.view('float32')`",
        setup({ device }) {
          const data = device.createData(4096);
          const f = data.view('float32');
          const run = (n) => {
            let s = 0;
            for (let k = 0; k < n; ++k) for (let i = 0; i < 1024; ++i) s += f[i];
            return s;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
    },
  },
  {
    id: 'proxy-set',
    title: 'readDataView element write, per element (the Proxy compatibility path)',
    opsPerRun: 1024,
    variants: {
      tensormem: {
        label: "`v[i] = x` on `readDataView(data, 'float32')`",
        setup({ device }) {
          const data = device.createData(4096);
          const v = device.readDataView(data, 'float32');
          const run = (n) => {
            for (let k = 0; k < n; ++k) for (let i = 0; i < 1024; ++i) v[i] = i + k;
            return n;
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
      raw: {
        label: "`f[i] = x` on `data.view('float32')`",
        setup({ device }) {
          const data = device.createData(4096);
          const f = data.view('float32');
          const run = (n) => {
            for (let k = 0; k < n; ++k) for (let i = 0; i < 1024; ++i) f[i] = i + k;
            return f[5];
          };
          return { run, teardown: () => device.disposeData(data) };
        },
      },
    },
  },

  {
    id: 'split-call',
    title: 'one raw wasm export call (tm_scratch), the floor of every op',
    internal: true,
    variants: {
      raw: {
        label: '`x.tm_scratch()`: a trivial exported C function returning a double',
        setup({ internals: { x } }) {
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += x.tm_scratch();
            return s;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'split-createData',
    title: 'createData(1024) + disposeData: the API vs its wasm calls alone',
    internal: true,
    variants: {
      tensormem: {
        label: 'as in the createData row',
        setup({ device }) {
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const d = device.createData(1024);
              device.disposeData(d);
            }
            return n;
          };
          return { run };
        },
      },
      raw: {
        label: '`x.tm_create_data(1024)`, `x.tm_release(h)`',
        setup({ internals: { x } }) {
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) {
              const h = x.tm_create_data(1024);
              s += x.tm_release(h);
            }
            return s;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'split-reshape',
    title: 'reshape + dispose: the API vs its wasm calls alone',
    internal: true,
    variants: {
      tensormem: {
        label: 'as in the reshape row',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const shape = [50, 200];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = m.reshape(shape);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      raw: {
        label: 'shape into the scratch, `x.tm_reshape(h, 2)`, `x.tm_release(r)`',
        setup({ internals }) {
          const { x } = internals;
          const m = internals.zeros([100, 100]);
          const run = (n) => {
            const s = internals.scratch();
            const b = internals.scratchIndex;
            let sum = 0;
            for (let i = 0; i < n; ++i) {
              s[b] = 50;
              s[b + 1] = 200;
              const r = x.tm_reshape(m, 2);
              sum += x.tm_release(r);
            }
            return sum;
          };
          return { run, teardown: () => x.tm_release(m) };
        },
      },
    },
  },
  {
    id: 'split-slice',
    title: 'slice + dispose: the API vs its wasm calls alone',
    internal: true,
    variants: {
      tensormem: {
        label: 'as in the slice row',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const specs = [[25, 75], [25, 75]];
          const run = (n) => {
            for (let i = 0; i < n; ++i) {
              const r = m.slice(specs);
              r.dispose();
            }
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      raw: {
        label: 'two specs into the scratch, `x.tm_slice(h, 2)`, `x.tm_release(r)`',
        setup({ internals }) {
          const { x } = internals;
          const m = internals.zeros([100, 100]);
          const run = (n) => {
            const s = internals.scratch();
            const b = internals.scratchIndex;
            let sum = 0;
            for (let i = 0; i < n; ++i) {
              for (let d = 0; d < 2; ++d) {
                s[b + 4 * d] = 0; // a range, not a select
                s[b + 4 * d + 1] = 25;
                s[b + 4 * d + 2] = 75;
                s[b + 4 * d + 3] = 1;
              }
              const r = x.tm_slice(m, 2);
              sum += x.tm_release(r);
            }
            return sum;
          };
          return { run, teardown: () => x.tm_release(m) };
        },
      },
    },
  },

  // ---- kernels: a user's C++ function called from JS -------------------------------
  {
    id: 'kernel-call',
    title: 'trivial kernel: sum of a 4-element float32 tensor, returning a number',
    kernels: true,
    target: { ratios: [{ column: 'tfjs', min: 5, text: '≥ 5× faster than tfjs' }] },
    variants: {
      tensormem: {
        label: '`device.kernels.sum(t)` (a C++ kernel, arguments checked in JS and in wasm)',
        setup({ kernels: { test } }) {
          const t = test.tensor(new Float32Array([1, 2, 3, 4]));
          const sum = test.kernels.sum;
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += sum(t);
            return s;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
      tfjs: {
        label: '`tf.sum(t).dataSync()[0]`, `dispose()`',
        setup({ tf }) {
          const t = tf.tensor1d([1, 2, 3, 4]);
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) {
              const r = tf.sum(t);
              s += r.dataSync()[0];
              r.dispose();
            }
            return s;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
      raw: {
        label: 'the raw export alone: handle into the scratch, `x.tm_kernel_call(0, 1)`, the result from the mailbox',
        setup({ kernels: { testInternals: internals } }) {
          const { x } = internals;
          const s0 = internals.scratch();
          const b = internals.scratchIndex;
          s0[b] = 4;
          const h = x.tm_empty(0, 1, 1);
          const mailbox = x.tm_mailbox() / 8;
          const run = (n) => {
            const s = internals.scratch();
            let sum = 0;
            for (let i = 0; i < n; ++i) {
              s[b] = 0;  // a tensor
              s[b + 1] = h;
              if (x.tm_kernel_call(0, 1) < 0) throw new Error('tm_kernel_call failed');
              sum += s[mailbox + 1];
            }
            return sum;
          };
          return { run, teardown: () => x.tm_release(h) };
        },
      },
    },
  },
  {
    id: 'kernel-call-vs-reshape',
    title: 'the trivial kernel call beside a reshape + dispose of the same tensor',
    kernels: true,
    target: { ratios: [{ column: 'raw', min: 1 / 3, text: '≤ 3× reshape + dispose' }] },
    variants: {
      tensormem: {
        label: 'as in the kernel-call row',
        setup({ kernels: { test } }) {
          const t = test.tensor(new Float32Array([1, 2, 3, 4]));
          const sum = test.kernels.sum;
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) s += sum(t);
            return s;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
      raw: {
        label: '`t.reshape([2, 2])`, `dispose()` on the same device and tensor',
        setup({ kernels: { test } }) {
          const t = test.tensor(new Float32Array([1, 2, 3, 4]));
          const shape = [2, 2];
          const run = (n) => {
            for (let i = 0; i < n; ++i) t.reshape(shape).dispose();
            return n;
          };
          return { run, teardown: () => t.dispose() };
        },
      },
    },
  },
  {
    id: 'history-reshape',
    title: 'reshape + dispose while recording a history (device.recordHistory()), beside recording off',
    recording: { maxEvents: 4096 },
    variants: {
      tensormem: {
        label: '`m.reshape([50, 200])`, `dispose()` on a device recording (a full ring: each event replaces the oldest)',
        setup({ recording }) {
          const m = recording.zeros([100, 100]);
          const shape = [50, 200];
          const run = (n) => {
            for (let i = 0; i < n; ++i) m.reshape(shape).dispose();
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
      raw: {
        label: 'the same on a device not recording (the reshape row)',
        setup({ device }) {
          const m = device.zeros([100, 100]);
          const shape = [50, 200];
          const run = (n) => {
            for (let i = 0; i < n; ++i) m.reshape(shape).dispose();
            return n;
          };
          return { run, teardown: () => m.dispose() };
        },
      },
    },
  },
  {
    id: 'history-createData',
    title: 'createData(1024) + disposeData while recording a history, beside recording off',
    recording: { maxEvents: 4096 },
    variants: {
      tensormem: {
        label: '`createData(1024)`, `disposeData(d)` on a device recording',
        setup({ recording }) {
          const run = (n) => {
            for (let i = 0; i < n; ++i) recording.disposeData(recording.createData(1024));
            return n;
          };
          return { run };
        },
      },
      raw: {
        label: 'the same on a device not recording (the createData row)',
        setup({ device }) {
          const run = (n) => {
            for (let i = 0; i < n; ++i) device.disposeData(device.createData(1024));
            return n;
          };
          return { run };
        },
      },
    },
  },
  {
    id: 'spectrogram',
    title: 'spectrogram of 10 s of 44.1 kHz mono, frame 1024, hop 256 (1720 frames × 513 bins), one unit',
    kernels: true,
    tfBackend: 'cpu',
    target: { ratios: [{ column: 'tfjs', min: 2, text: '≥ 2× faster than tfjs' }, { column: 'raw', min: 2, text: '≥ 2× plain JS' }] },
    variants: {
      tensormem: {
        label: "`device.kernels.spectrogram(signal, 1024, 256)` (audio-kernels: radix-2 FFT in C++), `dispose()`",
        setup({ kernels: { audio } }) {
          const signal = audio.tensor(filled(441000));
          const spectrogram = audio.kernels.spectrogram;
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) {
              const r = spectrogram(signal, 1024, 256);
              s += r.size;
              r.dispose();
            }
            return s;
          };
          return { run, teardown: () => signal.dispose() };
        },
      },
      tfjs: {
        label: "`tf.abs(tf.signal.stft(x, 1024, 256))` on tfjs's **cpu** backend: tfjs-backend-wasm has no FFT kernels (\"Kernel 'Complex' not registered for backend 'wasm'\")",
        setup({ tf }) {
          const x = tf.tensor1d(filled(441000));
          const run = (n) => {
            let s = 0;
            for (let i = 0; i < n; ++i) {
              const r = tf.tidy(() => tf.abs(tf.signal.stft(x, 1024, 256)));
              s += r.size;
              r.dispose();
            }
            return s;
          };
          return { run, teardown: () => x.dispose() };
        },
      },
      raw: {
        label: 'plain JS: `signal.read()`, then a radix-2 FFT per frame (Float64Array, precomputed twiddles) into a Float32Array',
        setup({ kernels: { audio } }) {
          const signal = audio.tensor(filled(441000));
          const frame = 1024;
          const hop = 256;
          const bits = new Uint32Array(frame);
          for (let i = 0; i < frame; ++i) bits[i] = [...Array(10)].reduce((r, _, k) => r | (((i >> k) & 1) << (9 - k)), 0);
          const cos = new Float64Array(frame / 2);
          const sin = new Float64Array(frame / 2);
          for (let k = 0; k < frame / 2; ++k) {
            cos[k] = Math.cos((-2 * Math.PI * k) / frame);
            sin[k] = Math.sin((-2 * Math.PI * k) / frame);
          }
          const window = Float64Array.from({ length: frame }, (_, k) => 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / frame));
          const re = new Float64Array(frame);
          const im = new Float64Array(frame);
          const run = (n) => {
            let s = 0;
            for (let u = 0; u < n; ++u) {
              const x = signal.read();
              const frames = 1 + Math.floor((x.length - frame) / hop);
              const out = new Float32Array(frames * (frame / 2 + 1));
              for (let f = 0; f < frames; ++f) {
                for (let k = 0; k < frame; ++k) {
                  re[bits[k]] = window[k] * x[f * hop + k];
                  im[bits[k]] = 0;
                }
                for (let len = 2; len <= frame; len <<= 1) {
                  const step = frame / len;
                  for (let start = 0; start < frame; start += len) {
                    for (let k = 0; k < len / 2; ++k) {
                      const a = start + k;
                      const b = a + len / 2;
                      const wr = cos[k * step];
                      const wi = sin[k * step];
                      const tr = wr * re[b] - wi * im[b];
                      const ti = wr * im[b] + wi * re[b];
                      re[b] = re[a] - tr;
                      im[b] = im[a] - ti;
                      re[a] += tr;
                      im[a] += ti;
                    }
                  }
                }
                for (let b = 0; b <= frame / 2; ++b) out[f * (frame / 2 + 1) + b] = Math.hypot(re[b], im[b]);
              }
              s += out.length;
            }
            return s;
          };
          return { run, teardown: () => signal.dispose() };
        },
      },
    },
  },
];
