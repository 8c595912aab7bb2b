/**
 * The dashboard page's script (bundled with uPlot by scripts/build-page.ts into
 * src/page-assets.ts). It polls the JSON, keeps the last `historyPoints`
 * snapshots in a ring and redraws every chart from that ring, so switching the
 * model filter redraws the whole history. Everything shown is set with
 * textContent: no markup from the server is ever parsed.
 */
import type { ClientSummary, LatencySummary, ServerSummary, TrainingSummary } from '@tokenmeter/llm';
import uPlot from 'uplot';
import type { DashboardData } from '../src/data.js';

interface Config {
  json: string;
  intervalMillis: number;
  historyPoints: number;
}

type Side = 'client' | 'server';
type Summary = ClientSummary | ServerSummary;
type Values = (number | null)[];

interface SeriesSpec {
  label: string;
  values: Values;
  dash?: boolean;
}

interface PanelSpec {
  /** 'data', or a message shown instead of the chart. */
  empty?: string;
  unavailable?: boolean;
  note?: string;
  series: SeriesSpec[];
  fmt: (v: number) => string;
  min?: number;
  max?: number;
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const meta = document.querySelector<HTMLMetaElement>('meta[name="tokenmeter-config"]');
const config: Config = { json: '/dashboard.json', intervalMillis: 2000, historyPoints: 300 };
try {
  Object.assign(config, JSON.parse(meta?.content ?? '{}') as Partial<Config>);
} catch {
  // the defaults above
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const modelSelect = $<HTMLSelectElement>('model');
const sideSelect = $<HTMLSelectElement>('side');
const sideLabel = $<HTMLLabelElement>('side-label');
const statusEl = $<HTMLSpanElement>('status');
const serviceEl = $<HTMLSpanElement>('service');
const tilesEl = $<HTMLElement>('tiles');
const panelsEl = $<HTMLElement>('panels');

const ring: DashboardData[] = [];
let updates = 0;
let sideChoice: Side | undefined;

// --- formatting ---------------------------------------------------------------------

function fmtSeconds(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  if (Math.abs(v) < 1) return `${+(v * 1000).toPrecision(3)} ms`;
  return `${+v.toPrecision(3)} s`;
}
function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(+v.toPrecision(3));
}
const fmtPercent = (v: number) => (Number.isFinite(v) ? `${+v.toPrecision(3)}%` : '–');
const fmtGiB = (v: number) => (Number.isFinite(v) ? `${+v.toPrecision(3)} GiB` : '–');
const opt = (v: number | undefined, f: (v: number) => string) => (v === undefined ? '–' : f(v));

// --- reading the ring -----------------------------------------------------------------

function sides(d: DashboardData): { client: boolean; server: boolean } {
  const has = (s: Summary) => s.requests > 0 || s.activeRequests > 0 || s.errors > 0;
  return { client: has(d.client.total), server: has(d.server.total) };
}

function currentSide(d: DashboardData): Side {
  const s = sides(d);
  if (sideChoice && s[sideChoice]) return sideChoice;
  return !s.client && s.server ? 'server' : 'client';
}

function summaryOf(d: DashboardData, side: Side, model: string): Summary | undefined {
  const part = side === 'client' ? d.client : d.server;
  return model ? part.byModel[model] : part.total;
}

function firstChunk(s: Summary): LatencySummary {
  return 'timeToFirstChunk' in s ? s.timeToFirstChunk : s.timeToFirstToken;
}

/** Per-second rate between consecutive points of a cumulative value; null across a reset or gap. */
function rates(times: number[], values: (number | undefined)[]): Values {
  return values.map((v, i) => {
    if (i === 0) return null;
    const prev = values[i - 1];
    const dt = (times[i] ?? 0) - (times[i - 1] ?? 0);
    if (v === undefined || prev === undefined || !(dt > 0)) return null;
    const delta = v - prev;
    return delta >= 0 ? delta / dt : null;
  });
}

/** Mean over the last `windowS` seconds from cumulative count and sum (Δsum / Δcount). */
function recentMean(times: number[], lat: (LatencySummary | undefined)[], windowS: number): Values {
  return lat.map((l, i) => {
    if (!l) return null;
    const t = times[i] ?? 0;
    // The newest earlier point at least windowS old, else the oldest one.
    let j = i - 1;
    while (j > 0 && t - (times[j] ?? 0) < windowS) j--;
    const base = j >= 0 ? lat[j] : undefined;
    const count = l.count - (base?.count ?? 0);
    const sum = l.sum - (base?.sum ?? 0);
    return base && count > 0 ? sum / count : null;
  });
}

const ZERO: LatencySummary = { count: 0, sum: 0 };

// --- panels ---------------------------------------------------------------------------

interface Panel {
  el: HTMLElement;
  titleEl: HTMLElement;
  chartEl: HTMLElement;
  emptyEl: HTMLElement;
  noteEl: HTMLElement;
  plot?: uPlot;
  signature?: string;
}

const panels = new Map<string, Panel>();

function panel(id: string, title: string): Panel {
  let p = panels.get(id);
  if (p) {
    if (p.titleEl.textContent !== title) p.titleEl.textContent = title;
    return p;
  }
  const el = document.createElement('section');
  el.className = 'panel';
  el.id = `panel-${id}`;
  el.dataset.state = 'empty';
  el.dataset.points = '0';
  const h = document.createElement('h2');
  h.textContent = title;
  const noteEl = document.createElement('p');
  noteEl.className = 'note';
  const chartEl = document.createElement('div');
  chartEl.className = 'chart';
  const emptyEl = document.createElement('div');
  emptyEl.className = 'empty';
  emptyEl.textContent = 'no data yet';
  el.append(h, noteEl, chartEl, emptyEl);
  panelsEl.append(el);
  p = { el, titleEl: h, chartEl, emptyEl, noteEl };
  panels.set(id, p);
  return p;
}

function chartWidth(p: Panel): number {
  return Math.max(200, p.el.clientWidth - 20);
}

function draw(p: Panel, x: number[], spec: PanelSpec): void {
  p.noteEl.textContent = spec.note ?? '';
  const points = spec.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  p.el.dataset.points = String(points);
  if (spec.unavailable || points === 0) {
    p.el.dataset.state = spec.unavailable ? 'unavailable' : 'empty';
    p.emptyEl.textContent = spec.empty ?? 'no data yet';
  } else {
    p.el.dataset.state = 'data';
  }
  const signature = JSON.stringify([spec.series.map((s) => s.label), spec.min, spec.max]);
  const data = [x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
  if (p.plot && p.signature === signature) {
    p.plot.setData(data);
    showLatest(p.plot);
    return;
  }
  p.plot?.destroy();
  p.signature = signature;
  const axisValues = (_u: uPlot, splits: number[]) => splits.map((v) => spec.fmt(v));
  const range: uPlot.Scale.Range = (_u, lo, hi) => {
    const min = spec.min ?? Math.min(0, lo ?? 0);
    let max = spec.max ?? Math.max(hi ?? 1, min);
    if (!(max > min)) max = min + 1;
    return [min, spec.max ?? max * 1.05];
  };
  p.plot = new uPlot(
    {
      width: chartWidth(p),
      height: 170,
      scales: { x: { time: true }, y: { range } },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#dde1e6' } },
        {
          stroke: '#667085',
          grid: { stroke: '#eef0f3' },
          ticks: { stroke: '#dde1e6' },
          values: axisValues,
          size: 64,
        },
      ],
      series: [
        {},
        ...spec.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : spec.fmt(v)),
          ...(s.dash ? { dash: [5, 4] } : {}),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      // Away from the cursor, the legend shows the newest values.
      hooks: { setCursor: [showLatest] },
    },
    data,
    p.chartEl,
  );
  showLatest(p.plot);
}

function showLatest(u: uPlot): void {
  const n = u.data[0]?.length ?? 0;
  if (u.cursor.idx == null && n > 0) u.setLegend({ idx: n - 1 });
}

// --- the charts -----------------------------------------------------------------------

function render(): void {
  const latest = ring[ring.length - 1];
  if (!latest) return;
  const side = currentSide(latest);
  const model = modelSelect.value;
  document.body.dataset.model = model;
  document.body.dataset.side = side;
  const times = ring.map((d) => d.time / 1000);
  const sums = ring.map((d) => (d.ok ? summaryOf(d, side, model) : undefined));
  // A model's absence from an ok snapshot means nothing recorded yet: zero, not unknown.
  const cum = (f: (s: Summary) => number) =>
    sums.map((s, i) => (s ? f(s) : ring[i]?.ok && model ? 0 : undefined));
  const lat = (f: (s: Summary) => LatencySummary) =>
    sums.map((s, i) => (s ? f(s) : ring[i]?.ok && model ? ZERO : undefined));
  const recentS = Math.max(10, (3 * config.intervalMillis) / 1000);
  const percentileWindow = latest.windowS === undefined ? 'window' : `${Math.round(latest.windowS)} s`;
  const scope = model ? `model ${model}` : 'all models';

  draw(panel('requests', 'Requests and errors per second'), times, {
    note: `${side}, ${scope}; rate between polls`,
    series: [
      {
        label: 'requests/s',
        values: rates(
          times,
          cum((s) => s.requests),
        ),
      },
      {
        label: 'errors/s',
        values: rates(
          times,
          cum((s) => s.errors),
        ),
      },
    ],
    fmt: fmtNum,
  });

  const percentiles = (id: string, title: string, f: (s: Summary) => LatencySummary, what: string) => {
    const l = lat(f);
    // The snapshot's windowed percentiles: lifetime ones stop moving after a while.
    const p = (k: 'p50' | 'p95' | 'p99') => l.map((x) => x?.recent?.[k] ?? null);
    draw(panel(id, title), times, {
      note: `${side}, ${scope}; percentiles over the last ${percentileWindow}, mean over the last ${recentS} s`,
      empty: `no ${what} recorded yet`,
      series: [
        { label: 'p50', values: p('p50') },
        { label: 'p95', values: p('p95') },
        { label: 'p99', values: p('p99') },
        { label: `mean ${recentS}s`, values: recentMean(times, l, recentS), dash: true },
      ],
      fmt: fmtSeconds,
    });
  };
  percentiles('duration', 'Request duration', (s) => s.duration, 'durations');
  percentiles(
    'ttft',
    side === 'client' ? 'Time to first chunk (TTFT)' : 'Time to first token (TTFT)',
    firstChunk,
    'streamed requests',
  );

  draw(panel('tokens', 'Tokens per second'), times, {
    note: `${side}, ${scope}; rate between polls`,
    empty: 'no token usage recorded yet',
    series: [
      {
        label: 'input tokens/s',
        values: rates(
          times,
          cum((s) => s.inputTokens),
        ),
      },
      {
        label: 'output tokens/s',
        values: rates(
          times,
          cum((s) => s.outputTokens),
        ),
      },
    ],
    fmt: fmtNum,
  });

  draw(panel('inflight', 'Requests in flight'), times, {
    note: `${side}, ${scope}`,
    series: [{ label: 'in flight', values: cum((s) => s.activeRequests).map((v) => v ?? null) }],
    fmt: fmtNum,
  });

  // GPUs: all devices seen in the ring (not filtered by model).
  const gpuNames = [...new Set(ring.flatMap((d) => d.gpus.map((g) => g.name)))];
  const gpu = (name: string) => ring.map((d) => d.gpus.find((g) => g.name === name));
  const noGpu = 'no GPU metrics (hw.gpu.*): no GPU found, or @tokenmeter/host not registered';
  draw(panel('gpu-util', 'GPU utilization'), times, {
    note: 'all devices',
    unavailable: gpuNames.length === 0,
    empty: noGpu,
    series: gpuNames.map((n) => ({
      label: n,
      values: gpu(n).map((g) => (g?.utilization === undefined ? null : g.utilization * 100)),
    })),
    fmt: fmtPercent,
    min: 0,
    max: 100,
  });
  const limits = ring.flatMap((d) => d.gpus.map((g) => g.memoryLimitBytes ?? 0));
  const maxLimit = Math.max(0, ...limits) / 2 ** 30;
  draw(panel('gpu-mem', 'GPU memory used'), times, {
    note: maxLimit > 0 ? `all devices; limit ${fmtGiB(maxLimit)}` : 'all devices',
    unavailable: gpuNames.length === 0,
    empty: noGpu,
    series: gpuNames.map((n) => ({
      label: n,
      values: gpu(n).map((g) => (g?.memoryUsageBytes === undefined ? null : g.memoryUsageBytes / 2 ** 30)),
    })),
    fmt: fmtGiB,
    min: 0,
    ...(maxLimit > 0 ? { max: maxLimit } : {}),
  });

  // Training runs (all of them; the model filter applies to requests).
  const runKey = (t: TrainingSummary) => [t.run ?? '', t.model ?? ''].filter(Boolean).join(' / ') || 'run';
  const runs = [...new Set(ring.flatMap((d) => d.training.map(runKey)))].slice(0, 4);
  const run = (k: string) => ring.map((d) => d.training.find((t) => runKey(t) === k));
  const noRun = 'no training run recorded';
  draw(panel('loss', 'Training loss'), times, {
    note: 'all runs',
    unavailable: runs.length === 0,
    empty: noRun,
    series: runs.flatMap((k) => {
      const r = run(k);
      const out: SeriesSpec[] = [{ label: `${k} loss`, values: r.map((t) => t?.loss ?? null) }];
      if (r.some((t) => t?.evalLoss !== undefined))
        out.push({ label: `${k} eval`, values: r.map((t) => t?.evalLoss ?? null), dash: true });
      return out;
    }),
    fmt: (v) => (Number.isFinite(v) ? String(+v.toPrecision(4)) : '–'),
  });
  draw(panel('step', 'Training step time'), times, {
    note: `all runs; p50 over the last ${percentileWindow}, mean over the last ${recentS} s`,
    unavailable: runs.length === 0,
    empty: noRun,
    series: runs.flatMap((k) => {
      const r = run(k);
      const steps = r.map((t) => t?.stepDuration);
      return [
        { label: `${k} p50`, values: steps.map((s) => s?.recent?.p50 ?? null) },
        { label: `${k} mean ${recentS}s`, values: recentMean(times, steps, recentS), dash: true },
      ];
    }),
    fmt: fmtSeconds,
  });

  renderTiles(latest, side, model);
}

function renderTiles(d: DashboardData, side: Side, model: string): void {
  const s = summaryOf(d, side, model);
  const window = d.windowS === undefined ? '' : ` (${Math.round(d.windowS)} s)`;
  const tiles: [string, string, string][] = [
    ['requests', 'requests', s ? fmtNum(s.requests) : '0'],
    ['rps', `requests/s${window}`, opt(s?.requestsPerSecond, fmtNum)],
    [
      'errors',
      'errors',
      s
        ? `${fmtNum(s.errors)}${s.requests > 0 ? ` (${fmtPercent((100 * s.errors) / s.requests)})` : ''}`
        : '0',
    ],
    ['inflight', 'in flight', s ? fmtNum(s.activeRequests) : '0'],
    ['out-tps', `output tokens/s${window}`, opt(s?.outputTokensPerSecond, fmtNum)],
    ['ttft-p95', `TTFT p95${window}`, opt(s ? firstChunk(s).recent?.p95 : undefined, fmtSeconds)],
    ['duration-p95', `duration p95${window}`, opt(s?.duration.recent?.p95, fmtSeconds)],
  ];
  const t = d.training[0];
  if (t) tiles.push(['loss', 'training loss', opt(t.loss, (v) => String(+v.toPrecision(4)))]);
  if (d.gpus.length > 0) {
    const u = d.gpus.map((g) => g.utilization).filter((v): v is number => v !== undefined);
    tiles.push([
      'gpu',
      `GPU utilization (${d.gpus.length})`,
      u.length ? fmtPercent((100 * u.reduce((a, b) => a + b, 0)) / u.length) : '–',
    ]);
  }
  const els = tiles.map(([id, label, value]) => {
    const el = document.createElement('div');
    el.className = 'tile';
    el.id = `tile-${id}`;
    const l = document.createElement('div');
    l.className = 'label';
    l.textContent = label;
    const v = document.createElement('div');
    v.className = 'value';
    v.textContent = value;
    el.append(l, v);
    return el;
  });
  tilesEl.replaceChildren(...els);
}

function updateControls(d: DashboardData): void {
  serviceEl.textContent = d.service;
  document.title = `${d.service} · tokenmeter`;
  const have = new Set([...modelSelect.options].map((o) => o.value));
  for (const m of d.models) {
    if (have.has(m)) continue;
    const o = document.createElement('option');
    o.value = m;
    o.textContent = m;
    modelSelect.append(o);
  }
  const s = sides(d);
  sideLabel.hidden = !(s.client && s.server);
  sideSelect.value = currentSide(d);
}

function setStatus(state: 'live' | 'error', text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

async function poll(): Promise<void> {
  try {
    const res = await fetch(config.json, { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) {
      setStatus('error', res.status === 401 ? 'unauthorized' : `HTTP ${res.status}; retrying`);
      return;
    }
    const d = (await res.json()) as DashboardData;
    if (!d || typeof d !== 'object' || !d.client) throw new Error('unexpected JSON');
    const last = ring[ring.length - 1];
    if (last && d.time <= last.time) return;
    ring.push(d);
    while (ring.length > config.historyPoints) ring.shift();
    updateControls(d);
    render();
    updates++;
    document.body.dataset.updates = String(updates);
    if (d.ok) setStatus('live', `updated ${new Date(d.time).toLocaleTimeString()}`);
    else setStatus('error', d.error ?? 'metrics collection failed');
  } catch {
    setStatus('error', 'disconnected; retrying');
  }
}

modelSelect.addEventListener('change', render);
sideSelect.addEventListener('change', () => {
  sideChoice = sideSelect.value === 'server' ? 'server' : 'client';
  render();
});
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const p of panels.values()) p.plot?.setSize({ width: chartWidth(p), height: 170 });
  }, 100);
});

async function loop(): Promise<void> {
  await poll();
  setTimeout(() => void loop(), config.intervalMillis);
}
void loop();
