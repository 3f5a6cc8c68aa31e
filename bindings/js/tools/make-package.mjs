// Assembles an npm package directory from a tensormem runtime .wasm (with or
// without user kernels) and the JavaScript layer: package.json, the layer,
// index.d.ts with the kernels' types generated from their registered
// signatures (plus any TYPES files), README and licenses. Run by the CMake
// function tensormem_add_js_package (cmake/TensormemJsPackage.cmake) after
// the .wasm links; `npm pack <out>` then makes the installable tarball.
//
//   node make-package.mjs --name NAME --version X.Y.Z --runtime-version X.Y.Z --runtime-license FILE
//                         --wasm FILE --out DIR [--description TEXT] [--types FILE]... [--readme FILE]
//                         [--license SPDX] [--license-file FILE]
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const TS_SCALAR = {
  float32: 'number', float64: 'number', int8: 'number', uint8: 'number', int16: 'number', uint16: 'number',
  int32: 'number', uint32: 'number', int64: 'number | bigint', uint64: 'number | bigint', bool: 'boolean',
};
const TS_RESULT = { ...TS_SCALAR, int64: 'bigint', uint64: 'bigint', void: 'void' };

const jsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    name: { type: 'string' },
    version: { type: 'string' },
    'runtime-version': { type: 'string' },
    'runtime-license': { type: 'string' },
    description: { type: 'string', default: '' },
    wasm: { type: 'string' },
    out: { type: 'string' },
    types: { type: 'string', multiple: true, default: [] },
    readme: { type: 'string' },
    license: { type: 'string' },
    'license-file': { type: 'string' },
  },
});

function die(message) {
  process.stderr.write(`make-package: ${message}\n`);
  process.exit(2);
}
for (const required of ['name', 'version', 'runtime-version', 'runtime-license', 'wasm', 'out']) {
  if (!args[required]) die(`--${required} is required`);
}
// npm's rules for names (lower case, URL-safe, optional @scope/).
if (!/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(args.name) || args.name.length > 214) {
  die(`"${args.name}" is not a valid npm package name (lower case letters, digits, - . _ ~, optionally @scope/)`);
}
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(args.version)) die(`version "${args.version}" is not semver (X.Y.Z)`);
for (const file of [args.wasm, args['runtime-license'], ...args.types, args.readme, args['license-file']].filter(Boolean)) {
  if (!existsSync(file)) die(`${file} does not exist`);
}

const isBase = args.name === 'tensormem';
const out = path.resolve(args.out);
// A fresh directory every time: nothing stale from an earlier build ends up in a tarball.
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'lib'), { recursive: true });

// --- the JavaScript layer and the runtime ----------------------------------------------
for (const file of ['index.mjs', 'index.cjs']) copyFileSync(path.join(jsDir, file), path.join(out, file));
for (const file of readdirSync(path.join(jsDir, 'lib'))) {
  if (file.endsWith('.mjs')) copyFileSync(path.join(jsDir, 'lib', file), path.join(out, 'lib', file));
}
writeFileSync(path.join(out, 'lib', 'version.mjs'),
  `// The tensormem runtime's version (include/tensormem/version.hpp), written by make-package.mjs.\n` +
  `export const version = '${args['runtime-version']}';\n`);
copyFileSync(args.wasm, path.join(out, 'tensormem.wasm'));
// The memory inspector (a static page and its CLI) ships with tensormem itself;
// a kernel package's users have it from there, and two packages must not claim one bin.
if (isBase) {
  cpSync(path.join(jsDir, 'inspector'), path.join(out, 'inspector'), { recursive: true });
  mkdirSync(path.join(out, 'bin'));
  copyFileSync(path.join(jsDir, 'bin', 'tensormem-inspect.mjs'), path.join(out, 'bin', 'tensormem-inspect.mjs'));
}

// --- types: the base declarations, with this runtime's kernels -----------------------
const signatures = await readSignatures(path.join(out, 'tensormem.wasm'));
const base = readFileSync(path.join(jsDir, 'index.d.ts'), 'utf8');
const marker = /export interface Kernels \{\}\n/;
if (!marker.test(base)) die('index.d.ts has no `export interface Kernels {}` to fill in');
let types = base.replace(marker, kernelsInterface(signatures));
for (const file of args.types) {
  types += `\n// ---- from ${path.basename(file)} ----\n${readFileSync(file, 'utf8')}`;
}
writeFileSync(path.join(out, 'index.d.ts'), types);

// --- README and licenses --------------------------------------------------------------
const readme = args.readme ?? (isBase ? path.join(jsDir, 'README.md') : undefined);
writeFileSync(path.join(out, 'README.md'), readme ? readFileSync(readme, 'utf8') : generatedReadme(signatures));
const tensormemLicense = args['runtime-license'];
let license = args.license ?? (isBase ? 'MIT' : undefined);
if (args['license-file']) copyFileSync(args['license-file'], path.join(out, 'LICENSE'));
if (isBase) {
  copyFileSync(tensormemLicense, path.join(out, 'LICENSE'));
} else {
  // The runtime compiled into the .wasm is tensormem's: its notice travels with it.
  copyFileSync(tensormemLicense, path.join(out, 'LICENSE.tensormem'));
  license ??= 'SEE LICENSE IN LICENSE.tensormem';
}

