// View ops: shape, strides, offset and values of every op against a plain-JS
// reference, storage sharing, copies, and the runtime's error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectError, withDevice, liveCounts, build, iota, indices, product, rowMajorStrides, sliceRange,
  assertLayoutConsistent, growHeap, detached, withGetter,
} from './support.mjs';

const flat24 = Array.from({ length: 24 }, (_, i) => i);
const base24 = iota([2, 3, 4]);  // base24[i][j][k] = 12i + 4j + k

// Checks a view of base24 against its expected layout and reference values.
// strides entries that are undefined (size-1 dims, where any stride is valid) are not compared.
function checkView(view, base, { shape, strides, offset, contiguous }, at) {
  assert.deepEqual([...view.shape], shape);
  assert.equal(view.strides.length, shape.length);
  strides.forEach((s, d) => { if (s !== undefined) assert.equal(view.strides[d], s, `stride ${d} of [${view.strides}]`); });
  assert.equal(view.offset, offset);
  assert.equal(view.isContiguous, contiguous);
  assert.equal(view.size, product(shape));
  assert.equal(view.ndim, shape.length);
  assert.equal(view.dtype, base.dtype);
  assert.equal(view.sharesStorage(base), true);
  assert.equal(base.sharesStorage(view), true);
  assert.deepEqual(view.toArray(), build(shape, at));
  assertLayoutConsistent(view, flat24);
}

const viewCases = [
  ['reshape([6, 4])', (t) => t.reshape([6, 4]), { shape: [6, 4], strides: [4, 1], offset: 0, contiguous: true },
    ([i, j]) => 4 * i + j],
  ['reshape([4, -1]) infers 6', (t) => t.reshape([4, -1]), { shape: [4, 6], strides: [6, 1], offset: 0, contiguous: true },
    ([i, j]) => 6 * i + j],
  ['reshape([-1])', (t) => t.reshape([-1]), { shape: [24], strides: [1], offset: 0, contiguous: true }, ([i]) => i],
  ['view([3, 8])', (t) => t.view([3, 8]), { shape: [3, 8], strides: [8, 1], offset: 0, contiguous: true },
    ([i, j]) => 8 * i + j],
  ['view([2, 3, 2, 2])', (t) => t.view([2, 3, 2, 2]),
    { shape: [2, 3, 2, 2], strides: [12, 4, 2, 1], offset: 0, contiguous: true }, ([a, b, c, d]) => 12 * a + 4 * b + 2 * c + d],
  ['flatten()', (t) => t.flatten(), { shape: [24], strides: [1], offset: 0, contiguous: true }, ([i]) => i],
  ['flatten(1)', (t) => t.flatten(1), { shape: [2, 12], strides: [12, 1], offset: 0, contiguous: true },
    ([i, j]) => 12 * i + j],
  ['flatten(0, 1)', (t) => t.flatten(0, 1), { shape: [6, 4], strides: [4, 1], offset: 0, contiguous: true },
    ([i, j]) => 4 * i + j],
  ['flatten(-2, -1)', (t) => t.flatten(-2, -1), { shape: [2, 12], strides: [12, 1], offset: 0, contiguous: true },
    ([i, j]) => 12 * i + j],
  ['unsqueeze(0)', (t) => t.unsqueeze(0), { shape: [1, 2, 3, 4], strides: [undefined, 12, 4, 1], offset: 0, contiguous: true },
    ([, i, j, k]) => 12 * i + 4 * j + k],
  ['unsqueeze(-1)', (t) => t.unsqueeze(-1), { shape: [2, 3, 4, 1], strides: [12, 4, 1, undefined], offset: 0, contiguous: true },
    ([i, j, k]) => 12 * i + 4 * j + k],
  ['unsqueeze(1)', (t) => t.unsqueeze(1), { shape: [2, 1, 3, 4], strides: [12, undefined, 4, 1], offset: 0, contiguous: true },
    ([i, , j, k]) => 12 * i + 4 * j + k],
  ['slice([[0, 1]])', (t) => t.slice([[0, 1]]), { shape: [1, 3, 4], strides: [undefined, 4, 1], offset: 0, contiguous: true },
    ([, j, k]) => 4 * j + k],
  ['slice([null, [1, 3]])', (t) => t.slice([null, [1, 3]]), { shape: [2, 2, 4], strides: [12, 4, 1], offset: 4, contiguous: false },
    ([i, j, k]) => 12 * i + 4 * (j + 1) + k],
  ['slice reverses the last dim', (t) => t.slice([null, null, [null, null, -1]]),
    { shape: [2, 3, 4], strides: [12, 4, -1], offset: 3, contiguous: false }, ([i, j, k]) => 12 * i + 4 * j + 3 - k],
  ['slice reverses dim 0', (t) => t.slice([[null, null, -1]]),
    { shape: [2, 3, 4], strides: [-12, 4, 1], offset: 12, contiguous: false }, ([i, j, k]) => 12 * (1 - i) + 4 * j + k],
  ['slice([1]) selects', (t) => t.slice([1]), { shape: [3, 4], strides: [4, 1], offset: 12, contiguous: true },
    ([j, k]) => 12 + 4 * j + k],
  ['slice([-1, 0]) selects twice', (t) => t.slice([-1, 0]), { shape: [4], strides: [1], offset: 12, contiguous: true },
    ([k]) => 12 + k],
  ['slice with steps 2 and -2', (t) => t.slice([null, [0, null, 2], [-1, 0, -2]]),
    { shape: [2, 2, 2], strides: [12, 8, -2], offset: 3, contiguous: false }, ([i, j, k]) => 12 * i + 8 * j + 3 - 2 * k],
  ['slice with open ends and a negative stop', (t) => t.slice([[1, null], [null, -1]]),
    { shape: [1, 2, 4], strides: [undefined, 4, 1], offset: 12, contiguous: true }, ([, j, k]) => 12 + 4 * j + k],
  ['slice with step 3', (t) => t.slice([null, null, [0, null, 3]]),
    { shape: [2, 3, 2], strides: [12, 4, 3], offset: 0, contiguous: false }, ([i, j, k]) => 12 * i + 4 * j + 3 * k],
  ['slice with a negative step and explicit stop', (t) => t.slice([null, null, [3, 0, -1]]),
    { shape: [2, 3, 3], strides: [12, 4, -1], offset: 3, contiguous: false }, ([i, j, k]) => 12 * i + 4 * j + 3 - k],
  ['slice to an empty range', (t) => t.slice([null, [2, 2]]),
    { shape: [2, 0, 4], strides: [undefined, undefined, undefined], offset: 0, contiguous: true }, () => 0],
  ['select(1, 2)', (t) => t.select(1, 2), { shape: [2, 4], strides: [12, 1], offset: 8, contiguous: false },
    ([i, k]) => 12 * i + 8 + k],
  ['select(-1, -1)', (t) => t.select(-1, -1), { shape: [2, 3], strides: [12, 4], offset: 3, contiguous: false },
    ([i, j]) => 12 * i + 4 * j + 3],
  ['select(0, 1)', (t) => t.select(0, 1), { shape: [3, 4], strides: [4, 1], offset: 12, contiguous: true },
    ([j, k]) => 12 + 4 * j + k],
  ['narrow(2, 1, 2)', (t) => t.narrow(2, 1, 2), { shape: [2, 3, 2], strides: [12, 4, 1], offset: 1, contiguous: false },
    ([i, j, k]) => 12 * i + 4 * j + 1 + k],
  ['narrow(1, -2, 2)', (t) => t.narrow(1, -2, 2), { shape: [2, 2, 4], strides: [12, 4, 1], offset: 4, contiguous: false },
    ([i, j, k]) => 12 * i + 4 * (j + 1) + k],
  ['narrow(0, 2, 0) at the end', (t) => t.narrow(0, 2, 0),
    { shape: [0, 3, 4], strides: [undefined, undefined, undefined], offset: 0, contiguous: true }, () => 0],
  ['permute([2, 0, 1])', (t) => t.permute([2, 0, 1]), { shape: [4, 2, 3], strides: [1, 12, 4], offset: 0, contiguous: false },
    ([k, i, j]) => 12 * i + 4 * j + k],
  ['permute([-1, -2, -3])', (t) => t.permute([-1, -2, -3]), { shape: [4, 3, 2], strides: [1, 4, 12], offset: 0, contiguous: false },
    ([k, j, i]) => 12 * i + 4 * j + k],
  ['transpose(0, 2)', (t) => t.transpose(0, 2), { shape: [4, 3, 2], strides: [1, 4, 12], offset: 0, contiguous: false },
    ([k, j, i]) => 12 * i + 4 * j + k],
  ['transpose(-1, -2)', (t) => t.transpose(-1, -2), { shape: [2, 4, 3], strides: [12, 1, 4], offset: 0, contiguous: false },
    ([i, k, j]) => 12 * i + 4 * j + k],
  ['a chain: transpose, slice, select', (t) => t.device.scope(() => t.transpose(0, 2).slice([[1, 3]]).select(1, 2)),
    { shape: [2, 2], strides: [1, 12], offset: 9, contiguous: false }, ([k, i]) => 12 * i + 8 + k + 1],
];

