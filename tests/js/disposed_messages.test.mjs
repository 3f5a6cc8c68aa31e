// Every method and getter of a disposed object (or of an object of a disposed
// device) throws DISPOSED with a message that starts with its own name, so a
// stack-less log line still says which call was wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Device, expectError, expectRejection } from './support.mjs';

const TENSOR_CALLS = {
  reshape: [[4]], view: [[4]], canView: [[4]], flatten: [], squeeze: [], unsqueeze: [0], slice: [[[0, 1]]],
  select: [0, 0], narrow: [0, 0, 1], permute: [[1, 0]], transpose: [], expand: [[2, 2]], contiguous: [], clone: [],
  to: ['int32'], get: [0, 0], set: [1, 0, 0], read: [], toArray: [], write: [[1, 2, 3, 4]], toTransferable: [],
};
const TENSOR_GETTERS = ['shape', 'strides', 'offset', 'size', 'ndim', 'isContiguous', 'isReadOnly'];

test('each Tensor method and getter names itself when the tensor was disposed', async (t) => {
  const device = await Device.create();
  t.after(() => device.dispose());
  const x = device.tensor([[1, 2], [3, 4]]);
  const other = device.zeros([1]);
  x.get(0, 0);  // the fast path's cached layout exists, and must not hide the name
  x.dispose();
  const id = x.id;
  for (const [method, args] of Object.entries({ ...TENSOR_CALLS, sharesStorage: [other] })) {
    expectError(() => x[method](...args), 'DISPOSED', `${method}: Tensor #${id} was disposed`);
  }
  expectError(() => x.view(), 'DISPOSED', `view: Tensor #${id} was disposed`);
  for (const getter of TENSOR_GETTERS) expectError(() => x[getter], 'DISPOSED', `${getter}: Tensor #${id} was disposed`);
  other.dispose();
});

test('each DeviceData use and Device method names itself after dispose', async () => {
  const device = await Device.create();
  const data = device.createData(8);
  data.dispose();
  expectError(() => data.view(), 'DISPOSED', `view: DeviceData #${data.id} was disposed`);
  for (const [method, args] of Object.entries({ readDataView: [data], fromData: [data, 'uint8'], keep: [data] })) {
    expectError(() => device[method](...args), 'DISPOSED', `${method}: DeviceData #${data.id} was disposed`);
  }
  for (const [method, args] of Object.entries({ readData: [data], writeData: [data, new Uint8Array(1)] })) {
    await expectRejection(() => device[method](...args), 'DISPOSED', `${method}: DeviceData #${data.id} was disposed`);
  }
  const t = device.zeros([2]);
  device.dispose();
  expectError(() => t.get(0), 'DISPOSED', `get: Tensor #${t.id} belongs to a device that was disposed`);
  const calls = {
    createData: [8], createDataWithBuffer: [new Uint8Array(2)], tensor: [[1]], zeros: [[1]], empty: [[1]],
    fromTransferable: [{}], scope: [() => 1], liveAllocations: [], getMemoryStats: [], compact: [],
    performIntensiveCleanup: [],
  };
  for (const [method, args] of Object.entries(calls)) {
    expectError(() => device[method](...args), 'DISPOSED', `${method}: the device was disposed`);
  }
  assert.equal(device.isDisposed, true);
});
