// The package's types as a project without host globals sees them (no DOM lib, no
// node types: `lib` alone, from es2020 on). Typechecked only, never run: it uses
// the API the way code shared between browsers, workers and node would.
import { Device, TensorMemError, type DType, type MemoryStats, type Tensor, type TransferableTensor } from 'tensormem';

export async function rowSums(values: Float32Array, columns: number): Promise<Float32Array> {
  const device = await Device.create({ maxMemory: 16 << 20 });
  try {
    using t = device.tensor(values, { shape: [-1, columns] });
    using sums = device.zeros([t.shape[0] ?? 0]);
    for (let r = 0; r < sums.size; r++) {
      let s = 0;
      for (let c = 0; c < columns; c++) s += t.get(r, c);
      sums.set(s, r);
    }
    return sums.read();
  } finally {
    device.dispose();
  }
}

export function describe(t: Tensor, stats: MemoryStats): string {
  const dtype: DType = t.dtype;
  return `${dtype} [${t.shape.join(', ')}], ${stats.bytesInUse} bytes in use`;
}

export function isLimit(error: unknown): boolean {
  return error instanceof TensorMemError && error.code === 'MEMORY_LIMIT';
}

export async function roundTrip(t: Tensor<'int32'>): Promise<Tensor<'int32'>> {
  const module = await Device.compile();
  const other = await Device.create({ wasmBinary: module });
  const message: TransferableTensor<'int32'> = t.toTransferable();
  return other.fromTransferable(message);
}
