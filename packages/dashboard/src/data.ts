/**
 * The dashboard's JSON: one `llm.snapshot()` (the SDK's own cumulative
 * aggregation, read through @tokenmeter/llm) plus the `hw.gpu.*` gauges of
 * the same collection. Nothing is counted here: every number is read from
 * the collection the SDK produced.
 */
import {
  type ClientSummary,
  type CollectionLike,
  type LlmSnapshot,
  type ServerSummary,
  type TrainingSummary,
  UNKNOWN_MODEL,
} from '@tokenmeter/llm';

/** Value of `DashboardData.schema`; bumped on incompatible changes. */
export const DASHBOARD_SCHEMA = 'tokenmeter.dashboard/v1';

/** One GPU as `@tokenmeter/host` records it (`hw.gpu.*`, grouped by `hw.id`). */
export interface GpuDevice {
  /** `hw.name` (`gpu0`, …), else `hw.id`. */
  name: string;
  /** `hw.gpu.utilization` for `hw.gpu.task=general` (or no task), 0..1. */
  utilization?: number;
  /** `hw.gpu.memory.usage`, bytes. */
  memoryUsageBytes?: number;
  /** `hw.gpu.memory.limit`, bytes. */
  memoryLimitBytes?: number;
}

/** What `GET /dashboard.json` returns. */
export interface DashboardData {
  schema: typeof DASHBOARD_SCHEMA;
  /** False when the collection failed (`error` says so, without detail); numbers are then zero. */
  ok: boolean;
  error?: string;
  /** Wall-clock time of the snapshot, ms since the epoch. */
  time: number;
  /** `service.name` (the `serviceName` option, else the collection's resource). */
  service: string;
  /** How often the page polls, ms. */
  intervalMillis: number;
  semconv: LlmSnapshot['semconv'];
  /** Window of the `*PerSecond` rates, seconds (see `LlmSnapshot.windowS`). */
  windowS?: number;
  /** Every model seen on the client or server side, sorted. */
  models: string[];
  client: { total: ClientSummary; byModel: Record<string, ClientSummary> };
  server: { total: ServerSummary; byModel: Record<string, ServerSummary> };
  training: TrainingSummary[];
  /** Empty when no `hw.gpu.*` series exist (no GPU, or @tokenmeter/host not registered). */
  gpus: GpuDevice[];
  /** `tokenmeter.gen_ai.client.cost` (unit `{USD}`), cumulative; absent while that counter has no points. */
  cost?: CostTotals;
}

/** The cost counter's cumulative values, in US dollars. */
export interface CostTotals {
  total: number;
  /** By `gen_ai.request.model`, else `gen_ai.response.model`, else `(unknown)` (as `snapshot()`'s `byModel`). */
  byModel: Record<string, number>;
}

/** Name and unit of the cost counter the cost panels read. */
export const COST_METRIC = 'tokenmeter.gen_ai.client.cost';
export const COST_UNIT = '{USD}';

type Attrs = Record<string, unknown>;
interface PointLike {
  attributes?: Attrs;
  value?: unknown;
}

