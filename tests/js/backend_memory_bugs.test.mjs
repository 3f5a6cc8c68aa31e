// The memory bugs of a tensor library's WASM backend, one section each (view
// lifetimes, zero-copy ops, bounds, needless copies, memory pressure, handle
// mutation, reference counting): each test is a way that backend failed, and
// asserts tensormem does not. Its two timed benchmarks are correctness runs of
// the same loops here: tests assert no timings (bench/js times them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, withDevice as createDevice, MiB, liveCounts } from './support.mjs';

describe('1. View Lifetime Management', () => {
  it('should prevent use-after-free when buffer is disposed', async (t) => {
    const device = await createDevice(t);
    const data = device.createData(1024);
    const view = device.readDataView(data, 'float32');

    view[0] = 42;
    assert.equal(view[0], 42);

    device.disposeData(data);

    expectError(() => { view[0] = 123; }, 'DISPOSED', /View is no longer valid: buffer has been disposed/);
    expectError(() => view[0], 'DISPOSED', /View is no longer valid: buffer has been disposed/);
  });

  it('should invalidate all views when buffer is released to pool', async (t) => {
    const device = await createDevice(t);
    const data1 = device.createData(1024);
    const view1 = device.readDataView(data1, 'float32');

    device.disposeData(data1);

    const data2 = device.createData(1024);  // may reuse the same memory
    const view2 = device.readDataView(data2, 'float32');

    view2[0] = 999;
    expectError(() => view1[0], 'DISPOSED');
    assert.equal(view2[0], 999);
  });

  it('(fixed) should properly track view validity', async (t) => {
    const device = await createDevice(t);
    const data = device.createData(1024);
    const view = device.readDataView(data, 'float32');

    view[0] = 42;
    assert.equal(view[0], 42);

    device.disposeData(data);

    expectError(() => { view[0] = 123; }, 'DISPOSED', /View is no longer valid: buffer has been disposed/);
  });
});

describe('2. Incomplete Zero-Copy Operations', () => {
  it('should properly reshape tensors', async (t) => {
    const device = await createDevice(t);
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const tensor = device.tensor(data);

    const reshaped = tensor.reshape([2, 3]);
    assert.deepEqual([...reshaped.shape], [2, 3]);
    assert.deepEqual(reshaped.read(), data);

    // A view, not a copy: the write is seen by the original.
    assert.equal(reshaped.sharesStorage(tensor), true);
    reshaped.view()[0] = 999;
    assert.equal(tensor.read()[0], 999);
    reshaped.set(-1, 1, 2);
    assert.equal(tensor.get(5), -1);
  });

  it('should properly flatten tensors', async (t) => {
    const device = await createDevice(t);
    const tensor = device.tensor([[1, 2, 3], [4, 5, 6]]);

    const flattened = tensor.flatten();
    assert.deepEqual([...flattened.shape], [6]);
    assert.deepEqual(Array.from(flattened.read()), [1, 2, 3, 4, 5, 6]);
    assert.equal(flattened.sharesStorage(tensor), true);
  });

  it('(fixed) should reshape without copying data', async (t) => {
    const device = await createDevice(t);
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const tensor = device.tensor(data);

    const reshaped = tensor.reshape([2, 3]);
    assert.deepEqual([...reshaped.shape], [2, 3]);
    assert.deepEqual(Array.from(reshaped.read()), [1, 2, 3, 4, 5, 6]);
    assert.equal(reshaped.sharesStorage(tensor), true);
    assert.equal(reshaped.view().byteOffset, tensor.view().byteOffset);
  });
});

describe('3. Type Safety and Bounds Checking', () => {
  it('should handle out-of-bounds access safely', async (t) => {
    const device = await createDevice(t);
    const tensor = device.tensor([1, 2, 3]);

    // "Slice index 10 ..." would not say which bound: the message names start and stop.
    expectError(() => tensor.slice([[0, 10]]), 'OUT_OF_BOUNDS',
                /^Slice stop 10 is out of bounds for dimension of size 3/);

    const badStrides = () => {
      const data = device.createData(12);  // 3 float32s
      const view = device.readDataView(data, 'float32');
      const badIndex = 999;
      return view[badIndex];
    };
    expectError(badStrides, 'OUT_OF_BOUNDS', 'Index 999 out of bounds for array of length 3');
  });

  it('(fixed) should validate slice indices', async (t) => {
    const device = await createDevice(t);
    const tensor = device.tensor([1, 2, 3]);

    expectError(() => tensor.slice([[0, 10]]), 'OUT_OF_BOUNDS', /Slice stop 10 is out of bounds/);
    expectError(() => tensor.slice([[-5, 2]]), 'OUT_OF_BOUNDS', /Slice start -5 is out of bounds/);

    const valid = tensor.slice([[0, 2]]);
    assert.deepEqual(valid.toArray(), [1, 2]);
  });
});