for (const [name, op, layout, at] of viewCases) {
  test(`view op ${name}: layout and values match the reference`, async (t) => {
    const device = await withDevice(t);
    const base = device.tensor(flat24, { shape: [2, 3, 4] });
    const view = op(base);
    checkView(view, base, layout, at);
    view.dispose();
    base.dispose();
    assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
  });
}

test('squeeze removes size-1 dims, all of them or the one named', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor(flat24, { shape: [2, 3, 4] });
  const padded = base.unsqueeze(0).unsqueeze(2);
  assert.deepEqual([...padded.shape], [1, 2, 1, 3, 4]);
  const all = padded.squeeze();
  checkView(all, base, { shape: [2, 3, 4], strides: [12, 4, 1], offset: 0, contiguous: true }, ([i, j, k]) => 12 * i + 4 * j + k);
  const first = padded.squeeze(0);
  checkView(first, base, { shape: [2, 1, 3, 4], strides: [12, undefined, 4, 1], offset: 0, contiguous: true },
            ([i, , j, k]) => 12 * i + 4 * j + k);
  const middle = padded.squeeze(-3);
  checkView(middle, base, { shape: [1, 2, 3, 4], strides: [undefined, 12, 4, 1], offset: 0, contiguous: true },
            ([, i, j, k]) => 12 * i + 4 * j + k);
  // A tensor without size-1 dims squeezes to the same shape.
  const same = base.squeeze();
  assert.deepEqual([...same.shape], [2, 3, 4]);
  expectError(() => padded.squeeze(1), 'INVALID_SHAPE', 'squeeze: dim 1 has size 2, not 1 (shape [1, 2, 1, 3, 4])');
});

test('transpose() of a matrix swaps its two dims', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const mt = m.transpose();
  assert.deepEqual([...mt.shape], [3, 2]);
  assert.deepEqual([...mt.strides], [1, 3]);
  assert.deepEqual(mt.toArray(), [[1, 4], [2, 5], [3, 6]]);
});

