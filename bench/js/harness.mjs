// Timing core of the JS benchmarks: calibration, warm-up, interleaved samples,
// medians. Nothing here asserts a speed.
//
// Each variant brings its own loop function `run(n)` (n operations, returns a
// number). The loop lives in the variant's own function literal so every call
// site inside it stays monomorphic; the runner below calls run() once per
// sample, so its own call site being megamorphic costs nothing measurable.
import v8 from 'node:v8';
import vm from 'node:vm';

// A young-generation GC before every sample, so that one variant's garbage
// is not collected (and paid for) during the next variant's sample. Not a
// full GC: when no instance of a class is alive at a full GC (createData +
// dispose leaves none), V8 collects the class's maps and deoptimizes all code
// that embeds them ("weak objects"), so every sample would start unoptimized.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const collectGarbage = () => gc({ type: 'minor' });

// Every result is added here and reported, so no loop is dead code.
let sink = 0;
export const checksum = () => sink;

function consume(value) {
  if (typeof value === 'number' && Number.isFinite(value)) sink = (sink + value) % 1e9;
}

function timeOnce(run, n) {
  const t0 = process.hrtime.bigint();
  const result = run(n);
  const t1 = process.hrtime.bigint();
  consume(result);
  return Number(t1 - t0);
}

// A sample's wall time and the CPU time this process got meanwhile (all its
// threads): a share well below 1 means the sample waited for a core.
function timeSample(run, n) {
  const cpu0 = process.cpuUsage();
  const ns = timeOnce(run, n);
  const cpu = process.cpuUsage(cpu0);
  return { ns, cpuShare: ((cpu.user + cpu.system) * 1e3) / ns };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Warm-up and calibration in one: n grows until one run(n) takes >= 1/8 of
// a sample, runs continue until warmupMs have passed, and n is then scaled
// from the fastest of the last runs (a GC or compile pause during one run
// must not shrink n to a handful of operations).
function warmUpAndCalibrate(run, sampleNs, warmupMs) {
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmupMs * 1e6));
  let n = 1;
  let recent = [];
  for (;;) {
    const ns = timeOnce(run, n);
    if (ns < sampleNs / 8) {
      n *= ns < sampleNs / 1000 ? 10 : 2;
      recent = [];
      continue;
    }
    recent.push(ns);
    if (recent.length >= 3 && process.hrtime.bigint() >= warmEnd) break;
  }
  return Math.max(1, Math.ceil((n * sampleNs) / Math.min(...recent.slice(-3))));
}

/**
 * Measures the variants of one row side by side: each is calibrated and
 * warmed up, then the samples are interleaved (A B C A B C ...) so drift and
 * load hit every variant alike. Returns, per variant, ns per operation (the
 * median, the minimum, every sample) and the median CPU share of its samples.
 *
 * variants: [{ run, opsPerRun? (operations per unit of n) }]; opts: { sampleMs, samples, warmupMs }
 */
export function measureRow(variants, { sampleMs, samples, warmupMs }) {
  const sampleNs = sampleMs * 1e6;
  const plans = variants.map((v) => {
    collectGarbage();
    return { n: warmUpAndCalibrate(v.run, sampleNs, warmupMs), sampleNs: [], cpuShares: [] };
  });
  for (let s = 0; s < samples; ++s) {
    for (let i = 0; i < variants.length; ++i) {
      collectGarbage();
      const { ns, cpuShare } = timeSample(variants[i].run, plans[i].n);
      plans[i].sampleNs.push(ns / (plans[i].n * (variants[i].opsPerRun ?? 1)));
      plans[i].cpuShares.push(cpuShare);
    }
  }
  return plans.map((p) => ({
    n: p.n,
    nsPerOp: median(p.sampleNs),
    minNsPerOp: Math.min(...p.sampleNs),
    cpuShare: median(p.cpuShares),
    samples: p.sampleNs,
  }));
}

// ---- formatting ----------------------------------------------------------------

export function formatTime(ns) {
  const pick = (v, unit) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
  if (ns < 1e3) return pick(ns, 'ns');
  if (ns < 1e6) return pick(ns / 1e3, 'µs');
  if (ns < 1e9) return pick(ns / 1e6, 'ms');
  return pick(ns / 1e9, 's');
}

export const formatRatio = (r) => `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;

// A markdown table with padded columns (pastes straight into docs).
export function markdownTable(header, rows, rightAligned) {
  const width = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => `| ${cells.map((cell, c) => (rightAligned[c] ? cell.padStart(width[c]) : cell.padEnd(width[c]))).join(' | ')} |`;
  const rule = `| ${width.map((w, c) => (rightAligned[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
