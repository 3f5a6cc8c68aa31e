// Runs the JavaScript fuzzer over a range of seeds, longer than the test suite does.
//
//   node tests/js/fuzz/run.mjs [--seeds 1-1000] [--steps 400] [--verbose] [--keep-going]
//
// --seeds A-B   the seeds to run (also a single seed, or a list: 3,17,40-50)
// --steps N     calls per seed (each seed also starts a new device whenever a
//               callback disposed the last one)
// --verbose     print every call (for replaying one seed)
// --keep-going  report every failing seed instead of stopping at the first
//
// The package comes from $TENSORMEM_JS_PACKAGE, default
// build/wasm/bindings/js/package (bash scripts/build-js.sh builds it). A
// failure prints the seed, the step and the last calls; rerun that seed with
// --steps <step+1> --verbose to see it happen.
import { parseArgs } from 'node:util';
import * as pkg from '../support.mjs';
import { Fuzzer } from './actions.mjs';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1-20' },
    steps: { type: 'string', default: '400' },
    verbose: { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
  },
});

function parseSeeds(text) {
  const seeds = [];
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) throw new Error(`bad --seeds ${text}`);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

const steps = Number(args.steps);
const started = Date.now();
let failures = 0;
let calls = 0;
for (const seed of parseSeeds(args.seeds)) {
  const fuzzer = new Fuzzer(pkg, { seed, steps, log: args.verbose ? (line) => console.log(line) : null });
  try {
    const stats = await fuzzer.run();
    calls += stats.calls;
    console.log(`seed ${seed}: ${stats.calls} calls, ${stats.episodes} devices, ` +
      `${Object.entries(stats.outcomes).map(([code, n]) => `${code} ${n}`).join(', ')}`);
  } catch (error) {
    failures++;
    console.log(`seed ${seed}: FAILED\n${error.stack ?? error}`);
    try { fuzzer.device?.dispose(); } catch { /* already failing */ }
    if (!args['keep-going']) break;
  }
}
console.log(`${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failures} failing seed(s)`);
process.exitCode = failures === 0 ? 0 : 1;
