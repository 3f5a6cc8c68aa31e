// tensormem: checked tensor memory for JavaScript, backed by a WebAssembly runtime.
//
// Memory management in one paragraph: every `DeviceData` and `Tensor` holds wasm
// memory until `dispose()` (or `using`, or the end of a `device.scope()`). Views
// share their buffer; the buffer is freed when its last view is disposed. Any use
// of a disposed object throws `TensorMemError` with code `DISPOSED` -- it never
// reads freed or reused memory. Objects that are garbage-collected undisposed are
// freed by a FinalizationRegistry and counted in `leaksReclaimed`; that is a
// safety net, not a plan: finalizers run late or never in busy synchronous code.

// Node projects without the DOM lib have no WebAssembly types; this declares
// the one name used here (and merges with the full declaration elsewhere).
declare global {
  namespace WebAssembly {
    interface Module {}
  }
}

/** Element types. `bool` is stored as one byte (0 or 1). */
export type DType =
  | 'float32' | 'float64'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
  | 'int64' | 'uint64'
  | 'bool';

/** The typed array that holds elements of a dtype (`bool`: Uint8Array of 0/1). */
export interface TypedArrayFor {
  float32: Float32Array; float64: Float64Array;
  int8: Int8Array; uint8: Uint8Array; int16: Int16Array; uint16: Uint16Array;
  int32: Int32Array; uint32: Uint32Array;
  int64: BigInt64Array; uint64: BigUint64Array;
  bool: Uint8Array;
}

/** The dtype a typed array gives a tensor made from it (Uint8ClampedArray: uint8). */
export type DTypeOfArray<A> =
  A extends Float32Array ? 'float32' : A extends Float64Array ? 'float64' :
  A extends Int8Array ? 'int8' : A extends Uint8Array | Uint8ClampedArray ? 'uint8' :
  A extends Int16Array ? 'int16' : A extends Uint16Array ? 'uint16' :
  A extends Int32Array ? 'int32' : A extends Uint32Array ? 'uint32' :
  A extends BigInt64Array ? 'int64' : A extends BigUint64Array ? 'uint64' : never;

/**
 * One element as JS sees it: number, bigint for 64-bit integers, boolean for bool.
 * Element values passed in (set, write, tensor, checked views) are numbers,
 * booleans or bigints, converted as typed arrays convert them (int64/uint64
 * take integral numbers too; bool stores truthiness as 0 or 1); any other
 * value is INVALID_ARGUMENT, and nothing is coerced: no valueOf or toString runs.
 */
export interface ElementFor {
  float32: number; float64: number;
  int8: number; uint8: number; int16: number; uint16: number; int32: number; uint32: number;
  int64: bigint; uint64: bigint;
  bool: boolean;
}

/** Nested arrays of elements, as returned by `toArray()`. */
export type NestedArray<T> = T | NestedArray<T>[];

/** Error codes, shared with the C++ runtime (`tensormem::ErrorCode`). */
export type ErrorCode =
  | 'DISPOSED'          // the object, its buffer or its device was disposed
  | 'OUT_OF_BOUNDS'     // an index, range or write lies outside its buffer or dimension
  | 'INVALID_SHAPE'     // a shape is malformed or does not match the element count
  | 'INVALID_ARGUMENT'  // any other bad value: wrong type, NaN, fraction, another device's object
  | 'NOT_VIEWABLE'      // view(shape) cannot be expressed with strides (reshape() would copy)
  | 'NOT_CONTIGUOUS'    // the operation needs contiguous memory (call contiguous() first)
  | 'DTYPE_MISMATCH'    // element type differs from the one required
  | 'MEMORY_LIMIT'      // maxMemory would be exceeded, even after compaction
  | 'OUT_OF_MEMORY'     // the wasm heap cannot grow (2 GiB)
  | 'READ_ONLY'         // a write through a view that repeats elements (expand)
  | 'KERNEL_FAILED';    // a kernel threw, trapped or returned a bad result

/**
 * Every failure is a TensorMemError. The message names the offending values,
 * e.g. "Slice stop 10 is out of bounds for dimension of size 3 (dim 0 of shape [3])".
 * After any error the device stays usable and nothing leaks.
 *
 * Integer arguments (indices, dims, sizes, slice bounds, byte offsets) are
 * numbers: a bigint, string, Symbol or object is INVALID_ARGUMENT, never
 * converted. A detached typed array or ArrayBuffer passed anywhere is
 * INVALID_ARGUMENT. User code that runs inside a call (a getter or Proxy trap
 * of an array argument) cannot redirect it: arguments are read before any
 * object is resolved or memory touched, and what such code throws propagates.
 */
