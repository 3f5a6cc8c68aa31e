// esbuild with its one documented option, --loader:.wasm=file: esbuild does not
// see `new URL(..., import.meta.url)`, so the app imports the .wasm's URL and
// hands it to Device.create. Built as an ES module and as a classic script (iife).
import { Device, TensorMemError } from 'tensormem';
import wasmUrl from 'tensormem/tensormem.wasm';
import { scenario } from './scenario.js';

scenario({ Device, TensorMemError, options: { wasmUrl } }).then((checks) => { window.__result = checks; },
  (error) => { window.__result = [{ name: 'the app ran', ok: false, detail: error.stack }]; });
