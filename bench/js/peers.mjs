// The peers, from npm: @tensorflow/tfjs-core with its wasm backend, and
// ndarray. Installed (once; later runs reuse them) into build/bench-js/, which
// git ignores, and loaded from there. A peer that cannot be installed or
// loaded is reported as missing, with the reason; the harness runs without it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const PEER_VERSIONS = {
  '@tensorflow/tfjs-core': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  ndarray: '1.1.1',
};

function installedVersion(prefix, name) {
  try {
    return JSON.parse(readFileSync(join(prefix, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

// Installs the pinned versions unless they are already there. Returns an
// error message, or undefined on success.
export function installPeers(prefix, log) {
  const missing = Object.entries(PEER_VERSIONS).filter(([name, version]) => installedVersion(prefix, name) !== version);
  if (missing.length === 0) return undefined;
  mkdirSync(prefix, { recursive: true });
  writeFileSync(
    join(prefix, 'package.json'),
    `${JSON.stringify({ name: 'tensormem-bench-peers', private: true, dependencies: PEER_VERSIONS }, null, 2)}\n`,
  );
  log(`installing peers into ${prefix}: ${missing.map(([n, v]) => `${n}@${v}`).join(' ')}`);
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', prefix], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (error) {
    return `npm install failed: ${String(error.stderr || error.message).trim().split('\n').slice(-3).join(' ')}`;
  }
  return undefined;
}

// { tf, tfWasmFile, tfError, ndarray, ndarrayError }
export async function loadPeers(prefix) {
  const peers = {};
  const require = createRequire(join(prefix, 'node_modules', '/'));
  try {
    peers.ndarray = require('ndarray');
  } catch (error) {
    peers.ndarrayError = `cannot load ndarray: ${error.message.split('\n')[0]}`;
  }
  try {
    const tf = require('@tensorflow/tfjs-core');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    // The cpu backend (a dependency of the wasm one) for ops the wasm backend lacks (FFT).
    require('@tensorflow/tfjs-backend-cpu');
    // The .wasm files from node_modules, by file path: no network involved.
    const dist = join(prefix, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', '/');
    if (!existsSync(join(dist, 'tfjs-backend-wasm.wasm'))) throw new Error(`no .wasm files in ${dist}`);
    wasm.setWasmPaths(dist);
    tf.enableProdMode(); // what a production user would run: fewer per-op checks
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
    await tf.ready();
    if (tf.getBackend() !== 'wasm') throw new Error(`backend is ${tf.getBackend()}, not wasm`);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    peers.tf = tf;
    peers.tfWasmFile = threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  } catch (error) {
    peers.tfError = `cannot load @tensorflow/tfjs-backend-wasm: ${error.message.split('\n')[0]}`;
  }
  return peers;
}