test('expand broadcasts size-1 dims with stride 0 and is read-only when elements repeat', async (t) => {
  const device = await withDevice(t);
  const col = device.tensor([1, 2, 3], { shape: [3, 1] });
  const wide = col.expand([3, 4]);
  assert.deepEqual([...wide.shape], [3, 4]);
  assert.deepEqual([...wide.strides], [1, 0]);
  assert.equal(wide.offset, 0);
  assert.equal(wide.isReadOnly, true);
  assert.equal(wide.isContiguous, false);
  assert.equal(wide.sharesStorage(col), true);
  assert.deepEqual(wide.toArray(), [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  assertLayoutConsistent(wide, [1, 2, 3]);

  const lead = col.expand([2, 3, 2]);
  assert.deepEqual([...lead.shape], [2, 3, 2]);
  assert.deepEqual([...lead.strides], [0, 1, 0]);
  assert.deepEqual(lead.toArray(), [[[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 2], [3, 3]]]);

  const inferred = col.expand([-1, 2]);
  assert.deepEqual([...inferred.shape], [3, 2]);
  assert.deepEqual(inferred.toArray(), [[1, 1], [2, 2], [3, 3]]);

  // Nothing repeats: still writable.
  const same = col.expand([3, 1]);
  assert.equal(same.isReadOnly, false);
  same.set(7, 0, 0);
  assert.equal(col.get(0, 0), 7);

  const empty = col.expand([0, 3, 1]);
  assert.deepEqual([...empty.shape], [0, 3, 1]);
  assert.equal(empty.size, 0);
  assert.deepEqual(empty.toArray(), []);

  assert.equal(col.isReadOnly, false);
  // Views of a read-only view stay read-only.
  assert.equal(wide.select(0, 1).isReadOnly, true);
});

test('writes through an expanded view are refused with READ_ONLY; its copies are writable', async (t) => {
  const device = await withDevice(t);
  const col = device.tensor([1, 2, 3], { shape: [3, 1] });
  const wide = col.expand([3, 4]);
  const readOnly = /the tensor of shape \[3, 4\] with strides \[1, 0\] is a read-only view \(it aliases elements, as expand\(\) does\); write to contiguous\(\) or clone\(\) instead/;
  expectError(() => wide.set(9, 0, 0), 'READ_ONLY', readOnly);
  expectError(() => wide.write(new Float32Array(12)), 'READ_ONLY', readOnly);
  expectError(() => wide.view(), 'NOT_CONTIGUOUS');
  assert.deepEqual(col.toArray(), [[1], [2], [3]]);

  for (const copy of [wide.clone(), wide.contiguous()]) {
    assert.equal(copy.isReadOnly, false);
    assert.equal(copy.isContiguous, true);
    assert.equal(copy.sharesStorage(col), false);
    copy.set(9, 0, 0);
    assert.equal(copy.get(0, 0), 9);
    assert.equal(copy.get(0, 1), 1);
    assert.equal(col.get(0, 0), 1);
  }
});

test('reshape of a contiguous tensor is a view: writes through it are seen by the original', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor([1, 2, 3, 4, 5, 6]);
  const r = base.reshape([2, 3]);
  assert.equal(r.sharesStorage(base), true);
  assert.equal(base.canView([2, 3]), true);
  r.set(999, 0, 0);
  r.set(-5, 1, 2);
  assert.equal(base.get(0), 999);
  assert.equal(base.get(5), -5);
  base.set(42, 4);
  assert.equal(r.get(1, 1), 42);
});

test('reshape of a transposed tensor copies, and says so through sharesStorage()', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const mt = m.transpose(0, 1);
  assert.equal(mt.canView([6]), false);
  const flat = mt.reshape([6]);
  assert.equal(flat.sharesStorage(mt), false);
  assert.equal(flat.sharesStorage(m), false);
  assert.equal(flat.isContiguous, true);
  assert.deepEqual([...flat.strides], [1]);
  assert.equal(flat.offset, 0);
  assert.deepEqual(Array.from(flat.read()), [1, 4, 2, 5, 3, 6]);
  flat.set(100, 0);
  assert.equal(m.get(0, 0), 1);
  // flatten() of it copies the same way.
  const flat2 = mt.flatten();
  assert.equal(flat2.sharesStorage(m), false);
  assert.deepEqual(flat2.toArray(), [1, 4, 2, 5, 3, 6]);
  // A reshape that strides can express stays a view even when not contiguous.
  const split = mt.reshape([3, 2, 1]);
  assert.equal(split.sharesStorage(m), true);
  assert.deepEqual(split.toArray(), [[[1], [4]], [[2], [5]], [[3], [6]]]);
});

test('view(shape) never copies: NOT_VIEWABLE with the runtime message when strides cannot express it', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const mt = m.transpose(0, 1);
  expectError(() => mt.view([6]), 'NOT_VIEWABLE',
              'view: shape [6] is not possible for a tensor of shape [3, 2] with strides [1, 3]: its elements are ' +
              'not evenly spaced in that grouping; reshape() copies instead');
  assert.equal(mt.canView([2, 3]), false);
  assert.equal(mt.canView([3, 2]), true);
  assert.equal(mt.canView([3, 1, 2]), true);
  const ok = mt.view([3, 1, 2]);
  assert.equal(ok.sharesStorage(m), true);
  assert.equal(mt.canView([5]), false);  // wrong element count: view() would not succeed either
});

test('view() on a non-contiguous tensor throws NOT_CONTIGUOUS naming its shape and strides', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  expectError(() => m.transpose(0, 1).view(), 'NOT_CONTIGUOUS',
              /the tensor of shape \[3, 2\] with strides \[1, 3\] is not contiguous; call contiguous\(\) first/);
  expectError(() => m.slice([null, [null, null, 2]]).view(), 'NOT_CONTIGUOUS',
              /the tensor of shape \[2, 2\] with strides \[3, 2\] is not contiguous/);
});

test('view() of a contiguous view with an offset is the zero-copy typed array of its elements', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor(flat24, { shape: [2, 3, 4] });
  const row = base.select(0, 1);
  const raw = row.view();
  assert.ok(raw instanceof Float32Array);
  assert.equal(raw.length, 12);
  assert.deepEqual(Array.from(raw), flat24.slice(12));
  raw[0] = -1;
  assert.equal(base.get(1, 0, 0), -1);
  base.set(-2, 1, 2, 3);
  assert.equal(raw[11], -2);
});