function str(a: Attrs | undefined, key: string): string | undefined {
  const v = a?.[key];
  return typeof v === 'string' ? v : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function resourceMetricsOf(collection: CollectionLike | undefined): unknown[] {
  const rm = (collection as { resourceMetrics?: unknown } | undefined)?.resourceMetrics;
  if (Array.isArray(rm)) return rm;
  return rm && typeof rm === 'object' ? [rm] : [];
}

/** `service.name` of the collection's resource, if it carries one. */
export function serviceNameOf(collection: CollectionLike | undefined): string | undefined {
  for (const rm of resourceMetricsOf(collection)) {
    const attrs = (rm as { resource?: { attributes?: Attrs } }).resource?.attributes;
    const name = str(attrs, 'service.name');
    if (name) return name;
  }
  return undefined;
}

const GPU_METRICS: Record<string, 'utilization' | 'memoryUsageBytes' | 'memoryLimitBytes'> = {
  'hw.gpu.utilization': 'utilization',
  'hw.gpu.memory.usage': 'memoryUsageBytes',
  'hw.gpu.memory.limit': 'memoryLimitBytes',
};

interface MetricLike {
  descriptor?: { name?: unknown; unit?: unknown };
  dataPoints?: unknown;
}

/** Every metric of the collection, from any scope. */
function* metricsOf(collection: CollectionLike | undefined): Generator<MetricLike> {
  for (const rm of resourceMetricsOf(collection)) {
    const sms = (rm as { scopeMetrics?: unknown }).scopeMetrics;
    if (!Array.isArray(sms)) continue;
    for (const sm of sms as { metrics?: unknown }[]) {
      if (!Array.isArray(sm?.metrics)) continue;
      for (const m of sm.metrics as MetricLike[]) if (m && Array.isArray(m.dataPoints)) yield m;
    }
  }
}

/** `hw.gpu.utilization` / `.memory.usage` / `.memory.limit` per device, from any scope. */
export function gpusOf(collection: CollectionLike | undefined): GpuDevice[] {
  const devices = new Map<string, GpuDevice>();
  for (const m of metricsOf(collection)) {
    const field = GPU_METRICS[String(m.descriptor?.name)];
    if (!field) continue;
    for (const p of m.dataPoints as PointLike[]) {
      const v = finite(p?.value);
      if (v === undefined) continue;
      const task = str(p.attributes, 'hw.gpu.task');
      if (field === 'utilization' && task !== undefined && task !== 'general') continue;
      const id = str(p.attributes, 'hw.id') ?? str(p.attributes, 'hw.name') ?? 'gpu';
      let d = devices.get(id);
      if (!d) {
        d = { name: str(p.attributes, 'hw.name') ?? id };
        devices.set(id, d);
      }
      d[field] = v;
    }
  }
  return [...devices.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * `tokenmeter.gen_ai.client.cost` (unit `{USD}`, from any scope) summed in
 * total and by model; undefined while the counter has no points. A counter of
 * that name in another unit is not read: its numbers would not be dollars.
 */
export function costOf(collection: CollectionLike | undefined): CostTotals | undefined {
  let cost: CostTotals | undefined;
  for (const m of metricsOf(collection)) {
    if (m.descriptor?.name !== COST_METRIC || m.descriptor.unit !== COST_UNIT) continue;
    for (const p of m.dataPoints as PointLike[]) {
      const v = finite(p?.value);
      if (v === undefined) continue;
      const model =
        str(p.attributes, 'gen_ai.request.model') ??
        str(p.attributes, 'gen_ai.response.model') ??
        UNKNOWN_MODEL;
      cost ??= { total: 0, byModel: {} };
      cost.total += v;
      cost.byModel[model] = (cost.byModel[model] ?? 0) + v;
    }
  }
  return cost;
}

export interface BuildOptions {
  service?: string;
  intervalMillis: number;
}

/** Pure: the dashboard JSON from one snapshot and the collection it was read from. */
export function buildDashboardData(
  snapshot: LlmSnapshot,
  collection: CollectionLike | undefined,
  options: BuildOptions,
): DashboardData {
  const models = [
    ...new Set([...Object.keys(snapshot.client.byModel), ...Object.keys(snapshot.server.byModel)]),
  ].sort();
  const data: DashboardData = {
    schema: DASHBOARD_SCHEMA,
    ok: snapshot.ok,
    time: snapshot.time,
    service: options.service ?? serviceNameOf(collection) ?? 'unknown_service',
    intervalMillis: options.intervalMillis,
    semconv: snapshot.semconv,
    models,
    client: snapshot.client,
    server: snapshot.server,
    training: snapshot.training,
    gpus: gpusOf(collection),
  };
  const cost = costOf(collection);
  if (cost) data.cost = cost;
  if (snapshot.windowS !== undefined) data.windowS = snapshot.windowS;
  if (!snapshot.ok) data.error = 'metrics collection failed; see the application log';
  return data;
}
