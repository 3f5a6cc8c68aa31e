// Installs npm tarballs into the project the JS checks import from (the way a
// user's app gets tensormem): <project>/package.json depends on each tarball
// by path, node_modules is made afresh (a rebuilt tarball keeps its version,
// so npm's lock would refuse it), and <project>/installed.json records what
// came from where, for tests/js/support.mjs to check nothing is stale.
//
//   node tests/js/install/project.mjs <project dir> <tarball>...
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [projectArg, ...tarballs] = process.argv.slice(2);
if (!projectArg || tarballs.length === 0) {
  process.stderr.write('usage: node tests/js/install/project.mjs <project dir> <tarball>...\n');
  process.exit(2);
}
const project = path.resolve(projectArg);
mkdirSync(project, { recursive: true });

// The package's name and version, from the tarball's package.json.
function manifest(tarball) {
  const text = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  return JSON.parse(text);
}

const installed = {};
const dependencies = {};
for (const file of tarballs.map((t) => path.resolve(t))) {
  const { name, version } = manifest(file);
  dependencies[name] = `file:${path.relative(project, file)}`;
  installed[name] = { version, tarball: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}
writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({
  name: 'tensormem-js-checks', private: true, type: 'module',
  description: 'The app the JS checks import tensormem from, installed from the tarballs by scripts/pack-js.sh',
  dependencies,
}, null, 2)}\n`);
rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
rmSync(path.join(project, 'package-lock.json'), { force: true });
rmSync(path.join(project, 'installed.json'), { force: true });
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--loglevel=error'], { cwd: project, stdio: 'inherit' });
writeFileSync(path.join(project, 'installed.json'), `${JSON.stringify(installed, null, 2)}\n`);
for (const [name, { version }] of Object.entries(installed)) {
  console.log(`installed: ${name}@${version} in ${path.join(project, 'node_modules', name)}`);
}
