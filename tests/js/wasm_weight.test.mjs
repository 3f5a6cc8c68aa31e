// The package's tensormem.wasm stays small, and so does every function in it:
// a single function of hundreds of KB (the 121 copy kernels once inlined into
// one dispatcher) made every Device.create() after the first wait seconds for
// V8's optimizer (docs/benchmarks.md, "The wasm's weight").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { packageDir } from './support.mjs';

const wasmBytes = readFileSync(path.join(packageDir, 'tensormem.wasm'));

// Body sizes of the module's defined functions, in order (index i is the
// function after the imported ones), read from the code section (id 10).
function functionBodySizes(bytes) {
  let pos = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = leb();
    if (id === 10) {
      const sizes = [];
      for (let n = leb(); n > 0; --n) {
        const body = leb();
        sizes.push(body);
        pos += body;
      }
      return sizes;
    }
    pos += size;
  }
  throw new Error('tensormem.wasm has no code section');
}

// The targets: 400 KB raw and 100 KB gzipped (docs/benchmarks.md, "The wasm's weight").
test('tensormem.wasm stays within 400 KB raw and 100 KB gzipped', () => {
  assert.ok(wasmBytes.length <= 400_000, `tensormem.wasm is ${wasmBytes.length} bytes, over 400000`);
  const gzipped = gzipSync(wasmBytes, { level: 9 }).length;
  assert.ok(gzipped <= 100_000, `tensormem.wasm gzips to ${gzipped} bytes, over 100000`);
});

test('no function in tensormem.wasm is larger than 64 KiB, so V8 optimizes each quickly', () => {
  const sizes = functionBodySizes(wasmBytes);
  assert.ok(sizes.length > 100, `only ${sizes.length} functions read: the parser is wrong`);
  const largest = Math.max(...sizes);
  assert.ok(largest <= 64 * 1024,
    `defined function ${sizes.indexOf(largest)} of tensormem.wasm has a ${largest}-byte body, over 65536`);
});
