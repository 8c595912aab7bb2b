import { diag } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusSerializer } from '../src/prometheus-serializer.js';
import { captureWarnings } from './helpers/diag.js';
import { type OmFamily, parseOpenMetrics } from './helpers/openmetrics-text.js';
import { parseExposition } from './helpers/prom-text.js';

afterEach(() => diag.disable());

/** Every kind the SDK produces, recorded once through a stock SDK provider. */
async function collection(): Promise<ResourceMetrics> {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ 'service.name': 'svc', 'host.name': 'h"1' }),
  });
  const meter = provider.getMeter('tokenmeter.test', '1.2.3');
  const tokens = meter.createCounter('gen_ai.client.token.count', {
    unit: '{token}',
    description: 'Say "tokens"',
  });
  tokens.add(10, { 'gen_ai.token.type': 'input' });
  tokens.add(7, { 'gen_ai.token.type': 'output' });
  meter.createCounter('hw.energy', { unit: 'J' }).add(1.5, { 'hw.id': 'gpu0' });
  meter.createUpDownCounter('hw.gpu.memory.usage', { unit: 'By' }).add(100, { 'hw.id': 'gpu0' });
  meter.createGauge('hw.gpu.utilization', { unit: '1' }).record(0.25, { 'hw.id': 'gpu0' });
  // `seconds` is in the name, but not at its end: no `# UNIT` (it must be a suffix).
  meter.createGauge('seconds.left', { unit: 's' }).record(3);
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.1, 1, 10, 1e6] },
  });
  for (const v of [0.001, 0.05, 0.5, 2, 20]) duration.record(v, { 'gen_ai.operation.name': 'chat' });
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

function family(families: Map<string, OmFamily>, name: string): OmFamily {
  const f = families.get(name);
  if (f === undefined) throw new Error(`no family ${name}: ${[...families.keys()].join(', ')}`);
  return f;
}

