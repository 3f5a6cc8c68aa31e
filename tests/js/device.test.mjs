// Loading and creating devices: version, wasm loading options, isolation of
// devices, and the encapsulation of internal state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Device, TensorMemError, version, packageDir, entryUrl, expectError, expectRejection, withDevice, growHeap,
} from './support.mjs';

const run = promisify(execFile);
const wasmPath = path.join(packageDir, 'tensormem.wasm');

// Runs an ES module snippet in a fresh node process (the compiled module is
// cached per process, so loader options only matter in the first create()).
async function fresh(body) {
  const source = `import { Device } from ${JSON.stringify(entryUrl)};\n${body}`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', source], { timeout: 60000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

test('version is the package.json version', () => {
  const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'tensormem');
  assert.equal(typeof version, 'string');
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal(version, pkg.version);
});

test('Device.create resolves to a usable device; each device has its own memory', async (t) => {
  const pending = Device.create();
  assert.ok(pending instanceof Promise);
  const a = await pending;
  t.after(() => a.dispose());
  const b = await withDevice(t, { maxMemory: Infinity });
  assert.ok(a instanceof Device);
  const ta = a.tensor([1, 2, 3]);
  const tb = b.tensor([4, 5, 6]);
  const heapOfA = a.getMemoryStats().wasmHeapBytes;
  const held = growHeap(b);
  assert.equal(a.getMemoryStats().wasmHeapBytes, heapOfA);
  assert.equal(a.getMemoryStats().liveTensors, 1);
  assert.equal(a.getMemoryStats().liveBuffers, 1);
  assert.deepEqual(ta.toArray(), [1, 2, 3]);
  assert.deepEqual(tb.toArray(), [4, 5, 6]);
  for (const h of held) h.dispose();
});

test('device[Symbol.dispose] disposes the device', async () => {
  const device = await Device.create();
  const x = device.zeros([2]);
  assert.equal(typeof device[Symbol.dispose], 'function');
  device[Symbol.dispose]();
  assert.equal(device.isDisposed, true);
  expectError(() => x.get(0), 'DISPOSED');
});

test('wasmBinary accepts the .wasm bytes as Uint8Array, ArrayBuffer or a compiled module', async () => {
  const bytes = readFileSync(wasmPath);
  const u8 = new Uint8Array(bytes);
  const module = await WebAssembly.compile(u8);
  for (const wasmBinary of [u8, u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength), module]) {
    const device = await Device.create({ wasmBinary });
    assert.deepEqual(device.tensor([[1, 2], [3, 4]]).transpose(0, 1).toArray(), [[1, 3], [2, 4]]);
    device.dispose();
  }
});

test('a fresh process loads the wasm through locateFile, called with tensormem.wasm', async () => {
  const result = await fresh(`
    const asked = [];
    const device = await Device.create({ locateFile: (file) => { asked.push(file); return ${JSON.stringify(wasmPath)}; } });
    console.log(JSON.stringify({ asked, value: device.tensor([5, 6]).get(1) }));
  `);
  assert.deepEqual(result.asked, ['tensormem.wasm']);
  assert.equal(result.value, 6);
});

test('a fresh process loads the wasm from wasmUrl given as a URL or a path', async () => {
  for (const expr of [`new URL(${JSON.stringify(pathToFileURL(wasmPath).href)})`, JSON.stringify(wasmPath)]) {
    const result = await fresh(`
      const device = await Device.create({ wasmUrl: ${expr} });
      console.log(JSON.stringify({ value: device.tensor([5, 6]).get(0) }));
    `);
    assert.equal(result.value, 5);
  }
});

test('a fresh process with a wasmUrl that does not exist gets a rejected create()', async () => {
  const result = await fresh(`
    let outcome;
    try {
      await Device.create({ wasmUrl: '/nonexistent/dir/tensormem.wasm' });
      outcome = 'resolved';
    } catch (e) {
      outcome = e instanceof Error ? 'rejected' : 'rejected with a non-Error';
    }
    console.log(JSON.stringify({ outcome }));
  `);
  assert.equal(result.outcome, 'rejected');
});

test('internal handles are private: assigning them throws, and no handle-like property is exposed', async (t) => {
  const device = await withDevice(t);
  const data = device.createData(64);
  const tensor = device.zeros([2]);
  for (const object of [data, tensor]) {
    const e = expectError(() => { object.wasmHandle = null; }, 'INVALID_ARGUMENT');
    assert.match(e.message, /^Cannot set property wasmHandle/);
    expectError(() => { object.handle = 5; }, 'INVALID_ARGUMENT', /^Cannot set property handle/);
    assert.throws(() => { object.id = 99; }, TypeError);
    const names = new Set([...Object.getOwnPropertyNames(object), ...Object.getOwnPropertyNames(Object.getPrototypeOf(object))]);
    for (const name of names) assert.doesNotMatch(name, /handle|ptr|pointer|address/i, `exposed property ${name}`);
  }
  assert.throws(() => { data.byteLength = 1; }, TypeError);
  assert.equal(data.byteLength, 64);
  assert.equal(tensor.get(0), 0);
});

test('TensorMemError is exported and is what the package throws', async (t) => {
  const device = await withDevice(t);
  let caught;
  try {
    device.zeros([2]).get(3);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TensorMemError);
  assert.equal(Object.getPrototypeOf(TensorMemError.prototype), Error.prototype);
});

test('Device.create reads each option once; a revoked Proxy as options is INVALID_ARGUMENT', async () => {
  const reads = {};
  const options = {};
  for (const [key, value] of Object.entries({ maxMemory: 64 * 1024 * 1024, compactThreshold: 0.5, autoCompact: false,
    debug: false, wasmUrl: undefined, wasmBinary: undefined, locateFile: undefined })) {
    Object.defineProperty(options, key, { get() { reads[key] = (reads[key] ?? 0) + 1; return value; } });
  }
  const device = await Device.create(options);
  assert.deepEqual(Object.values(reads), [1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(device.options, { maxMemory: 64 * 1024 * 1024, compactThreshold: 0.5, autoCompact: false, debug: false,
    autoShrink: null });
  device.dispose();
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  await expectRejection(() => Device.create(proxy), 'INVALID_ARGUMENT',
    'Device.create: options is a revoked Proxy; it must be an object');
});
