#!/usr/bin/env node
// tensormem-inspect: a snapshot (docs/snapshot-format.md) as one self-contained
// HTML page: the inspector's script, style and the snapshot inline, nothing
// fetched when it is opened.
//
//   tensormem-inspect <snapshot.json> [-o <report.html>]
//
// Without -o the report goes beside the snapshot (snapshot.html). Exit status:
// 0 written; 2 the snapshot is missing, unreadable, not valid JSON, not a
// snapshot or of a format version this inspector does not read, or the
// arguments are wrong; 1 the report could not be written.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readSnapshot, SnapshotError } from '../inspector/snapshot.mjs';

const NAME = 'tensormem-inspect';
const USAGE = `usage: ${NAME} <snapshot.json> [-o <report.html>]`;
const INSPECTOR_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../inspector');
// In dependency order: each module may use the ones before it.
const MODULES = ['snapshot.mjs', 'view.mjs', 'main.mjs'];

class UsageError extends Error {}

function parseArgs(args) {
  let input;
  let output;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '-o' || arg === '--output') {
      if (i + 1 >= args.length) throw new UsageError(`${arg} needs a file name`);
      output = args[++i];
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (input === undefined) {
      input = arg;
    } else {
      throw new UsageError(`one snapshot at a time (got ${input} and ${arg})`);
    }
  }
  if (input === undefined) throw new UsageError('no snapshot given');
  output ??= input.endsWith('.json') ? `${input.slice(0, -5)}.html` : `${input}.html`;
  if (path.resolve(output) === path.resolve(input)) throw new UsageError(`the report would overwrite the snapshot ${input}`);
  return { input, output };
}

function readProblem(error) {
  if (error.code === 'ENOENT') return 'cannot read it: no such file';
  if (error.code === 'EISDIR') return 'cannot read it: it is a directory';
  if (error.code === 'EACCES') return 'cannot read it: permission denied';
  return `cannot read it (${error.message})`;
}

// The inspector's modules as one classic module body: the import lines between
// them dropped, `export ` prefixes removed (snapshot.mjs says how they are written).
function bundle() {
  const parts = MODULES.map((name) => {
    const source = readFileSync(path.join(INSPECTOR_DIR, name), 'utf8')
      .replace(/^import \{[^}\n]*\} from '\.\/[\w-]+\.mjs';\n/gm, '')
      .replace(/^export (?=(?:async )?function |const |let |class )/gm, '');
    const leftover = source.match(/^\s*(?:import|export)\b.*$/m);
    if (leftover !== null) throw new Error(`${name}: cannot inline "${leftover[0].trim()}"`);
    return `// ---- ${name}\n${source}`;
  });
  const script = parts.join('\n');
  if (/<\/script/i.test(script)) throw new Error('the inspector script contains "</script"; it cannot be inlined');
  return script;
}

const escapeAttribute = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The page with everything inline. A Content-Security-Policy forbids any fetch.
function buildReport(snapshot, source) {
  const template = readFileSync(path.join(INSPECTOR_DIR, 'index.html'), 'utf8');
  const css = readFileSync(path.join(INSPECTOR_DIR, 'inspector.css'), 'utf8');
  // In a JSON script element only "<" could end it early; \u003c reads back the same.
  const data = JSON.stringify(snapshot).replace(/</g, '\\u003c');
  const pieces = [
    ['<link rel="stylesheet" href="./inspector.css">', `<style>\n${css}</style>`],
    ['<script type="module" src="./main.mjs"></script>',
      `<script type="application/json" id="tensormem-snapshot" data-source="${escapeAttribute(source)}">${data}</script>\n` +
      `  <script type="module">\n${bundle()}</script>`],
    ['<meta charset="utf-8">', '<meta charset="utf-8">\n  <meta http-equiv="Content-Security-Policy" ' +
      `content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`],
  ];
  let html = template;
  for (const [from, to] of pieces) {
    if (!html.includes(from)) throw new Error(`index.html no longer contains ${from}`);
    html = html.replace(from, () => to);
  }
  return html;
}

function main(args) {
  let options;
  try {
    options = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${NAME}: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(`${USAGE}\nWrites the memory inspector for a tensormem snapshot as one self-contained HTML file.`);
    return 0;
  }
  const { input, output } = options;
  let text;
  try {
    text = readFileSync(input, 'utf8');
  } catch (e) {
    console.error(`${NAME}: ${input}: ${readProblem(e)}`);
    return 2;
  }
  let snapshot;
  try {
    snapshot = readSnapshot(text);
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw e;
    console.error(`${NAME}: ${input}: ${e.message}`);
    return 2;
  }
  const html = buildReport(snapshot, path.basename(input));
  try {
    writeFileSync(output, html);
  } catch (e) {
    console.error(`${NAME}: ${output}: cannot write the report (${e.code ?? e.message})`);
    return 1;
  }
  console.log(`${NAME}: wrote ${output} (${Math.round(Buffer.byteLength(html) / 1024)} KiB)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
