// Shared setup for the node:test suite: locates the installed npm packages and
// offers the assertions every test file uses.
//
// Run from the repository root:  node --test --expose-gc tests/js/
// The tests import tensormem as users do, from the project scripts/pack-js.sh
// installs the tarballs into (build/js-test/node_modules). TENSORMEM_JS_PACKAGE,
// TENSORMEM_TEST_KERNELS_PACKAGE and TENSORMEM_EXAMPLE_KERNELS_PACKAGE may name
// other package directories (absolute paths).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testProject = path.join(repo, 'build', 'js-test');

// Where each package is built (scripts/build-js.sh, scripts/build-example-kernels.sh).
const BUILT = {
  'tensormem': 'build/wasm/bindings/js/package',
  'tensormem-test-kernels': 'build/wasm/tests/js/kernels/package',
  'audio-kernels': 'build/example-kernels/build/audio-kernels',
};
const ENV = {
  'tensormem': 'TENSORMEM_JS_PACKAGE',
  'tensormem-test-kernels': 'TENSORMEM_TEST_KERNELS_PACKAGE',
  'audio-kernels': 'TENSORMEM_EXAMPLE_KERNELS_PACKAGE',
};

// The directory of an installed package: from its environment variable, else the
// test project's, checked to be installed and no older than its build.
export function installedPackage(name) {
  const override = process.env[ENV[name]];
  const dir = path.resolve(override || path.join(testProject, 'node_modules', name));
  if (!existsSync(path.join(dir, 'package.json')) || (!override && !existsSync(path.join(testProject, 'installed.json')))) {
    throw new Error(`${name} is not installed at ${dir}: run bash scripts/pack-js.sh ` +
                    `(or set ${ENV[name]} to a package directory)`);
  }
  if (!override) {
    const record = JSON.parse(readFileSync(path.join(testProject, 'installed.json'), 'utf8'))[name];
    const built = path.join(repo, BUILT[name], 'package.json');
    if (record && existsSync(built) && statSync(built).mtimeMs > statSync(record.tarball).mtimeMs) {
      throw new Error(`${name} was rebuilt after ${record.tarball} was packed: run TM_SKIP_BUILD=1 bash scripts/pack-js.sh`);
    }
  }
  return dir;
}

export const packageDir = installedPackage('tensormem');
export const entryPath = path.join(packageDir, 'index.mjs');
export const entryUrl = pathToFileURL(entryPath).href;

const pkg = await import(entryUrl);
export const { Device, TensorMemError, version } = pkg;

export const MiB = 1024 * 1024;

// Asserts fn() throws a TensorMemError (and Error) with `code` (or one of an
// array of codes, where the contract allows either); `message` is the exact
// text (string) or a RegExp it must match. Returns the error.
export function expectError(fn, code, message) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  checkError(error, code, message);
  return error;
}

// The same for a function returning a promise (or throwing synchronously).
export async function expectRejection(fn, code, message) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  checkError(error, code, message);
  return error;
}

