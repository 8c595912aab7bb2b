/**
 * Prometheus names of everything the dashboard and rules query, derived from
 * the instrument definitions with the same function our exporter uses — so
 * a renamed instrument or a changed naming rule changes (and re-tests) every
 * query instead of silently breaking it.
 */
import { INSTRUMENTS } from '@tokenmeter/llm';
import { type PrometheusMetricKind, prometheusLabelName, prometheusMetricName } from '@tokenmeter/setup';

const KIND: Record<string, PrometheusMetricKind> = {
  histogram: 'histogram',
  counter: 'counter',
  updowncounter: 'updowncounter',
  gauge: 'gauge',
  observable_gauge: 'gauge',
  observable_updowncounter: 'updowncounter',
};

/**
 * Instruments of other packages, as they register them: @tokenmeter/host
 * (OTel hardware and system conventions; it has no definition table, so
 * test/observability/instrument-names.test.ts registers the real host
 * metrics against a fake NVML and checks every row here against what it
 * creates) and the OTLP exporter's SDK self-metrics (checked against the
 * demo's real scrape in test/observability/dashboard-queries.test.ts).
 */
export const EXTERNAL_INSTRUMENTS: readonly {
  readonly name: string;
  readonly unit: string;
  readonly kind: PrometheusMetricKind;
  readonly from: '@tokenmeter/host' | 'otel-sdk';
}[] = [
  { name: 'hw.gpu.utilization', unit: '1', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'hw.gpu.memory.usage', unit: 'By', kind: 'updowncounter', from: '@tokenmeter/host' },
  { name: 'hw.gpu.memory.limit', unit: 'By', kind: 'updowncounter', from: '@tokenmeter/host' },
  { name: 'hw.gpu.memory.utilization', unit: '1', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'hw.power', unit: 'W', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'hw.energy', unit: 'J', kind: 'counter', from: '@tokenmeter/host' },
  { name: 'hw.temperature', unit: 'Cel', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'system.cpu.utilization', unit: '1', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'system.memory.usage', unit: 'By', kind: 'updowncounter', from: '@tokenmeter/host' },
  { name: 'system.memory.utilization', unit: '1', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'process.cpu.utilization', unit: '1', kind: 'gauge', from: '@tokenmeter/host' },
  { name: 'process.memory.usage', unit: 'By', kind: 'updowncounter', from: '@tokenmeter/host' },
  {
    name: 'otel.sdk.exporter.metric_data_point.exported',
    unit: '{metric_data_point}',
    kind: 'counter',
    from: 'otel-sdk',
  },
];

/** OTel name → [Prometheus family name, kind]. */
const TABLE = new Map<string, readonly [string, PrometheusMetricKind]>();
for (const d of INSTRUMENTS) {
  const kind = KIND[d.kind];
  if (kind && d.shapes.includes('v1.41'))
    TABLE.set(d.name, [prometheusMetricName(d.name, d.unit, kind), kind]);
}
for (const { name, unit, kind } of EXTERNAL_INSTRUMENTS)
  TABLE.set(name, [prometheusMetricName(name, unit, kind), kind]);

/** The Prometheus name of an OTel instrument; throws for one nobody registers. */
export function prom(otelName: string): string {
  const entry = TABLE.get(otelName);
  if (!entry) throw new Error(`no instrument named ${otelName}: the dashboard must only query what we emit`);
  return entry[0];
}

/** Every Prometheus family name the queries may use (histograms: the base name). */
export function knownNames(): ReadonlySet<string> {
  return new Set([...TABLE.values()].map(([name]) => name));
}

/**
 * Every series name the exporter writes for the instruments above: a
 * histogram's `_bucket`, `_sum` and `_count` (never its bare base name), the
 * family name otherwise; plus `target_info`, which carries the resource.
 */
export function knownSeriesNames(): ReadonlySet<string> {
  const out = new Set<string>(['target_info']);
  for (const [name, kind] of TABLE.values()) {
    if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(`${name}${s}`);
    else out.add(name);
  }
  return out;
}

/**
 * Attribute keys the queries group or filter by. The tests check each one
 * against the definitions: `@tokenmeter/llm` keys against `INSTRUMENTS`,
 * host keys against the attributes the real host instruments record.
 */
export const ATTRIBUTES = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  model: 'gen_ai.request.model',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  finishReason: 'tokenmeter.finish_reason',
  stage: 'tokenmeter.stage',
  worker: 'tokenmeter.worker.id',
  run: 'tokenmeter.training.run',
  costTokenType: 'tokenmeter.cost.token_type',
  serviceTier: 'tokenmeter.service_tier',
  unpricedReason: 'tokenmeter.cost.unpriced_reason',
  hwName: 'hw.name',
  hwType: 'hw.type',
  gpuTask: 'hw.gpu.task',
  cpuMode: 'cpu.mode',
  memoryState: 'system.memory.state',
} as const;

/** Label names, from the attribute keys with the exporter's own rule. */
export const L = Object.fromEntries(
  Object.entries(ATTRIBUTES).map(([k, key]) => [k, prometheusLabelName(key)]),
) as { readonly [K in keyof typeof ATTRIBUTES]: string };