export class TensorMemError extends Error {
  readonly name: 'TensorMemError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string);
}

export interface DeviceOptions {
  /** Hard limit in bytes on memory reserved by the pool (in use + cached). Default 256 MiB; `Infinity` for none (the wasm heap's 2 GiB still applies). */
  maxMemory?: number;
  /** Fraction of maxMemory in (0, 1] above which the pool compacts before reserving more. Default 0.8. */
  compactThreshold?: number;
  /** Compact automatically at compactThreshold. Default true. */
  autoCompact?: boolean;
  /** Debug mode: creation stacks in liveAllocations() and leak warnings, poisoned freed blocks, guard bytes. Default false. */
  debug?: boolean;
  /** Where the .wasm file is (URL or path); for bundlers and browsers. Default: next to this module. */
  wasmUrl?: string | URL;
  /** The .wasm bytes or a compiled module, to skip loading. */
  wasmBinary?: ArrayBuffer | Uint8Array | WebAssembly.Module;
  /** Emscripten-style resolver, called with 'tensormem.wasm'. */
  locateFile?: (file: string) => string;
}

export interface MemoryStats {
  /** Bytes reserved by the pool from the wasm heap: in use plus cached. */
  totalAllocated: number;
  bytesInUse: number;
  /** Bytes the live buffers asked for (bytesInUse counts whole pool blocks). */
  bytesRequested: number;
  bytesCached: number;
  peakBytesInUse: number;
  peakBytesReserved: number;
  /** The hard limit (Infinity when none). */
  maxMemory: number;
  /** Buffers alive in the pool (a buffer lives while any data object or tensor view holds it). */
  liveBuffers: number;
  /** DeviceData objects not yet disposed. */
  liveData: number;
  /** Tensor objects not yet disposed. */
  liveTensors: number;
  allocCount: number;
  freeCount: number;
  poolHits: number;
  poolMisses: number;
  compactions: number;
  bytesReleased: number;
  failedAllocations: number;
  /** Debug mode: buffers whose guard bytes were overwritten (writes past their end). */
  guardViolations: number;
  /** Releases that failed where no caller could be told (see the C++ Stats). */
  failedReleases: number;
  /** Objects freed by the FinalizationRegistry because they were garbage-collected undisposed. */
  leaksReclaimed: number;
  /** Size of the wasm linear memory (it grows, never shrinks). */
  wasmHeapBytes: number;
}

export interface LiveAllocation {
  kind: 'data' | 'tensor';
  /** The object's id (unique per device, never reused). */
  id: number;
  /** The buffer it holds; views of one buffer share this. */
  bufferId: number;
  /** Bytes of the buffer. */
  bytes: number;
  dtype: DType;
  shape: number[];
  /** Where the object was created (debug mode only). */
  stack?: string;
}