describe('4. Unnecessary Memory Allocations', () => {
  it('should not allocate unnecessary buffers', async (t) => {
    const device = await createDevice(t);

    let allocations = 0;
    const originalArrayBuffer = globalThis.ArrayBuffer;
    globalThis.ArrayBuffer = new Proxy(originalArrayBuffer, {
      construct(target, args) {
        allocations++;
        return Reflect.construct(target, args);
      },
    });
    let data;
    try {
      data = device.createData(1024);
    } finally {
      globalThis.ArrayBuffer = originalArrayBuffer;
    }
    assert.equal(allocations, 0);
    assert.equal(data.byteLength, 1024);
  });

  it('should not grow JS ArrayBuffer memory by the size of createData', async (t) => {
    const device = await createDevice(t);
    device.createData(4 * MiB).dispose();  // the wasm heap has room now; the block is cached
    const before = process.memoryUsage().arrayBuffers;
    const data = device.createData(4 * MiB);
    const after = process.memoryUsage().arrayBuffers;
    assert.ok(after - before < MiB, `JS ArrayBuffers grew by ${after - before} bytes`);
    assert.equal(data.byteLength, 4 * MiB);
  });

  it('should read data without multiple copies', async (t) => {
    const device = await createDevice(t);
    const data = device.createDataWithBuffer(new Uint8Array(1024).map((_, i) => i & 0xff));

    let copies = 0;
    const originalSlice = ArrayBuffer.prototype.slice;
    ArrayBuffer.prototype.slice = function (...args) {
      copies++;
      return originalSlice.apply(this, args);
    };
    let result;
    try {
      result = await device.readData(data);
    } finally {
      ArrayBuffer.prototype.slice = originalSlice;
    }
    assert.equal(copies, 0);
    assert.equal(result.byteLength, 1024);
    assert.equal(new Uint8Array(result)[255], 255);
  });

  it('(fixed) should allocate buffers efficiently', async (t) => {
    const device = await createDevice(t);

    const data = device.createData(1024);
    assert.ok(data);

    const view = device.readDataView(data, 'float32');
    view[0] = 42;
    assert.equal(view[0], 42);
  });
});

describe('5. Memory Pressure Handling', () => {
  it('should handle memory limits gracefully', async (t) => {
    const device = await createDevice(t);

    const allocations = [];
    const maxMemory = 256 * MiB;
    const chunkSize = MiB;

    let allocated = 0;
    let failure;
    try {
      while (allocated < maxMemory * 2) {
        allocations.push(device.createData(chunkSize));
        allocated += chunkSize;
      }
    } catch (e) {
      failure = e;
    }

    assert.ok(failure, 'allocation never failed');
    assert.equal(failure.code, 'MEMORY_LIMIT');
    assert.match(failure.message, /^Memory limit exceeded/);
    assert.ok(allocated < maxMemory * 1.5);
    assert.ok(allocated <= maxMemory);
    assert.ok(allocated >= maxMemory - 8 * MiB, `only ${allocated / MiB} MiB fit`);

    allocations.forEach((d) => device.disposeData(d));
    assert.equal(device.getMemoryStats().liveBuffers, 0);
    assert.equal(device.createData(chunkSize).byteLength, chunkSize);  // usable again
  });

  it('should automatically compact pools under pressure', async (t) => {
    const device = await createDevice(t);

    for (let i = 0; i < 100; i++) {
      const data = device.createData(MiB);
      device.disposeData(data);
    }

    const stats1 = device.getMemoryStats();
    device.performIntensiveCleanup();
    const stats2 = device.getMemoryStats();
    assert.ok(stats2.totalAllocated < stats1.totalAllocated,
              `${stats2.totalAllocated} is not below ${stats1.totalAllocated}`);
    assert.equal(stats2.totalAllocated, 0);
  });

  it('(fixed) should respect memory limits', async (t) => {
    const device = await createDevice(t, { maxMemory: 10 * MiB, autoCompact: true });

    const allocations = [];
    expectError(() => {
      for (let i = 0; i < 20; i++) {
        allocations.push(device.createData(MiB));
      }
    }, 'MEMORY_LIMIT', /Memory limit exceeded/);

    const stats = device.getMemoryStats();
    assert.ok(stats.totalAllocated <= 10 * MiB);
    assert.ok(allocations.length >= 9 && allocations.length <= 10, `${allocations.length} allocations fit`);
  });
});

