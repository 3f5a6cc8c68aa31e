// Moving tensors between threads. A tensormem object is a handle into one
// thread's wasm instance: another thread (a worker) cannot use it, and the
// structured clone of a class instance keeps only its own enumerable
// properties, so postMessage(tensor) used to arrive as `{}`. Each object
// therefore carries one own enumerable property, `notCloneable`, whose value
// is a shared frozen object with a getter that throws: structuredClone,
// postMessage and JSON.stringify walk into it and fail with a
// TensorMemError that names the fix. It costs one constant store per object.
//
// The fix: t.toTransferable() copies the elements into a fresh ArrayBuffer
// ({ dtype, shape, buffer }, buffer in the transfer list), and
// device.fromTransferable(message) on the other side makes a tensor of it.
import { ARRAY_TYPES, DTYPES, dtypeIndex } from './dtype.mjs';
import { TensorMemError, fail, show } from './errors.mjs';
import { ownFunctions } from './stacks.mjs';

function guard(what, fix) {
  const message = `${what} cannot be cloned, posted to a worker or serialized: it is a handle into this thread's ` +
    `wasm memory. ${fix}`;
  return Object.freeze(Object.defineProperty({}, 'reason', {
    enumerable: true,
    get() { throw new TensorMemError('INVALID_ARGUMENT', message); },
  }));
}

// The guard's property. A build that lowers class fields to assignments (esbuild
// for older targets, as in Vite's default build) reaches the sealed prototype's
// set trap with it, which defines it (resource.mjs).
export const GUARD_KEY = 'notCloneable';

export const TENSOR_GUARD = guard('A Tensor',
  'Post t.toTransferable() with its buffer in the transfer list (worker.postMessage(m, [m.buffer])) and make a ' +
  'tensor of it there with device.fromTransferable(m)');
export const DATA_GUARD = guard('A DeviceData',
  'Post a copy of its bytes (await device.readData(data), in the transfer list) and createDataWithBuffer() there');
export const DEVICE_GUARD = guard('A Device',
  'Post the compiled module (await Device.compile()) and call Device.create({ wasmBinary: module }) in the worker');

// t.toTransferable(): the elements, copied once, in a buffer of their own.
export function toTransferable(t) {
  const values = t.read();
  return { dtype: t.dtype, shape: Array.from(t.shape), buffer: values.buffer };
}

// device.fromTransferable(message): a tensor holding a copy of message.buffer.
ownFunctions(fromTransferable);
export function fromTransferable(device, message) {
  const op = 'fromTransferable';
  if (message === null || typeof message !== 'object') {
    fail('INVALID_ARGUMENT', `${op}: message is ${show(message)}; it must be { dtype, shape, buffer } from toTransferable()`);
  }
  const { dtype, shape, buffer } = message;
  const k = dtypeIndex(dtype, op);
  if (!Array.isArray(shape)) fail('INVALID_ARGUMENT', `${op}: shape is ${show(shape)}; it must be an array of integers`);
  if (!(buffer instanceof ArrayBuffer)) {
    fail('INVALID_ARGUMENT', `${op}: buffer is ${show(buffer)}; it must be an ArrayBuffer`);
  }
  const Type = ARRAY_TYPES[k];
  if (buffer.byteLength % Type.BYTES_PER_ELEMENT !== 0) {
    fail('INVALID_SHAPE', `${op}: a buffer of ${buffer.byteLength} bytes holds no whole number of ${DTYPES[k]} elements`);
  }
  return device.tensor(new Type(buffer), { dtype, shape });
}