test('contiguous() returns a new handle on the same buffer when contiguous, else a copy', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor(flat24, { shape: [2, 3, 4] });
  const same = base.contiguous();
  assert.notEqual(same, base);
  assert.equal(same.sharesStorage(base), true);
  assert.deepEqual([...same.shape], [2, 3, 4]);
  same.dispose();
  assert.equal(base.isDisposed, false);
  assert.equal(base.get(1, 2, 3), 23);

  const perm = base.permute([2, 0, 1]);
  const copy = perm.contiguous();
  assert.equal(copy.sharesStorage(base), false);
  assert.equal(copy.isContiguous, true);
  assert.deepEqual([...copy.strides], rowMajorStrides([4, 2, 3]));
  assert.equal(copy.offset, 0);
  assert.deepEqual(copy.toArray(), perm.toArray());
  copy.set(-7, 0, 0, 0);
  assert.equal(base.get(0, 0, 0), 0);
});

test('clone() is always a contiguous copy, also of contiguous tensors', async (t) => {
  const device = await withDevice(t);
  const base = device.tensor(flat24, { shape: [2, 3, 4] });
  const c = base.clone();
  assert.equal(c.sharesStorage(base), false);
  assert.deepEqual(c.toArray(), base24);
  c.set(100, 0, 0, 0);
  assert.equal(base.get(0, 0, 0), 0);
  const rev = base.slice([null, null, [null, null, -1]]).clone();
  assert.deepEqual([...rev.strides], [12, 4, 1]);
  assert.deepEqual(rev.toArray(), build([2, 3, 4], ([i, j, k]) => 12 * i + 4 * j + 3 - k));
});

test('to(dtype) converts into a contiguous copy (float to int truncates and saturates, NaN becomes 0)', async (t) => {
  const device = await withDevice(t);
  const f = device.tensor(new Float64Array([1.5, -2.7, 3e10, -3e10, NaN, 255.9]));
  const i32 = f.to('int32');
  assert.equal(i32.dtype, 'int32');
  assert.equal(i32.sharesStorage(f), false);
  assert.deepEqual(Array.from(i32.read()), [1, -2, 2147483647, -2147483648, 0, 255]);
  assert.ok(i32.read() instanceof Int32Array);
  const u8 = f.to('uint8');
  assert.deepEqual(Array.from(u8.read()), [1, 0, 255, 0, 0, 255]);
  const i64 = f.to('int64');
  assert.deepEqual(i64.toArray(), [1n, -2n, 30000000000n, -30000000000n, 0n, 255n]);
  const b = device.tensor([0, 2, -0.5, 0]).to('bool');
  assert.deepEqual(b.toArray(), [false, true, true, false]);
  assert.deepEqual(Array.from(b.to('float32').read()), [0, 1, 1, 0]);
  // Integer to integer wraps.
  const wrapped = device.tensor(new Int32Array([-1, 300, 128])).to('uint8');
  assert.deepEqual(Array.from(wrapped.read()), [255, 44, 128]);
  assert.deepEqual(Array.from(device.tensor(new Int32Array([-1, 300, 128])).to('int8').read()), [-1, 44, -128]);
  // Of a strided view: logical order, contiguous result.
  const m = device.tensor([[1, 2], [3, 4]]);
  const mt = m.transpose(0, 1).to('float64');
  assert.equal(mt.isContiguous, true);
  assert.deepEqual(mt.toArray(), [[1, 3], [2, 4]]);
  // Same dtype: still a copy (the contract says "a contiguous copy").
  const same = m.to('float32');
  assert.equal(same.sharesStorage(m), false);
  assert.deepEqual(same.toArray(), [[1, 2], [3, 4]]);
});

test('sharesStorage tells views of one buffer from copies and unrelated tensors', async (t) => {
  const device = await withDevice(t);
  const a = device.tensor(flat24, { shape: [2, 3, 4] });
  const b = device.tensor(flat24, { shape: [2, 3, 4] });
  const v1 = a.select(0, 0);
  const v2 = a.transpose(0, 2).narrow(0, 1, 2);
  assert.equal(a.sharesStorage(a), true);
  assert.equal(v1.sharesStorage(v2), true);
  assert.equal(a.sharesStorage(b), false);
  assert.equal(v1.sharesStorage(a.clone()), false);
  const data = device.createData(16);
  const d1 = device.fromData(data, 'float32');
  const d2 = device.fromData(data, 'int32', [2]);
  assert.equal(d1.sharesStorage(d2), true);
  assert.equal(d1.sharesStorage(a), false);
});

test('view ops on a 0-d tensor and into it', async (t) => {
  const device = await withDevice(t);
  const s = device.tensor(5);
  assert.deepEqual([...s.shape], []);
  assert.deepEqual([...s.strides], []);
  assert.equal(s.ndim, 0);
  assert.equal(s.size, 1);
  assert.equal(s.toArray(), 5);
  assert.equal(s.get(), 5);
  assert.deepEqual([...s.flatten().shape], [1]);
  assert.deepEqual([...s.unsqueeze(0).shape], [1]);
  assert.deepEqual([...s.reshape([1, 1]).shape], [1, 1]);
  assert.deepEqual([...s.expand([3]).shape], [3]);
  assert.deepEqual(s.expand([3]).toArray(), [5, 5, 5]);
  assert.deepEqual([...s.squeeze().shape], []);
  expectError(() => s.select(0, 0), 'INVALID_ARGUMENT', 'select: dim 0 is out of range for a 0-d tensor (it has no dims)');
  const v = device.tensor([1, 2, 3]);
  const picked = v.select(0, 2);
  assert.deepEqual([...picked.shape], []);
  assert.equal(picked.toArray(), 3);
  picked.set(30);
  assert.equal(v.get(2), 30);
});

