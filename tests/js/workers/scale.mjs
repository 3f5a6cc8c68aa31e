// A worker of the documented pattern (docs/js-guide.md, "Workers"): it gets the
// compiled runtime once, makes its own Device from it, and answers each message
// { tensor, factor } with the tensor scaled, moved back as a transferable copy.
import { parentPort, workerData } from 'node:worker_threads';

const { Device } = await import(workerData.entryUrl);
const device = await Device.create({ wasmBinary: workerData.module });
parentPort.on('message', ({ tensor, factor }) => {
  if (tensor === undefined) {
    parentPort.postMessage({ stats: device.getMemoryStats() });
    return;
  }
  const reply = device.scope(() => {
    const t = device.fromTransferable(tensor);
    const values = t.read();
    for (let i = 0; i < values.length; i++) values[i] *= factor;
    t.write(values);
    return t.toTransferable();
  });
  parentPort.postMessage(reply, [reply.buffer]);
});
