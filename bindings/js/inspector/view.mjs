// Drawing the inspector: headline numbers, the stacked timeline (SVG), size-class
// bars and live objects by creation site. Every text from the snapshot goes in
// through textContent: creation sites are the user's code, never markup.
import { analyze, formatBytes, formatDuration, siteParts } from './snapshot.mjs';

const SVG_NS = 'http://www.w3.org/2000/svg';
// Light, distinct fills for bands (lines and markers use darker colours on top).
const SITE_COLOURS = ['#9dbfe3', '#f6b879', '#94d18e', '#d1aee0', '#8fd3cf', '#f0d47e', '#f5a9b8', '#c9ab92',
  '#b3c7f2', '#c4dc8c'];
const NO_SITE_COLOUR = '#c5ccd4';
const REST_COLOUR = '#dfe3e8';

// ---- small DOM helpers -------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- the tooltip ---------------------------------------------------------------------------

// Elements with data-tip show the rows tips.get(data-tip) returns ([label, value] pairs).
function tooltips(root, tips) {
  const tip = document.getElementById('tooltip');
  const hide = () => { tip.hidden = true; };
  root.addEventListener('mousemove', (event) => {
    const target = event.target.closest?.('[data-tip]');
    const rows = target ? tips.get(target.getAttribute('data-tip')) : undefined;
    if (!rows) return hide();
    if (tip.dataset.for !== target.getAttribute('data-tip')) {
      tip.dataset.for = target.getAttribute('data-tip');
      tip.replaceChildren(el('div', { class: 'tip-title', text: rows.title }),
        ...rows.rows.map(([label, value, wide]) =>
          el('div', { class: wide ? 'tip-row wide' : 'tip-row' }, el('span', { class: 'tip-label', text: label }),
            el(wide ? 'pre' : 'span', { class: 'tip-value', text: value }))));
    }
    tip.hidden = false;
    const pad = 14;
    const { innerWidth, innerHeight } = window;
    const box = tip.getBoundingClientRect();
    let x = event.clientX + pad;
    let y = event.clientY + pad;
    if (x + box.width > innerWidth - 8) x = Math.max(8, event.clientX - pad - box.width);
    if (y + box.height > innerHeight - 8) y = Math.max(8, event.clientY - pad - box.height);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  });
  root.addEventListener('mouseleave', hide);
}

// ---- the page ---------------------------------------------------------------------------------

// Draws the snapshot into #report; `source` names where it came from.
export function render(snapshot, source) {
  const model = analyze(snapshot);
  const colours = siteColours(model);
  const tips = new Map();
  const report = document.getElementById('report');
  report.replaceChildren(
    header(snapshot, model, source),
    headlineCards(model),
    timelineSection(model, colours, tips),
    el('div', { class: 'columns' }, sizeClassSection(model), sitesSection(model, colours)),
  );
  tooltips(report, tips);
  document.getElementById('empty').hidden = true;
  document.getElementById('error').hidden = true;
  report.hidden = false;
  document.body.dataset.state = 'ready';
  document.title = `tensormem inspector: ${source}`;
}

export function showError(source, message) {
  const box = document.getElementById('error');
  box.replaceChildren(el('strong', { text: 'Cannot show this snapshot. ' }), el('span', { text: `${source}: ${message}` }));
  box.hidden = false;
  document.body.dataset.state = 'error';
}

export function showEmpty() {
  document.getElementById('empty').hidden = false;
  document.body.dataset.state = 'empty';
}

function siteColours(model) {
  const colours = new Map();
  let next = 0;
  const add = (site) => {
    if (site !== null && !colours.has(site)) colours.set(site, SITE_COLOURS[next++ % SITE_COLOURS.length]);
  };
  for (const s of model.sites) add(s.site);
  for (const b of model.timeline?.bands ?? []) add(b.site);
  return (site) => (site === null ? NO_SITE_COLOUR : colours.get(site));
}

