// tensormem: checked tensor memory for JavaScript, backed by a WebAssembly runtime.
//
// Memory management in one paragraph: every `DeviceData` and `Tensor` holds wasm
// memory until `dispose()` (or `using`, or the end of a `device.scope()`). Views
// share their buffer; the buffer is freed when its last view is disposed. Any use
// of a disposed object throws `TensorMemError` with code `DISPOSED` -- it never
// reads freed or reused memory. Objects that are garbage-collected undisposed are
// freed by a FinalizationRegistry and counted in `leaksReclaimed`; that is a
// safety net, not a plan: finalizers run late or never in busy synchronous code.

// Globals this file needs, declared so that it compiles with any `lib` from
// es2020 on, with or without the DOM lib or @types/node: projects without the DOM
// lib have no WebAssembly and URL types, and `Symbol.dispose` / `Disposable` (what `using`
// calls) are in TypeScript's lib only from esnext.disposable. Each merges with the
// full declaration where the project's lib has one.
declare global {
  /** WebAssembly's JS API (declared in full by the DOM lib and @types/node). */
  namespace WebAssembly {
    /** A compiled WebAssembly module (the DOM lib and @types/node declare it in full). */
    interface Module {}
  }
  /** The global `Symbol` (lib.es2015), with esnext's `Symbol.dispose`. */
  interface SymbolConstructor {
    /** The method `using` calls when its block ends (esnext.disposable; node 20 defines it). */
    readonly dispose: unique symbol;
  }
  /** A URL (the DOM lib and @types/node declare it in full; without either, any object is accepted here). */
  interface URL {}
  /** An object `using` can dispose (esnext.disposable). */
  interface Disposable {
    /** Disposes the object; called by `using` at the end of its block. */
    [Symbol.dispose](): void;
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
  /** 32-bit floats. */ float32: Float32Array;
  /** 64-bit floats. */ float64: Float64Array;
  /** 8-bit signed integers. */ int8: Int8Array;
  /** 8-bit unsigned integers. */ uint8: Uint8Array;
  /** 16-bit signed integers. */ int16: Int16Array;
  /** 16-bit unsigned integers. */ uint16: Uint16Array;
  /** 32-bit signed integers. */ int32: Int32Array;
  /** 32-bit unsigned integers. */ uint32: Uint32Array;
  /** 64-bit signed integers, as bigints. */ int64: BigInt64Array;
  /** 64-bit unsigned integers, as bigints. */ uint64: BigUint64Array;
  /** Booleans, one byte each (0 or 1). */ bool: Uint8Array;
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
  /** A number. */ float32: number;
  /** A number. */ float64: number;
  /** A number. */ int8: number;
  /** A number. */ uint8: number;
  /** A number. */ int16: number;
  /** A number. */ uint16: number;
  /** A number. */ int32: number;
  /** A number. */ uint32: number;
  /** A bigint. */ int64: bigint;
  /** A bigint. */ uint64: bigint;
  /** A boolean. */ bool: boolean;
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
 * Every failure is a TensorMemError. The message names the operation and the
 * offending values, e.g. "Slice stop 10 is out of bounds for dimension of size 3
 * (dim 0 of shape [3])". After any error the device stays usable and nothing leaks.
 * `instanceof` accepts the errors of every package built on tensormem.
 *
 * Integer arguments (indices, dims, sizes, slice bounds, byte offsets) are
 * numbers: a bigint, string, Symbol or object is INVALID_ARGUMENT, never
 * converted. A detached typed array or ArrayBuffer passed anywhere is
 * INVALID_ARGUMENT. User code that runs inside a call (a getter or Proxy trap
 * of an array argument) cannot redirect it: arguments are read before any
 * object is resolved or memory touched, and what such code throws propagates.
 *
 * @example
 * ```ts
 * try {
 *   device.createData(1 << 30);
 * } catch (error) {
 *   if (!(error instanceof TensorMemError) || error.code !== 'MEMORY_LIMIT') throw error;
 * }
 * ```
 */
export class TensorMemError extends Error {
  /** Always `'TensorMemError'`. */
  readonly name: 'TensorMemError';
  /** What went wrong, as a code to branch on (the message is for people). */
  readonly code: ErrorCode;
  /** An error with a code and a message; the package makes these, apps rarely need to. */
  constructor(code: ErrorCode, message: string);
}

/** Options of `Device.create()` (all optional). */
export interface DeviceOptions {
  /** Hard limit in bytes on memory reserved by the pool (in use + cached). Default 256 MiB; `Infinity` for none (the wasm heap's 2 GiB still applies). */
  maxMemory?: number;
  /** Fraction of maxMemory in (0, 1] above which the pool compacts before reserving more. Default 0.8. */
  compactThreshold?: number;
  /** Compact automatically at compactThreshold. Default true. */
  autoCompact?: boolean;
  /** Debug mode: creation stacks in liveAllocations() and leak warnings, poisoned freed blocks, guard bytes. Default false. */
  debug?: boolean;
  /**
   * Shrink the device by itself (see `device.shrink()`): after a dispose or compact
   * leaves the wasm heap at least `minBytes` (default 64 MiB) and more than `ratio`
   * (default 4) times the bytes of live blocks, it shrinks at the next microtask,
   * never inside another call. A shrink that fails there leaves the device as it
   * was and is reported with console.warn. Default: none.
   * @throws {TensorMemError} INVALID_ARGUMENT (from Device.create) for a ratio that is not a
   *   finite number above 1 or a minBytes that is not a non-negative integer.
   */
  autoShrink?: AutoShrinkOptions | null;
  /**
   * Where the .wasm file is. Default: `new URL('../tensormem.wasm', import.meta.url)`,
   * next to the package, which bundlers that understand that pattern (Vite, webpack 5)
   * emit with the bundle. A URL object is used as it is; a string that is an absolute
   * URL too. Any other string is relative: in browsers and workers it resolves against
   * the document's base URL (`document.baseURI`; in a worker, the worker script's URL),
   * not against this package or your module; in node it is a file path, relative to
   * the working directory.
   */
  wasmUrl?: string | URL;
  /** The .wasm bytes or a compiled module (e.g. `await Device.compile()`, posted to a worker): nothing is fetched. */
  wasmBinary?: ArrayBuffer | Uint8Array | WebAssembly.Module;
  /** Emscripten-style resolver, called with 'tensormem.wasm'; what it returns resolves as `wasmUrl` does. */
  locateFile?: (file: string) => string | URL;
}

/** The `autoShrink` option of `Device.create()`. */
export interface AutoShrinkOptions {
  /** Shrink when the heap is more than this many times the bytes of live blocks. Default 4. */
  ratio?: number;
  /** ... and at least this many bytes. Default 64 MiB. */
  minBytes?: number;
}

/** Options of `device.shrink()`. */
export interface ShrinkOptions {
  /** Refuse (OUT_OF_MEMORY, device unchanged) if the new heap would need more bytes than this. Default: no cap but the wasm heap's 2 GiB. */
  maxHeapBytes?: number;
}

/** What `device.shrink()` did. */
export interface ShrinkResult {
  /** wasmHeapBytes before. */
  heapBefore: number;
  /** wasmHeapBytes after: at most the live blocks, the runtime's start-up heap, the images and 1 MiB of headroom. */
  heapAfter: number;
  /** Bytes of live buffers copied into the new memory. */
  bytesMoved: number;
  /** Milliseconds the whole move took. */
  ms: number;
}

/**
 * Every counter of a device's pool, from `device.getMemoryStats()`. After
 * `device.shrink()`: liveBuffers, liveData, liveTensors, bytesRequested, maxMemory
 * and leaksReclaimed are the same; peakBytesInUse and peakBytesReserved keep their
 * highs; compactions, bytesReleased, failedAllocations, guardViolations and
 * failedReleases carry over; the rest count the new pool from the move on
 * (bytesInUse and totalAllocated: one block per live buffer; bytesCached,
 * freeCount, poolHits 0; allocCount and poolMisses one per live buffer);
 * wasmHeapBytes is the new heap's.
 */
export interface MemoryStats {
  /** Bytes reserved by the pool from the wasm heap: in use plus cached. */
  totalAllocated: number;
  /** Bytes of the pool blocks that live buffers occupy. */
  bytesInUse: number;
  /** Bytes the live buffers asked for (bytesInUse counts whole pool blocks). */
  bytesRequested: number;
  /** Bytes of freed blocks kept for reuse. */
  bytesCached: number;
  /** The highest bytesInUse so far. */
  peakBytesInUse: number;
  /** The highest totalAllocated so far. */
  peakBytesReserved: number;
  /** The hard limit (Infinity when none). */
  maxMemory: number;
  /** Buffers alive in the pool (a buffer lives while any data object or tensor view holds it). */
  liveBuffers: number;
  /** DeviceData objects not yet disposed. */
  liveData: number;
  /** Tensor objects not yet disposed. */
  liveTensors: number;
  /** Buffers allocated so far. */
  allocCount: number;
  /** Buffers freed so far. */
  freeCount: number;
  /** Allocations served from the pool's cache. */
  poolHits: number;
  /** Allocations that needed new memory from the wasm heap. */
  poolMisses: number;
  /** Times the pool returned its cache to the wasm allocator. */
  compactions: number;
  /** Bytes compaction returned so far. */
  bytesReleased: number;
  /** Allocations refused (MEMORY_LIMIT or OUT_OF_MEMORY). */
  failedAllocations: number;
  /** Debug mode: buffers whose guard bytes were overwritten (writes past their end). */
  guardViolations: number;
  /** Releases that failed where no caller could be told (see the C++ Stats). */
  failedReleases: number;
  /** Objects freed by the FinalizationRegistry because they were garbage-collected undisposed. */
  leaksReclaimed: number;
  /** Size of the wasm linear memory (it grows, and only `device.shrink()` gives it back). */
  wasmHeapBytes: number;
}

/** One live object, from `device.liveAllocations()`. */
export interface LiveAllocation {
  /** A DeviceData (`'data'`) or a Tensor. */
  kind: 'data' | 'tensor';
  /** The object's id (unique per device, never reused). */
  id: number;
  /** The buffer it holds; views of one buffer share this. */
  bufferId: number;
  /** Bytes of the buffer. */
  bytes: number;
  /** Its element type (`uint8` for a DeviceData). */
  dtype: DType;
  /** Its shape (`[byteLength]` for a DeviceData). */
  shape: number[];
  /** Where the object was created, from the app's first frame on (debug mode only). */
  stack?: string;
}

/** Options of `device.recordHistory()`. */
export interface HistoryOptions {
  /** The ring's size: at most this many events are kept, the oldest dropped first. A positive integer; default 16384 (168 bytes each, reserved up front). */
  maxEvents?: number;
  /** Record each object's creation site (the app's frame that made it): costs a stack capture per object. Default false. */
  stacks?: boolean;
}

/** A buffer or an owner id inside a snapshot (see docs/snapshot-format.md). */
export interface SnapshotBufferRef {
  /** The buffer's slot (reused). */
  index: number;
  /** With index, never reused. */
  generation: number;
}

/** An object holding a live buffer, in a snapshot. */
export interface SnapshotOwner {
  /** The object's id (as `liveAllocations()` reports it). */
  id: number;
  /** A DeviceData, a Tensor, a view of another object's buffer, or a kernel's result. */
  kind: 'data' | 'tensor' | 'view' | 'kernel_output';
  /** Its element type; null for a DeviceData. */
  dtype: DType | null;
  /** Its shape; null for a DeviceData. */
  shape: number[] | null;
  /** Its creation site, an index into `strings` (recorded with `stacks`); null when not known. */
  site: number | null;
  /** When it was created on the history's clock (ns); null when made before recording or its event was dropped. */
  created_ns: number | null;
}

/** One live buffer in a snapshot. */
export interface SnapshotBuffer extends SnapshotBufferRef {
  /** Bytes asked for. */
  bytes: number;
  /** Bytes of its block. */
  block_bytes: number;
  /** Its size class index, or `'large'`. */
  size_class: number | 'large';
  /** References held (one per object over it). */
  refcount: number;
  /** The objects holding it, oldest first. */
  owners: SnapshotOwner[];
}

/** One recorded event; which fields are present depends on `kind` (docs/snapshot-format.md, Events). */
export interface SnapshotEvent {
  /** What happened. */
  kind: 'allocate' | 'retain' | 'release' | 'compact' | 'limit_failure' | 'out_of_memory' | 'heap_growth' |
    'reclaimed' | 'kernel_call' | 'object_created' | 'object_disposed';
  /** Nanoseconds since recording started (monotonic). */
  time_ns: number;
  /** Bytes in use (blocks) right after the event. */
  bytes_in_use: number;
  /** Bytes cached right after the event. */
  bytes_cached: number;
  /** Bytes reserved right after the event. */
  bytes_reserved: number;
  /** Any of the kind's own fields. */
  [field: string]: unknown;
}

/** A snapshot from `device.snapshot()`: plain JSON, format `tensormem-snapshot` version 1 (docs/snapshot-format.md). */
export interface Snapshot {
  /** Always `'tensormem-snapshot'`. */
  format: 'tensormem-snapshot';
  /** The format's version. */
  version: 1;
  /** Who wrote it. */
  producer: { library: 'tensormem'; version: string; layer: 'storage' | 'device' };
  /** The pool's counters (the C++ names of MemoryStats). */
  stats: Record<string, unknown>;
  /** Per size class: blocks and bytes in use and cached. */
  size_classes: Array<{ class: number | 'large'; block_bytes: number | null; in_use_blocks: number;
    in_use_bytes: number; cached_blocks: number; cached_bytes: number; hits: number; misses: number }>;
  /** Every live buffer with its owners. */
  buffers: SnapshotBuffer[];
  /** The texts (creation sites, kernel names) events and owners refer to by index. */
  strings: string[];
  /** The recorded events; null when no history is being recorded. */
  history: { max_events: number; recorded: number; dropped: number; dropped_strings: number; now_ns: number;
    events: SnapshotEvent[] } | null;
  /** The device's own numbers. */
  device: { wasm_heap_bytes: number; live_data: number; live_tensors: number; leaks_reclaimed: number; stacks: boolean };
}

/**
 * A tensor's elements as a message between threads, from `t.toTransferable()`:
 * post it with `buffer` in the transfer list, and make a tensor of it on the other
 * side with `device.fromTransferable(message)`.
 */
export interface TransferableTensor<D extends DType = DType> {
  /** The element type. */
  dtype: D;
  /** The shape. */
  shape: number[];
  /** The elements in row-major order, in a buffer of their own (exactly `size` elements). */
  buffer: ArrayBuffer;
}

/**
 * A raw buffer in wasm memory, from `device.createData()` or
 * `device.createDataWithBuffer()`. It holds its memory until disposed.
 * It cannot be posted to a worker or cloned (INVALID_ARGUMENT); post a copy of
 * its bytes (`await device.readData(data)`) instead.
 */
export interface DeviceData extends Disposable {
  /** Unique per device, never reused: 1, 2, 3... in creation order. */
  readonly id: number;
  /** Its size in bytes. */
  readonly byteLength: number;
  /** The device it belongs to. */
  readonly device: Device;
  /** Whether it (or its device) was disposed. */
  readonly isDisposed: boolean;
  /**
   * The fast, unchecked typed array over this buffer. It is invalidated (reads
   * stale or freed memory, or is detached and empty) by dispose() and whenever
   * the wasm memory grows; re-derive it after any allocation. Use
   * device.readDataView() for a checked view. Its `.buffer` is the whole wasm
   * memory: posting the array to a worker copies all of it (and transferring it
   * fails or detaches the memory); post `await device.readData(data)` instead.
   * @param dtype the element type of the array; default `uint8`.
   * @throws {TensorMemError} DISPOSED after dispose(); INVALID_ARGUMENT for an unknown dtype.
   */
  view<D extends DType = 'uint8'>(dtype?: D): TypedArrayFor[D];
  /**
   * Frees the buffer (unless tensors view it). Idempotent.
   * @throws {TensorMemError} only if the runtime refuses the release (a lost device).
   */
  dispose(): void;
  /** The same as dispose(), for `using`. */
  [Symbol.dispose](): void;
}

/**
 * A checked, typed-array-like view of a DeviceData: reads and writes check the
 * buffer is alive (else DISPOSED "View is no longer valid: buffer has been
 * disposed") and the index (else OUT_OF_BOUNDS "Index 999 out of bounds for
 * array of length 3"); it stays valid when the wasm memory grows. Values
 * written are converted as Tensor.set converts them (see ElementFor). It
 * cannot be frozen or sealed. Each access goes through a Proxy trap (hundreds
 * of ns): for loops use tensor get/set, read/write. Being a Proxy, it cannot
 * be posted or cloned (the engine throws a DataCloneError).
 */
export interface CheckedView<D extends DType = DType> extends Iterable<ElementFor[D]> {
  /** Element `index`, checked. */
  [index: number]: ElementFor[D];
  /** The number of whole elements. */
  readonly length: number;
  /** The element type. */
  readonly dtype: D;
  /** Whether the buffer is still alive. */
  readonly isValid: boolean;
}

/** One dim's slice: a number selects (drops the dim), null keeps it whole, [start, stop, step?] with null for an open end. Negative values count from the end; steps may be negative. */
export type SliceSpec = number | null | readonly [start: number | null, stop: number | null, step?: number];

/** Options of `device.tensor()`. */
export interface TensorOptions<D extends DType> {
  /** Default: inferred from nested arrays, else [values.length]. */
  shape?: readonly number[];
  /** Default: the typed array's dtype; for arrays, bool for booleans, int64 for bigints, else float32. */
  dtype?: D;
}

/**
 * A strided view of a buffer in wasm memory. View ops (reshape when possible,
 * view(shape), flatten, squeeze, unsqueeze, slice, select, narrow, permute,
 * transpose, expand) share the buffer: a write through one is seen by all.
 * Each result is a new Tensor that must be disposed too.
 *
 * Every method of a disposed tensor throws DISPOSED with a message that starts
 * with the method's name (`get: Tensor #4 was disposed`). A Tensor cannot be
 * posted to a worker or cloned (INVALID_ARGUMENT, naming the fix): post
 * `t.toTransferable()`.
 */
export interface Tensor<D extends DType = DType> extends Disposable {
  /** The device it belongs to. */
  readonly device: Device;
  /** Unique per device, never reused: 1, 2, 3... in creation order. */
  readonly id: number;
  /** The element type. */
  readonly dtype: D;
  /** Elements per dim (frozen). */
  readonly shape: readonly number[];
  /** In elements; may be negative (reversed slices) or 0 (expand). */
  readonly strides: readonly number[];
  /** Element offset of element [0, ..., 0] in the buffer. */
  readonly offset: number;
  /** The number of elements (the product of the shape). */
  readonly size: number;
  /** The number of dims. */
  readonly ndim: number;
  /** Whether the elements are adjacent in row-major order (view() and fast paths need it). */
  readonly isContiguous: boolean;
  /** Writes are refused (READ_ONLY): the view repeats elements (expand). */
  readonly isReadOnly: boolean;
  /** Whether it (or its device) was disposed. */
  readonly isDisposed: boolean;

  /**
   * Same elements in a new shape (one -1 inferred); a view when strides allow, else a copy -- sharesStorage() tells which.
   * @throws {TensorMemError} INVALID_SHAPE when the element count differs; MEMORY_LIMIT when a copy does not fit.
   * @example
   * ```ts
   * const frames = samples.reshape([-1, 1024, 2]);
   * ```
   */
  reshape(shape: readonly number[]): Tensor<D>;
  /**
   * `view(shape)`: a Tensor in a new shape that never copies (the strict reshape).
   * Not to be confused with `view()` without arguments, which returns a typed array.
   * @throws {TensorMemError} NOT_VIEWABLE when strides cannot express the shape (reshape() would copy); INVALID_SHAPE.
   */
  view(shape: readonly number[]): Tensor<D>;
  /**
   * `view()`: the zero-copy typed array over a contiguous tensor's elements, for hot loops.
   * Not to be confused with `view(shape)`, which returns a Tensor. Unchecked: it is
   * invalidated by dispose and by wasm memory growth (any allocation): re-derive it.
   * Its `.buffer` is the whole wasm memory, so posting it to a worker copies all of
   * it; post `t.toTransferable()` instead.
   * @throws {TensorMemError} NOT_CONTIGUOUS (call contiguous() first); DISPOSED.
   */
  view(): TypedArrayFor[D];
  /**
   * Dims startDim..endDim merged into one (a view when strides allow, else a copy).
   * @throws {TensorMemError} INVALID_ARGUMENT for a dim outside the shape.
   */
  flatten(startDim?: number, endDim?: number): Tensor<D>;
  /**
   * Without size-1 dims (or without dim `dim`, which must have size 1). A view.
   * @throws {TensorMemError} INVALID_ARGUMENT for a dim outside the shape; INVALID_SHAPE when dim's size is not 1.
   */
  squeeze(dim?: number): Tensor<D>;
  /**
   * With a new size-1 dim at `dim`. A view.
   * @throws {TensorMemError} INVALID_ARGUMENT for a dim outside -ndim-1..ndim.
   */
  unsqueeze(dim: number): Tensor<D>;
  /**
   * One spec per leading dim. A view; nothing is clamped.
   * @throws {TensorMemError} OUT_OF_BOUNDS for a bound past the dim; INVALID_ARGUMENT for a malformed spec or a 0 step.
   * @example
   * ```ts
   * t.slice([[0, 2]]);                  // the first two rows
   * t.slice([null, [null, null, -1]]);  // every row, columns reversed
   * t.slice([1]);                       // row 1, its dim dropped
   * ```
   */
  slice(specs: readonly SliceSpec[]): Tensor<D>;
  /**
   * Index `index` of dim `dim`, that dim dropped. A view.
   * @throws {TensorMemError} OUT_OF_BOUNDS.
   */
  select(dim: number, index: number): Tensor<D>;
  /**
   * `length` elements of dim `dim` from `start`. A view.
   * @throws {TensorMemError} OUT_OF_BOUNDS.
   */
  narrow(dim: number, start: number, length: number): Tensor<D>;
  /**
   * The dims in a new order. A view.
   * @throws {TensorMemError} INVALID_ARGUMENT unless dims is a permutation of 0..ndim-1.
   */
  permute(dims: readonly number[]): Tensor<D>;
  /**
   * Two dims swapped (default 0 and 1). A view.
   * @throws {TensorMemError} INVALID_ARGUMENT for a dim outside the shape.
   */
  transpose(dim0?: number, dim1?: number): Tensor<D>;
  /**
   * Broadcast size-1 dims (stride 0); the result is read-only when a dim repeats.
   * @throws {TensorMemError} INVALID_SHAPE when a dim of size other than 1 would change.
   */
  expand(shape: readonly number[]): Tensor<D>;
  /**
   * A new handle on the same buffer when contiguous, else a contiguous copy.
   * @throws {TensorMemError} MEMORY_LIMIT when a copy does not fit.
   */
  contiguous(): Tensor<D>;
  /**
   * A contiguous, writable copy.
   * @throws {TensorMemError} MEMORY_LIMIT.
   */
  clone(): Tensor<D>;
  /**
   * A contiguous copy converted to dtype (as typed arrays convert).
   * @throws {TensorMemError} INVALID_ARGUMENT for an unknown dtype; MEMORY_LIMIT.
   */
  to<E extends DType>(dtype: E): Tensor<E>;
  /**
   * Whether both view the same buffer (how to tell a reshape view from a copy).
   * @throws {TensorMemError} INVALID_ARGUMENT when other is not a Tensor of this device; DISPOSED.
   */
  sharesStorage(other: Tensor): boolean;
  /**
   * Whether view(shape) would succeed (false for a shape of another element count too).
   * @throws {TensorMemError} INVALID_ARGUMENT when shape is not an array of integers; DISPOSED.
   */
  canView(shape: readonly number[]): boolean;

  /**
   * One element, checked: one index per dim (negatives count from the end).
   * @throws {TensorMemError} OUT_OF_BOUNDS; INVALID_ARGUMENT for a wrong number of indices or a non-integer; DISPOSED.
   */
  get(...index: number[]): ElementFor[D];
  /**
   * Writes one element, checked like get(); converts as typed arrays do.
   * @throws {TensorMemError} READ_ONLY through an expanded view; OUT_OF_BOUNDS; INVALID_ARGUMENT; DISPOSED.
   */
  set(value: ElementFor[D] | number, ...index: number[]): void;
  /**
   * A copy of the elements in logical (row-major) order, whatever the strides.
   * @throws {TensorMemError} DISPOSED.
   */
  read(): TypedArrayFor[D];
  /**
   * The same into `out` (this dtype's typed array, exactly `size` elements), without allocating; returns out.
   * Bool reads as 0 or 1.
   * @throws {TensorMemError} INVALID_ARGUMENT for another array type or a detached one; INVALID_SHAPE for another length.
   */
  read<O extends TypedArrayFor[D]>(out: O): O;
  /**
   * Nested arrays in logical order (a scalar for 0-d).
   * @throws {TensorMemError} DISPOSED.
   */
  toArray(): NestedArray<ElementFor[D]>;
  /**
   * Copies `values` (row-major, exactly `size` of them) in, converting as typed arrays do; a failed write changes nothing.
   * @throws {TensorMemError} INVALID_SHAPE for another count; READ_ONLY; INVALID_ARGUMENT for a non-number.
   */
  write(values: ArrayLike<number> | ArrayLike<bigint> | TypedArrayFor[DType]): void;
  /**
   * The elements as a message for another thread: one copy, in logical order, into
   * a buffer of their own. Post it with the buffer in the transfer list.
   * @throws {TensorMemError} DISPOSED.
   * @example
   * ```ts
   * const message = t.toTransferable();
   * worker.postMessage(message, [message.buffer]);
   * // in the worker: const t = device.fromTransferable(event.data);
   * ```
   */
  toTransferable(): TransferableTensor<D>;

  /**
   * Releases this view. Idempotent. The buffer lives while other views hold it.
   * @throws {TensorMemError} only if the runtime refuses the release (a lost device).
   */
  dispose(): void;
  /** The same as dispose(), for `using`. */
  [Symbol.dispose](): void;
}

/**
 * The kernels compiled into this package's wasm runtime, as `device.kernels.<name>(...)`.
 * Empty for the bare `tensormem` package; a package built with
 * `tensormem_add_js_package(... SOURCES ...)` lists its kernels here (generated
 * from their C++ signatures). Tensor results follow every lifetime rule.
 */
export interface Kernels {}

/**
 * One runtime: a wasm instance with its own memory, a pool with a hard limit,
 * and every buffer and tensor created through it. Every method of a disposed
 * device throws DISPOSED. A Device cannot be posted to a worker or cloned
 * (INVALID_ARGUMENT): give each worker its own, from `Device.compile()`.
 *
 * @example
 * ```ts
 * const device = await Device.create({ maxMemory: 64 << 20 });
 * const t = device.tensor([[1, 2, 3], [4, 5, 6]]);
 * console.log(t.slice([null, 1]).toArray());   // [2, 5]
 * device.dispose();                            // frees everything it holds
 * ```
 */
export interface Device extends Disposable {}
/** One runtime (see the interface of the same name): `await Device.create()` makes one. */
export class Device {
  /**
   * Loads (once per process and location) and instantiates a runtime with its own wasm memory.
   * @throws {TensorMemError} INVALID_ARGUMENT for a bad option, a .wasm that cannot be fetched or read, or one from another build.
   */
  static create(options?: DeviceOptions): Promise<Device>;
  /**
   * The compiled runtime, from the same cache `create()` uses: post it to workers,
   * which pass it as `wasmBinary` to their own `Device.create()` and fetch nothing.
   * Only the loading options (wasmUrl, wasmBinary, locateFile) matter here.
   * @throws {TensorMemError} INVALID_ARGUMENT as create() does for loading.
   * @example
   * ```ts
   * const module = await Device.compile();
   * worker.postMessage({ module });
   * // in the worker: const device = await Device.create({ wasmBinary: event.data.module });
   * ```
   */
  static compile(options?: DeviceOptions): Promise<WebAssembly.Module>;

  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<Pick<DeviceOptions, 'maxMemory' | 'compactThreshold' | 'autoCompact' | 'debug'>>>;
  /** Whether dispose() was called (or the device was lost when a kernel trapped). */
  readonly isDisposed: boolean;
  /** This runtime's kernels (see Kernels). */
  readonly kernels: Kernels;

  // --- raw buffers ---
  /**
   * A buffer of byteLength bytes, zero-filled; allocates no JS ArrayBuffer.
   * @throws {TensorMemError} MEMORY_LIMIT; OUT_OF_MEMORY; INVALID_ARGUMENT for a negative or non-integer size.
   */
  createData(byteLength: number): DeviceData;
  /**
   * A buffer holding a copy of `buffer` (one copy, into wasm memory).
   * @throws {TensorMemError} INVALID_ARGUMENT unless buffer is an ArrayBuffer or a typed array; MEMORY_LIMIT.
   */
  createDataWithBuffer(buffer: ArrayBuffer | ArrayBufferView): DeviceData;
  /**
   * A checked view; see CheckedView. The same buffer and dtype give the same view.
   * @throws {TensorMemError} DISPOSED; INVALID_ARGUMENT for another device's data or an unknown dtype.
   */
  readDataView<D extends DType = 'uint8'>(data: DeviceData, dtype?: D): CheckedView<D>;
  /**
   * A copy of the buffer's bytes (exactly one copy). The promise is for API
   * compatibility: the copy is made synchronously, before this returns, and
   * errors are thrown synchronously too (not as a rejection).
   * @throws {TensorMemError} DISPOSED; INVALID_ARGUMENT for another device's data.
   */
  readData(data: DeviceData): Promise<ArrayBuffer>;
  /**
   * Copies `buffer` into data at byteOffset. Synchronous like readData(): the bytes
   * are in place when this returns; the promise is already resolved.
   * @throws {TensorMemError} OUT_OF_BOUNDS if it does not fit; DISPOSED; INVALID_ARGUMENT.
   */
  writeData(data: DeviceData, buffer: ArrayBuffer | ArrayBufferView, byteOffset?: number): Promise<void>;
  /**
   * The same as data.dispose(), checking that data belongs to this device.
   * @throws {TensorMemError} INVALID_ARGUMENT for another device's data.
   */
  disposeData(data: DeviceData): void;

  // --- tensors ---
  /**
   * A tensor holding a copy of `values`. Without options.dtype the dtype is
   * the typed array's, or for (nested) arrays bool for booleans, int64 for
   * bigints, else float32; values convert as typed arrays convert.
   * @throws {TensorMemError} INVALID_SHAPE when shape and values disagree or arrays are ragged; INVALID_ARGUMENT; MEMORY_LIMIT.
   * @example
   * ```ts
   * const a = device.tensor([[1, 2, 3], [4, 5, 6]]);                  // float32 [2, 3]
   * const b = device.tensor(new Int32Array(8), { shape: [2, 4] });   // int32
   * const c = device.tensor([1, 2], { dtype: 'float64' });
   * ```
   */
  tensor<D extends DType>(values: TypedArrayFor[DType] | Uint8ClampedArray | NestedArray<number | bigint | boolean>, options: TensorOptions<D> & { dtype: D }): Tensor<D>;
  /** A tensor of a typed array's dtype (see the first overload). */
  tensor<A extends TypedArrayFor[DType] | Uint8ClampedArray>(values: A, options?: { shape?: readonly number[] }): Tensor<DTypeOfArray<A>>;
  /** An int64 tensor of bigints (see the first overload). */
  tensor(values: NestedArray<bigint>, options?: { shape?: readonly number[] }): Tensor<'int64'>;
  /** A bool tensor of booleans (see the first overload). */
  tensor(values: NestedArray<boolean>, options?: { shape?: readonly number[] }): Tensor<'bool'>;
  /** A float32 tensor of numbers (see the first overload). */
  tensor(values: NestedArray<number>, options?: { shape?: readonly number[] }): Tensor<'float32'>;
  /**
   * A tensor of `shape` whose contents are unspecified.
   * @throws {TensorMemError} INVALID_SHAPE; INVALID_ARGUMENT for an unknown dtype; MEMORY_LIMIT.
   */
  empty<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
  /**
   * A tensor of `shape` filled with zeros.
   * @throws {TensorMemError} INVALID_SHAPE; INVALID_ARGUMENT for an unknown dtype; MEMORY_LIMIT.
   */
  zeros<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
  /**
   * A tensor view of a DeviceData's bytes (shares the buffer; default shape: all whole elements).
   * @throws {TensorMemError} OUT_OF_BOUNDS when the shape needs more bytes; DISPOSED; INVALID_ARGUMENT.
   */
  fromData<D extends DType>(data: DeviceData, dtype: D, shape?: readonly number[]): Tensor<D>;
  /**
   * A tensor holding a copy of a message from `t.toTransferable()` (possibly made by
   * another thread's device).
   * @throws {TensorMemError} INVALID_ARGUMENT for a malformed message; INVALID_SHAPE when shape and buffer disagree; MEMORY_LIMIT.
   */
  fromTransferable<D extends DType>(message: TransferableTensor<D>): Tensor<D>;

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
   * @throws whatever fn throws (after disposing); INVALID_ARGUMENT when fn is not a function.
   * @example
   * ```ts
   * const peak = await device.scope(async () => {
   *   const t = device.tensor(await load());   // disposed when the scope ends
   *   return Math.max(...t.read());
   * });
   * ```
   */
  scope<T>(fn: () => Promise<T>): Promise<T>;
  /** The synchronous form of scope(): see the first overload. */
  scope<T>(fn: () => T): T;
  /**
   * Exempts an object from scope disposal; returns it.
   * @throws {TensorMemError} INVALID_ARGUMENT for another device's object or a non-tensormem value; DISPOSED.
   */
  keep<T extends Tensor | DeviceData>(object: T): T;
  /**
   * Every live DeviceData and Tensor, with creation stacks in debug mode.
   * @throws {TensorMemError} DISPOSED.
   */
  liveAllocations(): LiveAllocation[];

  // --- history ---
  /**
   * Starts recording what happens to this device's memory into a bounded ring
   * (a new, empty one if it was recording already). See `snapshot()`.
   * @throws {TensorMemError} INVALID_ARGUMENT for options that are not an object, a maxEvents that is not a positive integer, a stacks that is not a boolean; OUT_OF_MEMORY when the ring cannot be reserved; DISPOSED.
   */
  recordHistory(options?: HistoryOptions): void;
  /**
   * Stops recording and drops the recorded events. Does nothing when not recording.
   * @throws {TensorMemError} DISPOSED.
   */
  stopHistory(): void;
  /**
   * The state now (size classes, live buffers with their owners, counters, wasm heap)
   * and the events recorded since `recordHistory()`, as plain JSON
   * (`JSON.stringify` it for `npx tensormem-inspect` or the inspector page).
   * @throws {TensorMemError} DISPOSED.
   */
  snapshot(): Snapshot;

  // --- memory ---
  /**
   * Every counter of the pool (see MemoryStats).
   * @throws {TensorMemError} DISPOSED.
   */
  getMemoryStats(): MemoryStats;
  /**
   * Returns cached pool blocks to the wasm allocator; the bytes released.
   * @throws {TensorMemError} DISPOSED.
   */
  performIntensiveCleanup(): number;
  /**
   * The same as performIntensiveCleanup().
   * @throws {TensorMemError} DISPOSED.
   */
  compact(): number;
  /**
   * Gives wasm memory back: moves every live buffer and object into a new wasm
   * instance sized for what is live, then drops the old instance and its memory.
   * Every DeviceData, Tensor, view and checked view keeps its id and values; a
   * handle disposed before stays disposed. Typed arrays from `view()` are
   * detached, as after growth. Costs a copy of every live byte.
   * @throws {TensorMemError} OUT_OF_MEMORY naming the bytes needed when the new
   *   instance cannot be made or would exceed `maxHeapBytes` (the device is then
   *   unchanged and usable); INVALID_ARGUMENT for bad options; DISPOSED.
   */
  shrink(options?: ShrinkOptions): ShrinkResult;
  /** Frees everything this device holds; later use throws DISPOSED. Idempotent. */
  dispose(): void;
  /** The same as dispose(), for `using`. */
  [Symbol.dispose](): void;
}

/** The package and runtime version. */
export const version: string;
