/**
 * The dashboard page's script (bundled with uPlot by scripts/build-page.ts into
 * src/page-assets.ts). On load it asks for the server's history with the first
 * poll (`?history=1`) and draws it at once; then it polls the JSON and appends
 * each snapshot's charted values (`chartValues()`), keeping `historySpanS`
 * seconds. Every chart is redrawn from those columns, so switching the model
 * filter redraws the whole history. Everything shown is set with textContent:
 * no markup from the server is ever parsed.
 *
 * Time comes from the snapshots (`time`, the server's clock) and the timers from
 * the page's `setTimeout`, which the browser test replaces with Playwright's clock.
 */
import type { ClientSummary, ServerSummary } from '@tokenmeter/llm';
import uPlot from 'uplot';
import { chartValues, firstChunkOf, type SeriesKind, seriesKey } from '../src/chart-values.js';
import type { DashboardData } from '../src/data.js';
import type { HistoryData } from '../src/history.js';
import { type Column, RATE_MIN_S, rate, ratio, SeriesStore } from './series.js';
import { humanSpan, tickLabel, timeTicks } from './time-axis.js';

interface Config {
  json: string;
  intervalMillis: number;
  historySpanS: number;
  /** 0 when the server keeps no history. */
  historyIntervalMillis: number;
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
  title: string;
  /** Shown instead of the chart while no series has a point. */
  empty?: string;
  note?: string;
  series: SeriesSpec[];
  fmt: (v: number) => string;
  min?: number;
  max?: number;
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const meta = document.querySelector<HTMLMetaElement>('meta[name="tokenmeter-config"]');
const config: Config = {
  json: '/dashboard.json',
  intervalMillis: 2000,
  historySpanS: 600,
  historyIntervalMillis: 5000,
};
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
const spanEl = $<HTMLSpanElement>('span');
const tilesEl = $<HTMLElement>('tiles');
const absentEl = $<HTMLElement>('absent');
const panelsEl = $<HTMLElement>('panels');

let store = new SeriesStore();
let latest: DashboardData | undefined;
let historyLoaded = false;
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
function fmtUsd(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '$0';
  if (Math.abs(v) < 1) return `$${+v.toPrecision(2)}`;
  return `$${fmtNum(+v.toFixed(2))}`;
}
const fmtPercent = (v: number) => (Number.isFinite(v) ? `${+v.toPrecision(3)}%` : '–');
const fmtGiB = (v: number) => (Number.isFinite(v) ? `${+v.toPrecision(3)} GiB` : '–');
const opt = (v: number | undefined, f: (v: number) => string) => (v === undefined ? '–' : f(v));
/** Local time minus UTC at `tS`, seconds. */
const offsetAt = (tS: number) => -new Date(tS * 1000).getTimezoneOffset() * 60;

// --- what the latest snapshot says ----------------------------------------------------

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

// --- optional panels ---------------------------------------------------------------------

/**
 * Panels that need metrics an application may not record at all. While a group's
 * metrics have had no value this session, its panels are not drawn and one line
 * says what is missing; from the first value on, they are.
 */
const OPTIONAL_GROUPS = {
  gpu: {
    kind: 'g',
    absent: 'no GPU metrics: hw.gpu.* not recorded (no GPU found, or @tokenmeter/host not registered)',
  },
  training: { kind: 't', absent: 'no training run: tokenmeter.training.* not recorded' },
  cost: { kind: '$', absent: 'no cost metrics: tokenmeter.gen_ai.client.cost ({USD}) not recorded' },
} as const satisfies Record<string, { kind: SeriesKind; absent: string }>;
type GroupId = keyof typeof OPTIONAL_GROUPS;
const seenGroups = new Set<GroupId>();

// --- panels ---------------------------------------------------------------------------

interface Panel {
  el: HTMLElement;
  titleEl: HTMLElement;
  chartEl: HTMLElement;
  emptyEl: HTMLElement;
  noteEl: HTMLElement;
  plot?: uPlot;
  signature?: string;
  /** The step of the x-axis ticks last computed (labels follow it). */
  step: number;
}

const panels = new Map<string, Panel>();

function panelElement(id: string, order: number): Panel {
  let p = panels.get(id);
  if (p) return p;
  const el = document.createElement('section');
  el.className = 'panel';
  el.id = `panel-${id}`;
  el.dataset.state = 'empty';
  el.dataset.points = '0';
  el.dataset.order = String(order);
  const h = document.createElement('h2');
  const noteEl = document.createElement('p');
  noteEl.className = 'note';
  const chartEl = document.createElement('div');
  chartEl.className = 'chart';
  const emptyEl = document.createElement('div');
  emptyEl.className = 'empty';
  el.append(h, noteEl, chartEl, emptyEl);
  // In declared order, whenever a panel first appears.
  const after = [...panelsEl.children].find((c) => Number((c as HTMLElement).dataset.order) > order);
  panelsEl.insertBefore(el, after ?? null);
  p = { el, titleEl: h, chartEl, emptyEl, noteEl, step: 1 };
  panels.set(id, p);
  return p;
}

function removePanel(id: string): void {
  const p = panels.get(id);
  if (!p) return;
  p.plot?.destroy();
  p.el.remove();
  panels.delete(id);
}

function chartWidth(p: Panel): number {
  return Math.max(200, p.el.clientWidth - 20);
}

function draw(p: Panel, x: number[], spec: PanelSpec): void {
  if (p.titleEl.textContent !== spec.title) p.titleEl.textContent = spec.title;
  p.noteEl.textContent = spec.note ?? '';
  const points = spec.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  p.el.dataset.points = String(points);
  // Points of the longest line: what "the chart shows N points" means.
  p.el.dataset.linePoints = String(
    spec.series.reduce((n, s) => Math.max(n, s.values.filter((v) => v !== null).length), 0),
  );
  p.el.dataset.state = points === 0 ? 'empty' : 'data';
  p.emptyEl.textContent = points === 0 ? (spec.empty ?? 'no data yet') : '';
  const signature = JSON.stringify([spec.series.map((s) => s.label), spec.min, spec.max]);
  const data = [x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
  if (p.plot && p.signature === signature) {
    p.plot.setData(data);
    showLatest(p.plot);
    return;
  }
  p.plot?.destroy();
  p.signature = signature;
  const panel = p;
  const axisValues = (_u: uPlot, splits: number[]) => splits.map((v) => spec.fmt(v));
  const range: uPlot.Scale.Range = (_u, lo, hi) => {
    const min = spec.min ?? Math.min(0, lo ?? 0);
    let max = spec.max ?? Math.max(hi ?? 1, min);
    if (!(max > min)) max = min + 1;
    return [min, spec.max ?? max * 1.05];
  };
  const axis = { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#dde1e6' } };
  p.plot = new uPlot(
    {
      width: chartWidth(p),
      height: 170,
      scales: { x: { time: true }, y: { range } },
      axes: [
        {
          ...axis,
          // Human steps (s, min, h) for the span shown, labelled in local time.
          splits: (u, _axis, min, max) => {
            const t = timeTicks(min, max, Math.max(2, Math.floor(u.width / 100)), offsetAt(min));
            panel.step = t.step;
            return t.ticks;
          },
          values: (_u, splits) => {
            const labels = splits.map((v) => tickLabel(v, panel.step, offsetAt(v)));
            // The labels are drawn on the canvas; the DOM keeps them too, for the tests.
            panel.el.dataset.xTicks = labels.join(' ');
            return labels;
          },
        },
        { ...axis, values: axisValues, size: 64 },
      ],
      series: [
        { value: (_u: uPlot, v: number | null) => (v == null ? '–' : tickLabel(v, 1, offsetAt(v))) },
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

interface Ctx {
  d: DashboardData;
  side: Side;
  model: string;
  times: number[];
  col: (kind: SeriesKind, field: string, name?: string) => Column;
  /** The side's column for the model filter: the total, or the chosen model's. */
  scoped: (field: string) => Column;
  scope: string;
  recentS: number;
}

interface PanelDef {
  id: string;
  /** The optional group whose metrics this panel needs; core panels always show. */
  needs?: GroupId;
  spec: (c: Ctx) => PanelSpec;
}

const rateNote = `rate over ≥ ${RATE_MIN_S} s`;

function percentiles(title: string, field: 'duration' | 'ttft', what: string) {
  return (c: Ctx): PanelSpec => {
    const window = c.d.windowS === undefined ? 'window' : `${Math.round(c.d.windowS)} s`;
    return {
      title,
      note: `${c.side}, ${c.scope}; percentiles over the last ${window}, mean over the last ${c.recentS} s`,
      empty: `no ${what} recorded yet`,
      series: [
        { label: 'p50', values: [...c.scoped(`${field}.p50`)] },
        { label: 'p95', values: [...c.scoped(`${field}.p95`)] },
        { label: 'p99', values: [...c.scoped(`${field}.p99`)] },
        {
          label: `mean ${c.recentS}s`,
          values: ratio(c.times, c.scoped(`${field}.sum`), c.scoped(`${field}.count`), c.recentS),
          dash: true,
        },
      ],
      fmt: fmtSeconds,
    };
  };
}

/** Up to `n` names of `kind`, largest last value of `field` first. */
function top(c: Ctx, kind: SeriesKind, field: string, n: number): string[] {
  const last = (name: string) => {
    const col = c.col(kind, field, name);
    for (let i = col.length - 1; i >= 0; i--) if (col[i] != null) return col[i] as number;
    return 0;
  };
  return store
    .names(kind)
    .sort((a, b) => last(b) - last(a))
    .slice(0, n);
}

/** Cost series: the chosen model, or all models and the most expensive few. */
function costSeries(c: Ctx, f: (model: string | undefined) => Values): SeriesSpec[] {
  if (c.model) return [{ label: c.model, values: f(c.model) }];
  return [
    { label: 'all models', values: f(undefined) },
    ...top(c, '$', 'usd', 5).map((m) => ({ label: m, values: f(m) })),
  ];
}

const PANELS: PanelDef[] = [
  {
    id: 'requests',
    spec: (c) => ({
      title: 'Requests and errors per second',
      note: `${c.side}, ${c.scope}; ${rateNote}`,
      series: [
        { label: 'requests/s', values: rate(c.times, c.scoped('requests')) },
        { label: 'errors/s', values: rate(c.times, c.scoped('errors')) },
      ],
      fmt: fmtNum,
    }),
  },
  { id: 'duration', spec: percentiles('Request duration', 'duration', 'durations') },
  {
    id: 'ttft',
    spec: (c) =>
      percentiles(
        c.side === 'client' ? 'Time to first chunk (TTFT)' : 'Time to first token (TTFT)',
        'ttft',
        'streamed requests',
      )(c),
  },
  {
    id: 'tokens',
    spec: (c) => ({
      title: 'Tokens per second',
      note: `${c.side}, ${c.scope}; ${rateNote}`,
      empty: 'no token usage recorded yet',
      series: [
        { label: 'input tokens/s', values: rate(c.times, c.scoped('inputTokens')) },
        { label: 'output tokens/s', values: rate(c.times, c.scoped('outputTokens')) },
      ],
      fmt: fmtNum,
    }),
  },
  {
    id: 'inflight',
    spec: (c) => ({
      title: 'Requests in flight',
      note: `${c.side}, ${c.scope}`,
      series: [{ label: 'in flight', values: [...c.scoped('activeRequests')] }],
      fmt: fmtNum,
    }),
  },
  {
    id: 'cost-rate',
    needs: 'cost',
    spec: (c) => ({
      title: 'Cost per hour',
      note: `client, ${c.scope}; ${rateNote}`,
      series: costSeries(c, (m) =>
        rate(c.times, c.col('$', 'usd', m)).map((v) => (v === null ? null : v * 3600)),
      ),
      fmt: fmtUsd,
    }),
  },
  {
    id: 'cost-per-request',
    needs: 'cost',
    spec: (c) => ({
      title: 'Cost per request',
      note: `client, ${c.scope}; over ≥ ${RATE_MIN_S} s`,
      series: costSeries(c, (m) => ratio(c.times, c.col('$', 'usd', m), c.col('c', 'requests', m))),
      fmt: fmtUsd,
    }),
  },
  {
    id: 'cost-percentiles',
    needs: 'cost',
    spec: (c) => {
      const window = c.d.windowS === undefined ? 'window' : `${Math.round(c.d.windowS)} s`;
      const col = (field: string) => c.col('c', `cost.${field}`, c.model || undefined);
      return {
        title: 'Cost per request, percentiles',
        note: `client, ${c.scope}; priced requests, percentiles over the last ${window}, mean over the last ${c.recentS} s`,
        empty: 'no priced request yet (tokenmeter.gen_ai.client.operation.cost)',
        series: [
          { label: 'p50', values: [...col('p50')] },
          { label: 'p95', values: [...col('p95')] },
          { label: 'p99', values: [...col('p99')] },
          {
            label: `mean ${c.recentS}s`,
            values: ratio(c.times, col('sum'), col('count'), c.recentS),
            dash: true,
          },
        ],
        fmt: fmtUsd,
      };
    },
  },
  {
    id: 'gpu-util',
    needs: 'gpu',
    spec: (c) => ({
      title: 'GPU utilization',
      note: 'all devices',
      series: store.names('g').map((n) => ({
        label: n,
        values: c.col('g', 'utilization', n).map((v) => (v === null ? null : v * 100)),
      })),
      fmt: fmtPercent,
      min: 0,
      max: 100,
    }),
  },
  {
    id: 'gpu-mem',
    needs: 'gpu',
    spec: (c) => {
      const names = store.names('g');
      const limits = names.flatMap((n) =>
        c.col('g', 'memoryLimit', n).filter((v): v is number => v !== null),
      );
      const maxLimit = Math.max(0, ...limits) / 2 ** 30;
      return {
        title: 'GPU memory used',
        note: maxLimit > 0 ? `all devices; limit ${fmtGiB(maxLimit)}` : 'all devices',
        series: names.map((n) => ({
          label: n,
          values: c.col('g', 'memoryUsage', n).map((v) => (v === null ? null : v / 2 ** 30)),
        })),
        fmt: fmtGiB,
        min: 0,
        ...(maxLimit > 0 ? { max: maxLimit } : {}),
      };
    },
  },
  {
    id: 'loss',
    needs: 'training',
    spec: (c) => ({
      title: 'Training loss',
      note: 'all runs',
      series: store
        .names('t')
        .slice(0, 4)
        .flatMap((run) => {
          const out: SeriesSpec[] = [{ label: `${run} loss`, values: [...c.col('t', 'loss', run)] }];
          const evalLoss = c.col('t', 'evalLoss', run);
          if (evalLoss.some((v) => v !== null))
            out.push({ label: `${run} eval`, values: [...evalLoss], dash: true });
          return out;
        }),
      fmt: (v) => (Number.isFinite(v) ? String(+v.toPrecision(4)) : '–'),
    }),
  },
  {
    id: 'step',
    needs: 'training',
    spec: (c) => {
      const window = c.d.windowS === undefined ? 'window' : `${Math.round(c.d.windowS)} s`;
      return {
        title: 'Training step time',
        note: `all runs; p50 over the last ${window}, mean over the last ${c.recentS} s`,
        series: store
          .names('t')
          .slice(0, 4)
          .flatMap((run) => [
            { label: `${run} p50`, values: [...c.col('t', 'step.p50', run)] },
            {
              label: `${run} mean ${c.recentS}s`,
              values: ratio(c.times, c.col('t', 'step.sum', run), c.col('t', 'step.count', run), c.recentS),
              dash: true,
            },
          ]),
        fmt: fmtSeconds,
      };
    },
  },
];

function render(): void {
  const d = latest;
  if (!d) return;
  const side = currentSide(d);
  const model = modelSelect.value;
  document.body.dataset.model = model;
  document.body.dataset.side = side;
  const kind: SeriesKind = side === 'client' ? 'c' : 's';
  const col = (k: SeriesKind, field: string, name?: string) => store.column(seriesKey(k, field, name));
  const ctx: Ctx = {
    d,
    side,
    model,
    times: store.times,
    col,
    scoped: (field) => col(kind, field, model || undefined),
    scope: model ? `model ${model}` : 'all models',
    recentS: Math.max(10, (3 * config.intervalMillis) / 1000),
  };

  for (const [id, g] of Object.entries(OPTIONAL_GROUPS) as [GroupId, { kind: SeriesKind }][]) {
    if (store.has(g.kind)) seenGroups.add(id);
  }
  PANELS.forEach((def, order) => {
    if (def.needs && !seenGroups.has(def.needs)) {
      removePanel(def.id);
      return;
    }
    draw(panelElement(def.id, order), store.times, def.spec(ctx));
  });
  const absent = (Object.keys(OPTIONAL_GROUPS) as GroupId[])
    .filter((id) => !seenGroups.has(id))
    .map((id) => {
      const li = document.createElement('li');
      li.id = `absent-${id}`;
      li.textContent = OPTIONAL_GROUPS[id].absent;
      return li;
    });
  absentEl.replaceChildren(...absent);

  renderSpan();
  renderTiles(d, side, model);
}

function renderSpan(): void {
  const first = store.times[0];
  const last = store.times[store.times.length - 1];
  const shown = first === undefined || last === undefined ? 0 : last - first;
  spanEl.dataset.spanS = String(Math.round(shown));
  const keeps = humanSpan(config.historySpanS);
  spanEl.textContent =
    config.historyIntervalMillis > 0
      ? `charts: last ${humanSpan(shown)} (the server keeps ${keeps}, a point every ${humanSpan(config.historyIntervalMillis / 1000)})`
      : `charts: last ${humanSpan(shown)} (since this page opened; up to ${keeps})`;
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
    ['ttft-p95', `TTFT p95${window}`, opt(s ? firstChunkOf(s).recent?.p95 : undefined, fmtSeconds)],
    ['duration-p95', `duration p95${window}`, opt(s?.duration.recent?.p95, fmtSeconds)],
  ];
  if (d.cost) {
    const usd = model ? d.cost.byModel[model] : d.cost.total;
    tiles.push(['cost', 'cost since start', fmtUsd(usd ?? 0)]);
  }
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

type Polled = DashboardData & { history?: HistoryData };

async function poll(): Promise<void> {
  try {
    // The first answer that arrives brings the server's history along.
    const url = historyLoaded
      ? config.json
      : `${config.json}${config.json.includes('?') ? '&' : '?'}history=1`;
    const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) {
      setStatus('error', res.status === 401 ? 'unauthorized' : `HTTP ${res.status}; retrying`);
      return;
    }
    const d = (await res.json()) as Polled;
    if (!d || typeof d !== 'object' || !d.client) throw new Error('unexpected JSON');
    if (!historyLoaded) {
      store = SeriesStore.fromHistory(d.history);
      historyLoaded = true;
    }
    // An ok:false snapshot adds a point with no values: a gap in every chart.
    if (!store.push(d.time / 1000, chartValues(d)) && latest) return;
    store.trimBefore(d.time / 1000 - config.historySpanS);
    latest = d;
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