describe('6. Buffer Handle Mutation Safety', () => {
  it('should not allow direct handle mutation', async (t) => {
    const device = await createDevice(t);
    const data = device.createData(1024);

    expectError(() => { data.wasmHandle = null; }, 'INVALID_ARGUMENT', /Cannot set property wasmHandle/);

    const buffer = new ArrayBuffer(1024);
    await device.writeData(data, buffer);

    const readBack = await device.readData(data);
    assert.equal(readBack.byteLength, 1024);
  });

  it('(fixed) should properly encapsulate buffer handles', async (t) => {
    const device = await createDevice(t);
    const data = device.createData(1024);
    const id = data.id;

    // No handle is reachable from outside.
    assert.equal(data.wasmHandle, undefined);
    assert.ok(!Object.keys(data).some((k) => /handle/i.test(k)));

    // writeData updates the contents in place: same object, same id, still valid.
    await device.writeData(data, new Uint8Array(1024).fill(7).buffer);
    assert.equal(data.id, id);
    assert.equal(data.isDisposed, false);
    assert.equal(new Uint8Array(await device.readData(data))[1023], 7);
  });
});

describe('8. Reference Counting Coordination', () => {
  it('clones of a handle share one buffer, freed when the last is disposed', async (t) => {
    const device = await createDevice(t);
    const tensor = device.tensor([1, 2, 3, 4]);
    const handles = [tensor.contiguous(), tensor.reshape([2, 2]), tensor.narrow(0, 1, 2)];
    assert.equal(device.getMemoryStats().liveBuffers, 1);
    tensor.dispose();
    handles[0].dispose();
    handles[1].dispose();
    assert.equal(device.getMemoryStats().liveBuffers, 1);
    assert.deepEqual(handles[2].toArray(), [2, 3]);
    handles[2].dispose();
    assert.equal(device.getMemoryStats().liveBuffers, 0);
  });
});

describe('Performance benchmarks (as correctness runs; timings live in bench/js)', () => {
  it('buffer allocation: 1000 createData(1024) + disposeData', async (t) => {
    const device = await createDevice(t);
    const baseline = liveCounts(device);
    const s0 = device.getMemoryStats();
    const ids = new Set();

    for (let i = 0; i < 1000; i++) {
      const data = device.createData(1024);
      ids.add(data.id);
      device.disposeData(data);
    }

    const s1 = device.getMemoryStats();
    assert.equal(ids.size, 1000);
    assert.deepEqual(liveCounts(device), baseline);
    assert.equal(s1.allocCount - s0.allocCount, 1000);
    assert.ok(s1.poolHits - s0.poolHits >= 999, 'the pool serves repeats from its cache');
    assert.equal(s1.wasmHeapBytes, s0.wasmHeapBytes);
  });

  it('zero-copy views: 10000 readDataView + one access each', async (t) => {
    const device = await createDevice(t);
    const data = device.createData(MiB);
    device.readDataView(data, 'float32')[262143] = 3.5;
    const s0 = device.getMemoryStats();

    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const view = device.readDataView(data, 'float32');
      sum += view[262143];
      if (i === 0) assert.equal(view.length, 262144);
    }

    assert.equal(sum, 35000);
    const s1 = device.getMemoryStats();
    assert.equal(s1.liveBuffers, s0.liveBuffers);
    assert.equal(s1.wasmHeapBytes, s0.wasmHeapBytes);
  });
});
