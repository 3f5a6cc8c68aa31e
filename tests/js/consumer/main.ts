// A TypeScript program written the way a user of the npm package writes one: strict
// types, `using`, scopes, typed errors. run.sh compiles it against the installed tarball
// (so the .d.ts is checked as users get it) and runs it under node. Every
// `@ts-expect-error` line must be a type error, or tsc fails; most of them also run, to
// check that the runtime refuses the same misuse.
import { Device, TensorMemError, version } from 'tensormem';
import type { CheckedView, ErrorCode, MemoryStats, Snapshot, SnapshotOwner, Tensor } from 'tensormem';

// ---- compile-time checks -----------------------------------------------------------

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): void {}

assertType<Equals<ReturnType<Tensor<'int32'>['read']>, Int32Array>>();
assertType<Equals<ReturnType<Tensor<'int64'>['get']>, bigint>>();
assertType<Equals<ReturnType<Tensor<'uint64'>['read']>, BigUint64Array>>();
assertType<Equals<ReturnType<Tensor<'bool'>['get']>, boolean>>();
assertType<Equals<ReturnType<Tensor<'bool'>['read']>, Uint8Array>>();
assertType<Equals<ReturnType<Tensor<'float64'>['get']>, number>>();
assertType<Equals<Awaited<ReturnType<typeof Device.create>>, Device>>();

// device.tensor() is typed with the dtype the runtime infers (never called: types only).
function inferredDtypes(device: Device): void {
  const i32 = device.tensor(new Int32Array(2));
  assertType<Equals<typeof i32, Tensor<'int32'>>>();
  const clamped = device.tensor(new Uint8ClampedArray(2));
  assertType<Equals<typeof clamped, Tensor<'uint8'>>>();
  const big = device.tensor([[1n, 2n]]);
  assertType<Equals<typeof big, Tensor<'int64'>>>();
  const flags = device.tensor([true, false]);
  assertType<Equals<typeof flags, Tensor<'bool'>>>();
  const floats = device.tensor([[1, 2], [3, 4]]);
  assertType<Equals<typeof floats, Tensor<'float32'>>>();
  const converted = device.tensor(new Int32Array(2), { dtype: 'float64' });
  assertType<Equals<typeof converted, Tensor<'float64'>>>();
}
void inferredDtypes;

