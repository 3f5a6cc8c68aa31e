// Loading the runtime: the .wasm is compiled once per process (per source)
// and each Device gets its own instance, and so its own memory. The module
// is built standalone (no Emscripten JS glue): the imports below are all it
// needs, so the same code loads it in node, browsers, workers and bundles.
import { fail, show } from './errors.mjs';

export const WASM_FILE = 'tensormem.wasm';
// The ABI of the runtime's exports this layer speaks (kAbi in exports.cpp).
const ABI = 3;

const compiled = new Map();  // href -> Promise<WebAssembly.Module>
export const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// A node built-in, synchronously (node >= 20.16), or null elsewhere. Not an
// import statement: bundlers for the browser would try to resolve it.
export function nodeBuiltin(name) {
  return isNode && typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(name) : null;
}

// The default location: next to the package. A literal, so that bundlers
// (webpack 5, Vite) find the file and emit it with the bundle.
function defaultLocation() {
  return new URL('../tensormem.wasm', import.meta.url);
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
    const located = options.locateFile(WASM_FILE);
    if (typeof located !== 'string' && !(located instanceof URL)) {
      fail('INVALID_ARGUMENT', `Device.create: locateFile returned ${show(located)}; it must return a string or URL`);
    }
    return located instanceof URL ? located : resolve(located);
  }
  return defaultLocation();
}

// An absolute URL as it is; otherwise a file path (node) or a URL relative to
// the document's base URL (browsers; in a worker, the worker script's).
function resolve(location) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)) return new URL(location);
  if (isNode) return nodeBuiltin('node:url').pathToFileURL(nodeBuiltin('node:path').resolve(location));
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  return new URL(location, base);
}

async function compileFrom(url) {
  let bytes;
  if (url.protocol === 'file:' && isNode) {
    try {
      bytes = await nodeBuiltin('node:fs/promises').readFile(url);
    } catch (error) {
      fail('INVALID_ARGUMENT', `Device.create: cannot read ${url.href} (${error.code ?? error.message})`);
    }
  } else {
    let response;
    try {
      response = await fetch(url);
    } catch (error) {
      fail('INVALID_ARGUMENT', `Device.create: fetching ${url.href} failed (${error.message})`);
    }
    if (!response.ok) fail('INVALID_ARGUMENT', `Device.create: fetching ${url.href} failed: HTTP ${response.status}`);
    if (typeof WebAssembly.compileStreaming === 'function' &&
        response.headers.get('content-type')?.startsWith('application/wasm')) {
      return compile(WebAssembly.compileStreaming(response), url.href);
    }
    bytes = await response.arrayBuffer();
  }
  return compile(WebAssembly.compile(bytes), url.href);
}

// A compiled module, checked to be a tensormem runtime whose imports this loader provides.
async function compile(pending, source) {
  let module;
  try {
    module = await pending;
  } catch (error) {
    fail('INVALID_ARGUMENT', `Device.create: ${source} is not a valid WebAssembly module (${error.message})`);
  }
  checkModule(module, source);
  return module;
}

function checkModule(module, source) {
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of ['tm_abi', 'tm_init', 'memory', '_initialize']) {
    if (!exports.has(name)) {
      fail('INVALID_ARGUMENT', `Device.create: ${source} is not a tensormem runtime (it exports no ${name})`);
    }
  }
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind === 'function' && (from === 'wasi_snapshot_preview1' || (from === 'env' && name in ENV))) continue;
    fail('INVALID_ARGUMENT', `Device.create: ${source} imports ${from}.${name} (${kind}), which the tensormem loader ` +
      'does not provide: kernels run inside wasm and cannot call JavaScript (EM_ASM, EM_JS and Emscripten APIs ' +
      'implemented in JS are not available)');
  }
}