// --- package.json ---------------------------------------------------------------------
const pkg = {
  name: args.name,
  version: args.version,
  description: args.description ||
    (isBase ? 'Checked tensor memory for JavaScript and TypeScript: a WebAssembly runtime with bounded pools, ' +
      'generation-checked handles and zero-copy strided views'
      : `WebAssembly kernels on tensormem tensors: ${signatures.map((s) => s.name).join(', ')}`),
  type: 'module',
  exports: {
    '.': { types: './index.d.ts', import: './index.mjs', require: './index.cjs', default: './index.mjs' },
    './tensormem.wasm': './tensormem.wasm',
    ...(isBase ? { './inspector/*': './inspector/*' } : {}),
    './package.json': './package.json',
  },
  main: './index.cjs',
  module: './index.mjs',
  types: './index.d.ts',
  files: ['index.mjs', 'index.cjs', 'index.d.ts', 'lib/', 'tensormem.wasm', 'README.md', 'LICENSE*',
    ...(isBase ? ['inspector/', 'bin/'] : [])],
  ...(isBase ? { bin: { 'tensormem-inspect': './bin/tensormem-inspect.mjs' } } : {}),
  sideEffects: false,
  engines: { node: '>=20.19' },
  license,
  ...(isBase ? {
    keywords: ['tensor', 'webassembly', 'wasm', 'memory', 'strided', 'views'],
    repository: { type: 'git', url: 'https://github.com/tensormem/tensormem.git', directory: 'bindings/js' },
  } : { keywords: ['tensormem', 'webassembly', 'wasm', 'kernels'] }),
  tensormem: { runtime: args['runtime-version'], kernels: signatures.map((s) => s.name) },
};
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`make-package: ${args.name}@${args.version} in ${out} (${signatures.length} kernel${signatures.length === 1 ? '' : 's'})`);

// ---------------------------------------------------------------------------------------

// The kernels' signatures, from the runtime itself (the same path Device.create takes).
async function readSignatures(wasmFile) {
  const { Device } = await import(pathToFileURL(path.join(out, 'index.mjs')).href);
  const device = await Device.create({ wasmBinary: readFileSync(wasmFile) });
  try {
    return Object.values(device.kernels).map((kernel) => kernel.signature);
  } finally {
    device.dispose();
  }
}

function tsType(arg) {
  if (arg.type === 'tensor' || arg.type === 'tensor_inout') return arg.dtype ? `Tensor<'${arg.dtype}'>` : 'Tensor';
  return TS_SCALAR[arg.type];
}

function describe(arg) {
  if (arg.type !== 'tensor' && arg.type !== 'tensor_inout') return arg.type;
  const parts = [arg.dtype ?? 'any dtype', arg.ndim === undefined ? 'any shape' : `${arg.ndim}-d`];
  if (arg.contiguous) parts.push('contiguous');
  if (arg.writable) parts.push('written in place (must be writable)');
  return parts.join(', ');
}

function kernelsInterface(list) {
  const members = list.map((s) => {
    const params = s.args.map((a) => `${a.name}: ${tsType(a)}`).join(', ');
    const result = s.returns.type === 'tensor' ? (s.returns.dtype ? `Tensor<'${s.returns.dtype}'>` : 'Tensor')
      : TS_RESULT[s.returns.type];
    const doc = [
      ...(s.doc ? [s.doc] : []),
      ...s.args.map((a) => `@param ${a.name} ${describe(a)}`),
      ...(s.returns.type === 'tensor' ? ['@returns a new Tensor: dispose it (or use `using` / a scope)'] : []),
      '@throws {TensorMemError} DISPOSED, INVALID_ARGUMENT, DTYPE_MISMATCH, INVALID_SHAPE, NOT_CONTIGUOUS, READ_ONLY ' +
        'for arguments that break the declared constraints; MEMORY_LIMIT; KERNEL_FAILED when the kernel throws',
    ];
    return `  /**\n${doc.map((line) => `   * ${line}`).join('\n')}\n   */\n  ${s.name}(${params}): ${result};`;
  });
  return `export interface Kernels {\n${members.join('\n')}${members.length ? '\n' : ''}}\n`;
}

function generatedReadme(list) {
  const rows = list.map((s) => `- \`device.kernels.${s.name}(${s.args.map((a) => a.name).join(', ')})\`` +
    (s.doc ? `: ${s.doc}` : ''));
  return `# ${args.name}\n\n${args.description || 'WebAssembly kernels on tensormem tensors.'}\n\n` +
    `Built with tensormem ${args['runtime-version']}: \`Device\`, \`Tensor\` and every lifetime rule are ` +
    `tensormem's (dispose, \`using\`, \`device.scope\`, the finalization safety net).\n\n` +
    '```js\n' +
    `import { Device } from '${args.name}';\n` +
    'const device = await Device.create();\n' +
    '```\n\n## Kernels\n\n' + `${rows.join('\n')}\n`;
}