function checkError(error, code, message) {
  assert.ok(error !== undefined, `expected a TensorMemError ${code}, but nothing was thrown`);
  assert.ok(error instanceof TensorMemError,
            `expected a TensorMemError ${code}, got ${error?.name}: ${error?.message}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'TensorMemError');
  if (Array.isArray(code)) assert.ok(code.includes(error.code), `code ${error.code} of: ${error.message}`);
  else assert.equal(error.code, code, `code of: ${error.message}`);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message instanceof RegExp) assert.match(error.message, message);
}

// Forces garbage collection and lets FinalizationRegistry callbacks run.
// Needs node --expose-gc.
export async function collectGarbage(rounds = 4) {
  assert.equal(typeof globalThis.gc, 'function', 'run node with --expose-gc');
  for (let i = 0; i < rounds; ++i) {
    await tick();
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await tick();
  }
}

// Collects garbage until condition() holds (finalizers run late); false if it never does.
export async function collectUntil(condition, maxRounds = 40) {
  for (let i = 0; i < maxRounds; ++i) {
    if (condition()) return true;
    await collectGarbage(1);
  }
  return condition();
}

// Creates a device and disposes it when the test ends.
export async function withDevice(t, options) {
  const device = await Device.create(options);
  t.after(() => device.dispose());
  return device;
}

// Counters that must return to their starting values once everything is disposed.
export function liveCounts(device) {
  const s = device.getMemoryStats();
  return { liveBuffers: s.liveBuffers, liveData: s.liveData, liveTensors: s.liveTensors, bytesInUse: s.bytesInUse };
}

// --- a plain-JS reference model for strided tensors ---------------------------

export const product = (shape) => shape.reduce((a, b) => a * b, 1);

export function rowMajorStrides(shape) {
  const strides = new Array(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= Math.max(shape[d], 1);
  }
  return strides;
}

// Every index of `shape` in row-major order.
export function* indices(shape) {
  if (shape.some((s) => s === 0)) return;
  const index = new Array(shape.length).fill(0);
  for (;;) {
    yield index.slice();
    let d = shape.length - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Nested arrays of `shape` whose element at idx is at(idx) (a scalar for []).
export function build(shape, at, prefix = []) {
  if (prefix.length === shape.length) return at(prefix);
  const out = [];
  for (let i = 0; i < shape[prefix.length]; ++i) out.push(build(shape, at, [...prefix, i]));
  return out;
}

// 0, 1, 2, ... as nested arrays of shape.
export const iota = (shape) => build(shape, (idx) => idx.reduce((acc, i, d) => acc * shape[d] + i, 0));

// Python-style range of a slice spec over a dim of `size` (no clamping; specs
// used with this are valid).
export function sliceRange(spec, size) {
  if (spec === null) return [...Array(size).keys()];
  const [start, stop, step = 1] = spec;
  const out = [];
  if (step > 0) {
    let i = start === null ? 0 : start < 0 ? start + size : start;
    const end = stop === null ? size : stop < 0 ? stop + size : stop;
    for (; i < end; i += step) out.push(i);
  } else {
    let i = start === null ? size - 1 : start < 0 ? start + size : start;
    const end = stop === null ? -1 : stop < 0 ? stop + size : stop;
    for (; i > end; i += step) out.push(i);
  }
  return out;
}

// Checks a tensor against the layout it reports: every element equals the base
// buffer's element at offset + sum(index * stride), and read()/toArray() list
// the elements in row-major order. `flat` is the base buffer's content.
export function assertLayoutConsistent(t, flat) {
  const shape = [...t.shape];
  const strides = [...t.strides];
  assert.equal(t.ndim, shape.length);
  assert.equal(strides.length, shape.length);
  assert.equal(t.size, product(shape));
  const expected = [];
  for (const idx of indices(shape)) {
    const element = flat[t.offset + idx.reduce((acc, i, d) => acc + i * strides[d], 0)];
    expected.push(element);
    assert.equal(t.get(...idx), element, `element [${idx}] of shape [${shape}]`);
  }
  assert.deepEqual(Array.from(t.read()), expected);
}

// Allocates until the wasm memory grows (every typed array over the old
// memory is detached then). Returns the buffers it made; the caller disposes them.
export function growHeap(device, chunk = 16 * MiB) {
  const before = device.getMemoryStats().wasmHeapBytes;
  const held = [];
  while (device.getMemoryStats().wasmHeapBytes === before) {
    assert.ok(held.length < 64, 'the wasm heap did not grow');
    held.push(device.createData(chunk));
  }
  return held;
}

// --- hostile inputs ---------------------------------------------------------------

// A typed array whose buffer was transferred away (length 0, every use throws).
export function detached(Type = Float32Array, length = 4) {
  const array = new Type(length);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

// `list` with a getter at `index` that runs `sideEffect()` and then gives the
// value the list held there. Returns the list.
export function withGetter(list, index, sideEffect) {
  const value = list[index];
  Object.defineProperty(list, index, { get() { sideEffect(); return value; }, enumerable: true });
  return list;
}

// An object whose valueOf, toString and Symbol.toPrimitive count their calls
// and return `value`; `calls.count` says whether anything coerced it.
export function coercible(value, calls = { count: 0 }) {
  const convert = () => { calls.count++; return value; };
  return { valueOf: convert, toString: convert, [Symbol.toPrimitive]: convert, calls };
}
