// device.kernels: C++ kernels compiled into a package's runtime, called from JS.
// The package under test is tensormem's own test kernel package
// (tests/js/kernels/test_kernels.cpp, built by tensormem_add_js_package like a
// user's); the example audio-kernels package has its own test file.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { Device as BaseDevice, MiB, collectUntil, expectError, installedPackage, liveCounts } from './support.mjs';

const kernelsDir = installedPackage('tensormem-test-kernels');
const { Device, TensorMemError } = await import(pathToFileURL(path.join(kernelsDir, 'index.mjs')).href);

async function device(t, options) {
  const d = await Device.create(options);
  t.after(() => d.dispose());
  return d;
}

test('every registered kernel is a method of device.kernels, with its signature', async (t) => {
  const d = await device(t);
  assert.ok(Object.isFrozen(d.kernels));
  assert.deepEqual(Object.keys(d.kernels).slice(0, 4), ['sum', 'fill', 'iota', 'same']);
  assert.deepEqual(d.kernels.iota.signature, {
    name: 'iota', doc: 'int32 [0, 1, ..., n - 1].', args: [{ name: 'n', type: 'int32' }],
    returns: { type: 'tensor', dtype: 'int32' },
  });
  assert.equal(d.kernels.sum.name, 'sum');
  const base = await BaseDevice.create();
  t.after(() => base.dispose());
  assert.deepEqual(Object.keys(base.kernels), [], 'the bare runtime has no kernels');
});

test('a kernel reads any strided view and returns a number', async (t) => {
  const d = await device(t);
  const m = d.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(d.kernels.sum(m), 21);
  assert.equal(d.kernels.sum(m.transpose().slice([[null, null, -1]])), 21);
  assert.equal(d.kernels.sum(m.select(1, 2)), 9);
  assert.equal(d.kernels.sum(m.slice([[0, 1], [0, 1]]).expand([4, 1])), 4);
});

test('a kernel writes in place through a view, and a read-only view is refused', async (t) => {
  const d = await device(t);
  const m = d.zeros([2, 3]);
  d.kernels.fill(m.select(0, 1), 7);
  assert.deepEqual(m.toArray(), [[0, 0, 0], [7, 7, 7]]);
  expectError(() => d.kernels.fill(m.select(0, 0).unsqueeze(0).expand([2, 3]), 1), 'READ_ONLY',
    'fill: argument x is read-only (a view that repeats elements, as expand() makes); it must be writable');
});

test('tensor results are Tensors under every lifetime rule', async (t) => {
  const d = await device(t, { debug: true });
  const before = liveCounts(d);
  const r = d.kernels.iota(5);
  try {
    assert.equal(r.dtype, 'int32');
    assert.deepEqual(Array.from(r.read()), [0, 1, 2, 3, 4]);
    const live = d.liveAllocations().find((a) => a.id === r.id);
    assert.equal(live.kind, 'tensor');
    assert.deepEqual(live.shape, [5]);
    assert.match(live.stack, /kernels\.test\.mjs/);
  } finally {
    r[Symbol.dispose]();  // what `using` calls
  }
  const kept = d.scope(() => {
    d.kernels.iota(100);
    return d.kernels.iota(3);
  });
  assert.deepEqual(Array.from(kept.read()), [0, 1, 2]);
  kept.dispose();
  assert.deepEqual(liveCounts(d), before);
  const x = d.tensor([1, 2, 3]);
  const tail = x.slice([[1, null]]);
  const y = d.kernels.same(tail);
  assert.notEqual(y, tail);
  assert.ok(y.sharesStorage(x));
  assert.deepEqual(Array.from(y.read()), [2, 3]);
  x.dispose();
  tail.dispose();
  assert.deepEqual(Array.from(y.read()), [2, 3], 'the result holds the buffer');
  y.dispose();
  assert.deepEqual(liveCounts(d), before);
});

test('a kernel result left to the garbage collector is reclaimed by the safety net', async (t) => {
  const d = await device(t);
  (() => { d.kernels.iota(1000); })();
  assert.ok(await collectUntil(() => d.getMemoryStats().leaksReclaimed === 1));
  assert.equal(d.getMemoryStats().liveTensors, 0);
});