/** A raw buffer in wasm memory (the seed's DeviceData). */
export interface DeviceData {
  readonly id: number;
  readonly byteLength: number;
  readonly device: Device;
  readonly isDisposed: boolean;
  /**
   * The fast, unchecked typed array over this buffer. It is invalidated (reads
   * stale or freed memory, or is detached and empty) by dispose() and whenever
   * the wasm memory grows; re-derive it after any allocation. Use
   * device.readDataView() for a checked view.
   */
  view<D extends DType = 'uint8'>(dtype?: D): TypedArrayFor[D];
  /** Frees the buffer (unless tensors view it). Idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * A checked, typed-array-like view of a DeviceData: reads and writes check the
 * buffer is alive (else DISPOSED "View is no longer valid: buffer has been
 * disposed") and the index (else OUT_OF_BOUNDS "Index 999 out of bounds for
 * array of length 3"); it stays valid when the wasm memory grows. Values
 * written are converted as Tensor.set converts them (see ElementFor). It
 * cannot be frozen or sealed. Each access goes through a Proxy trap (hundreds
 * of ns): for loops use tensor get/set, read/write.
 */
export interface CheckedView<D extends DType = DType> extends Iterable<ElementFor[D]> {
  [index: number]: ElementFor[D];
  readonly length: number;
  readonly dtype: D;
  /** Whether the buffer is still alive. */
  readonly isValid: boolean;
}

/** One dim's slice: a number selects (drops the dim), null keeps it whole, [start, stop, step?] with null for an open end. Negative values count from the end; steps may be negative. */
export type SliceSpec = number | null | readonly [start: number | null, stop: number | null, step?: number];

export interface TensorOptions<D extends DType> {
  /** Default: inferred from nested arrays, else [values.length]. */
  shape?: readonly number[];
  /** Default: the typed array's dtype; for arrays, bool for booleans, int64 for bigints, else float32. */
  dtype?: D;
}

/**
 * A strided view of a buffer in wasm memory. View ops (reshape when possible,
 * view, flatten, squeeze, unsqueeze, slice, select, narrow, permute,
 * transpose, expand) share the buffer: a write through one is seen by all.
 * Each result is a new Tensor that must be disposed too.
 */
export interface Tensor<D extends DType = DType> {
  readonly device: Device;
  readonly id: number;
  readonly dtype: D;
  readonly shape: readonly number[];
  /** In elements; may be negative (reversed slices) or 0 (expand). */
  readonly strides: readonly number[];
  /** Element offset of element [0, ..., 0] in the buffer. */
  readonly offset: number;
  readonly size: number;
  readonly ndim: number;
  readonly isContiguous: boolean;
  /** Writes are refused (READ_ONLY): the view repeats elements (expand). */
  readonly isReadOnly: boolean;
  readonly isDisposed: boolean;

  /** Same elements in a new shape (one -1 inferred); a view when strides allow, else a copy -- sharesStorage() tells which. */
  reshape(shape: readonly number[]): Tensor<D>;
  /** Like reshape, but never copies: NOT_VIEWABLE when strides cannot express it. */
  view(shape: readonly number[]): Tensor<D>;
  /** The zero-copy typed array over a contiguous tensor's elements (NOT_CONTIGUOUS otherwise). Invalidated by dispose and by wasm memory growth. */
  view(): TypedArrayFor[D];
  flatten(startDim?: number, endDim?: number): Tensor<D>;
  squeeze(dim?: number): Tensor<D>;
  unsqueeze(dim: number): Tensor<D>;
  /** One spec per leading dim; e.g. t.slice([[0, 2]]), t.slice([null, [null, null, -1]]), t.slice([1]). */
  slice(specs: readonly SliceSpec[]): Tensor<D>;
  select(dim: number, index: number): Tensor<D>;
  narrow(dim: number, start: number, length: number): Tensor<D>;
  permute(dims: readonly number[]): Tensor<D>;
  transpose(dim0?: number, dim1?: number): Tensor<D>;
  /** Broadcast size-1 dims (stride 0); the result is read-only when a dim repeats. */
  expand(shape: readonly number[]): Tensor<D>;
  /** A new handle on the same buffer when contiguous, else a contiguous copy. */
  contiguous(): Tensor<D>;
  /** A contiguous, writable copy. */
  clone(): Tensor<D>;
  /** A contiguous copy converted to dtype. */
  to<E extends DType>(dtype: E): Tensor<E>;
  /** Whether both view the same buffer (how to tell a reshape view from a copy). */
  sharesStorage(other: Tensor): boolean;
  /** Whether view(shape) would succeed. */
  canView(shape: readonly number[]): boolean;

  /** One index per dim (negatives count from the end); checked. */
  get(...index: number[]): ElementFor[D];
  set(value: ElementFor[D] | number, ...index: number[]): void;
  /** Copy in logical (row-major) order. */
  read(): TypedArrayFor[D];
  /** The same into `out` (this dtype's typed array, exactly `size` elements), without allocating; returns out. Bool reads as 0 or 1. */
  read<O extends TypedArrayFor[D]>(out: O): O;
  /** Nested arrays in logical order (a scalar for 0-d). */
  toArray(): NestedArray<ElementFor[D]>;
  /** Copies `values` (row-major, exactly `size` of them) in, converting as typed arrays do; a failed write changes nothing. */
  write(values: ArrayLike<number> | ArrayLike<bigint> | TypedArrayFor[DType]): void;