// --- errors of view ops: the runtime's messages --------------------------------

test('slice bounds are strict and named in the message (start and stop both in the message)', async (t) => {
  const device = await withDevice(t);
  const v = device.tensor([1, 2, 3]);
  expectError(() => v.slice([[0, 10]]), 'OUT_OF_BOUNDS',
              'Slice stop 10 is out of bounds for dimension of size 3 (dim 0 of shape [3])');
  expectError(() => v.slice([[-5, 2]]), 'OUT_OF_BOUNDS',
              'Slice start -5 is out of bounds for dimension of size 3 (dim 0 of shape [3])');
  expectError(() => v.slice([[4, null]]), 'OUT_OF_BOUNDS',
              'Slice start 4 is out of bounds for dimension of size 3 (dim 0 of shape [3])');
  expectError(() => v.slice([[3, null, -1]]), 'OUT_OF_BOUNDS',
              'Slice start 3 is out of bounds for dimension of size 3 (dim 0 of shape [3])');
  expectError(() => v.slice([[null, -4]]), 'OUT_OF_BOUNDS',
              'Slice stop -4 is out of bounds for dimension of size 3 (dim 0 of shape [3])');
  const m = device.tensor(flat24, { shape: [2, 3, 4] });
  expectError(() => m.slice([null, [0, 5]]), 'OUT_OF_BOUNDS',
              'Slice stop 5 is out of bounds for dimension of size 3 (dim 1 of shape [2, 3, 4])');
  expectError(() => v.slice([[0, 3, 0]]), 'INVALID_ARGUMENT',
              'Slice step 0 is invalid (dim 0 of shape [3]): it must be nonzero');
  // The runtime says "ranges"; the JS API calls them specs: either word.
  expectError(() => v.slice([null, null]), 'INVALID_ARGUMENT', /^slice: 2 (ranges|specs) for a tensor of shape \[3\] \(1 dims\)$/);
  expectError(() => v.slice([3]), 'OUT_OF_BOUNDS', 'Index 3 is out of bounds for dim 0 of size 3 (shape [3])');
  // Start == size is a valid empty slice; valid ones give the right elements.
  assert.deepEqual(v.slice([[3, null]]).toArray(), []);
  assert.deepEqual(v.slice([[0, 2]]).toArray(), [1, 2]);
  assert.deepEqual(v.slice([[null, null, -1]]).toArray(), [3, 2, 1]);
  assert.deepEqual(v.slice([[-1, null, -2]]).toArray(), [3, 1]);
  assert.deepEqual(v.slice([[2, 0, -1]]).toArray(), [3, 2]);
  assert.deepEqual(v.slice([null]).toArray(), [1, 2, 3]);
  assert.deepEqual(v.slice([]).toArray(), [1, 2, 3]);
});

test('select, narrow, permute, transpose, unsqueeze, flatten report bad dims and ranges in runtime wording', async (t) => {
  const device = await withDevice(t);
  const v = device.tensor([1, 2, 3]);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  expectError(() => v.select(0, 3), 'OUT_OF_BOUNDS', 'Index 3 is out of bounds for dim 0 of size 3 (shape [3])');
  expectError(() => v.select(0, -4), 'OUT_OF_BOUNDS', 'Index -4 is out of bounds for dim 0 of size 3 (shape [3])');
  expectError(() => v.select(1, 0), 'INVALID_ARGUMENT', 'select: dim 1 is out of range for a tensor of shape [3] (dims -1..0)');
  expectError(() => v.narrow(0, 4, 0), 'OUT_OF_BOUNDS', 'narrow: start 4 is out of bounds for dim 0 of size 3 (shape [3])');
  expectError(() => v.narrow(0, 1, 3), 'OUT_OF_BOUNDS', 'narrow: length 3 from start 1 does not fit dim 0 of size 3 (shape [3])');
  expectError(() => v.narrow(0, 0, -1), 'OUT_OF_BOUNDS', 'narrow: length -1 from start 0 does not fit dim 0 of size 3 (shape [3])');
  expectError(() => m.permute([0]), 'INVALID_ARGUMENT', 'permute: [0] lists 1 dims for a tensor of shape [2, 3] (2 dims)');
  expectError(() => m.permute([0, 0]), 'INVALID_ARGUMENT',
              'permute: [0, 0] repeats dim 0; each of the 2 dims of shape [2, 3] must appear once');
  expectError(() => m.permute([0, 2]), 'INVALID_ARGUMENT',
              'permute: dim 2 is out of range for a tensor of shape [2, 3] (dims -2..1)');
  expectError(() => m.transpose(0, 2), 'INVALID_ARGUMENT',
              'transpose: dim 2 is out of range for a tensor of shape [2, 3] (dims -2..1)');
  expectError(() => m.unsqueeze(3), 'INVALID_ARGUMENT',
              'unsqueeze: dim 3 is out of range for a tensor of shape [2, 3] (dims -3..2)');
  expectError(() => m.flatten(1, 0), 'INVALID_ARGUMENT', 'flatten: start_dim 1 comes after end_dim 0 for a tensor of shape [2, 3]');
  expectError(() => m.squeeze(2), 'INVALID_ARGUMENT', 'squeeze: dim 2 is out of range for a tensor of shape [2, 3] (dims -2..1)');
  const eight = device.zeros([1, 1, 1, 1, 1, 1, 1, 1]);
  expectError(() => eight.unsqueeze(0), 'INVALID_SHAPE',
              'unsqueeze: a tensor of shape [1, 1, 1, 1, 1, 1, 1, 1] already has 8 dims, the most supported');
});

