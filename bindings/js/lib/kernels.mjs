// device.kernels: one method per kernel compiled into the wasm runtime
// (C++ functions registered with TENSORMEM_KERNELS, see docs/kernels.md).
// Every argument is checked and converted here first — only tensors of this
// device and primitives are accepted, so no user code (a getter, valueOf)
// can run between the checks and the call — and then the runtime checks the
// declared constraints (dtype, ndim, contiguous, writable) before the kernel runs.
import { TensorMemError, fail, show } from './errors.mjs';
import { INTERNAL } from './resource.mjs';
import { ownFunctions } from './stacks.mjs';
import { Tensor, isTensor, tensorHandle, tensorRuntime } from './tensor.mjs';

const signatures = new WeakMap();  // WebAssembly.Module -> its kernels' signatures

// Argument kinds of tm_kernel_call (exports.cpp).
const TENSOR = 0, NUMBER = 1, BIGINT = 2, BOOLEAN = 3;
const MAX_ARGS = 32;
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n, UINT64_MAX = 2n ** 64n - 1n;
// What a parameter accepts, decided once per kernel: a call compares small
// integers, not type names. Integers and bigints go to the runtime, which checks
// the range of types narrower than 64 bits.
const P_TENSOR = 0, P_BOOL = 1, P_FLOAT = 2, P_INTEGER = 3, P_INT64 = 4, P_UINT64 = 5;
function paramKind(type) {
  switch (type) {
    case 'tensor': case 'tensor_inout': return P_TENSOR;
    case 'bool': return P_BOOL;
    case 'float32': case 'float64': return P_FLOAT;
    case 'int64': return P_INT64;
    case 'uint64': return P_UINT64;
    default: return P_INTEGER;
  }
}

// The signatures of the kernels in a runtime: [{name, doc, args, returns}].
function kernelSignatures(rt) {
  let list = signatures.get(rt.module);
  if (list === undefined) {
    list = [];
    const count = rt.x.tm_kernel_count();
    for (let i = 0; i < count; i++) {
      const address = rt.x.tm_kernel_signature(i);
      if (address < 0) rt.raise();
      list.push(Object.freeze(JSON.parse(rt.string(address, rt.scratch()[rt.scratchIndex]))));
    }
    signatures.set(rt.module, Object.freeze(list));
  }
  return list;
}

// The frozen object of a device's kernel methods.
export function kernelsOf(rt) {
  const kernels = Object.create(null);
  kernelSignatures(rt).forEach((signature, index) => {
    if (signature.args.length > MAX_ARGS) {
      fail('INVALID_ARGUMENT', `kernel ${signature.name} takes ${signature.args.length} arguments; at most ${MAX_ARGS} are supported`);
    }
    const kinds = signature.args.map((arg) => paramKind(arg.type));
    const call = (...args) => callKernel(rt, signature, kinds, index, args);
    Object.defineProperties(call, { name: { value: signature.name }, signature: { value: signature, enumerable: true } });
    ownFunctions(call);  // its frame is the package's in a leak report
    kernels[signature.name] = Object.freeze(call);
  });
  return Object.freeze(kernels);
}

function wanted(arg) {
  switch (arg.type) {
    case 'tensor': case 'tensor_inout': return 'a Tensor';
    case 'bool': return 'a boolean';
    case 'int64': case 'uint64': return `an integer (${arg.type}; a number or a bigint)`;
    case 'float32': case 'float64': return `a number (${arg.type})`;
    default: return `an integer (${arg.type})`;
  }
}

ownFunctions(callKernel);
function callKernel(rt, signature, kinds, index, args) {
  const name = signature.name;
  if (!rt.alive) fail('DISPOSED', `${name}: the device was ${rt.lost === null ? 'disposed' : `lost (${rt.lost})`}`);
  const params = signature.args;
  const n = kinds.length;
  if (args.length !== n) {
    fail('INVALID_ARGUMENT', `${name}: takes ${n} argument${n === 1 ? '' : 's'} (${params.map((p) => p.name).join(', ')}), got ${args.length}`);
  }
  // Every argument is checked by typeof and by brand (no Proxy trap, getter or
  // valueOf runs), so each can go straight into the scratch as it is checked:
  // no user code can run between a check and the call.
  // The scratch is fetched again after each tensor: giving a view derived in
  // JavaScript its entry (tensorHandle) may grow the heap, which detaches an
  // older view of it.
  const b = rt.scratchIndex;
  let s = rt.scratch();
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    const value = args[i];
    const at = b + 2 * i;
    if (kind === P_TENSOR) {
      if (!isTensor(value)) fail('INVALID_ARGUMENT', `${name}: argument ${params[i].name} is ${show(value)}; it must be a Tensor`);
      if (tensorRuntime(value) !== rt) fail('INVALID_ARGUMENT', `${name}: argument ${params[i].name} belongs to another device`);
      const h = tensorHandle(value, name);
      s = rt.scratch();
      s[at] = TENSOR;
      s[at + 1] = h;
    } else if (typeof value === 'number' && kind !== P_BOOL) {
      s[at] = NUMBER;
      s[at + 1] = value;
    } else if (typeof value === 'bigint' && kind >= P_INTEGER) {
      const unsigned = kind === P_UINT64;
      if (unsigned ? value < 0n || value > UINT64_MAX : value < INT64_MIN || value > INT64_MAX) {
        fail('INVALID_ARGUMENT', `${name}: argument ${params[i].name} is ${value}n; it must be an integer in ` +
          `[${unsigned ? 0 : INT64_MIN}, ${unsigned ? UINT64_MAX : INT64_MAX}] (${params[i].type})`);
      }
      s[at] = BIGINT;
      rt.heap(8)[at + 1] = BigInt.asIntN(64, value);  // narrower types: the runtime checks the range
    } else if (typeof value === 'boolean' && kind === P_BOOL) {
      s[at] = BOOLEAN;
      s[at + 1] = value ? 1 : 0;
    } else {
      fail('INVALID_ARGUMENT', `${name}: argument ${params[i].name} is ${show(value)}; it must be ${wanted(params[i])}`);
    }
  }
  // A trap (unreachable, an out-of-bounds access, a stack
  // overflow) leaves the instance in no known state: the device is lost.
  let result;
  try {
    result = rt.x.tm_kernel_call(index, n);
  } catch (error) {
    if (error instanceof TensorMemError) throw error;
    rt.lose(`kernel ${name} trapped: ${error?.message ?? error}`);
    rt.shutdown();
    throw new TensorMemError('KERNEL_FAILED', `${name} trapped (${error?.name ?? 'Error'}: ${error?.message ?? error}); ` +
      'the device was lost and disposed: its wasm memory could be in any state');
  }
  if (result < 0) rt.raise();
  const returns = signature.returns.type;
  const out = rt.mailboxIndex + 1;
  switch (returns) {
    case 'tensor': return new Tensor(INTERNAL, rt, result, rt.scratch()[out]);
    case 'void': return undefined;
    case 'bool': return rt.scratch()[out] !== 0;
    case 'int64': return rt.heap(8)[out];
    case 'uint64': return rt.heap(9)[out];
    default: return rt.scratch()[out];
  }
}
