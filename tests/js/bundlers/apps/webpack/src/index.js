// webpack 5, zero configuration (src/index.js -> dist/main.js, production mode):
// tensormem and audio-kernels find their .wasm files, which webpack emits as assets.
import { Device, TensorMemError } from 'tensormem';
import { Device as KernelDevice } from 'audio-kernels';
import { scenario } from '../scenario.js';

scenario({ Device, TensorMemError, KernelDevice }).then((checks) => { window.__result = checks; },
  (error) => { window.__result = [{ name: 'the app ran', ok: false, detail: error.stack }]; });