  /** Releases this view. Idempotent. The buffer lives while other views hold it. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * The kernels compiled into this package's wasm runtime, as `device.kernels.<name>(...)`.
 * Empty for the bare `tensormem` package; a package built with
 * `tensormem_add_js_package(... SOURCES ...)` lists its kernels here (generated
 * from their C++ signatures). Tensor results follow every lifetime rule.
 */
export interface Kernels {}

export interface Device extends Disposable {}
export class Device {
  /** Loads (once per process) and instantiates a runtime with its own wasm memory. */
  static create(options?: DeviceOptions): Promise<Device>;

  readonly options: Readonly<Required<Pick<DeviceOptions, 'maxMemory' | 'compactThreshold' | 'autoCompact' | 'debug'>>>;
  readonly isDisposed: boolean;
  /** This runtime's kernels (see Kernels). */
  readonly kernels: Kernels;

  // --- raw buffers (the seed's device API) ---
  /** A buffer of byteLength bytes, zero-filled; allocates no JS ArrayBuffer. */
  createData(byteLength: number): DeviceData;
  /** A buffer holding a copy of `buffer` (one copy, into wasm memory). */
  createDataWithBuffer(buffer: ArrayBuffer | ArrayBufferView): DeviceData;
  /** A checked view; see CheckedView. */
  readDataView<D extends DType = 'uint8'>(data: DeviceData, dtype?: D): CheckedView<D>;
  /** A copy of the buffer's bytes (exactly one copy). */
  readData(data: DeviceData): Promise<ArrayBuffer>;
  /** Copies `buffer` into data at byteOffset (OUT_OF_BOUNDS if it does not fit). */
  writeData(data: DeviceData, buffer: ArrayBuffer | ArrayBufferView, byteOffset?: number): Promise<void>;
  disposeData(data: DeviceData): void;

  // --- tensors ---
  /**
   * A tensor holding a copy of `values`. Without options.dtype the dtype is
   * the typed array's, or for (nested) arrays bool for booleans, int64 for
   * bigints, else float32; values convert as typed arrays convert.
   */
  tensor<D extends DType>(values: TypedArrayFor[DType] | Uint8ClampedArray | NestedArray<number | bigint | boolean>, options: TensorOptions<D> & { dtype: D }): Tensor<D>;
  tensor<A extends TypedArrayFor[DType] | Uint8ClampedArray>(values: A, options?: { shape?: readonly number[] }): Tensor<DTypeOfArray<A>>;
  tensor(values: NestedArray<bigint>, options?: { shape?: readonly number[] }): Tensor<'int64'>;
  tensor(values: NestedArray<boolean>, options?: { shape?: readonly number[] }): Tensor<'bool'>;
  tensor(values: NestedArray<number>, options?: { shape?: readonly number[] }): Tensor<'float32'>;
  empty<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
  zeros<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
  /** A tensor view of a DeviceData's bytes (shares the buffer; default shape: all whole elements). */
  fromData<D extends DType>(data: DeviceData, dtype: D, shape?: readonly number[]): Tensor<D>;

  // --- lifetimes ---
  /**
   * Runs fn; every tensor and buffer created while it runs is disposed when it
   * returns, except what it returns (also inside arrays, the data properties
   * of plain objects, Map keys and values, Set members) and what device.keep()
   * marked. Returned objects move to the enclosing scope. The scope always
   * closes: if fn throws, or examining its result does (a `then` getter, a
   * Proxy trap), everything is disposed and the error propagates.
   * Async fn: the scope stays open until its promise settles; in node it
   * collects only what its own async task creates (AsyncLocalStorage), in
   * browsers whatever is created while it is the innermost open scope.
   */
  scope<T>(fn: () => Promise<T>): Promise<T>;
  scope<T>(fn: () => T): T;
  /** Exempts an object from scope disposal; returns it. */
  keep<T extends Tensor | DeviceData>(object: T): T;
  /** Every live DeviceData and Tensor, with creation stacks in debug mode. */
  liveAllocations(): LiveAllocation[];

  // --- memory ---
  getMemoryStats(): MemoryStats;
  /** Returns cached pool blocks to the wasm allocator; the bytes released. */
  performIntensiveCleanup(): number;
  compact(): number;
  /** Frees everything this device holds; later use throws DISPOSED. Idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** The package and runtime version. */
export const version: string;