// Every code has a description; adding a code to ErrorCode without one is a compile error.
function describe(code: ErrorCode): string {
  switch (code) {
    case 'DISPOSED': return 'used after dispose';
    case 'OUT_OF_BOUNDS': return 'index or range outside its buffer';
    case 'INVALID_SHAPE': return 'bad shape';
    case 'INVALID_ARGUMENT': return 'bad value';
    case 'NOT_VIEWABLE': return 'needs a copy';
    case 'NOT_CONTIGUOUS': return 'needs contiguous memory';
    case 'DTYPE_MISMATCH': return 'wrong element type';
    case 'MEMORY_LIMIT': return 'maxMemory reached';
    case 'OUT_OF_MEMORY': return 'wasm heap exhausted';
    case 'READ_ONLY': return 'view repeats elements';
    case 'KERNEL_FAILED': return 'a kernel threw or trapped';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

// ---- runtime checks ----------------------------------------------------------------

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail?: unknown): void {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail === undefined ? '' : `: ${String(detail)}`}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ===
    JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

function checkEqual(name: string, actual: unknown, expected: unknown): void {
  const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  check(name, same(actual, expected), `got ${show(actual)}, expected ${show(expected)}`);
}

/** Runs fn, which must throw a TensorMemError with one of `codes` (and a message matching `message`). */
function checkThrows(name: string, fn: () => unknown, codes: ErrorCode | readonly ErrorCode[],
                     message?: RegExp): TensorMemError | undefined {
  const wanted: readonly ErrorCode[] = typeof codes === 'string' ? [codes] : codes;
  try {
    fn();
  } catch (e: unknown) {
    if (!(e instanceof TensorMemError)) {
      check(name, false, `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a TensorMemError`);
      return undefined;
    }
    // e.code is an ErrorCode here: the narrowing users rely on.
    const code: ErrorCode = e.code;
    const ok = wanted.includes(code) && e instanceof Error && e.name === 'TensorMemError' &&
      (message === undefined || message.test(e.message));
    check(name, ok, `${code} (${describe(code)}): ${e.message}`);
    return e;
  }
  check(name, false, `did not throw (wanted ${wanted.join(' or ')})`);
  return undefined;
}

function checkTypeError(name: string, fn: () => unknown): void {
  try {
    fn();
    check(name, false, 'did not throw');
  } catch (e: unknown) {
    check(name, e instanceof TypeError, e);
  }
}

function stats(device: Device): MemoryStats {
  return device.getMemoryStats();
}

check('version is a semver string', /^\d+\.\d+\.\d+/.test(version), version);

const device = await Device.create({ maxMemory: 8 << 20, debug: false });
check('Device.create applies options', device.options.maxMemory === 8 << 20 && device.options.debug === false &&
  device.options.autoCompact === true && !device.isDisposed, JSON.stringify(device.options));

// `using` disposes at the end of the block.
{
  const escaped: Tensor<'float32'>[] = [];
  {
    using t = device.zeros([2, 3]);
    escaped.push(t);
    assertType<Equals<typeof t, Tensor<'float32'>>>();
    checkEqual('zeros: shape', t.shape, [2, 3]);
    checkEqual('zeros: strides, offset, size, ndim, dtype', [t.strides, t.offset, t.size, t.ndim, t.dtype],
      [[3, 1], 0, 6, 2, 'float32']);
    const values = t.read();
    check('zeros: read() is a Float32Array of zeros', values instanceof Float32Array && values.length === 6 &&
      values.every((v) => v === 0), values);
    check('zeros: counted as a live tensor', stats(device).liveTensors === 1, stats(device).liveTensors);

    // @ts-expect-error shape is read-only
    checkTypeError('assigning t.shape throws TypeError', () => { t.shape = [6]; });
    // @ts-expect-error the shape array is read-only too
    try { t.shape.push(1); } catch { /* a frozen array refuses; a copy may accept */ }
    checkEqual('mutating the returned shape leaves the tensor unchanged', t.shape, [2, 3]);
  }
  const t = escaped[0]!;
  check('using: tensor disposed at block end', t.isDisposed);
  checkThrows('using: get() after dispose throws DISPOSED', () => t.get(0, 0), 'DISPOSED');
  t.dispose(); // idempotent
  const s = stats(device);
  check('using: nothing live after the block', s.liveTensors === 0 && s.liveBuffers === 0,
    `liveTensors ${s.liveTensors}, liveBuffers ${s.liveBuffers}`);
}

// Misuse the types reject is refused at runtime too, and the device stays usable.
// @ts-expect-error a shape is an array of numbers, not a string
checkThrows('string shape is refused', () => device.zeros('2,3'), ['INVALID_ARGUMENT', 'INVALID_SHAPE']);
// @ts-expect-error no such dtype
checkThrows('unknown dtype is refused', () => device.zeros([2], 'float16'), 'INVALID_ARGUMENT');
checkThrows('fractional size is refused', () => device.zeros([1.5]), ['INVALID_ARGUMENT', 'INVALID_SHAPE']);

// Typed elements: the dtype parameter flows from options to read() and get().
{
  using i32 = device.tensor([1, 2, 3], { dtype: 'int32' });
  assertType<Equals<typeof i32, Tensor<'int32'>>>();
  const values: Int32Array = i32.read();
  checkEqual('int32: read() values', Array.from(values), [1, 2, 3]);
  check('int32: read() is an Int32Array', values instanceof Int32Array);
  i32.set(2 ** 31, 0);
  check('int32: set() converts as Int32Array does', i32.get(0) === -2147483648, i32.get(0));
  // @ts-expect-error an int32 tensor reads as Int32Array, not Float32Array
  const wrong: Float32Array = i32.read();
  void wrong;
  // @ts-expect-error an int32 tensor is not a float32 tensor
  const alsoWrong: Tensor<'float32'> = i32;
  void alsoWrong;
  // @ts-expect-error elements are numbers, not strings
  checkThrows('set() with a string is refused', () => i32.set('7', 1), 'INVALID_ARGUMENT');
  checkEqual('int32: refused set() left the element', i32.get(1), 2);

  using i64 = device.tensor([1n, -2n, 2n ** 40n], { dtype: 'int64' });
  const e: bigint = i64.get(1);
  check('int64: get() is a bigint', typeof e === 'bigint' && e === -2n, e);
  check('int64: read() is a BigInt64Array', i64.read() instanceof BigInt64Array);
  i64.set(5, 0);
  checkEqual('int64: toArray() after set(number)', i64.toArray(), [5n, -2n, 2n ** 40n]);
  // @ts-expect-error int64 elements are bigint, not number
  const n: number = i64.get(0);
  void n;

  using flags = device.tensor([true, false, true], { dtype: 'bool' });
  const first: boolean = flags.get(0);
  check('bool: get() is a boolean', first === true);
  checkEqual('bool: read() is a Uint8Array of 0/1', [flags.read() instanceof Uint8Array, Array.from(flags.read())],
    [true, [1, 0, 1]]);
}

// Views share storage; ops that need contiguous memory say so.
{
  using base = device.tensor([[1, 2, 3], [4, 5, 6]]);
  assertType<Equals<typeof base, Tensor<'float32'>>>();
  checkEqual('nested arrays infer the shape', base.shape, [2, 3]);
  using r = base.reshape([3, 2]);
  r.set(50, 2, 1);
  check('reshape shares storage', r.sharesStorage(base));
  check('a write through reshape is seen by the original', base.get(1, 2) === 50, base.get(1, 2));
  using s = base.slice([null, [1, 3]]);
  checkEqual('slice [null, [1, 3]]', s.toArray(), [[2, 3], [5, 50]]);
  using rev = base.slice([[null, null, -1]]);
  checkEqual('slice with a negative step', rev.toArray(), [[4, 5, 50], [1, 2, 3]]);
  using tr = base.transpose();
  check('transpose is not contiguous', !tr.isContiguous && same(tr.shape, [3, 2]));
  checkThrows('view() of a transposed tensor throws NOT_CONTIGUOUS', () => tr.view(), 'NOT_CONTIGUOUS');
  using c = tr.contiguous();
  const raw: Float32Array = c.view();
  checkEqual('contiguous() then the zero-copy view()', Array.from(raw), [1, 4, 2, 5, 3, 50]);
  checkThrows('slice past the end throws OUT_OF_BOUNDS naming the values', () => base.slice([[0, 10]]),
    'OUT_OF_BOUNDS', /^Slice stop 10 is out of bounds for dimension of size 2 \(dim 0 of shape \[2, ?3\]\)/);
}

// Scopes: everything created inside is disposed, except what is returned or kept.
{
  const made: Tensor[] = [];
  const kept = device.scope(() => {
    const a = device.zeros([4]);
    made.push(a);
    return a.reshape([2, 2]);
  });
  assertType<Equals<typeof kept, Tensor<'float32'>>>();
  check('scope disposes what it does not return', made[0]!.isDisposed);
  check('scope keeps what it returns', !kept.isDisposed && same(kept.shape, [2, 2]));
  kept.dispose();

  const result = await device.scope(async () => {
    const temp = device.zeros([8]);
    made.push(temp);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const pinned = device.keep(device.zeros([1], 'uint8'));
    return { out: device.tensor([7, 8], { dtype: 'int32' }), pinned, label: 'done' };
  });
  assertType<Equals<typeof result, { out: Tensor<'int32'>; pinned: Tensor<'uint8'>; label: string }>>();
  check('async scope disposes temporaries after the promise settles', made[1]!.isDisposed);
  check('async scope keeps returned and kept objects', !result.out.isDisposed && !result.pinned.isDisposed &&
    result.label === 'done');
  result.out.dispose();
  result.pinned.dispose();
  check('scope: nothing live afterwards', stats(device).liveTensors === 0, stats(device).liveTensors);
}

// Raw buffers and the checked view.
{
  using data = device.createDataWithBuffer(new Float32Array([1, 2, 3]));
  const v: CheckedView<'float32'> = device.readDataView(data, 'float32');
  checkEqual('readDataView reads elements', [v.length, v[0], v[1], v[2]], [3, 1, 2, 3]);
  checkThrows('readDataView index past the end', () => v[999], 'OUT_OF_BOUNDS',
    /^Index 999 out of bounds for array of length 3$/);
  const bytes: ArrayBuffer = await device.readData(data);
  checkEqual('readData copies the bytes', Array.from(new Float32Array(bytes)), [1, 2, 3]);
  device.disposeData(data);
  check('checked view is invalid after disposeData', !v.isValid && data.isDisposed);
  checkThrows('checked view after disposeData throws DISPOSED', () => v[0], 'DISPOSED',
    /View is no longer valid: buffer has been disposed/);
}

// The limit is an error, not a crash, and the device stays usable.
checkThrows('allocation over maxMemory throws MEMORY_LIMIT', () => device.zeros([4 << 20]), 'MEMORY_LIMIT',
  /^Memory limit exceeded: requested \d+ bytes/);
{
  using after = device.zeros([4]);
  check('device usable after MEMORY_LIMIT', after.size === 4);
}

// Stats: every documented counter is a number, and nothing is left.
{
  const s = stats(device);
  const keys: (keyof MemoryStats)[] = ['totalAllocated', 'bytesInUse', 'bytesRequested', 'bytesCached',
    'peakBytesInUse', 'peakBytesReserved', 'maxMemory', 'liveBuffers', 'liveData', 'liveTensors', 'allocCount',
    'freeCount', 'poolHits', 'poolMisses', 'compactions', 'bytesReleased', 'failedAllocations', 'leaksReclaimed',
    'wasmHeapBytes'];
  const notNumbers = keys.filter((k) => typeof s[k] !== 'number');
  check('getMemoryStats: every counter is a number', notNumbers.length === 0, notNumbers.join(', '));
  check('getMemoryStats: nothing live at the end', s.liveBuffers === 0 && s.liveTensors === 0 && s.liveData === 0 &&
    s.bytesInUse === 0 && s.allocCount === s.freeCount, JSON.stringify(s));
  check('getMemoryStats: the failed allocation is counted', s.failedAllocations >= 1, s.failedAllocations);
  check('getMemoryStats: maxMemory as configured', s.maxMemory === 8 << 20, s.maxMemory);
  const released: number = device.compact();
  check('compact() releases the cached bytes', released >= 0 && stats(device).bytesCached === 0,
    `${released} released, ${stats(device).bytesCached} cached`);
}

// recordHistory() / snapshot(): typed events, buffers and owners.
{
  device.recordHistory({ maxEvents: 64, stacks: true });
  const t = device.zeros([4]);
  const snapshot: Snapshot = device.snapshot();
  const owner: SnapshotOwner | undefined = snapshot.buffers.flatMap((b) => b.owners).find((o) => o.id === t.id);
  check('snapshot: the tensor is an owner with its dtype and shape', owner?.kind === 'tensor' &&
    owner.dtype === 'float32' && owner.shape?.[0] === 4, owner);
  const kinds: string[] = (snapshot.history?.events ?? []).map((e) => e.kind);
  checkEqual('snapshot: allocate, then the object', kinds, ['allocate', 'object_created']);
  t.dispose();
  device.stopHistory();
}

// dispose(): the device and everything it made refuse further use.
{
  const survivor = device.zeros([2]);
  device.dispose();
  device.dispose(); // idempotent
  check('device.isDisposed after dispose()', device.isDisposed && survivor.isDisposed);
  checkThrows('device use after dispose throws DISPOSED', () => device.zeros([1]), 'DISPOSED');
  checkThrows('tensor use after device dispose throws DISPOSED', () => survivor.get(0), 'DISPOSED');

  // The exports map publishes the .wasm, for bundlers and for the wasmUrl option.
  const meta = import.meta as ImportMeta & { resolve(specifier: string): string };
  const wasmUrl = new URL(meta.resolve('tensormem/tensormem.wasm'));
  let scoped: Device | undefined;
  {
    using d2 = await Device.create({ wasmUrl });
    scoped = d2;
    check('a device loaded through wasmUrl from the exports map has the default 256 MiB limit',
      d2.options.maxMemory === 256 * 1024 * 1024, d2.options.maxMemory);
    using z = d2.zeros([3], 'float64');
    checkEqual('the wasmUrl device works', z.toArray(), [0, 0, 0]);
  }
  check('using disposes a device', scoped.isDisposed);
}

console.log(`consumer checks: ${passed} passed, ${failed} failed`);
if (failed > 0) throw new Error(`${failed} consumer checks failed`);
