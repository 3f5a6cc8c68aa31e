// Lifetimes: dispose, Symbol.dispose, use after dispose, views keeping their
// buffer alive, device.dispose(), and device.scope()/keep().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, expectRejection, withDevice, liveCounts, Device } from './support.mjs';

const zeroCounts = { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 };

// Every tensor method, called with valid arguments for a [2, 3] float32 tensor.
const tensorUses = {
  reshape: (t) => t.reshape([6]),
  'view(shape)': (t) => t.view([6]),
  'view()': (t) => t.view(),
  flatten: (t) => t.flatten(),
  squeeze: (t) => t.squeeze(),
  unsqueeze: (t) => t.unsqueeze(0),
  slice: (t) => t.slice([null]),
  select: (t) => t.select(0, 0),
  narrow: (t) => t.narrow(0, 0, 1),
  permute: (t) => t.permute([1, 0]),
  transpose: (t) => t.transpose(0, 1),
  expand: (t) => t.expand([2, 2, 3]),
  contiguous: (t) => t.contiguous(),
  clone: (t) => t.clone(),
  to: (t) => t.to('float64'),
  canView: (t) => t.canView([6]),
  get: (t) => t.get(0, 0),
  set: (t) => t.set(1, 0, 0),
  read: (t) => t.read(),
  toArray: (t) => t.toArray(),
  write: (t) => t.write([1, 2, 3, 4, 5, 6]),
};

