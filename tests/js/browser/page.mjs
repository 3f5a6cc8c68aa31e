// The browser scenario. run.mjs serves the package directory at /pkg/ and loads
// index.html?mode=...:
//   default  the package's own loader finds the .wasm next to index.mjs (import.meta.url)
//   wasmUrl  Device.create({ wasmUrl }) points at the same file served under /alt/
//            (its name comes in ?wasm=)
//   worker   the default scenario inside a module Web Worker
//   kernels  the example kernel package (audio-kernels, served at /kernels/): a
//            spectrogram computed in wasm on one channel of interleaved stereo
//   transfer the worker pattern of docs/js-guide.md: the page compiles the runtime
//            once (Device.compile) and posts the module to a module worker, which
//            makes its own Device; tensors go both ways as transferable copies,
//            and posting a tensor itself is a TensorMemError
//   shrink   device.shrink() after a 512 MiB peak: 32 MiB of survivors (views,
//            dtypes, a read-only expand, a kept object, a checked view) move to a
//            right-sized instance with their ids and values; stale stays stale
// The result ({ mode, version, checks, stats } or { mode, error }) goes to
// window.__tensormem and into the page.
import { Device, TensorMemError, version } from '/pkg/index.mjs';

async function scenario(mode) {
  const checks = [];
  const check = (name, ok, detail) => checks.push(ok ? { name, ok: true } : { name, ok: false, detail: String(detail) });
  const checkEqual = (name, actual, expected) =>
    check(name, JSON.stringify(actual) === JSON.stringify(expected),
      `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  const checkThrows = (name, fn, code, message) => {
    try {
      fn();
      check(name, false, `did not throw (wanted ${code})`);
    } catch (e) {
      check(name, e instanceof TensorMemError && e.code === code && (!message || message.test(e.message)),
        `${e?.name} ${e?.code}: ${e?.message}`);
    }
  };

  const options = { maxMemory: 64 << 20 };
  if (mode === 'wasmUrl') {
    options.wasmUrl = new URL(`/alt/${new URLSearchParams(location.search).get('wasm')}`, location.href);
  }
  const device = await Device.create(options);
  check('Device.create', device.options.maxMemory === 64 << 20 && !device.isDisposed, JSON.stringify(device.options));

  // Tensors and views.
  const t = device.tensor([[1, 2, 3], [4, 5, 6]]);
  checkEqual('tensor from nested arrays', [t.shape, t.dtype, t.toArray()], [[2, 3], 'float32', [[1, 2, 3], [4, 5, 6]]]);
  const r = t.reshape([3, 2]);
  r.set(60, 2, 1);
  check('reshape is a view', r.sharesStorage(t) && r.isContiguous);
  check('a write through reshape is seen by the original', t.get(1, 2) === 60, t.get(1, 2));
  const s = t.slice([null, [1, 3]]);
  checkEqual('slice [null, [1, 3]]', [s.shape, s.isContiguous, s.toArray()], [[2, 2], false, [[2, 3], [5, 60]]]);
  const column = t.slice([null, 0]);
  checkEqual('slice [null, 0] selects a column', column.toArray(), [1, 4]);
  const flat = t.flatten();
  flat.view()[0] = 10;
  check('flatten().view() writes through, zero-copy', t.get(0, 0) === 10, t.get(0, 0));
  checkThrows('slice past the end', () => t.slice([[0, 10]]), 'OUT_OF_BOUNDS', /^Slice stop 10 is out of bounds/);

  // Dispose: the buffer lives while a view does; a disposed tensor refuses use.
  t.dispose();
  check('views outlive the disposed original', r.get(0, 0) === 10 && device.getMemoryStats().liveBuffers === 1,
    JSON.stringify(device.getMemoryStats()));
  checkThrows('use after dispose throws DISPOSED', () => t.get(0, 0), 'DISPOSED');
  for (const v of [r, s, column, flat]) v.dispose();
  check('last view disposed frees the buffer', device.getMemoryStats().liveBuffers === 0,
    device.getMemoryStats().liveBuffers);

  // Raw buffers: the checked view survives wasm memory growth and refuses use after dispose.
  const data = device.createDataWithBuffer(new Uint8Array([1, 2, 3]));
  const view = device.readDataView(data);
  checkThrows('readDataView index past the end', () => view[999], 'OUT_OF_BOUNDS',
    /^Index 999 out of bounds for array of length 3$/);
  const heapBefore = device.getMemoryStats().wasmHeapBytes;
  const big = device.createData(40 << 20);
  const heapAfter = device.getMemoryStats().wasmHeapBytes;
  check('a 40 MiB buffer grows the wasm memory', heapAfter > heapBefore, `${heapBefore} -> ${heapAfter}`);
  checkEqual('readDataView stays valid across growth', [view.length, view[0], view[2]], [3, 1, 3]);
  checkEqual('data.view() re-derived after growth', Array.from(data.view()), [1, 2, 3]);
  big.dispose();
  device.disposeData(data);
  checkThrows('readDataView after disposeData throws DISPOSED', () => view[0], 'DISPOSED',
    /View is no longer valid: buffer has been disposed/);

  const stats = device.getMemoryStats();
  check('getMemoryStats: nothing live', stats.liveBuffers === 0 && stats.liveTensors === 0 && stats.liveData === 0 &&
    stats.bytesInUse === 0, JSON.stringify(stats));
  check('getMemoryStats: the peak saw the big buffer', stats.peakBytesInUse >= 40 << 20, stats.peakBytesInUse);

  // Devices are independent; a disposed one refuses use. Same loading options: the
  // compiled module is reused, so the runner sees exactly one .wasm request per page.
  const other = await Device.create({ ...options, maxMemory: undefined });
  device.dispose();
  checkThrows('device use after dispose throws DISPOSED', () => device.zeros([1]), 'DISPOSED');
  const z = other.zeros([2], 'int32');
  checkEqual('a second device works after the first is disposed', Array.from(z.read()), [0, 0]);
  other.dispose();
  return { version, checks, stats };
}

async function kernelScenario() {
  const { Device: KernelDevice, TensorMemError: KernelError } = await import('/kernels/index.mjs');
  const checks = [];
  const check = (name, ok, detail) => checks.push(ok ? { name, ok: true } : { name, ok: false, detail: String(detail) });
  const device = await KernelDevice.create({ maxMemory: 64 << 20 });
  check('the package lists its kernels', Object.keys(device.kernels).join() === 'rowRms,spectrogram',
    Object.keys(device.kernels));
  const rate = 8192;
  const pcm = new Float32Array(2 * rate);
  for (let i = 0; i < rate; i++) pcm[2 * i] = Math.sin((2 * Math.PI * 1000 * i) / rate);
  const peak = device.scope(() => {
    const left = device.tensor(pcm, { shape: [rate, 2] }).select(1, 0);  // one channel: a strided view
    const spectrogram = device.kernels.spectrogram(left, 1024, 256);
    check('spectrogram shape', spectrogram.shape.join() === '29,513', spectrogram.shape);
    const perBin = device.kernels.rowRms(spectrogram.transpose()).read();
    return perBin.indexOf(Math.max(...perBin));
  });
  check('the 1000 Hz tone peaks in bin 125', peak === 125, peak);
  const ints = device.tensor(new Int32Array(2048));
  try {
    device.kernels.spectrogram(ints, 1024, 256);
    check('a wrong dtype is refused', false, 'no error');
  } catch (e) {
    check('a wrong dtype is refused, as a TensorMemError of either package',
      e instanceof KernelError && e instanceof TensorMemError && e.code === 'DTYPE_MISMATCH',
      `${e?.name} ${e?.code}: ${e?.message}`);
  }
  ints.dispose();
  const stats = device.getMemoryStats();
  check('nothing left live', stats.liveTensors === 0 && stats.liveBuffers === 0, JSON.stringify(stats));
  device.dispose();
  return { version, checks, stats };
}

async function shrinkScenario() {
  const checks = [];
  const check = (name, ok, detail) => checks.push(ok ? { name, ok: true } : { name, ok: false, detail: String(detail) });
  const MiB = 1 << 20;
  const checksum = (array) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    return h >>> 0;
  };
  const device = await Device.create({ maxMemory: Infinity });
  const dtypes = ['float32', 'int32', 'uint8', 'float64'];
  const all = [];
  for (let i = 0; i < 64; i++) {  // 64 x 8 MiB
    const dtype = dtypes[i % 4];
    const x = device.empty([1024, (8 * MiB) / 1024 / [4, 4, 1, 8][i % 4]], dtype);
    const v = x.view();
    if (i % 16 === 0) for (let j = 0; j < v.length; j++) v[j] = (j * 31 + i) % 251;
    all.push(x);
  }
  const survivors = [all[0], all[16], all[32], all[48]];
  const small = device.tensor(new Float32Array([1, 2, 3, 4]));
  const expanded = small.reshape([4, 1]).expand([4, 6]);
  const views = [survivors[0].transpose(0, 1), survivors[1].select(0, 5), survivors[2].slice([[1, 9, 2]]), expanded];
  const data = device.createDataWithBuffer(new Uint8Array(4096).map((_, i) => (i * 13) % 256));
  const checked = device.readDataView(data, 'uint16');
  let kept;
  device.scope(() => { kept = device.keep(device.tensor([[5, 6], [7, 8]], { dtype: 'int32' })); });
  const live = [...survivors, small, ...views, kept];
  const ids = live.map((x) => x.id);
  const sums = live.map((x) => checksum(x.read()));
  const checkedBefore = Array.from(checked);
  const stale = all.filter((x) => !survivors.includes(x));
  for (const x of stale) x.dispose();
  const before = device.getMemoryStats();
  check('the heap reached 512 MiB', before.wasmHeapBytes >= 512 * MiB, before.wasmHeapBytes);
  const result = device.shrink();
  const after = device.getMemoryStats();
  check('heapAfter is wasmHeapBytes', result.heapAfter === after.wasmHeapBytes, JSON.stringify(result));
  const bound = after.bytesInUse + 4 * MiB;  // the runtime's start-up heap (~1 MiB), images, 1 MiB headroom
  check('the heap shrank to the live blocks plus the runtime and headroom', after.wasmHeapBytes <= bound,
    `${after.wasmHeapBytes} > ${bound}`);
  check('same ids', JSON.stringify(live.map((x) => x.id)) === JSON.stringify(ids));
  check('same values (checksums)', JSON.stringify(live.map((x) => checksum(x.read()))) === JSON.stringify(sums));
  check('the expand is still read-only', expanded.isReadOnly);
  check('the checked view reads the same values', JSON.stringify(Array.from(checked)) === JSON.stringify(checkedBefore));
  const reused = Array.from({ length: 70 }, () => device.zeros([4]));
  let staleOk = true;
  for (const x of stale) {
    try { void x.shape; staleOk = false; } catch (e) { staleOk &&= e.code === 'DISPOSED'; }
  }
  check('stale objects stay DISPOSED once their slots are reused', staleOk);
  for (const x of reused) x.dispose();
  check('live counts kept', after.liveBuffers === before.liveBuffers && after.liveTensors === before.liveTensors,
    JSON.stringify([before, after]));
  device.dispose();
  return { version, checks, stats: { ...after, shrink: result } };
}

// The page's side of the transfer mode.
async function transferScenario() {
  const checks = [];
  const check = (name, ok, detail) => checks.push(ok ? { name, ok: true } : { name, ok: false, detail: String(detail) });
  const module = await Device.compile();
  const device = await Device.create({ wasmBinary: module });
  const worker = new Worker(new URL('?role=transfer', import.meta.url), { type: 'module' });
  const ask = (message, transfer) => new Promise((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(`worker error: ${event.message}`));
    worker.postMessage(message, transfer ?? []);
  });
  try {
    const x = device.tensor([[1, 2, 3], [4, 5, 6]]);
    try {
      worker.postMessage({ tensor: x });
      check('posting a Tensor throws', false, 'no error');
    } catch (e) {
      check('posting a Tensor throws a TensorMemError naming toTransferable',
        e instanceof TensorMemError && e.code === 'INVALID_ARGUMENT' && /t\.toTransferable\(\)/.test(e.message),
        `${e?.name} ${e?.code}: ${e?.message}`);
    }
    check('the worker made its device from the posted module', (await ask({ module })).ready === true);
    const xt = x.transpose();
    const message = xt.toTransferable();
    const reply = await ask({ tensor: message }, [message.buffer]);
    check('the sent buffer was transferred (detached here)', message.buffer.byteLength === 0, message.buffer.byteLength);
    const y = device.fromTransferable(reply.tensor);
    check('the worker doubled the transposed tensor', JSON.stringify(y.toArray()) === '[[2,8],[4,10],[6,12]]',
      JSON.stringify(y.toArray()));
    check('nothing left live in the worker', reply.liveTensors === 0, reply.liveTensors);
    for (const o of [x, xt, y]) o.dispose();
  } finally {
    worker.terminate();
  }
  const stats = device.getMemoryStats();
  check('nothing left live in the page', stats.liveTensors === 0 && stats.liveBuffers === 0, JSON.stringify(stats));
  device.dispose();
  return { version, checks, stats };
}

// The worker's side of the transfer mode.
async function transferWorker() {
  let device;
  self.onmessage = async ({ data }) => {
    if (data.module) {
      device = await Device.create({ wasmBinary: data.module });
      self.postMessage({ ready: true });
      return;
    }
    const tensor = device.scope(() => {
      const t = device.fromTransferable(data.tensor);
      const values = t.read().map((v) => 2 * v);
      t.write(values);
      return t.toTransferable();
    });
    self.postMessage({ tensor, liveTensors: device.getMemoryStats().liveTensors }, [tensor.buffer]);
  };
}

async function report(mode) {
  try {
    const run = { kernels: kernelScenario, transfer: transferScenario, shrink: shrinkScenario }[mode] ?? (() => scenario(mode));
    return { mode, ...(await run()) };
  } catch (e) {
    return { mode, error: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` };
  }
}

if (typeof window === 'undefined') {
  // Inside a worker.
  if (new URL(import.meta.url).searchParams.get('role') === 'transfer') await transferWorker();
  else self.postMessage(await report('worker'));
} else {
  const mode = new URLSearchParams(location.search).get('mode') ?? 'default';
  let result;
  if (mode === 'worker') {
    const worker = new Worker(new URL(import.meta.url), { type: 'module' });
    result = await new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => resolve({ mode, error: `worker error: ${event.message}` });
    });
    worker.terminate();
  } else {
    result = await report(mode);
  }
  document.getElementById('result').textContent = JSON.stringify(result, null, 2);
  window.__tensormem = result;
}
