// Where the examples find the tensormem package built in this repository:
// TENSORMEM_JS_PACKAGE (its directory or its index.mjs), by default the copy
// bash scripts/pack-js.sh installs from its tarball into build/js-test/.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const packagePath = process.env.TENSORMEM_JS_PACKAGE || path.join(repo, 'build/js-test/node_modules/tensormem');
const entry = existsSync(packagePath) && statSync(packagePath).isDirectory()
  ? path.join(packagePath, 'index.mjs') : packagePath;
if (!existsSync(entry)) {
  console.error(`tensormem package not found at ${entry}: run bash scripts/pack-js.sh or set TENSORMEM_JS_PACKAGE`);
  process.exit(1);
}

/** The file URL of the package's index.mjs. */
export const packageUrl = pathToFileURL(entry).href;