function header(snapshot, model, source) {
  const p = snapshot.producer;
  const bits = [p ? `${p.library ?? 'tensormem'} ${p.version ?? ''} (${p.layer ?? 'unknown layer'})` : null,
    snapshot.history ? `${snapshot.history.events.length} events over ${formatDuration(model.now)}` : 'no history recorded',
    model.headline.heapBytes === null ? null : `wasm heap ${formatBytes(model.headline.heapBytes)}`];
  const warn = model.headline.dropped > 0
    ? el('p', { class: 'warning', id: 'dropped', 'data-value': model.headline.dropped,
      text: `The ring was full: the oldest ${model.headline.dropped} events were dropped; buffers allocated before the first kept event start at 0.` })
    : null;
  return el('header', {},
    el('h1', { text: 'tensormem memory inspector' }),
    el('p', { class: 'meta' }, el('span', { id: 'source', text: source }), ` · ${bits.filter(Boolean).join(' · ')}`),
    warn);
}

function card(id, label, value, sub, data) {
  return el('div', { class: 'card', id, ...data },
    el('div', { class: 'card-label', text: label }),
    el('div', { class: 'card-value', text: value }),
    sub ? el('div', { class: 'card-sub', text: sub }) : null);
}

function headlineCards(model) {
  const h = model.headline;
  const top = h.topSite;
  return el('section', { class: 'cards', id: 'headline' },
    card('peak-bytes', 'Peak in use', formatBytes(h.peakBytesInUse),
      h.limitBytes === null ? 'no limit set' : `limit ${formatBytes(h.limitBytes)}`, { 'data-value': h.peakBytesInUse }),
    card('live-buffers', 'Live buffers', String(h.liveBuffers), liveObjectsText(model), { 'data-value': h.liveBuffers }),
    card('live-bytes', 'Live bytes', formatBytes(h.liveBytes), `${formatBytes(h.requestedBytes)} asked for`,
      { 'data-value': h.liveBytes }),
    card('top-site', 'Top creation site', top ? siteParts(top.site).name : '—',
      top ? `${formatBytes(top.bytes)} live, at ${siteParts(top.site).where}` : 'no owners in this snapshot',
      { 'data-site': top?.site ?? '', 'data-bytes': top?.bytes ?? 0, class: top?.suspect ? 'card suspect' : 'card',
        title: top?.headline }),
    card('limit-failures', 'Failed allocations', String(h.failedAllocations), failureText(model.timeline),
      { 'data-value': h.failedAllocations }),
    card('reclaimed', 'Reclaimed', String(h.reclaimed), 'by the safety net', { 'data-value': h.reclaimed }));
}

const KIND_NAMES = { data: ['data', 'data'], tensor: ['tensor', 'tensors'], view: ['view', 'views'],
  kernel_output: ['kernel output', 'kernel outputs'] };
const kindCount = (kind, n) => `${n} ${(KIND_NAMES[kind] ?? [kind, `${kind}s`])[n === 1 ? 0 : 1]}`;

function liveObjectsText(model) {
  const kinds = {};
  for (const s of model.sites) for (const [k, n] of Object.entries(s.kinds)) kinds[k] = (kinds[k] ?? 0) + n;
  const parts = Object.entries(kinds).map(([k, n]) => kindCount(k, n));
  return parts.length === 0 ? null : `held by ${parts.join(', ')}`;
}

function failureText(timeline) {
  const first = timeline?.failures[0];
  if (first === undefined) return null;
  return `${first.kind === 'limit_failure' ? 'MEMORY_LIMIT' : 'OUT_OF_MEMORY'} at ${formatDuration(first.time_ns)}`;
}

// ---- the timeline -------------------------------------------------------------------------------

const W = 1120;
const H = 420;
const M = { left: 76, right: 18, bottom: 46 };
// Marker lanes above the plot, one per kind present, so that events at one time never overlap.
const LANE_HEIGHT = 15;

// Ticks at 2^k bytes, 3 to 8 of them.
function byteTicks(max) {
  let step = 2 ** Math.ceil(Math.log2(max / 6));
  while (max / step > 8) step *= 2;
  const ticks = [];
  for (let v = 0; v <= max * 1.0001; v += step) ticks.push(v);
  return ticks;
}

// Ticks at 1, 2 or 5 × 10^k ns.
function timeTicks(end) {
  const raw = end / 7;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = 0; t <= end * 1.0001; t += step) ticks.push(t);
  return ticks;
}

