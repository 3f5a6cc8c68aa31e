// tensormem-inspect (bindings/js/bin/tensormem-inspect.mjs): what it writes, and
// how it refuses a missing or invalid snapshot (exit 2, a message naming the file
// and what is wrong). Needs no wasm build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliPath = path.resolve(here, '../../../bindings/js/bin/tensormem-inspect.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'tensormem-inspect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// What Storage::snapshot_json() writes without a history (tests/history_test.cpp asserts the same text).
const CPP_SNAPSHOT = '{"format":"tensormem-snapshot","version":1,'
  + '"producer":{"library":"tensormem","version":"0.1.0","layer":"storage"},'
  + '"stats":{"bytes_in_use":1024,"bytes_requested":1000,"bytes_cached":128,"bytes_reserved":1152,'
  + '"peak_bytes_in_use":1152,"peak_bytes_reserved":1152,"max_bytes":null,"live_buffers":1,'
  + '"allocations":2,"frees":1,"pool_hits":0,"pool_misses":2,"compactions":0,"bytes_released":0,'
  + '"failed_allocations":0,"guard_violations":0,"failed_releases":0,'
  + '"size_classes":[{"block_bytes":128,"in_use":0,"cached":1,"hits":0,"misses":1},'
  + '{"block_bytes":1024,"in_use":1,"cached":0,"hits":0,"misses":1}],'
  + '"large":{"block_bytes":0,"in_use":0,"cached":0,"hits":0,"misses":0}},'
  + '"size_classes":['
  + '{"class":1,"block_bytes":128,"in_use_blocks":0,"in_use_bytes":0,"cached_blocks":1,"cached_bytes":128,'
  + '"hits":0,"misses":1},'
  + '{"class":15,"block_bytes":1024,"in_use_blocks":1,"in_use_bytes":1024,"cached_blocks":0,'
  + '"cached_bytes":0,"hits":0,"misses":1}],'
  + '"buffers":[{"index":0,"generation":1,"bytes":1000,"block_bytes":1024,"size_class":15,"refcount":2}],'
  + '"strings":[],"history":null}';

function run(...args) {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: dir });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function write(name, text) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

// A snapshot with one field changed.
function variant(name, change) {
  const snapshot = JSON.parse(CPP_SNAPSHOT);
  change(snapshot);
  return write(name, JSON.stringify(snapshot));
}

function assertRefused(args, message) {
  const { status, stdout, stderr } = run(...args);
  assert.equal(status, 2, stderr);
  assert.equal(stdout, '');
  if (message instanceof RegExp) assert.match(stderr, message);
  else assert.equal(stderr, `${message}\n`);
}