/** `name{labels}` with the le label read as a number, so `1` and `1.0` compare equal. */
function key(name: string, labels: Record<string, string>): string {
  const { le, ...rest } = labels;
  const sorted = Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${name}${JSON.stringify(sorted)}${le === undefined ? '' : ` le=${Number(le)}`}`;
}

describe('PrometheusSerializer, OpenMetrics 1.0', () => {
  it('writes what a strict OpenMetrics reader accepts, with the same samples as the text format', async () => {
    const rm = await collection();
    const serializer = new PrometheusSerializer();
    const om = await serializer.serialize(rm, 'openmetrics');
    const families = parseOpenMetrics(om);

    const tokens = family(families, 'gen_ai_client_token_count');
    expect(tokens.type).toBe('counter');
    expect(tokens.unit).toBeUndefined(); // `{token}` is an annotation: no unit.
    expect(tokens.help).toBe('Say "tokens"');
    expect(new Set(tokens.samples.map((s) => s.name))).toEqual(
      new Set(['gen_ai_client_token_count_total', 'gen_ai_client_token_count_created']),
    );
    expect(family(families, 'hw_energy_joules')).toMatchObject({ type: 'counter', unit: 'joules' });
    expect(family(families, 'hw_gpu_memory_usage_bytes')).toMatchObject({ type: 'gauge', unit: 'bytes' });
    expect(family(families, 'hw_gpu_utilization_ratio')).toMatchObject({ type: 'gauge', unit: 'ratio' });
    expect(family(families, 'seconds_left')).toMatchObject({ type: 'gauge', unit: undefined });
    const duration = family(families, 'gen_ai_client_operation_duration_seconds');
    expect(duration).toMatchObject({ type: 'histogram', unit: 'seconds' });
    // Canonical numbers for le (the spec's "1.0", "1e+06"), the shortest form elsewhere.
    expect(duration.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le)).toEqual([
      '0.005',
      '0.1',
      '1.0',
      '10.0',
      '1e+06',
      '+Inf',
    ]);
    const target = family(families, 'target');
    expect(target.type).toBe('info');
    expect(target.samples).toEqual([
      expect.objectContaining({
        name: 'target_info',
        value: 1,
        labels: expect.objectContaining({ host_name: 'h"1' }),
      }),
    ]);

    // Every sample of the text format is there with the same value, and nothing else but `_created`.
    const text = parseExposition(await serializer.serialize(rm)).samples;
    const fromText = new Map(text.map((s) => [key(s.name, s.labels), s.value]));
    const fromOm = new Map(
      [...families.values()]
        .flatMap((f) => f.samples)
        .filter((s) => !s.name.endsWith('_created'))
        .map((s) => [key(s.name, s.labels), s.value]),
    );
    expect(fromOm).toEqual(fromText);
  });

  it('writes each cumulative series’ start time as _created, in seconds', async () => {
    const rm = await collection();
    const families = parseOpenMetrics(await new PrometheusSerializer().serialize(rm, 'openmetrics'));
    const starts = new Map<string, number>();
    for (const { metrics } of rm.scopeMetrics) {
      for (const m of metrics) {
        for (const p of m.dataPoints) starts.set(m.descriptor.name, p.startTime[0] + p.startTime[1] / 1e9);
      }
    }
    const created = (name: string) =>
      family(families, name).samples.filter((s) => s.name.endsWith('_created'));
    for (const [prom, otel, series] of [
      ['gen_ai_client_token_count', 'gen_ai.client.token.count', 2],
      ['hw_energy_joules', 'hw.energy', 1],
      ['gen_ai_client_operation_duration_seconds', 'gen_ai.client.operation.duration', 1],
    ] as const) {
      const samples = created(prom);
      expect(samples).toHaveLength(series);
      for (const s of samples) expect(s.value).toBeCloseTo(starts.get(otel) ?? 0, 3);
    }
    // Gauges have no start.
    expect(family(families, 'hw_gpu_memory_usage_bytes').samples.map((s) => s.name)).toEqual([
      'hw_gpu_memory_usage_bytes',
    ]);

    const without = await new PrometheusSerializer({ withoutCreated: true }).serialize(rm, 'openmetrics');
    expect(without).not.toContain('_created');
    parseOpenMetrics(without);
  });

  it('names _created after the family that owns a name now, not one that had it in an earlier scrape', async () => {
    // A gauge `jobs.total` and a counter `jobs` both map to `jobs_total`; whichever a scrape
    // holds owns the name there. The counter's family is `jobs`, its start `jobs_created`.
    const serializer = new PrometheusSerializer({ withoutTargetInfo: true, withoutScopeInfo: true });
    const gaugeReader = new TestMetricReader();
    new MeterProvider({ readers: [gaugeReader] }).getMeter('m').createGauge('jobs.total').record(3);
    const counterReader = new TestMetricReader();
    new MeterProvider({ readers: [counterReader] }).getMeter('m').createCounter('jobs').add(4);
    const gauge = await serializer.serialize((await gaugeReader.collect()).resourceMetrics, 'openmetrics');
    expect(gauge).toContain('\njobs_total 3\n');
    const counter = await serializer.serialize(
      (await counterReader.collect()).resourceMetrics,
      'openmetrics',
    );
    const jobs = family(parseOpenMetrics(counter), 'jobs');
    expect(jobs.samples.map((x) => x.name)).toEqual(['jobs_total', 'jobs_created']);
  });

  it('writes a counter whose name cannot end in _total as unknown, and leaves exponential histograms out once', async () => {
    const warnings = captureWarnings();
    const reader = new TestMetricReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('m');
    meter.createCounter('total').add(4);
    meter.createHistogram('exp').record(1);
    const { resourceMetrics } = await reader.collect();
    const serializer = new PrometheusSerializer({ withoutTargetInfo: true, withoutScopeInfo: true });
    const body = await serializer.serialize(resourceMetrics, 'openmetrics');
    await serializer.serialize(resourceMetrics, 'openmetrics');
    expect(body).toBe('# TYPE total unknown\n# HELP total total; no description given\ntotal 4\n# EOF\n');
    parseOpenMetrics(body);
    expect(warnings.filter((w) => w.includes('"exp" is an exponential histogram'))).toHaveLength(1);
  });

  it('is empty but for # EOF when nothing was recorded', async () => {
    const reader = new TestMetricReader();
    new MeterProvider({ readers: [reader] });
    const { resourceMetrics } = await reader.collect();
    const body = await new PrometheusSerializer({ withoutTargetInfo: true }).serialize(
      resourceMetrics,
      'openmetrics',
    );
    expect(body).toBe('# EOF\n');
  });
});