test('reshape, view and expand report shape mismatches with both shapes', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor([[1, 2, 3], [4, 5, 6]]);
  expectError(() => m.reshape([4]), 'INVALID_SHAPE', /^reshape: shape \[4\] is invalid for a tensor of shape \[2, 3\] \(6 elements\)$/);
  expectError(() => m.view([4, -1]), 'INVALID_SHAPE', /^view: shape \[4, -1\] is invalid for a tensor of shape \[2, 3\] \(6 elements\)$/);
  expectError(() => m.reshape([-1, -1]), 'INVALID_SHAPE', /shape \[-1, -1\] has more than one -1; only one size can be inferred$/);
  expectError(() => m.reshape([-2, 3]), 'INVALID_SHAPE',
              /shape \[-2, 3\] has size -2 at dim 0; sizes must be >= 0 \(or -1 to infer one\)$/);
  const col = device.tensor([1, 2, 3], { shape: [3, 1] });
  expectError(() => col.expand([4, 4]), 'INVALID_SHAPE',
              "expand: size 4 at dim 0 of shape [4, 4] does not match size 3 at dim 0 of the tensor's shape [3, 1]; " +
              'only size-1 dims expand');
  expectError(() => col.expand([4]), 'INVALID_SHAPE', "expand: shape [4] has fewer dims than the tensor's shape [3, 1]");
  expectError(() => col.expand([-2, 3, 1]), 'INVALID_SHAPE',
              'expand: size -2 at new leading dim 0 of shape [-2, 3, 1]; a new dim needs a size >= 0');
  // Failed ops leave nothing behind.
  assert.equal(device.getMemoryStats().liveTensors, 2);
});

// --- random chains against a reference model ---------------------------------

// mulberry32: a small seeded PRNG, so failures reproduce.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ravel = (idx, shape) => idx.reduce((acc, i, d) => acc * shape[d] + i, 0);
function unravel(flat, shape) {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

// A reference tensor: shape, element function, read-only flag. Each op
// returns [description, apply(tensor), reference result].
function randomOp(ref, random) {
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));  // inclusive
  const { shape } = ref;
  const n = shape.length;
  const size = product(shape);
  const pick = int(0, 11);
  const view = (s, at, readOnly = ref.readOnly) => ({ shape: s, at, readOnly, copy: false });
  const copied = (s, at) => ({ shape: s, at, readOnly: false, copy: true });
  const reshaped = (target) => {
    const known = target.filter((s) => s !== -1);
    const real = target.map((s) => (s === -1 ? size / product(known) : s));
    return (idx) => ref.at(unravel(ravel(idx, real), shape));
  };
  const randomShape = () => {
    if (size === 0) return [[0], [0, 3], [2, 0]][int(0, 2)];
    const factors = [];
    let rest = size;
    for (let p = 2; rest > 1; ++p) while (rest % p === 0) { factors.push(p); rest /= p; }
    const out = Array(int(1, 4)).fill(1);
    for (const f of factors) out[int(0, out.length - 1)] *= f;
    if (random() < 0.3) out[int(0, out.length - 1)] = -1;
    return out;
  };
  if (n > 0 && pick === 0) {
    const specs = [];
    const k = int(1, n);
    for (let d = 0; d < k; ++d) {
      const s = shape[d];
      const r = random();
      if (r < 0.15) specs.push(null);
      else if (r < 0.3 && s > 0) specs.push(int(-s, s - 1));
      else {
        const step = [1, 1, 2, 3, -1, -2][int(0, 5)];
        if (step > 0) specs.push([random() < 0.2 ? null : int(-s, s), random() < 0.2 ? null : int(-s, s), step]);
        else specs.push([random() < 0.2 || s === 0 ? null : int(-s, s - 1), random() < 0.3 ? null : int(-s, s), step]);
      }
    }
    const maps = specs.map((spec, d) => (typeof spec === 'number' ? spec : sliceRange(spec, shape[d])));
    const outShape = [];
    maps.forEach((m) => { if (typeof m !== 'number') outShape.push(m.length); });
    outShape.push(...shape.slice(k));
    const at = (idx) => {
      const src = [];
      let o = 0;
      maps.forEach((m, d) => src.push(typeof m === 'number' ? (m < 0 ? m + shape[d] : m) : m[idx[o++]]));
      return ref.at([...src, ...idx.slice(o)]);
    };
    return [`slice(${JSON.stringify(specs)})`, (t) => t.slice(specs), view(outShape, at)];
  }
  if (n > 0 && pick === 1) {
    const d = int(0, n - 1);
    if (shape[d] > 0) {
      const i = int(-shape[d], shape[d] - 1);
      const dim = random() < 0.5 ? d : d - n;
      return [`select(${dim}, ${i})`, (t) => t.select(dim, i),
        view([...shape.slice(0, d), ...shape.slice(d + 1)],
             (idx) => ref.at([...idx.slice(0, d), i < 0 ? i + shape[d] : i, ...idx.slice(d)]))];
    }
  }
  if (n > 0 && pick === 2) {
    const d = int(0, n - 1);
    const start = int(-shape[d], shape[d]);
    const first = start < 0 ? start + shape[d] : start;
    const length = int(0, shape[d] - first);
    const out = shape.slice();
    out[d] = length;
    return [`narrow(${d}, ${start}, ${length})`, (t) => t.narrow(d, start, length),
      view(out, (idx) => ref.at(idx.map((v, e) => (e === d ? v + first : v))))];
  }
  if (n > 1 && pick === 3) {
    const perm = [...Array(n).keys()].sort(() => random() - 0.5);
    const dims = perm.map((p) => (random() < 0.3 ? p - n : p));
    return [`permute([${dims}])`, (t) => t.permute(dims), view(perm.map((p) => shape[p]), (idx) => {
      const src = new Array(n);
      perm.forEach((p, k) => { src[p] = idx[k]; });
      return ref.at(src);
    })];
  }
  if (n > 1 && pick === 4) {
    const a = int(0, n - 1);
    const b = int(0, n - 1);
    const out = shape.slice();
    [out[a], out[b]] = [out[b], out[a]];
    return [`transpose(${a}, ${b})`, (t) => t.transpose(a, b), view(out, (idx) => {
      const src = idx.slice();
      [src[a], src[b]] = [src[b], src[a]];
      return ref.at(src);
    })];
  }
  if (n < 6 && pick === 5) {
    const d = int(-(n + 1), n);
    const at = d < 0 ? d + n + 1 : d;
    return [`unsqueeze(${d})`, (t) => t.unsqueeze(d),
      view([...shape.slice(0, at), 1, ...shape.slice(at)], (idx) => ref.at([...idx.slice(0, at), ...idx.slice(at + 1)]))];
  }
  if (pick === 6 && shape.includes(1)) {
    if (random() < 0.5) {
      const keep = shape.map((s) => s !== 1);
      return ['squeeze()', (t) => t.squeeze(), view(shape.filter((s) => s !== 1), (idx) => {
        let o = 0;
        return ref.at(keep.map((k) => (k ? idx[o++] : 0)));
      })];
    }
    const d = shape.indexOf(1);
    return [`squeeze(${d})`, (t) => t.squeeze(d),
      view([...shape.slice(0, d), ...shape.slice(d + 1)], (idx) => ref.at([...idx.slice(0, d), 0, ...idx.slice(d)]))];
  }
  if (pick === 7 && n < 6) {
    const lead = random() < 0.3 ? [int(0, 2)] : [];
    const target = [...lead, ...shape.map((s) => (s === 1 ? int(0, 3) : random() < 0.3 ? -1 : s))];
    const out = target.map((s, d) => (s === -1 ? shape[d - lead.length] : s));
    const repeats = out.some((s, d) => s > 1 && (d < lead.length || shape[d - lead.length] === 1));
    return [`expand([${target}])`, (t) => t.expand(target),
      view(out, (idx) => ref.at(idx.slice(lead.length).map((v, d) => (shape[d] === 1 ? 0 : v)))),
      ref.readOnly || repeats];
  }
  if (pick === 8) {
    const target = randomShape();
    const real = target.map((s) => (s === -1 ? size / product(target.filter((x) => x !== -1)) : s));
    // A view when strides allow it: the test checks which through canView.
    return [`reshape([${target}])`, (t) => t.reshape(target), { ...view(real, reshaped(target)), reshape: true }];
  }
  if (pick === 9 && n > 0) {
    const s = int(0, n - 1);
    const e = int(s, n - 1);
    const target = [...shape.slice(0, s), product(shape.slice(s, e + 1)), ...shape.slice(e + 1)];
    return [`flatten(${s}, ${e})`, (t) => t.flatten(s, e), { ...view(target, reshaped(target)), reshape: true }];
  }
  if (pick === 10) return ['clone()', (t) => t.clone(), copied(shape, ref.at)];
  return ['contiguous()', (t) => t.contiguous(), { ...view(shape, ref.at), contiguousOp: true }];
}

