import { csvField, csvNumber } from '@tokenmeter/exposition';
import type { Labels } from '../text/types.js';
import { type Analysis, type IntervalRow, labelKey, type SeriesSummary } from './analyze.js';

export type ReportFormat = 'md' | 'csv' | 'json';

/** Four significant digits, no exponent for ordinary magnitudes; `—` for missing. */
export function formatNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e9) {
    const digits = Math.max(0, 3 - Math.floor(Math.log10(abs)));
    return Number(v.toFixed(Math.min(digits, 6))).toString();
  }
  return v.toPrecision(4);
}

function labelsText(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : entries.map(([k, v]) => `${k}="${v}"`).join(', ');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${r.map(mdCell).join(' | ')} |`);
  return lines.join('\n');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m ${s % 60}s` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

const COLUMNS: Record<SeriesSummary['kind'], (keyof SeriesSummary)[]> = {
  counter: ['increase', 'rate', 'resets'],
  gauge: ['min', 'mean', 'max', 'last'],
  histogram: ['increase', 'rate', 'mean', 'p50', 'p90', 'p99'],
};
const TITLES: Record<string, string> = {
  increase: 'increase',
  rate: 'rate/s',
  resets: 'resets',
  min: 'min',
  mean: 'mean',
  max: 'max',
  last: 'last',
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
};
const SECTION: Record<SeriesSummary['kind'], string> = {
  counter: 'Counters (increase during the recording)',
  gauge: 'Gauges',
  histogram: 'Histograms (observations during the recording; increase = count)',
};

function header(a: Analysis, title: string): string[] {
  const out = [`# ${title}`, ''];
  if (a.targets.length === 0) {
    out.push('No scrapes recorded.');
    return out;
  }
  out.push(
    `${new Date(a.start).toISOString()} → ${new Date(a.end).toISOString()} (${duration(a.end - a.start)})`,
    '',
    table(
      ['target', 'scrapes', 'failed'],
      a.targets.map((t) => [t.target, String(t.scrapes), String(t.failed)]),
    ),
  );
  return out;
}

/** The Markdown summary of one run. */
export function renderMarkdown(a: Analysis, title = 'tokenmeter report'): string {
  const out = header(a, title);
  const multiTarget = a.targets.length > 1;
  for (const kind of ['counter', 'histogram', 'gauge'] as const) {
    const list = a.series.filter((s) => s.kind === kind);
    if (list.length === 0) continue;
    const cols = COLUMNS[kind];
    const head = [
      ...(multiTarget ? ['target'] : []),
      'metric',
      'labels',
      ...cols.map((c) => TITLES[c] as string),
    ];
    const rows = list.map((s) => [
      ...(multiTarget ? [s.target] : []),
      s.name,
      labelsText(s.labels),
      ...cols.map((c) => formatNumber(s[c] as number | undefined)),
    ]);
    out.push('', `## ${SECTION[kind]}`, '', table(head, rows));
  }
  return `${out.join('\n')}\n`;
}

const CSV_COLUMNS = [
  'target',
  'name',
  'family',
  'kind',
  'labels',
  'points',
  'seconds',
  'increase',
  'rate',
  'resets',
  'min',
  'mean',
  'max',
  'last',
  'sum',
  'p50',
  'p90',
  'p99',
] as const;

/** One row per series; `labels` is a JSON object; empty cells where a statistic does not apply. */
export function renderCsv(a: Analysis): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of a.series) {
    lines.push(
      CSV_COLUMNS.map((c) => {
        if (c === 'labels') return csvField(JSON.stringify(s.labels));
        const v = s[c];
        return typeof v === 'string' ? csvField(v) : csvNumber(v);
      }).join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const INTERVAL_COLUMNS = [
  'ts',
  'seconds',
  'target',
  'name',
  'kind',
  'labels',
  'value',
  'rate',
  'sum',
  'mean',
  'p50',
  'p90',
  'p99',
] as const;

/** Per-interval rows as CSV. */
export function renderIntervalsCsv(rows: readonly IntervalRow[]): string {
  const lines = [INTERVAL_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      INTERVAL_COLUMNS.map((c) => {
        if (c === 'labels') return csvField(JSON.stringify(r.labels));
        const v = r[c];
        return typeof v === 'string' ? csvField(v) : csvNumber(v);
      }).join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** JSON with NaN/±Inf as `null` (JSON has no such numbers). */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** The statistic compared per kind: what a benchmark reader looks at first. */
const COMPARED: Record<SeriesSummary['kind'], (keyof SeriesSummary)[]> = {
  counter: ['rate'],
  gauge: ['mean', 'max'],
  histogram: ['increase', 'mean', 'p50', 'p90', 'p99'],
};

export interface ComparisonRow {
  name: string;
  labels: Labels;
  kind: SeriesSummary['kind'];
  stat: string;
  a: number | undefined;
  b: number | undefined;
  /** (b − a) / a, as a fraction; undefined when a is 0 or missing. */
  change: number | undefined;
}

/**
 * Joins two runs series by series. Targets are ignored in the join when each
 * run has one target (two benchmark runs usually hit different ports).
 */
export function compareAnalyses(a: Analysis, b: Analysis): ComparisonRow[] {
  const single = a.targets.length <= 1 && b.targets.length <= 1;
  const key = (s: SeriesSummary) => `${single ? '' : s.target}\u0000${s.name}\u0000${labelKey(s.labels)}`;
  const bByKey = new Map(b.series.map((s) => [key(s), s]));
  const rows: ComparisonRow[] = [];
  const seen = new Set<string>();
  const push = (sa: SeriesSummary | undefined, sb: SeriesSummary | undefined) => {
    const s = (sa ?? sb) as SeriesSummary;
    for (const stat of COMPARED[s.kind]) {
      const va = sa?.[stat] as number | undefined;
      const vb = sb?.[stat] as number | undefined;
      const change =
        va !== undefined && vb !== undefined && Number.isFinite(va) && Number.isFinite(vb) && va !== 0
          ? (vb - va) / Math.abs(va)
          : undefined;
      rows.push({ name: s.name, labels: s.labels, kind: s.kind, stat, a: va, b: vb, change });
    }
  };
  for (const sa of a.series) {
    const k = key(sa);
    seen.add(k);
    push(sa, bByKey.get(k));
  }
  for (const sb of b.series) if (!seen.has(key(sb))) push(undefined, sb);
  return rows;
}

function percent(change: number | undefined): string {
  if (change === undefined) return '—';
  const p = change * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

/** Side-by-side Markdown of two runs. */
export function renderComparisonMarkdown(a: Analysis, b: Analysis, nameA: string, nameB: string): string {
  const rows = compareAnalyses(a, b);
  const out = [
    `# tokenmeter comparison`,
    '',
    `A: ${nameA} (${duration(a.end - a.start)}), B: ${nameB} (${duration(b.end - b.start)})`,
    '',
    table(
      ['metric', 'labels', 'stat', 'A', 'B', 'change'],
      rows.map((r) => [
        r.name,
        labelsText(r.labels),
        TITLES[r.stat] ?? r.stat,
        formatNumber(r.a),
        formatNumber(r.b),
        percent(r.change),
      ]),
    ),
  ];
  return `${out.join('\n')}\n`;
}

/** Comparison rows as CSV (`change` is a fraction). */
export function renderComparisonCsv(rows: readonly ComparisonRow[]): string {
  const lines = ['name,labels,kind,stat,a,b,change'];
  for (const r of rows) {
    lines.push(
      [
        csvField(r.name),
        csvField(JSON.stringify(r.labels)),
        r.kind,
        r.stat,
        csvNumber(r.a),
        csvNumber(r.b),
        csvNumber(r.change),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
