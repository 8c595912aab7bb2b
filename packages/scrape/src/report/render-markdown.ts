import type { Labels } from '../text/types.js';
import type { Analysis, SeriesSummary } from './analysis.js';
import { compareAnalyses } from './compare.js';

/** Four significant digits, no exponent for ordinary magnitudes; `—` for missing. */
function formatNumber(v: number | undefined): string {
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
