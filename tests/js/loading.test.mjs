// Loading the runtime, its limits, and letting go of it: bad modules and
// options are clear errors, the heap running out is OUT_OF_MEMORY with a
// device that recovers, and a disposed device's memory can be collected
// while the app still holds its objects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { Device, MiB, collectGarbage, expectError, expectRejection, packageDir } from './support.mjs';

const wasmBytes = readFileSync(path.join(packageDir, 'tensormem.wasm'));

test('wasmBinary that is not WebAssembly is INVALID_ARGUMENT naming the problem', async () => {
  await expectRejection(() => Device.create({ wasmBinary: new Uint8Array([1, 2, 3, 4]) }), 'INVALID_ARGUMENT',
    /^Device\.create: wasmBinary is not a valid WebAssembly module \(.*\)$/);
  await expectRejection(() => Device.create({ wasmBinary: new Uint8Array(0) }), 'INVALID_ARGUMENT',
    'Device.create: wasmBinary is empty (0 bytes; a detached buffer has none either)');
  await expectRejection(() => Device.create({ wasmBinary: 'tensormem.wasm' }), 'INVALID_ARGUMENT',
    'Device.create: wasmBinary is "tensormem.wasm"; it must be bytes or a WebAssembly.Module');
});

test('a WebAssembly module that is not a tensormem runtime is refused before it runs', async () => {
  // (module (func (export "f")))
  const other = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10,
    4, 1, 2, 0, 11]);
  await expectRejection(() => Device.create({ wasmBinary: other }), 'INVALID_ARGUMENT',
    'Device.create: wasmBinary is not a tensormem runtime (it exports no tm_abi)');
  await expectRejection(() => Device.create({ wasmUrl: path.join(packageDir, 'no-such.wasm') }), 'INVALID_ARGUMENT',
    /^Device\.create: cannot read file:\/\/.*no-such\.wasm \(ENOENT\)$/);
});

test('maxMemory beyond what the wasm heap can ever hold is refused, not wrapped around', async () => {
  for (const limit of [2 ** 32, 2 ** 32 + 100, 2 ** 31 + 1]) {
    await expectRejection(() => Device.create({ maxMemory: limit, wasmBinary: wasmBytes }), 'INVALID_ARGUMENT',
      `Device.create: maxMemory ${limit} is more than the wasm heap can ever hold (2147483648 bytes); use Infinity ` +
      "for no limit but the heap's");
  }
  await expectRejection(() => Device.create({ maxMemory: 2 ** 53 }), 'INVALID_ARGUMENT',
    'Device.create: maxMemory is 9007199254740992; it must be at most 2^53 - 1 in magnitude (larger numbers are not ' +
    'exact)');
  const device = await Device.create({ maxMemory: 2 ** 31 });
  assert.equal(device.getMemoryStats().maxMemory, 2 ** 31);
  device.dispose();
});

test('exhausting the 2 GiB heap is OUT_OF_MEMORY; stats, listings and later work still go', async () => {
  const device = await Device.create({ maxMemory: Infinity });
  const held = [];
  let error;
  try {
    for (;;) held.push(device.createData(256 * MiB));
  } catch (e) {
    error = e;
  }
  assert.equal(error?.code, 'OUT_OF_MEMORY', String(error));
  assert.match(error.message, /^Out of memory: the system allocator could not provide 268435456 bytes/);
  // Small things still fit in what is left, or fail the same clean way.
  for (let i = 0; i < 100; i++) {
    try {
      device.createData(1 << 20).dispose();
    } catch (e) {
      assert.equal(e.code, 'OUT_OF_MEMORY', String(e));
    }
  }
  const stats = device.getMemoryStats();
  assert.equal(stats.liveData, held.length);
  assert.ok(stats.failedAllocations >= 1);
  assert.equal(device.liveAllocations().length, held.length);
  for (const data of held) data.dispose();
  device.compact();
  const t = device.zeros([64 * MiB / 4]);
  assert.equal(t.size, 16 * MiB, 'the device recovers once memory is freed');
  t.dispose();
  device.dispose();
});

test('after device.dispose() its wasm memory can be collected while the app holds its objects', async () => {
  // Resident memory, not arrayBuffers: node does not count wasm memory there.
  await collectGarbage();
  const baseline = process.memoryUsage().rss;
  const device = await Device.create({ maxMemory: Infinity });
  const keep = [device.createData(256 * MiB), device.zeros([1024])];  // zero-filled: every page touched
  const view = device.readDataView(keep[0]);
  const grown = process.memoryUsage().rss;
  assert.ok(grown > baseline + 200 * MiB, `${(grown - baseline) / MiB} MiB more after allocating 256 MiB`);
  device.dispose();
  await collectGarbage(8);
  const after = process.memoryUsage().rss;
  assert.ok(after < grown - 200 * MiB, `only ${(grown - after) / MiB} MiB of 256 given back after dispose`);
  expectError(() => keep[1].read(), 'DISPOSED', /belongs to a device that was disposed$/);
  expectError(() => view[0], 'DISPOSED', 'View is no longer valid: buffer has been disposed');
  assert.equal(keep.length, 2);
});
