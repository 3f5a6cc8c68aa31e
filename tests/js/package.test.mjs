// The npm package as users install it: what the tarball holds, its package.json,
// and loading it from CommonJS (require(esm), node >= 20.19) with a clear error on
// an older node.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';

import { packageDir, testProject } from './support.mjs';

const installed = JSON.parse(readFileSync(path.join(testProject, 'installed.json'), 'utf8'));

function tarballFiles(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n')
    .map((entry) => entry.replace(/^package\//, '')).sort();
}

test('the tensormem tarball holds the runtime, its types, README and LICENSE, and no sources', () => {
  const files = tarballFiles(installed.tensormem.tarball);
  for (const file of ['package.json', 'LICENSE', 'README.md', 'index.mjs', 'index.cjs', 'index.d.ts', 'tensormem.wasm',
    'lib/loader.mjs', 'lib/tensor.mjs', 'lib/transfer.mjs', 'lib/version.mjs']) {
    assert.ok(files.includes(file), `the tarball lacks ${file}: ${files.join(' ')}`);
  }
  const stray = files.filter((f) => /\.(cpp|hpp|h|cmake|tgz|ts)$|CMakeLists\.txt|node_modules\//.test(f) && f !== 'index.d.ts');
  assert.deepEqual(stray, [], 'build or source files in the tarball');
  assert.deepEqual(files.filter((f) => !/^((lib|inspector|bin)\/[A-Za-z_.-]+|[A-Za-z.]+)$/.test(f)), [],
    'files outside lib/, inspector/, bin/ and the root');
  assert.match(readFileSync(path.join(packageDir, 'LICENSE'), 'utf8'), /^MIT License/);
});

test('package.json has what npm, node, bundlers and TypeScript read', () => {
  const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'tensormem');
  assert.equal(pkg.version, installed.tensormem.version);
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.license, 'MIT');
  assert.deepEqual(pkg.repository, { type: 'git', url: 'https://github.com/tensormem/tensormem.git', directory: 'bindings/js' });
  assert.deepEqual(pkg.engines, { node: '>=20.19' });
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(pkg.files, ['index.mjs', 'index.cjs', 'index.d.ts', 'lib/', 'tensormem.wasm', 'README.md', 'LICENSE*',
    'inspector/', 'bin/']);
  // types first, so TypeScript picks them under every condition; require for CommonJS.
  assert.deepEqual(pkg.exports['.'], { types: './index.d.ts', import: './index.mjs', require: './index.cjs', default: './index.mjs' });
  assert.equal(pkg.exports['./tensormem.wasm'], './tensormem.wasm');
  const kernels = JSON.parse(readFileSync(path.join(testProject, 'node_modules', 'audio-kernels', 'package.json'), 'utf8'));
  // A kernel package has its own license and carries the runtime's notice.
  assert.equal(typeof kernels.license, 'string');
  assert.ok(tarballFiles(installed['audio-kernels'].tarball).includes('LICENSE.tensormem'));
});

test('require("tensormem") works from a CommonJS file of an app that installed the tarball', (t) => {
  const file = path.join(testProject, 'require-check.cjs');
  t.after(() => rmSync(file, { force: true }));
  writeFileSync(file, `
    const { Device, TensorMemError, version } = require('tensormem');
    Device.create().then((device) => {
      const t = device.tensor([[1, 2], [3, 4]]);
      console.log(JSON.stringify({ version, sum: t.read().reduce((a, b) => a + b, 0), error: typeof TensorMemError }));
      device.dispose();
    });
  `);
  const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: testProject, encoding: 'utf8' }).trim());
  assert.deepEqual(out, { version: installed.tensormem.version, sum: 10, error: 'function' });
});

test('on a node without require(esm), require("tensormem") says which node it needs', () => {
  // index.cjs as node runs it, with a require() that refuses ES modules as node < 20.19 does.
  const source = readFileSync(path.join(packageDir, 'index.cjs'), 'utf8');
  const run = vm.runInThisContext(`(function (module, require, process) {${source}\n})`);
  const refuse = () => { throw Object.assign(new Error('require() of ES Module not supported'), { code: 'ERR_REQUIRE_ESM' }); };
  assert.throws(() => run({ exports: {} }, refuse, { version: 'v20.10.0' }), {
    message: 'tensormem: require() of this package needs Node.js 20.19 or later (you have v20.10.0); ' +
      'use `import` instead, or upgrade node',
  });
  const other = new Error('something else');
  assert.throws(() => run({ exports: {} }, () => { throw other; }, { version: 'v20.10.0' }), (e) => e === other);
});
