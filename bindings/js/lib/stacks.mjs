// Creation stacks for leak reports (debug mode): the stack where the app
// created an object, without the package's own frames on top of it.
//
// Which frames are the package's depends on how it was loaded, so it is
// learned from a stack taken here:
// - unbundled (this file is .../lib/stacks.mjs): every frame in the package's
//   directory;
// - bundled (this file is the app's bundle, where the app's frames are too):
//   frames in that file whose function is one of the package's, by the names
//   it has at run time (a minifier renames classes; `Tensor.name` says to what).
// Only the leading frames are dropped, up to the first frame of the app, and
// never all of them: a stack in a form this does not know stays whole.
const ownNames = new Set();   // bundled: "Type.method", "new Type", bare function names
const ownClasses = new Set();

// Function names of the package that may be on top of a creation stack.
export function ownFunctions(...functions) {
  for (const fn of functions) {
    ownNames.add(fn.name);
    ownNames.add(`Object.${fn.name}`);  // called as a method of a plain object (device.kernels.x)
  }
}

function addClass(cls) {
  if (cls === undefined || ownClasses.has(cls)) return;
  ownClasses.add(cls);
  ownNames.add(`new ${cls.name}`);
  for (const key of Object.getOwnPropertyNames(cls.prototype)) ownNames.add(`${cls.name}.${key}`);
  for (const key of Object.getOwnPropertyNames(cls)) ownNames.add(`${cls.name}.${key}`);
}

// "    at Type.method (url:1:2)" -> { name: "Type.method", file: "url" } (V8's format).
function parse(line) {
  const match = /^\s*at (?:async )?(?:(.*?) \()?(.*?)(?::\d+){0,2}\)?$/.exec(line);
  if (match === null) return undefined;
  return { name: (match[1] ?? '').replace(/ \[as [^\]]*\]$/, ''), file: match[2] };
}

let where;  // { packageDir } unbundled, { bundle } bundled, or null (unknown stack format)
function locate() {
  const own = parse(new Error().stack.split('\n')[1] ?? '');
  if (own === undefined) return null;
  const unbundled = /\/lib\/stacks\.mjs$/.exec(own.file);
  return unbundled ? { packageDir: own.file.slice(0, unbundled.index + 1) } : { bundle: own.file };
}

function isOwn(frame) {
  if (where.packageDir !== undefined) return frame.file.startsWith(where.packageDir);
  if (frame.file !== where.bundle) return false;
  // Private methods print as "#name" (getOwnPropertyNames does not list them, and
  // minifiers rename them): a leading private method in the bundle counts as the package's.
  return ownNames.has(frame.name) || /(^|\.)#[\w$]+$/.test(frame.name);
}

// The stack where `object` is being created; `classes`: the package's classes it went through.
export function creationStack(classes) {
  where ??= locate();
  const lines = new Error().stack.split('\n').slice(1);
  if (where === null) return lines.join('\n');
  for (const cls of classes) addClass(cls);
  let first = 0;
  for (; first < lines.length; first++) {
    const frame = parse(lines[first]);
    if (frame === undefined || !isOwn(frame)) break;
  }
  return (first < lines.length ? lines.slice(first) : lines).join('\n');
}
ownFunctions(creationStack);

// A creation site as a report shows it: a file URL or path under the
// directory the app runs from (node's working directory) relative to it,
// "loadFile (examples/app.mjs:40:20)" rather than the absolute path of one
// machine's checkout. Anything else (other files, browsers' http URLs) stays.
// The prefixes to drop: the directory as a file URL and as a path. Read per
// site (the app may change directory; sites are recorded only with stacks,
// which cost far more).
function appPrefixes() {
  const cwd = globalThis.process?.cwd?.();
  if (typeof cwd !== 'string' || cwd === '') return [];
  const dir = cwd.replace(/\\/g, '/').replace(/\/+$/, '');
  const url = `file://${dir.startsWith('/') ? '' : '/'}${encodeURI(dir)}/`;
  return dir === '' ? [] : [url, `${dir}/`];
}

export function shortSite(site) {
  for (const prefix of appPrefixes()) {
    const at = site.indexOf(prefix);
    if (at >= 0) return site.slice(0, at) + site.slice(at + prefix.length);
  }
  return site;
}