test('tensor dispose is idempotent and counted; Symbol.dispose does the same', async (t) => {
  const device = await withDevice(t);
  const a = device.zeros([2, 3]);
  const b = device.zeros([2, 3]);
  assert.equal(device.getMemoryStats().liveTensors, 2);
  a.dispose();
  a.dispose();
  assert.equal(a.isDisposed, true);
  assert.equal(device.getMemoryStats().liveTensors, 1);
  assert.equal(typeof b[Symbol.dispose], 'function');
  b[Symbol.dispose]();
  b[Symbol.dispose]();
  b.dispose();
  assert.equal(b.isDisposed, true);
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('every tensor method throws DISPOSED after dispose', async (t) => {
  const device = await withDevice(t);
  const other = device.zeros([2, 3]);
  for (const [name, use] of Object.entries(tensorUses)) {
    const tensor = device.zeros([2, 3]);
    use(tensor);  // valid while alive (results are disposed by the device at the end)
    tensor.dispose();
    expectError(() => use(tensor), 'DISPOSED');
    assert.equal(tensor.isDisposed, true, name);
  }
  const gone = device.zeros([2, 3]);
  gone.dispose();
  expectError(() => gone.sharesStorage(other), 'DISPOSED');
  expectError(() => other.sharesStorage(gone), 'DISPOSED');
  expectError(() => device.keep(gone), 'DISPOSED');
});

test('a view keeps the buffer alive after its base is disposed', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const row = base.select(0, 1);
  const transposed = base.transpose(0, 1);
  const col = transposed.select(0, 2);
  transposed.dispose();
  base.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 1);
  assert.deepEqual(row.toArray(), [4, 5, 6]);
  row.set(50, 1);
  assert.deepEqual(col.toArray(), [3, 6]);
  const deeper = row.reshape([3, 1]);
  row.dispose();
  assert.deepEqual(deeper.toArray(), [[4], [50], [6]]);
  col.dispose();
  assert.equal(device.getMemoryStats().liveBuffers, 1);
  deeper.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('device.dispose() frees everything; every later use throws DISPOSED', async () => {
  const device = await Device.create();
  const data = device.createData(16);
  const view = device.readDataView(data, 'float32');
  const tensor = device.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
  const row = tensor.select(0, 0);
  device.dispose();
  assert.equal(device.isDisposed, true);
  assert.equal(tensor.isDisposed, true);
  assert.equal(row.isDisposed, true);
  assert.equal(data.isDisposed, true);

  const deviceUses = {
    createData: () => device.createData(8),
    createDataWithBuffer: () => device.createDataWithBuffer(new Uint8Array(4)),
    readDataView: () => device.readDataView(data),
    tensor: () => device.tensor([1]),
    empty: () => device.empty([1]),
    zeros: () => device.zeros([1]),
    fromData: () => device.fromData(data, 'uint8'),
    scope: () => device.scope(() => 1),
    keep: () => device.keep(tensor),
    liveAllocations: () => device.liveAllocations(),
    getMemoryStats: () => device.getMemoryStats(),
    performIntensiveCleanup: () => device.performIntensiveCleanup(),
    compact: () => device.compact(),
  };
  for (const use of Object.values(deviceUses)) expectError(use, 'DISPOSED');
  await expectRejection(() => device.readData(data), 'DISPOSED');
  await expectRejection(() => device.writeData(data, new Uint8Array(1)), 'DISPOSED');
  for (const use of Object.values(tensorUses)) {
    expectError(() => use(tensor), 'DISPOSED');
    expectError(() => use(row), 'DISPOSED');
  }
  expectError(() => data.view(), 'DISPOSED');
  expectError(() => view[0], 'DISPOSED');
  // Disposing again, or disposing its objects, is harmless.
  device.dispose();
  device[Symbol.dispose]();
  tensor.dispose();
  data.dispose();
});

test('devices are independent: disposing one leaves another working', async (t) => {
  const a = await Device.create();
  const b = await withDevice(t);
  const ta = a.tensor([1, 2, 3]);
  const tb = b.tensor([4, 5, 6]);
  assert.equal(a.getMemoryStats().liveTensors, 1);
  assert.equal(b.getMemoryStats().liveTensors, 1);
  a.dispose();
  expectError(() => ta.get(0), 'DISPOSED');
  assert.deepEqual(tb.toArray(), [4, 5, 6]);
  assert.equal(b.createData(8).byteLength, 8);
});

// --- scopes -------------------------------------------------------------------

test('scope disposes what fn creates and keeps what it returns', async (t) => {
  const device = await withDevice(t);
  const outside = device.tensor([1, 2, 3, 4]);
  let inner;
  let innerView;
  let innerData;
  const result = device.scope(() => {
    inner = device.zeros([3]);
    innerView = outside.reshape([2, 2]);
    innerData = device.createData(32);
    return outside.narrow(0, 1, 2);
  });
  assert.equal(inner.isDisposed, true);
  assert.equal(innerView.isDisposed, true);
  assert.equal(innerData.isDisposed, true);
  assert.equal(outside.isDisposed, false);
  assert.equal(result.isDisposed, false);
  assert.deepEqual(result.toArray(), [2, 3]);
  result.dispose();
  outside.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope keeps objects returned inside arrays and plain objects, at any depth', async (t) => {
  const device = await withDevice(t);
  const made = [];
  const track = (x) => { made.push(x); return x; };
  const result = device.scope(() => {
    const a = track(device.zeros([1]));
    const b = track(device.zeros([2]));
    const c = track(device.createData(8));
    const d = track(device.zeros([4]));
    track(device.zeros([5]));  // dropped
    return { pair: [a, { deep: b }], data: c, list: [[d]], n: 7 };
  });
  assert.equal(result.n, 7);
  assert.equal(result.pair[0].isDisposed, false);
  assert.equal(result.pair[1].deep.isDisposed, false);
  assert.equal(result.data.isDisposed, false);
  assert.equal(result.list[0][0].isDisposed, false);
  assert.equal(made[4].isDisposed, true);
  assert.equal(device.getMemoryStats().liveTensors, 3);
  assert.equal(device.getMemoryStats().liveData, 1);
});

test('scope returns plain values unchanged', async (t) => {
  const device = await withDevice(t);
  assert.equal(device.scope(() => 42), 42);
  assert.equal(device.scope(() => undefined), undefined);
  assert.deepEqual(device.scope(() => device.zeros([2]).toArray()), [0, 0]);
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('a view returned from a scope keeps its buffer although its base was disposed', async (t) => {
  const device = await withDevice(t);
  const view = device.scope(() => device.tensor([[1, 2], [3, 4]]).select(1, 1));
  assert.equal(device.getMemoryStats().liveTensors, 1);
  assert.equal(device.getMemoryStats().liveBuffers, 1);
  assert.deepEqual(view.toArray(), [2, 4]);
  view.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('keep() exempts one object from every enclosing scope and returns it', async (t) => {
  const device = await withDevice(t);
  let kept;
  let dropped;
  device.scope(() => {
    device.scope(() => {
      const x = device.zeros([2]);
      assert.equal(device.keep(x), x);
      kept = x;
      dropped = device.zeros([2]);
    });
    assert.equal(kept.isDisposed, false);
    assert.equal(dropped.isDisposed, true);
  });
  assert.equal(kept.isDisposed, false);
  const data = device.scope(() => device.keep(device.createData(4)));
  assert.equal(data.isDisposed, false);
});

test('nested scopes: returned objects move to the enclosing scope', async (t) => {
  const device = await withDevice(t);
  let fromInner;
  const outerResult = device.scope(() => {
    fromInner = device.scope(() => {
      device.zeros([1]);
      return device.zeros([2]);
    });
    assert.equal(fromInner.isDisposed, false);
    assert.equal(device.getMemoryStats().liveTensors, 1);
    return device.zeros([3]);
  });
  assert.equal(fromInner.isDisposed, true);  // the outer scope did not return it
  assert.equal(outerResult.isDisposed, false);
  assert.equal(device.getMemoryStats().liveTensors, 1);
});

test('a scope that throws disposes what it made and rethrows the same error', async (t) => {
  const device = await withDevice(t);
  const boom = new Error('boom');
  let made;
  assert.throws(() => device.scope(() => {
    made = device.zeros([2]);
    throw boom;
  }), (e) => e === boom);
  assert.equal(made.isDisposed, true);
  // A TensorMemError from inside propagates as itself.
  const error = expectError(() => device.scope(() => device.zeros([2]).get(5)), 'OUT_OF_BOUNDS');
  assert.match(error.message, /Index 5/);
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('objects disposed by hand inside a scope are fine at its end', async (t) => {
  const device = await withDevice(t);
  const r = device.scope(() => {
    const a = device.zeros([2]);
    a.dispose();
    const d = device.createData(4);
    device.disposeData(d);
    const b = device.zeros([1]);
    return [b, b];  // returned twice: kept once
  });
  assert.equal(r[0].isDisposed, false);
  r[0].dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('async scope stays open across awaits and disposes when the promise settles', async (t) => {
  const device = await withDevice(t);
  let early;
  let late;
  const pending = device.scope(async () => {
    early = device.zeros([2]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(early.isDisposed, false);
    late = device.zeros([3]);
    await null;
    return { result: device.tensor([7, 8]) };
  });
  assert.ok(pending instanceof Promise);
  const { result } = await pending;
  assert.equal(early.isDisposed, true);
  assert.equal(late.isDisposed, true);
  assert.deepEqual(result.toArray(), [7, 8]);
  result.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('async scope disposes on rejection and rejects with the same error', async (t) => {
  const device = await withDevice(t);
  const boom = new Error('async boom');
  let made;
  await assert.rejects(device.scope(async () => {
    await null;
    made = device.createData(8);
    throw boom;
  }), (e) => e === boom);
  assert.equal(made.isDisposed, true);
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('nested async scopes return objects to the enclosing async scope', async (t) => {
  const device = await withDevice(t);
  let inner;
  const outer = await device.scope(async () => {
    inner = await device.scope(async () => {
      await null;
      return device.zeros([2]);
    });
    await null;
    assert.equal(inner.isDisposed, false);
    return device.zeros([1]);
  });
  assert.equal(inner.isDisposed, true);
  assert.equal(outer.isDisposed, false);
});

test('a sync scope inside an async scope', async (t) => {
  const device = await withDevice(t);
  let temp;
  const kept = await device.scope(async () => {
    const x = device.scope(() => {
      temp = device.zeros([4]);
      return temp.reshape([2, 2]);
    });
    assert.equal(temp.isDisposed, true);
    await null;
    return x;
  });
  assert.equal(kept.isDisposed, false);
  assert.deepEqual(kept.toArray(), [[0, 0], [0, 0]]);
});

test('an async scope owns what its own task creates, not what other code creates while it awaits', async (t) => {
  const device = await withDevice(t);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  let outsider;
  let inside;
  const pending = device.scope(async () => {
    await sleep(20);
    inside = device.zeros([1]);  // after an await: still this scope's
    await sleep(1);
  });
  await sleep(5);
  outsider = device.zeros([1]);  // another task, while the scope is pending
  const concurrent = device.scope(async () => {  // a second async scope, interleaved with the first
    const mine = device.zeros([2]);
    await sleep(30);
    return mine;
  });
  await pending;
  assert.equal(inside.isDisposed, true);
  assert.equal(outsider.isDisposed, false);
  const mine = await concurrent;
  assert.equal(mine.isDisposed, false);
  mine.dispose();
  outsider.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

// --- scopes whose results run user code -----------------------------------------

test('scope: a result whose then getter throws closes the scope and rethrows', async (t) => {
  const device = await withDevice(t);
  const boom = new Error('then getter');
  let inner;
  assert.throws(() => device.scope(() => {
    inner = device.zeros([2]);
    return { get then() { throw boom; } };
  }), (e) => e === boom);
  assert.equal(inner.isDisposed, true);
  // No scope is left open: an object made now belongs to no scope, and a
  // later scope disposes only its own.
  const outside = device.zeros([1]);
  let later;
  device.scope(() => { later = device.zeros([1]); });
  assert.equal(later.isDisposed, true);
  assert.equal(outside.isDisposed, false);
  outside.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope: a thenable result is settled once through the then it had; a throwing then rejects and disposes', async (t) => {
  const device = await withDevice(t);
  let made;
  const boom = new Error('then');
  await assert.rejects(device.scope(() => {
    made = device.zeros([1]);
    return { then() { throw boom; } };
  }), (e) => e === boom);
  assert.equal(made.isDisposed, true);
  let kept;
  const value = await device.scope(() => {
    kept = device.zeros([3]);
    return { then(resolve) { resolve([kept]); } };
  });
  assert.equal(value[0], kept);
  assert.equal(kept.isDisposed, false);
  kept.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope: getters of a returned object are not called; what its data properties hold is kept', async (t) => {
  const device = await withDevice(t);
  let calls = 0;
  let dropped;
  const result = device.scope(() => {
    dropped = device.zeros([2]);
    return { kept: device.zeros([1]), get hidden() { calls++; throw new Error('getter'); } };
  });
  assert.equal(calls, 0);
  assert.equal(result.kept.isDisposed, false);
  assert.equal(dropped.isDisposed, true);
  result.kept.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope: the keys of a returned Map, its values and a Set\'s members are kept', async (t) => {
  const device = await withDevice(t);
  const { map, set } = device.scope(() => {
    const map = new Map([[device.zeros([1]), device.zeros([2])], ['name', device.createData(4)]]);
    const set = new Set([device.zeros([3])]);
    device.zeros([4]);  // dropped
    return { map, set };
  });
  const [[key, value], [, data]] = map;
  const [member] = set;
  for (const object of [key, value, data, member]) assert.equal(object.isDisposed, false);
  assert.equal(device.getMemoryStats().liveTensors, 3);
  for (const object of [key, value, data, member]) object.dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope: a cyclic or shared result is examined once per object', async (t) => {
  const device = await withDevice(t);
  let reads = 0;
  const result = device.scope(() => {
    const pair = new Proxy([device.zeros([1]), device.zeros([2])], {
      get(target, key) { reads++; return target[key]; },
    });
    const cyclic = [pair];
    cyclic.push(cyclic);
    return [cyclic, pair, pair, { again: pair, cyclic }];
  });
  assert.equal(reads, 3);  // length, 0, 1
  assert.equal(result[1][0].isDisposed, false);
  assert.equal(result[1][1].isDisposed, false);
  result[1][0].dispose();
  result[1][1].dispose();
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('scope: a result whose examination throws (a Proxy trap) closes the scope as if fn had thrown', async (t) => {
  const device = await withDevice(t);
  const boom = new Error('trap');
  let made;
  assert.throws(() => device.scope(() => {
    made = device.zeros([1]);
    return [made, new Proxy([], { get() { throw boom; } })];
  }), (e) => e === boom);
  assert.equal(made.isDisposed, true);
  const { proxy, revoke } = Proxy.revocable([], {});
  revoke();
  assert.equal(device.scope(() => { made = device.zeros([1]); return proxy; }), proxy);  // opaque, not examined
  assert.equal(made.isDisposed, true);
  assert.deepEqual(liveCounts(device), zeroCounts);
});

test('own properties defined on a tensor (dispose, constructor) cannot keep it from its scope or break the runtime', async (t) => {
  const device = await withDevice(t);
  let inner;
  device.scope(() => {
    inner = device.zeros([1]);
    Object.defineProperty(inner, 'dispose', { value() {} });
    Object.defineProperty(inner, 'constructor', { get() { throw new Error('constructor getter'); } });
  });
  assert.equal(inner.isDisposed, true);
  const outer = device.zeros([1]);
  Object.defineProperty(outer, 'constructor', { get() { throw new Error('constructor getter'); } });
  Object.defineProperty(outer, 'id', { value: 12345 });
  await new Promise((resolve) => setTimeout(resolve, 0));  // the deferred registration ran
  const [{ id }] = device.liveAllocations();
  outer.dispose();
  for (const object of [device.zeros([1]), device.createData(1)]) {
    Object.defineProperty(object, 'dispose', { value() {} });
    object[Symbol.dispose]();  // what `using` calls
    assert.equal(object.isDisposed, true);
  }
  for (const object of [device.zeros([1]), device.createData(1)]) {
    Object.defineProperty(object, 'isDisposed', { value: true });
    assert.doesNotMatch(String(object), /disposed/);  // toString reads the object's own state
    object.dispose();
  }
  expectError(() => outer.get(0), 'DISPOSED', `get: Tensor #${id} was disposed`);
  assert.deepEqual(liveCounts(device), zeroCounts);
});