test('writes one self-contained page that holds the snapshot', () => {
  const input = write('storage.json', CPP_SNAPSHOT);
  const output = path.join(dir, 'report.html');
  const { status, stdout, stderr } = run(input, '-o', output);
  assert.equal(status, 0, stderr);
  assert.match(stdout, new RegExp(`^tensormem-inspect: wrote ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ KiB\\)\n$`));
  const html = readFileSync(output, 'utf8');
  assert.doesNotMatch(html, /<script[^>]*\bsrc=|<link\b|\bimport\s*\(|^\s*import\s/m, 'nothing loaded from elsewhere');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  const data = /<script type="application\/json" id="tensormem-snapshot" data-source="storage.json">(.*?)<\/script>/s.exec(html);
  assert.notEqual(data, null);
  assert.deepEqual(JSON.parse(data[1]), JSON.parse(CPP_SNAPSHOT));
});

test('without -o, the report goes beside the snapshot', () => {
  const input = write('beside.json', CPP_SNAPSHOT);
  const { status, stderr } = run(input);
  assert.equal(status, 0, stderr);
  assert.ok(existsSync(path.join(dir, 'beside.html')));
});

test('texts from the snapshot cannot end the script they are embedded in', () => {
  const input = variant('markup.json', (s) => {
    s.strings = ['</script><script>alert(1)</script>'];
    s.buffers[0].owners = [{ id: 1, kind: 'tensor', dtype: 'float32', shape: [250], site: 0, created_ns: null }];
  });
  const output = path.join(dir, 'markup.html');
  assert.equal(run(input, '-o', output).status, 0);
  const html = readFileSync(output, 'utf8');
  assert.equal(html.split('</script>').length - 1, 2, 'only the two script elements end');
  assert.ok(html.includes('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>'));
});

test('a missing snapshot is named, with exit status 2', () => {
  assertRefused(['missing.json'], 'tensormem-inspect: missing.json: cannot read it: no such file');
  assertRefused([dir], `tensormem-inspect: ${dir}: cannot read it: it is a directory`);
});

test('an invalid snapshot says what is wrong', () => {
  assertRefused([write('bad.json', '{"format": "tensormem-snapshot",')], /^tensormem-inspect: .*bad\.json: not valid JSON \(.+\)\n$/);
  assertRefused([write('list.json', '[1, 2]')],
    `tensormem-inspect: ${path.join(dir, 'list.json')}: not a snapshot: the JSON is an array, not an object`);
  assertRefused([variant('other.json', (s) => { s.format = 'pytorch-memory'; })],
    `tensormem-inspect: ${path.join(dir, 'other.json')}: not a tensormem snapshot: "format" is "pytorch-memory", expected "tensormem-snapshot"`);
  assertRefused([variant('text-version.json', (s) => { s.version = '1'; })],
    `tensormem-inspect: ${path.join(dir, 'text-version.json')}: "version" is "1"; it must be an integer`);
  assertRefused([variant('no-stat.json', (s) => { delete s.stats.bytes_in_use; })],
    `tensormem-inspect: ${path.join(dir, 'no-stat.json')}: "stats.bytes_in_use" is missing; it must be a byte count or count (an integer >= 0)`);
  assertRefused([variant('bad-buffer.json', (s) => { s.buffers[0].block_bytes = -1; })],
    `tensormem-inspect: ${path.join(dir, 'bad-buffer.json')}: "buffers[0].block_bytes" is -1; it must be an integer >= 0`);
  assertRefused([variant('bad-site.json', (s) => { s.buffers[0].owners = [{ id: 1, kind: 'tensor', site: 3 }]; })],
    `tensormem-inspect: ${path.join(dir, 'bad-site.json')}: "buffers[0].owners[0].site" is 3; it must be null: "strings" is empty`);
  const events = [{ kind: 'allocate', time_ns: 20 }, { kind: 'release', time_ns: 10 }];
  assertRefused([variant('backwards.json', (s) => { s.history = { now_ns: 30, dropped: 0, events }; })],
    `tensormem-inspect: ${path.join(dir, 'backwards.json')}: "history.events[1].time_ns" is 10; it must be at least the previous event's (20): events are oldest first`);
});

test('an unknown format version is refused by number', () => {
  assertRefused([variant('v2.json', (s) => { s.version = 2; })],
    `tensormem-inspect: ${path.join(dir, 'v2.json')}: snapshot format version 2 is not supported: this inspector reads version 1`);
});

test('wrong arguments print the usage, with exit status 2', () => {
  const usage = 'usage: tensormem-inspect <snapshot.json> [-o <report.html>]';
  assertRefused([], `tensormem-inspect: no snapshot given\n${usage}`);
  assertRefused(['a.json', '--bogus'], `tensormem-inspect: unknown option --bogus\n${usage}`);
  assertRefused(['a.json', '-o'], `tensormem-inspect: -o needs a file name\n${usage}`);
  assertRefused(['a.json', 'b.json'], `tensormem-inspect: one snapshot at a time (got a.json and b.json)\n${usage}`);
  assertRefused(['a.json', '-o', 'a.json'], `tensormem-inspect: the report would overwrite the snapshot a.json\n${usage}`);
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.ok(help.stdout.startsWith(usage));
});

test('a report that cannot be written is exit status 1, naming the file', () => {
  const input = write('ok.json', CPP_SNAPSHOT);
  const output = path.join(dir, 'no-such-dir', 'report.html');
  const { status, stderr } = run(input, '-o', output);
  assert.equal(status, 1);
  assert.equal(stderr, `tensormem-inspect: ${output}: cannot write the report (ENOENT)\n`);
});