function timelineSection(model, colourOf, tips) {
  const section = el('section', { class: 'panel', id: 'timeline-panel' }, el('h2', { text: 'Memory over time' }));
  const t = model.timeline;
  if (t === null) {
    section.append(el('p', { class: 'note', id: 'no-history',
      text: 'This snapshot has no history: record one (Storage::attach_history in C++, device.recordHistory() in JavaScript) to see the timeline.' }));
    return section;
  }
  section.append(legend(t));
  const lanes = [['failure', 'failures', t.failures], ['reclaimed', 'reclaimed', t.reclaims],
    ['compact', 'compactions', t.compactions]].filter(([, , list]) => list.length > 0);
  const laneY = Object.fromEntries(lanes.map(([lane], i) => [lane, 14 + i * LANE_HEIGHT]));
  const top = 16 + lanes.length * LANE_HEIGHT;
  const plotW = W - M.left - M.right;
  const plotH = H - top - M.bottom;
  const yMax = t.yMax * 1.06;
  const x = (time) => M.left + (time / t.end) * plotW;
  const y = (bytes) => top + plotH - (bytes / yMax) * plotH;
  const root = svg('svg', { id: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': 'Bytes in use over time, one band per allocation' });
  root.append(svg('defs', {}), svg('title', {}, 'Bytes in use over time'));
  root.firstChild.append(hatch());

  // Grid and axes.
  const grid = svg('g', { class: 'grid' });
  for (const v of byteTicks(yMax)) {
    grid.append(svg('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
    grid.append(svg('text', { x: M.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, formatBytes(v)));
  }
  for (const time of timeTicks(t.end)) {
    grid.append(svg('line', { x1: x(time), x2: x(time), y1: top, y2: top + plotH, class: 'vertical' }));
    grid.append(svg('text', { x: x(time), y: top + plotH + 16, 'text-anchor': 'middle', class: 'tick' },
      time === 0 ? '0' : formatDuration(time)));
  }
  grid.append(svg('text', { x: M.left + plotW / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-title' },
    'time since recording started'));
  grid.append(svg('text', { x: 14, y: top + plotH / 2, 'text-anchor': 'middle', class: 'axis-title',
    transform: `rotate(-90 14 ${top + plotH / 2})` }, 'bytes (blocks)'));
  root.append(grid);

  // Cached: between bytes in use and reserved.
  if (t.reserved.length > 0) {
    const upper = stepPoints(t.reserved, t.end, x, y);
    const lower = stepPoints(t.inUse, t.end, x, y).reverse();
    root.append(svg('path', { class: 'cached', d: `M${[...upper, ...lower].map(([a, b]) => `${a},${b}`).join('L')}Z` }));
  }

  // One band per allocation.
  const bands = svg('g', { class: 'bands' });
  if (t.rest !== null) {
    tips.set('rest', { title: `${t.rest.count} smaller allocations, summed`,
      rows: [['why', `only the ${t.bands.length} largest allocations get a band of their own`]] });
    bands.append(svg('path', { class: 'band rest', d: bandPath(t.rest.steps, t.end, x, y), fill: REST_COLOUR,
      'data-tip': 'rest' }));
  }
  const anySite = t.bands.some((b) => b.site !== null);
  t.bands.forEach((b, i) => {
    const tipKey = `buffer ${b.key}`;
    tips.set(tipKey, bandTip(b, model.now));
    // Without creation sites, neighbours differ by colour instead.
    const base = anySite ? colourOf(b.site) : SITE_COLOURS[i % SITE_COLOURS.length];
    const fill = shade(base, i % 2 === 0 ? 0 : 0.22);
    bands.append(svg('path', { class: 'band', d: bandPath(b.steps, b.end ?? t.end, x, y), fill,
      'data-buffer': b.key, 'data-tip': tipKey }));
  });
  root.append(bands);

  // Lines: reserved, the wasm heap, the limit.
  if (t.reserved.length > 0) root.append(svg('path', { class: 'line reserved', d: stepPath(t.reserved, t.end, x, y) }));
  if (t.heap !== null) root.append(svg('path', { class: 'line heap', d: stepPath(t.heap, t.end, x, y) }));
  if (t.limitShown) {
    root.append(svg('line', { class: 'line limit', x1: M.left, x2: W - M.right, y1: y(t.limit), y2: y(t.limit) }));
    root.append(svg('text', { class: 'line-label limit-label', x: W - M.right - 4, y: y(t.limit) - 5, 'text-anchor': 'end' },
      `limit ${formatBytes(t.limit)}`));
  }

  // Markers along the top: failures, reclaims, compactions.
  const marks = svg('g', { class: 'markers' });
  for (const [lane, label] of lanes) {
    marks.append(svg('text', { class: 'lane-label', x: M.left - 8, y: laneY[lane] + 4, 'text-anchor': 'end' }, label));
    marks.append(svg('line', { class: 'lane', x1: M.left, x2: W - M.right, y1: laneY[lane], y2: laneY[lane] }));
  }
  let row = laneY.compact;
  t.compactions.forEach((e, i) => {
    const key = `compact ${i}`;
    tips.set(key, { title: `compaction at ${formatDuration(e.time_ns)}`,
      rows: [['released', formatBytes(e.bytes)], ['in use after', formatBytes(e.bytes_in_use)]] });
    marks.append(svg('path', { class: 'marker compact', d: `M${x(e.time_ns) - 5},${row - 4}h10l-5,8z`, 'data-tip': key }));
  });
  row = laneY.reclaimed;
  t.reclaims.forEach((r, i) => {
    const key = `reclaimed ${i}`;
    tips.set(key, { title: `reclaimed by the safety net at ${formatDuration(r.time)}`,
      rows: [['object', `${r.kind ?? 'object'} of ${formatBytes(r.bytes)}`], ['created at', r.site ?? '(not recorded)', true]] });
    marks.append(svg('circle', { class: 'marker reclaimed', cx: x(r.time), cy: row, r: 4, 'data-tip': key }));
  });
  row = laneY.failure;
  t.failures.forEach((e, i) => {
    const key = `failure ${i}`;
    tips.set(key, { title: `${e.kind === 'limit_failure' ? 'MEMORY_LIMIT' : 'OUT_OF_MEMORY'} at ${formatDuration(e.time_ns)}`,
      rows: [['asked for', `${formatBytes(e.bytes)} (block ${formatBytes(e.block_bytes)})`],
        ['in use', formatBytes(e.bytes_in_use)], ['cached', formatBytes(e.bytes_cached)],
        ['limit', e.limit_bytes === null ? 'none' : formatBytes(e.limit_bytes)]] });
    const cx = x(e.time_ns);
    marks.append(svg('path', { class: 'marker failure', d: `M${cx - 6},${row - 6}l12,12M${cx + 6},${row - 6}l-12,12`,
      'data-tip': key }));
    marks.append(svg('line', { class: 'failure-rule', x1: cx, x2: cx, y1: row + 7, y2: top + plotH }));
  });
  root.append(marks);
  root.append(svg('rect', { class: 'frame', x: M.left, y: top, width: plotW, height: plotH }));
  section.append(root);
  if (t.limit !== null && !t.limitShown) {
    section.append(el('p', { class: 'note', text: `The limit, ${formatBytes(t.limit)}, is far above this range and not drawn.` }));
  }
  return section;
}

function legend(t) {
  const item = (cls, label) => el('span', { class: 'legend-item' }, el('span', { class: `swatch ${cls}` }), label);
  return el('div', { class: 'legend', id: 'legend' },
    item('band-swatch', t.bands.some((b) => b.site !== null) ? 'allocation (a band each, coloured by creation site)' : 'allocation (a band each)'),
    item('cached-swatch', 'cached (reserved − in use)'),
    item('reserved-swatch', 'reserved'),
    t.heap !== null ? item('heap-swatch', 'wasm heap') : null,
    t.limit !== null ? item('limit-swatch', `limit ${formatBytes(t.limit)}`) : null,
    t.failures.length > 0 ? item('failure-swatch', 'failed allocation') : null,
    t.reclaims.length > 0 ? item('reclaimed-swatch', 'reclaimed by safety net') : null,
    t.compactions.length > 0 ? item('compact-swatch', 'compaction') : null);
}

function hatch() {
  const pattern = svg('pattern', { id: 'hatch', patternUnits: 'userSpaceOnUse', width: 6, height: 6,
    patternTransform: 'rotate(45)' });
  pattern.append(svg('rect', { width: 6, height: 6, fill: '#f3f4f6' }), svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'hatch-line' }));
  return pattern;
}

// A step function [[time, value], ...] as a path, held to `end`.
function stepPath(series, end, x, y) {
  return `M${stepPoints(series, end, x, y).map(([a, b]) => `${a},${b}`).join('L')}`;
}

function stepPoints(series, end, x, y) {
  const points = [];
  series.forEach(([time, value], i) => {
    if (i > 0) points.push([x(time), y(series[i - 1][1])]);
    points.push([x(time), y(value)]);
  });
  if (series.length > 0) points.push([x(end), y(series[series.length - 1][1])]);
  return points.map(([a, b]) => [round(a), round(b)]);
}

// A band: its top edge from left to right, then its bottom edge back.
function bandPath(steps, end, x, y) {
  const top = [];
  const bottom = [];
  steps.forEach(([time, offset, size], i) => {
    if (i > 0) {
      const [, prevOffset, prevSize] = steps[i - 1];
      top.push([x(time), y(prevOffset + prevSize)]);
      bottom.push([x(time), y(prevOffset)]);
    }
    top.push([x(time), y(offset + size)]);
    bottom.push([x(time), y(offset)]);
  });
  const [, lastOffset, lastSize] = steps[steps.length - 1];
  top.push([x(end), y(lastOffset + lastSize)]);
  bottom.push([x(end), y(lastOffset)]);
  return `M${[...top, ...bottom.reverse()].map(([a, b]) => `${round(a)},${round(b)}`).join('L')}Z`;
}

const round = (v) => Math.round(v * 10) / 10;

// A colour mixed with white by `amount` (0..1).
function shade(hex, amount) {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

function describeShape(owner) {
  if (owner === null) return 'unknown (no object recorded)';
  const what = owner.kind === 'data' ? 'raw data' : owner.kind.replace('_', ' ');
  if (owner.dtype === null) return what;
  return `${what}, ${owner.dtype} [${(owner.shape ?? []).join(', ')}]`;
}

function bandTip(b, now) {
  const [index, generation] = b.key.split(':');
  const lifetime = b.end === null
    ? `${formatDuration(b.start)} → still live (${formatDuration(now - b.start)} so far)`
    : `${formatDuration(b.start)} → ${formatDuration(b.end)} (${formatDuration(b.end - b.start)})`;
  const rows = [
    ['size', `${formatBytes(b.bytes)} (block ${formatBytes(b.blockBytes)})`],
    ['object', describeShape(b.creator)],
    ['lifetime', b.allocated || b.start !== 0 ? lifetime : `${lifetime}; allocated before the history began`],
  ];
  const owners = (b.liveOwners ?? b.owners).length;
  if (owners > 1) rows.push(['owners', `${owners} objects share it (views)`]);
  if (b.reclaimed.length > 0) rows.push(['reclaimed', `by the safety net at ${b.reclaimed.map(formatDuration).join(', ')}`]);
  rows.push(['created at', b.site ?? '(no creation site recorded)', true]);
  return { title: `buffer #${index} (generation ${generation})`, rows };
}

// ---- size classes -------------------------------------------------------------------------------

function sizeClassSection(model) {
  const section = el('section', { class: 'panel', id: 'size-classes' }, el('h2', { text: 'Size classes' }),
    el('div', { class: 'legend' },
      el('span', { class: 'legend-item' }, el('span', { class: 'swatch inuse-swatch' }), 'in use'),
      el('span', { class: 'legend-item' }, el('span', { class: 'swatch cached-bar-swatch' }), 'cached')));
  if (model.sizeClasses.length === 0) {
    section.append(el('p', { class: 'note', text: 'No blocks in use or cached.' }));
    return section;
  }
  const max = Math.max(...model.sizeClasses.map((c) => c.inUseBytes + c.cachedBytes));
  const list = el('div', { class: 'bars' });
  for (const c of model.sizeClasses) {
    const pct = (v) => `${((v / max) * 100).toFixed(2)}%`;
    list.append(el('div', { class: 'bar-row', 'data-class': c.key, 'data-in-use': c.inUseBytes, 'data-cached': c.cachedBytes },
      el('span', { class: 'bar-label', text: c.label }),
      el('span', { class: 'bar-track' },
        el('span', { class: 'bar inuse', style: `width:${pct(c.inUseBytes)}` }),
        el('span', { class: 'bar cachedbar', style: `width:${pct(c.cachedBytes)}` })),
      el('span', { class: 'bar-value', text: [
        c.inUseBlocks > 0 ? `${formatBytes(c.inUseBytes)} in use (${c.inUseBlocks})` : null,
        c.cachedBlocks > 0 ? `${formatBytes(c.cachedBytes)} cached (${c.cachedBlocks})` : null].filter(Boolean).join(', ') })));
  }
  section.append(list);
  return section;
}

// ---- live objects by creation site ---------------------------------------------------------------

function sitesSection(model, colourOf) {
  const section = el('section', { class: 'panel', id: 'sites' },
    el('h2', { text: model.hasOwners ? 'Live objects by creation site' : 'Live buffers' }));
  if (!model.hasOwners) {
    section.append(el('p', { class: 'note', id: 'no-owners',
      text: 'This snapshot names no owners (a C++ Storage snapshot): live buffers, largest first.' }));
    const table = el('table', { class: 'table' }, el('thead', {}, el('tr', {},
      ...['buffer', 'bytes', 'block', 'refs', 'since'].map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const b of model.liveBuffers) {
      body.append(el('tr', { 'data-buffer': b.key }, el('td', { text: `#${b.key.replace(':', ' gen ')}` }),
        el('td', { class: 'num', text: formatBytes(b.bytes) }), el('td', { class: 'num', text: formatBytes(b.blockBytes) }),
        el('td', { class: 'num', text: String(b.refcount) }), el('td', { class: 'num', text: formatDuration(b.start) })));
    }
    table.append(body);
    section.append(table);
    return section;
  }
  const suspects = model.sites.filter((s) => s.suspect).length;
  section.append(el('p', { class: 'note', text: suspects > 0
    ? `Largest and oldest first. ${suspects} site${suspects === 1 ? '' : 's'} flagged: the safety net reclaimed objects created there, so the live ones are likely leaks too (a missing dispose()).`
    : 'Largest and oldest first.' }));
  const table = el('table', { class: 'table' }, el('thead', {}, el('tr', {},
    ...['creation site', 'live objects', 'bytes', 'oldest', 'reclaimed'].map((h) => el('th', { text: h })))));
  const body = el('tbody');
  for (const s of model.sites) {
    const kinds = Object.entries(s.kinds).map(([k, n]) => kindCount(k, n)).join(', ');
    const { name, where } = siteParts(s.site);
    const siteCell = el('td', { class: 'site', title: s.headline },
      el('div', { class: 'site-name' }, el('span', { class: 'dot', style: `background:${colourOf(s.site)}` }),
        el('span', { text: name }), s.suspect ? el('span', { class: 'badge', text: 'leak suspect' }) : null),
      where ? el('div', { class: 'site-where', text: where }) : null);
    if (s.site !== null && s.site.includes('\n')) {
      siteCell.append(el('details', {}, el('summary', { text: 'stack' }), el('pre', { text: s.site })));
    }
    body.append(el('tr', { 'data-site': s.site ?? '', class: s.suspect ? 'suspect' : null },
      siteCell,
      el('td', { class: 'num', text: s.objects === 0 ? 'none' : kinds }),
      el('td', { class: 'num', text: s.objects === 0 ? '—' : `${formatBytes(s.bytes)} (${s.buffers} buffer${s.buffers === 1 ? '' : 's'})` }),
      el('td', { class: 'num', text: s.age === null ? '—' : `${formatDuration(s.age)} ago` }),
      el('td', { class: 'num', text: s.reclaimed === 0 ? '0' : `${s.reclaimed} (${formatBytes(s.reclaimedBytes)})` })));
  }
  table.append(body);
  section.append(table);
  return section;
}

