// The JavaScript demo and the guide's example run as users run them, and the
// guide shows the example exactly as it is in examples/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { installedPackage, packageDir } from './support.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const env = { ...process.env, TENSORMEM_JS_PACKAGE: packageDir,
  TENSORMEM_EXAMPLE_KERNELS_PACKAGE: installedPackage('audio-kernels') };

test('the leaking-audio-app demo runs to the end and checks its own claims', async () => {
  const { stdout } = await run(process.execPath, ['--expose-gc', 'examples/js/demo.mjs'], { cwd: repo, env });
  assert.match(stdout, /MEMORY_LIMIT/);
  assert.match(stdout, /View is no longer valid: buffer has been disposed/);
  const report = /the report \(open it in a browser; it loads nothing else\): (.*\.html)$/m.exec(stdout)?.[1];
  assert.ok(report, 'the demo prints the path of its inspector report');
  const html = await readFile(report, 'utf8');
  assert.match(html, /"format":"tensormem-snapshot"/, 'the report holds the recorded snapshot');
});

test('the guide example runs and the guide shows it verbatim', async () => {
  const [doc, example] = await Promise.all(
    ['docs/js-guide.md', 'examples/js/guide-example.mjs'].map((file) => readFile(path.join(repo, file), 'utf8')));
  assert.ok(doc.includes(example.trimEnd()), 'docs/js-guide.md must show examples/js/guide-example.mjs as it is');
  await run(process.execPath, ['--import', './examples/js/resolve-tensormem.mjs', 'examples/js/guide-example.mjs'],
    { cwd: repo, env });
});

test('the kernel demo analyses file after file in wasm with a flat heap', async () => {
  const { stdout } = await run(process.execPath, ['examples/kernels/demo.mjs'], { cwd: repo, env });
  assert.match(stdout, /file 6: tone 9000 Hz -> peak/);
  assert.match(stdout, /wasm heap flat at [\d.]+ MiB from file 2 on; nothing left live/);
});