test('arguments are checked in JS before anything reaches wasm', async (t) => {
  const d = await device(t);
  const other = await device(t);
  const x = d.tensor([1, 2]);
  expectError(() => d.kernels.sum(new Float32Array(2)), 'INVALID_ARGUMENT',
    'sum: argument x is a Float32Array; it must be a Tensor');
  expectError(() => d.kernels.sum({}), 'INVALID_ARGUMENT', 'sum: argument x is an object; it must be a Tensor');
  expectError(() => d.kernels.sum(other.tensor([1])), 'INVALID_ARGUMENT',
    'sum: argument x belongs to another device');
  expectError(() => d.kernels.sum(), 'INVALID_ARGUMENT', 'sum: takes 1 argument (x), got 0');
  expectError(() => d.kernels.fill(x, 1, 2), 'INVALID_ARGUMENT', 'fill: takes 2 arguments (x, value), got 3');
  expectError(() => d.kernels.iota('3'), 'INVALID_ARGUMENT', 'iota: argument n is "3"; it must be an integer (int32)');
  expectError(() => d.kernels.echoBool(1), 'INVALID_ARGUMENT', 'echoBool: argument v is 1; it must be a boolean');
  expectError(() => d.kernels.echoFloat32(1n), 'INVALID_ARGUMENT',
    'echoFloat32: argument v is 1n; it must be a number (float32)');
  const disposed = d.tensor([1]);
  disposed.dispose();
  expectError(() => d.kernels.sum(disposed), 'DISPOSED', /^sum: Tensor #\d+ was disposed$/);
});

test('no user code runs while arguments are checked: objects are refused, never coerced', async (t) => {
  const d = await device(t);
  let called = 0;
  const sneaky = { valueOf() { called++; return 3; }, [Symbol.toPrimitive]() { called++; return 3; } };
  expectError(() => d.kernels.iota(sneaky), 'INVALID_ARGUMENT', 'iota: argument n is an object; it must be an integer (int32)');
  const x = d.tensor([1, 2]);
  // A Proxy of a Tensor is not a Tensor; none of its property traps runs (the
  // message may ask its prototype, after the refusal).
  const proxy = new Proxy(x, { get() { called++; throw new Error('trap ran'); } });
  expectError(() => d.kernels.sum(proxy), 'INVALID_ARGUMENT', 'sum: argument x is an object that looks like a Tensor but is not one (a Proxy of one, one from another copy of ' +
    "tensormem, or another library's Tensor); it must be a Tensor");
  assert.equal(called, 0);
});

test('the runtime checks each declared constraint, naming kernel, argument and value', async (t) => {
  const d = await device(t);
  expectError(() => d.kernels.sum(d.tensor([1, 2], { dtype: 'int32' })), 'DTYPE_MISMATCH',
    'sum: argument x is int32; it must be float32');
  expectError(() => d.kernels.iota(2.5), 'INVALID_ARGUMENT', 'iota: argument n is 2.5; it must be an integer (int32)');
  expectError(() => d.kernels.iota(2 ** 31), 'INVALID_ARGUMENT',
    'iota: argument n is 2147483648; it must be an integer in [-2147483648, 2147483647] (int32)');
  expectError(() => d.kernels.iota(NaN), 'INVALID_ARGUMENT', 'iota: argument n is NaN; it must be an integer (int32)');
  expectError(() => d.kernels.iota(-1), 'INVALID_SHAPE', /^iota: /);
});

test('scalars cross exactly in both directions, bigints included', async (t) => {
  const d = await device(t);
  const k = d.kernels;
  assert.equal(k.echoInt8(-128), -128);
  assert.equal(k.echoInt8(127n), 127);
  assert.equal(k.echoUint8(255), 255);
  assert.equal(k.echoInt32(-(2 ** 31)), -(2 ** 31));
  assert.equal(k.echoUint32(2 ** 32 - 1), 2 ** 32 - 1);
  assert.equal(k.echoInt64(-(2n ** 63n)), -(2n ** 63n));
  assert.equal(k.echoInt64(2n ** 63n - 1n), 2n ** 63n - 1n);
  assert.equal(k.echoInt64(-5), -5n);
  assert.equal(k.echoUint64(2n ** 64n - 1n), 2n ** 64n - 1n);
  assert.equal(k.echoFloat32(0.1), Math.fround(0.1));
  assert.ok(Number.isNaN(k.echoFloat32(NaN)));
  assert.equal(k.echoBool(true), true);
  assert.equal(k.echoBool(false), false);
  expectError(() => k.echoInt8(128), 'INVALID_ARGUMENT', 'echoInt8: argument v is 128; it must be an integer in [-128, 127] (int8)');
  expectError(() => k.echoUint8(-1n), 'INVALID_ARGUMENT', 'echoUint8: argument v is -1n; it must be an integer in [0, 255] (uint8)');
  expectError(() => k.echoInt64(2n ** 63n), 'INVALID_ARGUMENT',
    'echoInt64: argument v is 9223372036854775808n; it must be an integer in [-9223372036854775808, 9223372036854775807] (int64)');
  expectError(() => k.echoUint64(-1n), 'INVALID_ARGUMENT',
    'echoUint64: argument v is -1n; it must be an integer in [0, 18446744073709551615] (uint64)');
});

test('what a kernel throws is a TensorMemError, and 100k failing calls leak nothing', async (t) => {
  const d = await device(t, { maxMemory: 8 * MiB });
  expectError(() => d.kernels.throwsStd(), 'KERNEL_FAILED', 'throwsStd failed: the kernel gave up');
  expectError(() => d.kernels.wrongDtype(), 'KERNEL_FAILED', 'wrongDtype returned a int16 tensor; it declares float32');
  expectError(() => d.kernels.iota(1e8), 'MEMORY_LIMIT', /^iota: Memory limit exceeded: requested 400000000 bytes/);
  const before = liveCounts(d);
  const heap = d.getMemoryStats().wasmHeapBytes;
  const ints = d.tensor([1, 2], { dtype: 'int32' });
  for (let i = 0; i < 100000; i++) {
    try {
      if (i % 2 === 0) d.kernels.allocatesThenThrows(256);
      else d.kernels.sum(ints);
      assert.fail('no error');
    } catch (error) {
      assert.ok(error instanceof TensorMemError, String(error));
    }
  }
  ints.dispose();
  assert.deepEqual(liveCounts(d), before);
  assert.equal(d.getMemoryStats().wasmHeapBytes, heap);
  assert.equal(d.kernels.sum(d.tensor([1, 2])), 3, 'the device is still usable');
});

test('a kernel that traps loses its device, which frees it; the app and other devices go on', async (t) => {
  for (const [kernel, args] of [['traps', []], ['overflowsStack', [1 << 20]]]) {
    const d = await Device.create();
    const other = await Device.create();
    const x = d.tensor([1, 2, 3]);
    const error = expectError(() => d.kernels[kernel](...args), 'KERNEL_FAILED',
      new RegExp(`^${kernel} trapped \\(RuntimeError: .+\\); the device was lost and disposed`));
    assert.ok(error instanceof TensorMemError);
    assert.equal(d.isDisposed, true);
    expectError(() => x.read(), 'DISPOSED', new RegExp(`belongs to a device that was lost \\(kernel ${kernel} trapped`));
    expectError(() => d.kernels.sum(x), 'DISPOSED', new RegExp(`^sum: the device was lost \\(kernel ${kernel} trapped`));
    assert.equal(other.kernels.sum(other.tensor([4, 5])), 9);
    other.dispose();
    d.dispose();  // idempotent after a loss
  }
});

test('after device.dispose() every kernel call is DISPOSED', async () => {
  const d = await Device.create();
  const x = d.tensor([1]);
  d.dispose();
  expectError(() => d.kernels.sum(x), 'DISPOSED', 'sum: the device was disposed');
});