test('random chains of view ops agree with a reference model (values, layout, sharing, read-only)', async (t) => {
  const device = await withDevice(t);
  const random = rng(20240611);
  const shapes = [[2, 3, 4], [3, 1, 5], [4, 4], [6], [2, 1, 3, 2], [1, 5, 1]];
  let checked = 0;
  for (let chain = 0; chain < 150; ++chain) {
    const shape = shapes[chain % shapes.length];
    const count = product(shape);
    const flat = Array.from({ length: count }, (_, i) => i * 3 - 7);
    const base = device.tensor(new Float64Array(flat), { shape });
    let tensor = base;
    let ref = { shape, at: (idx) => flat[ravel(idx, shape)], readOnly: false };
    let sharing = true;  // whether `tensor` still views base's buffer
    const made = [base];
    const steps = [];
    for (let step = 0; step < 4; ++step) {
      const [name, apply, expected, readOnlyOverride] = randomOp(ref, random);
      steps.push(name);
      const where = `chain ${chain} on [${shape}]: ${steps.join(' -> ')}`;
      const canView = expected.reshape ? tensor.canView(expected.shape) : undefined;
      const next = apply(tensor);
      made.push(next);
      assert.deepEqual([...next.shape], expected.shape, where);
      assert.deepEqual(next.toArray(), build(expected.shape, expected.at), where);
      let shares = !expected.copy;
      if (expected.reshape) shares = canView;
      if (expected.contiguousOp) shares = tensor.isContiguous;
      assert.equal(next.sharesStorage(tensor), shares, `${where}: sharesStorage`);
      sharing = sharing && shares;
      const readOnly = shares ? (readOnlyOverride ?? expected.readOnly) : false;
      assert.equal(next.isReadOnly, readOnly, `${where}: isReadOnly`);
      if (sharing) {
        assertLayoutConsistent(next, flat);
      } else if (!shares) {
        assert.equal(next.isContiguous, true, where);
        assert.equal(next.offset, 0, where);
        if (next.size > 0) assert.deepEqual([...next.strides], rowMajorStrides(expected.shape), where);
      }
      if (expected.reshape && canView) {
        // view(shape) succeeds exactly when canView says so.
        const v = tensor.view(expected.shape);
        made.push(v);
        assert.deepEqual(v.toArray(), next.toArray(), where);
      } else if (expected.reshape) {
        expectError(() => tensor.view(expected.shape), 'NOT_VIEWABLE');
      }
      tensor = next;
      ref = { shape: expected.shape, at: expected.at, readOnly };
      ++checked;
    }
    for (const m of made) m.dispose();
  }
  assert.equal(checked, 600);
  assert.deepEqual(liveCounts(device), { liveBuffers: 0, liveData: 0, liveTensors: 0, bytesInUse: 0 });
});

