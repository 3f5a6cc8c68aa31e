// What each bundled app checks in the page, with the Device its bundler loaded.
// Returns [{ name, ok, detail? }].
export async function scenario({ Device, TensorMemError, options = {}, KernelDevice }) {
  const checks = [];
  const check = (name, ok, detail) => checks.push(ok ? { name, ok: true } : { name, ok: false, detail: String(detail) });

  const device = await Device.create({ ...options, debug: true });
  check('Device.create', !device.isDisposed);
  const t = device.tensor([[1, 2, 3], [4, 5, 6]]);
  const column = t.slice([null, [1, 3]]).transpose();
  check('a view op on the tensor', JSON.stringify(column.toArray()) === '[[2,5],[3,6]]', JSON.stringify(column.toArray()));

  // A leak report keeps the app's own frames: the first frame of the creation
  // stack is the function below, as a stack taken there names it.
  function leakOne() {
    const here = new Error().stack.split('\n')[1];
    device.zeros([4]);  // never disposed
    return here;
  }
  const here = leakOne();
  const leak = device.liveAllocations().find((a) => a.shape.join() === '4');
  const first = leak?.stack?.split('\n')[0] ?? '';
  const where = (frame) => frame.trim().replace(/:\d+:\d+\)?$/, '');  // function and file, no position
  check('the leak report starts at the app\'s function', first !== '' && where(first) === where(here),
    `creation stack ${JSON.stringify(leak?.stack)}; the app's frame ${JSON.stringify(here)}`);

  try {
    structuredClone(t);
    check('cloning a Tensor throws', false, 'no error');
  } catch (e) {
    check('cloning a Tensor throws a TensorMemError', e instanceof TensorMemError && e.code === 'INVALID_ARGUMENT',
      `${e?.name}: ${e?.message}`);
  }
  device.dispose();

  if (KernelDevice) {
    const kd = await KernelDevice.create();
    const x = kd.tensor([[3, 4], [6, 8]]);
    const rms = kd.kernels.rowRms(x);
    const values = Array.from(rms.read(), (v) => Math.round(v * 1000) / 1000);
    check('a kernel call from audio-kernels', JSON.stringify(values) === JSON.stringify([3.536, 7.071]), values);
    kd.dispose();
  }
  return checks;
}
