/**
 * The values the page charts, flattened out of one `DashboardData`: the
 * server's history keeps these (not whole snapshots, not histogram buckets),
 * and the page turns each poll into the same keys, so a history loaded at
 * page open and the polls after it form one series per key.
 *
 * Pure and dependency-free: bundled into the page as well as used on the server.
 */
import type { ClientSummary, LatencySummary, ServerSummary } from '@tokenmeter/llm';
import type { DashboardData } from './data.js';

/** What a key's name is: a client or server model, a training run, a GPU, or cost by model. */
export type SeriesKind = 'c' | 's' | 't' | 'g' | '$';

/**
 * `kind|field` for a side's total, `kind|field|name` for a model, run or device.
 * Fields never contain `|`; a name may (everything after the second `|`).
 */
export function seriesKey(kind: SeriesKind, field: string, name?: string): string {
  return name === undefined ? `${kind}|${field}` : `${kind}|${field}|${name}`;
}

/** The parts of a key made by `seriesKey`; `name` is undefined for a total. */
export function parseSeriesKey(key: string): { kind: SeriesKind; field: string; name?: string } {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  const kind = key.slice(0, a) as SeriesKind;
  if (b < 0) return { kind, field: key.slice(a + 1) };
  return { kind, field: key.slice(a + 1, b), name: key.slice(b + 1) };
}

/** The name of a training run's series: `run / model`, either part optional. */
export function trainingRunName(t: { run?: string; model?: string }): string {
  return [t.run ?? '', t.model ?? ''].filter(Boolean).join(' / ') || 'run';
}

/** The first-chunk latency of a side: the client's time to first chunk, the server's to first token. */
export function firstChunkOf(s: ClientSummary | ServerSummary): LatencySummary {
  return 'timeToFirstChunk' in s ? s.timeToFirstChunk : s.timeToFirstToken;
}

/** Latency fields charted: count and sum (for a mean over any interval) and the windowed percentiles. */
const LATENCY_FIELDS = ['count', 'sum'] as const;
const RECENT_FIELDS = ['p50', 'p95', 'p99'] as const;

/**
 * The charted values of one snapshot, by `seriesKey`. Only finite numbers;
 * a failed snapshot (`ok: false`) has none.
 */
export function chartValues(d: DashboardData): Record<string, number> {
  const out: Record<string, number> = {};
  if (!d.ok) return out;
  const put = (kind: SeriesKind, field: string, name: string | undefined, v: number | undefined) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[seriesKey(kind, field, name)] = v;
  };
  const latency = (kind: SeriesKind, prefix: string, name: string | undefined, l: LatencySummary) => {
    for (const f of LATENCY_FIELDS) put(kind, `${prefix}.${f}`, name, l[f]);
    for (const f of RECENT_FIELDS) put(kind, `${prefix}.${f}`, name, l.recent?.[f]);
  };
  const summary = (kind: 'c' | 's', name: string | undefined, s: ClientSummary | ServerSummary) => {
    put(kind, 'requests', name, s.requests);
    put(kind, 'errors', name, s.errors);
    put(kind, 'inputTokens', name, s.inputTokens);
    put(kind, 'outputTokens', name, s.outputTokens);
    put(kind, 'activeRequests', name, s.activeRequests);
    latency(kind, 'duration', name, s.duration);
    latency(kind, 'ttft', name, firstChunkOf(s));
  };
  const client = (name: string | undefined, s: ClientSummary) => {
    summary('c', name, s);
    // Older snapshots (a dashboard JSON saved before cost) lack it.
    if (s.costPerRequest) latency('c', 'cost', name, s.costPerRequest);
  };
  client(undefined, d.client.total);
  for (const [m, s] of Object.entries(d.client.byModel)) client(m, s);
  summary('s', undefined, d.server.total);
  for (const [m, s] of Object.entries(d.server.byModel)) summary('s', m, s);
  for (const t of d.training) {
    const name = trainingRunName(t);
    put('t', 'loss', name, t.loss);
    put('t', 'evalLoss', name, t.evalLoss);
    latency('t', 'step', name, t.stepDuration);
  }
  for (const g of d.gpus) {
    put('g', 'utilization', g.name, g.utilization);
    put('g', 'memoryUsage', g.name, g.memoryUsageBytes);
    put('g', 'memoryLimit', g.name, g.memoryLimitBytes);
  }
  if (d.cost) {
    put('$', 'usd', undefined, d.cost.total);
    for (const [m, v] of Object.entries(d.cost.byModel)) put('$', 'usd', m, v);
  }
  return out;
}
