// Vite, zero configuration: tensormem and audio-kernels find their .wasm files
// (Vite emits them as assets), and a worker built in Vite's default format uses tensormem.
import { Device, TensorMemError } from 'tensormem';
import { Device as KernelDevice } from 'audio-kernels';
import { scenario } from './scenario.js';

async function main() {
  const checks = await scenario({ Device, TensorMemError, KernelDevice });
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const answer = await new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => resolve({ error: event.message ?? 'worker failed to load' });
  });
  worker.terminate();
  checks.push(answer.sum === 21 ? { name: 'a worker using tensormem', ok: true }
    : { name: 'a worker using tensormem', ok: false, detail: JSON.stringify(answer) });
  return checks;
}
main().then((checks) => { window.__result = checks; },
  (error) => { window.__result = [{ name: 'the app ran', ok: false, detail: error.stack }]; });
