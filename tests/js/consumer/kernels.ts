// A TypeScript program using a kernel package (examples/kernels: audio-kernels) as its
// users do: the kernels are typed from their C++ signatures, results are Tensors under
// `using`, and a declared constraint the types cannot express is refused at run time.
// run.sh compiles it with the same strict settings as main.ts against the installed
// tarball, and runs it.
import { Device, TensorMemError } from 'audio-kernels';
import type { Kernels, Spectrogram, Tensor } from 'audio-kernels';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): void {}

assertType<Equals<ReturnType<Kernels['spectrogram']>, Tensor<'float32'>>>();
assertType<Equals<Parameters<Kernels['spectrogram']>, [signal: Tensor<'float32'>, frame: number, hop: number]>>();
assertType<Equals<Parameters<Kernels['rowRms']>, [x: Tensor<'float32'>]>>();
assertType<Equals<Spectrogram, Tensor<'float32'>>>();  // from the package's TYPES file

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail?: unknown): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok || detail === undefined ? '' : `: ${String(detail)}`}`);
}
function checkThrows(name: string, fn: () => unknown, code: string): void {
  try {
    fn();
    check(name, false, 'did not throw');
  } catch (e: unknown) {
    check(name, e instanceof TensorMemError && e.code === code, e instanceof Error ? `${e.name}: ${e.message}` : e);
  }
}

const device = await Device.create({ maxMemory: 64 << 20 });
const rate = 8192;
const pcm = new Float32Array(2 * rate);
for (let i = 0; i < rate; i++) pcm[2 * i] = Math.sin((2 * Math.PI * 1000 * i) / rate);
{
  using stereo = device.tensor(pcm, { shape: [rate, 2] });
  using left = stereo.select(1, 0);
  using spectrogram: Spectrogram = device.kernels.spectrogram(left, 1024, 256);
  check('spectrogram shape', spectrogram.shape.join() === '29,513', spectrogram.shape);
  using overTime = spectrogram.transpose();  // a view: every object needs its dispose, `using` gives it
  using loudness = device.kernels.rowRms(overTime);
  const perBin: Float32Array = loudness.read();
  check('the 1000 Hz tone peaks in bin 125', perBin.indexOf(Math.max(...perBin)) === 125);

  using ints = device.tensor(new Int32Array(2048));
  // @ts-expect-error an int32 tensor is not a float32 signal
  checkThrows('an int32 signal is DTYPE_MISMATCH at run time too', () => device.kernels.spectrogram(ints, 1024, 256),
    'DTYPE_MISMATCH');
  // @ts-expect-error frame is a number
  checkThrows('a string frame is INVALID_ARGUMENT', () => device.kernels.spectrogram(left, '1024', 256),
    'INVALID_ARGUMENT');
  // @ts-expect-error rowRms takes one argument
  checkThrows('a missing argument is INVALID_ARGUMENT', () => device.kernels.rowRms(), 'INVALID_ARGUMENT');
  checkThrows('a 1-d tensor is INVALID_SHAPE for rowRms (a constraint the types do not carry)',
    () => device.kernels.rowRms(left), 'INVALID_SHAPE');
  // @ts-expect-error no such kernel
  check('unknown kernels are not there', device.kernels.stft === undefined);
}
check('everything was disposed by `using`', device.getMemoryStats().liveTensors === 0,
  device.getMemoryStats().liveTensors);
device.dispose();
console.log(`kernel consumer checks: ${passed} passed, ${failed} failed`);
if (failed > 0) throw new Error(`${failed} kernel consumer checks failed`);