// Element order helpers are used by other files too; keep one sanity check of the reference itself.
test('the reference helpers agree with a hand-written case', () => {
  assert.deepEqual(sliceRange([null, null, -1], 3), [2, 1, 0]);
  assert.deepEqual(sliceRange([-1, 0, -2], 4), [3, 1]);
  assert.deepEqual([...indices([2, 2])], [[0, 0], [0, 1], [1, 0], [1, 1]]);
  assert.equal(base24[1][2][3], 23);
  assert.deepEqual(rowMajorStrides([2, 0, 3]), [3, 3, 1]);
});

// --- user code inside list arguments ---------------------------------------------

test('reshape: a shape getter that calls another op cannot change the shape the call receives', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor(flat24);
  const ops = {
    reshape: (list) => m.reshape(list),
    view: (list) => m.view(list),
    canView: (list) => m.canView(list),
    expand: (list) => m.reshape([1, 24]).expand(list),
    permute: (list) => m.reshape([2, 3, 4]).permute(list),
    empty: (list) => device.empty(list),
    zeros: (list) => device.zeros(list),
    fromData: (list) => device.fromData(device.createData(96), 'float32', list),
    'tensor() shape': (list) => device.tensor(flat24, { shape: list }),
  };
  const lists = {
    reshape: [2, 3, 4], view: [2, 3, 4], canView: [2, 3, 4], expand: [3, 1, 24], permute: [2, 0, 1],
    empty: [2, 3, 4], zeros: [2, 3, 4], fromData: [2, 3, 4], 'tensor() shape': [2, 3, 4],
  };
  for (const [name, op] of Object.entries(ops)) {
    const list = withGetter([...lists[name]], 2, () => m.reshape([6, 1, 1, 1, 1, 1, 1, 4]).dispose());
    const result = op(list);
    if (name === 'canView') assert.equal(result, true);
    else if (name === 'permute') assert.deepEqual([...result.shape], [4, 2, 3], name);
    else assert.deepEqual([...result.shape], lists[name], name);
  }
});

test('view ops: a list getter that disposes the tensor gives DISPOSED, not a view of another tensor', async (t) => {
  const device = await withDevice(t);
  for (const op of ['reshape', 'view', 'permute', 'expand', 'canView']) {
    const m = device.zeros([2, 3]);
    let other;
    const list = op === 'permute' ? [1, 0] : op === 'expand' ? [1, 2, 3] : [3, 2];
    withGetter(list, 1, () => { m.dispose(); other = device.zeros([2, 3]); });
    expectError(() => m[op](list), 'DISPOSED', `${op}: Tensor #${m.id} was disposed`);
    assert.equal(other.isDisposed, false);
  }
  const data = device.createData(24);
  expectError(() => device.fromData(data, 'float32', withGetter([6], 0, () => data.dispose())), 'DISPOSED',
    `fromData: DeviceData #${data.id} was disposed`);
});

test('slice: spec getters that call other ops, dispose the tensor or grow the heap cannot redirect the slice', async (t) => {
  const device = await withDevice(t, { maxMemory: Infinity });
  const m = device.tensor(base24);
  // Another op's specs land in the same scratch area.
  const specs = withGetter([1, [0, 3, 2], null], 2, () => m.slice([0, 0, [1, 2]]).dispose());
  withGetter(specs[1], 1, () => m.slice([[null, null, -1]]).dispose());
  assert.deepEqual(m.slice(specs).toArray(), [[12, 13, 14, 15], [20, 21, 22, 23]]);
  let held = [];
  const grown = m.slice(withGetter([null, 1], 0, () => { held = growHeap(device); }));
  assert.deepEqual(grown.toArray(), [[4, 5, 6, 7], [16, 17, 18, 19]]);
  for (const h of held) h.dispose();
  const doomed = device.tensor(flat24);
  expectError(() => doomed.slice(withGetter([[0, 2]], 0, () => doomed.dispose())), 'DISPOSED',
    `slice: Tensor #${doomed.id} was disposed`);
  // Objects are not specs, whatever their getters say.
  let called = 0;
  expectError(() => m.slice([{ get 0() { called++; return 0; }, length: 1 }]), 'INVALID_ARGUMENT',
    'slice: spec 0 is an object; it must be a number, null or [start, stop, step?]');
  assert.equal(called, 0);
});

test('list arguments: Proxies are read once through their traps; revoked Proxies, odd lengths and detached arrays are refused', async (t) => {
  const device = await withDevice(t);
  const m = device.tensor(flat24);
  const reads = [];
  const traced = new Proxy([4, 6], { get(target, key) { reads.push(String(key)); return target[key]; } });
  assert.deepEqual([...m.reshape(traced).shape], [4, 6]);
  assert.deepEqual(reads, ['length', '0', '1']);
  const { proxy, revoke } = Proxy.revocable([24], {});
  revoke();
  expectError(() => m.reshape(proxy), 'INVALID_ARGUMENT', 'reshape: shape is a revoked Proxy; it must be an array of integers');
  expectError(() => m.slice(proxy), 'INVALID_ARGUMENT', 'slice: specs is a revoked Proxy; it must be an array');
  const lying = new Proxy([24], { get: (target, key) => (key === 'length' ? { valueOf: () => 1 } : target[key]) });
  expectError(() => m.reshape(lying), 'INVALID_ARGUMENT',
    'reshape: shape has length an object; it must be an array or typed array');
  expectError(() => m.reshape(detached(Int32Array)), 'INVALID_ARGUMENT',
    'reshape: shape is a detached Int32Array: its buffer was transferred or resized, or it viewed wasm memory that ' +
    'has grown since');
  expectError(() => m.reshape(new BigInt64Array([24n])), 'INVALID_ARGUMENT', 'reshape: shape[0] is 24n; it must be a number');
  assert.deepEqual([...m.reshape(new Int32Array([2, 12])).shape], [2, 12]);
  const long = new Proxy([], { get: (target, key) => (key === 'length' ? 2 ** 32 - 1 : 1) });
  expectError(() => m.reshape(long), 'INVALID_SHAPE', /reshape: shape has 4294967295 values; at most 8 are supported/);
});