export function compiledModule(options) {
  const binary = options.wasmBinary;
  if (binary instanceof WebAssembly.Module) {
    checkModule(binary, 'wasmBinary');
    return Promise.resolve(binary);
  }
  if (binary !== undefined) {
    if (!(binary instanceof ArrayBuffer) && !ArrayBuffer.isView(binary)) {
      fail('INVALID_ARGUMENT', `Device.create: wasmBinary is ${show(binary)}; it must be bytes or a WebAssembly.Module`);
    }
    if (binary.byteLength === 0) {
      fail('INVALID_ARGUMENT', 'Device.create: wasmBinary is empty (0 bytes; a detached buffer has none either)');
    }
    return compile(WebAssembly.compile(binary), 'wasmBinary');
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

// Imports of the runtime's own code (heap growth) and of libc (WASI), which
// a kernel's printf for debugging may reach.
const ENV = {
  emscripten_notify_memory_growth(host) { return () => host.onGrowth(); },
};

const ERRNO_BADF = 8;
const ERRNO_NOSYS = 52;
const ERRNO_SPIPE = 70;

function wasi(host) {
  const u32 = () => new Uint32Array(host.memory.buffer);
  const lines = ['', '', ''];
  const decoder = new TextDecoder();
  return new Proxy({
    fd_write(fd, iovs, count, written) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const words = u32();
      const bytes = new Uint8Array(host.memory.buffer);
      let total = 0;
      for (let i = 0; i < count; i++) {
        const at = words[(iovs >>> 2) + 2 * i];
        const length = words[(iovs >>> 2) + 2 * i + 1];
        lines[fd] += decoder.decode(bytes.subarray(at, at + length));
        total += length;
      }
      const parts = lines[fd].split('\n');
      lines[fd] = parts.pop();
      for (const line of parts) (fd === 1 ? console.log : console.error)(line);
      words[written >>> 2] = total;
      return 0;
    },
    fd_close() { return 0; },
    fd_seek() { return ERRNO_SPIPE; },
    fd_read(fd, iovs, count, read) { u32()[read >>> 2] = 0; return 0; },
    environ_sizes_get(count, size) { const w = u32(); w[count >>> 2] = 0; w[size >>> 2] = 0; return 0; },
    environ_get() { return 0; },
    args_sizes_get(count, size) { const w = u32(); w[count >>> 2] = 0; w[size >>> 2] = 0; return 0; },
    args_get() { return 0; },
    clock_time_get(id, precision, out) {
      const ns = id === 0 ? BigInt(Date.now()) * 1000000n : BigInt(Math.round(performance.now() * 1e6));
      new BigUint64Array(host.memory.buffer, out, 1)[0] = ns;
      return 0;
    },
    random_get(at, length) {
      const bytes = new Uint8Array(host.memory.buffer, at, length);
      for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(length, i + 65536)));
      return 0;
    },
    proc_exit(code) {
      host.lose(`the wasm code called exit(${code}) or abort()`);
      throw new WebAssembly.RuntimeError(`tensormem: the wasm code exited (${code})`);
    },
  }, {
    // Any other WASI function: "not supported", never a missing import.
    get(target, name) { return target[name] ?? (() => ERRNO_NOSYS); },
  });
}

/**
 * A new instance with its own memory: { exports, memory }. `host` gets
 * onGrowth() after the memory grew and lose(reason) when the instance can no
 * longer be trusted; its `memory` is set before any code runs.
 */
export async function instantiate(options, host) {
  const module = await compiledModule(options);
  return started(module, await WebAssembly.instantiate(module, imports(host)), host);
}

/**
 * Another instance of a compiled module, synchronously (device.shrink()):
 * as instantiate() does. Throws what the engine throws when it cannot make
 * the instance or its memory.
 */
export function instantiateSync(module, host) {
  return started(module, new WebAssembly.Instance(module, imports(host)), host);
}

function imports(host) {
  const env = {};
  for (const [name, make] of Object.entries(ENV)) env[name] = make(host);
  return { env, wasi_snapshot_preview1: wasi(host) };
}

function started(module, instance, host) {
  const x = instance.exports;
  host.memory = x.memory;
  const abi = x.tm_abi();
  if (abi !== ABI) {
    fail('INVALID_ARGUMENT', `Device.create: the wasm runtime speaks ABI ${abi}, this JavaScript layer ${ABI}: ` +
      'the .wasm and the package come from different builds');
  }
  x._initialize();  // static constructors: among them, kernel registration
  return { module, exports: x, memory: x.memory };
}
