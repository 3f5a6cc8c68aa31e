// The JavaScript fuzzer on a fixed set of seeds (about 15 s here); run it
// longer with tests/js/fuzz/run.mjs (docs/reliability.md says how).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pkg from '../support.mjs';
import { Fuzzer } from './actions.mjs';

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
const STEPS = 400;

test(`the fuzzer finds nothing on seeds 1-${SEEDS.length} (${STEPS} calls each)`, async (t) => {
  for (const seed of SEEDS) {
    await t.test(`seed ${seed}`, async () => {
      const stats = await new Fuzzer(pkg, { seed, steps: STEPS }).run();
      assert.ok(stats.calls >= STEPS);
    });
  }
});

test('the fuzzer replays a seed exactly', async () => {
  const traces = [];
  for (let run = 0; run < 2; run++) {
    const lines = [];
    await new Fuzzer(pkg, { seed: 7, steps: 60, log: (line) => lines.push(line.replace(/#\d+/g, '#')) }).run();
    traces.push(lines);
  }
  assert.deepEqual(traces[0], traces[1]);
});
