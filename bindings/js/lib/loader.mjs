// Compiling the .wasm once per process (per URL) and instantiating it per device.
// The Emscripten loader (tensormem_wasm.mjs) is built for the web environment
// and never fetches or reads files itself: we hand it the compiled module
// through instantiateWasm, which works the same in node and in browsers.
import createTensormemModule from '../tensormem_wasm.mjs';
import { fail, show } from './errors.mjs';

const WASM_FILE = 'tensormem.wasm';
const compiled = new Map();  // href -> Promise<WebAssembly.Module>
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// A node built-in module, or null elsewhere. Not a literal import(), which
// bundlers for the browser would try to resolve.
export async function nodeBuiltin(name) {
  if (!isNode) return null;
  if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(name);
  const specifier = name;
  return import(specifier);
}

function wasmLocation(options) {
  if (options.wasmUrl !== undefined) {
    const url = options.wasmUrl;
    if (url instanceof URL) return url;
    if (typeof url !== 'string') fail('INVALID_ARGUMENT', `Device.create: wasmUrl is ${show(url)}; it must be a string or URL`);
    return resolve(url);
  }
  if (options.locateFile !== undefined) {
    if (typeof options.locateFile !== 'function') {
      fail('INVALID_ARGUMENT', `Device.create: locateFile is ${show(options.locateFile)}; it must be a function`);
    }
    return resolve(String(options.locateFile(WASM_FILE)));
  }
  return new URL('../tensormem.wasm', import.meta.url);  // literal: bundlers find and copy the file
}

// A string is a URL, else a path (node) or a URL relative to the page (browsers).
function resolve(location) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)) return new URL(location);
  if (isNode) return new URL(`file://${location.startsWith('/') ? '' : `${process.cwd()}/`}${location}`);
  return new URL(location, globalThis.location?.href);
}

async function compileFrom(url) {
  if (url.protocol === 'file:' && isNode) {
    const { readFile } = await nodeBuiltin('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) fail('INVALID_ARGUMENT', `Device.create: fetching ${url.href} failed: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function' &&
      response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function compiledModule(options) {
  const binary = options.wasmBinary;
  if (binary instanceof WebAssembly.Module) return Promise.resolve(binary);
  if (binary !== undefined) {
    if (!(binary instanceof ArrayBuffer) && !ArrayBuffer.isView(binary)) {
      fail('INVALID_ARGUMENT', `Device.create: wasmBinary is ${show(binary)}; it must be bytes or a WebAssembly.Module`);
    }
    return WebAssembly.compile(binary);
  }
  const url = wasmLocation(options);
  let module = compiled.get(url.href);
  if (module === undefined) {
    module = compileFrom(url);
    compiled.set(url.href, module);
    module.catch(() => compiled.delete(url.href));  // a failed load may be retried
  }
  return module;
}

// A new instance with its own memory: { module (Embind functions), exports (raw), memory }.
export async function instantiate(options) {
  const wasm = await compiledModule(options);
  let instanceExports;
  let rejectInstance;
  const failed = new Promise((_, reject) => { rejectInstance = reject; });
  const ready = createTensormemModule({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasm, imports).then((instance) => {
        instanceExports = instance.exports;
        receive(instance, wasm);
      }, rejectInstance);
      return {};  // asynchronous: Emscripten waits for receive()
    },
  });
  const module = await Promise.race([ready, failed]);
  return { module, exports: instanceExports, memory: instanceExports.memory };
}
