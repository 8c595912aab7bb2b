import type { Attributes } from '@opentelemetry/api';
import { PrometheusSerializer as StockSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader as TestReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PrometheusMetricKind,
  prometheusLabelName,
  prometheusMetricName,
} from '../src/prometheus-naming.js';
import { PrometheusSerializer } from '../src/prometheus-serializer.js';
import { parseExposition, type Sample, sampleMap, seriesKey } from './helpers/prom-text.js';
import { promtoolCheckMetrics } from './helpers/promtool.js';

async function collect(reader: TestReader): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

function expectPromtoolOk(body: string): string {
  const { ok, output } = promtoolCheckMetrics(body);
  if (!ok) throw new Error(`promtool rejected the exposition:\n${output}\n--- body ---\n${body}`);
  return output;
}

function find(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

function only(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples for ${name} ${JSON.stringify(labels)}`);
  return found[0] as Sample;
}

const NASTY = 'quote " backslash \\ newline \n tab \t unicode ✓ 日本 🚀';

/** Everything the SDK can produce except exponential histograms, recorded once. */
async function richCollection(): Promise<{ reader: TestReader; rm: ResourceMetrics }> {
  const reader = new TestReader();
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({
      'service.name': 'svc',
      'process.command_args': ['node', 'app.js', '--token=secret'],
      'process.command_line': 'node app.js --token=secret',
      'host.name': 'h"1',
    }),
  });
  const meter = provider.getMeter('tokenmeter.test', '1.2.3');
  const other = provider.getMeter('other.scope');

  const tokens = meter.createCounter('gen_ai.client.token.count', { unit: '{token}', description: 'Tokens' });
  tokens.add(10, { 'gen_ai.token.type': 'input', 'gen_ai.request.model': 'gpt-4o' });
  tokens.add(5, { 'gen_ai.token.type': 'input', 'gen_ai.request.model': 'gpt-4o' });
  tokens.add(7, { 'gen_ai.token.type': 'output', 'gen_ai.request.model': 'gpt-4o' });
  // Same metric from a second meter: must merge under one TYPE.
  other
    .createCounter('gen_ai.client.token.count', { unit: '{token}' })
    .add(3, { 'gen_ai.token.type': 'input' });

  const energy = meter.createCounter('hw.energy', { unit: 'J', description: 'Energy\nwith a \\ backslash' });
  energy.add(1.5, { nasty: NASTY });

  const memory = meter.createUpDownCounter('hw.gpu.memory.usage', { unit: 'By' });
  memory.add(100, { 'hw.id': 'gpu0' });
  memory.add(-30, { 'hw.id': 'gpu0' });
  memory.add(-5, { 'hw.id': 'gpu1' });

  const utilization = meter.createGauge('hw.gpu.utilization', { unit: '1' });
  utilization.record(0.25, { 'hw.id': 'gpu0' });
  utilization.record(Number.NaN, { 'hw.id': 'nan' });
  utilization.record(Number.POSITIVE_INFINITY, { 'hw.id': 'inf' });
  utilization.record(Number.NEGATIVE_INFINITY, { 'hw.id': 'minf' });
  utilization.record(1e21, { 'hw.id': 'big' });
  utilization.record(1e-7, { 'hw.id': 'tiny' });

  meter.createObservableGauge('hw.temperature', { unit: 'Cel' }).addCallback((result) => {
    result.observe(61.5, { 'hw.id': 'gpu0' });
    // Colliding keys: `a.b` and `a_b` both sanitise to `a_b`; `1x` gets `key_`.
    result.observe(70, { 'a.b': 'dot', a_b: 'underscore', '1x': 'digit', __name__: 'reserved' });
  });

  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1, 10] },
  });
  for (const v of [0.05, 0.1, 0.5, 2, 20, 30]) duration.record(v, { 'gen_ai.operation.name': 'chat' });
  // An attribute called `le` cannot survive on a histogram.
  duration.record(0.5, { 'gen_ai.operation.name': 'embeddings', le: 'attr' });

  const usage = meter.createHistogram('gen_ai.client.token.usage', {
    unit: '{token}',
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] },
  });
  usage.record(100, { 'gen_ai.token.type': 'input' });
  usage.record(5000, { 'gen_ai.token.type': 'input' });

  const rm = await collect(reader);
  return { reader, rm };
}

describe('PrometheusSerializer (otel naming)', () => {
  it('renders a collection Prometheus accepts, with exact values', async () => {
    const { rm } = await richCollection();
    const body = await new PrometheusSerializer().serialize(rm);
    const lint = expectPromtoolOk(body);
    // Lint hints only: no HELP for instruments without a description, and names promtool dislikes.
    expect(lint).not.toMatch(/parsing error/);

    const { samples, types, helps } = parseExposition(body);
    expect(types.get('gen_ai_client_token_count_total')).toBe('counter');
    expect(types.get('hw_energy_joules_total')).toBe('counter');
    expect(types.get('hw_gpu_memory_usage_bytes')).toBe('gauge');
    expect(types.get('hw_gpu_utilization_ratio')).toBe('gauge');
    expect(types.get('hw_temperature_celsius')).toBe('gauge');
    expect(types.get('gen_ai_client_operation_duration_seconds')).toBe('histogram');
    expect(types.get('gen_ai_client_token_usage')).toBe('histogram');
    expect(types.get('target_info')).toBe('gauge');
    expect(helps.get('gen_ai_client_token_count_total')).toBe('Tokens');
    expect(helps.get('hw_energy_joules_total')).toBe('Energy\nwith a \\ backslash');
    // No description: the fallback names the OTel instrument and its unit.
    expect(helps.get('hw_gpu_memory_usage_bytes')).toBe(
      'hw.gpu.memory.usage (unit By); no description given',
    );
    expect(helps.get('gen_ai_client_token_usage')).toBe(
      'gen_ai.client.token.usage (unit {token}); no description given',
    );
    // Every family has a HELP line, so promtool's linter has nothing to say about help text.
    expect(promtoolCheckMetrics(body).output).not.toMatch(/no help text/);
    for (const name of types.keys()) expect(helps.has(name), name).toBe(true);

    const scope = { otel_scope_name: 'tokenmeter.test', otel_scope_version: '1.2.3' };
    expect(
      only(samples, 'gen_ai_client_token_count_total', { ...scope, gen_ai_token_type: 'input' }).value,
    ).toBe(15);
    expect(only(samples, 'gen_ai_client_token_count_total', { gen_ai_token_type: 'output' }).value).toBe(7);
    const fromOther = only(samples, 'gen_ai_client_token_count_total', { otel_scope_name: 'other.scope' });
    expect(fromOther.value).toBe(3);
    expect(fromOther.labels).toEqual({ gen_ai_token_type: 'input', otel_scope_name: 'other.scope' });

    expect(only(samples, 'hw_energy_joules_total').labels.nasty).toBe(NASTY);
    expect(only(samples, 'hw_energy_joules_total').value).toBe(1.5);
    expect(only(samples, 'hw_gpu_memory_usage_bytes', { hw_id: 'gpu0' }).value).toBe(70);
    expect(only(samples, 'hw_gpu_memory_usage_bytes', { hw_id: 'gpu1' }).value).toBe(-5);

    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'gpu0' }).value).toBe(0.25);
    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'nan' }).value).toBeNaN();
    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'inf' }).value).toBe(Number.POSITIVE_INFINITY);
    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'minf' }).value).toBe(Number.NEGATIVE_INFINITY);
    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'big' }).value).toBe(1e21);
    expect(only(samples, 'hw_gpu_utilization_ratio', { hw_id: 'tiny' }).value).toBe(1e-7);
    expect(body).toMatch(/hw_gpu_utilization_ratio\{hw_id="inf",[^}]*\} \+Inf\n/);

    const collided = only(samples, 'hw_temperature_celsius', { key_1x: 'digit' });
    // Values of colliding keys joined with `;` in sorted original-key order: `a.b` < `a_b`.
    expect(collided.labels.a_b).toBe('dot;underscore');
    expect(collided.labels.key__name__).toBe('reserved');
    expect(collided.value).toBe(70);

    const chat = { ...scope, gen_ai_operation_name: 'chat' };
    const bucket = (le: string) =>
      only(samples, 'gen_ai_client_operation_duration_seconds_bucket', { ...chat, le });
    expect(bucket('0.1').value).toBe(2); // 0.05, 0.1 (upper bounds are inclusive)
    expect(bucket('1').value).toBe(3);
    expect(bucket('10').value).toBe(4);
    expect(bucket('+Inf').value).toBe(6);
    expect(find(samples, 'gen_ai_client_operation_duration_seconds_bucket', chat)).toHaveLength(4);
    expect(only(samples, 'gen_ai_client_operation_duration_seconds_count', chat).value).toBe(6);
    expect(only(samples, 'gen_ai_client_operation_duration_seconds_sum', chat).value).toBeCloseTo(52.65, 10);
    const embeddings = find(samples, 'gen_ai_client_operation_duration_seconds_bucket', {
      gen_ai_operation_name: 'embeddings',
    });
    expect(embeddings.map((s) => s.labels.le)).toEqual(['0.1', '1', '10', '+Inf']);
    expect(
      only(samples, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_operation_name: 'embeddings' })
        .labels,
    ).not.toHaveProperty('le');

    const usageBuckets = find(samples, 'gen_ai_client_token_usage_bucket');
    expect(usageBuckets).toHaveLength(12);
    expect(only(samples, 'gen_ai_client_token_usage_bucket', { le: '256' }).value).toBe(1);
    expect(only(samples, 'gen_ai_client_token_usage_bucket', { le: '16384' }).value).toBe(2);

    const target = only(samples, 'target_info');
    expect(target.value).toBe(1);
    expect(target.labels.service_name).toBe('svc');
    expect(target.labels.host_name).toBe('h"1');
    expect(target.labels).not.toHaveProperty('process_command_args');
    expect(target.labels).not.toHaveProperty('process_command_line');
    expect(target.labels).not.toHaveProperty('otel_scope_name');
    expect(body).not.toContain('secret');

    // Merged families: exactly one TYPE line per name (the parser also throws on a second).
    expect(body.match(/^# TYPE gen_ai_client_token_count_total /gm)).toHaveLength(1);
    // sync and async share the code path.
    expect(new PrometheusSerializer().serializeSync(rm)).toBe(body);
  });

  it('honours withoutScopeInfo, withoutTargetInfo, prefix, deny list and yieldEvery', async () => {
    const { rm } = await richCollection();
    const plain = await new PrometheusSerializer({
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    }).serialize(rm);
    expect(plain).not.toContain('otel_scope_');
    expect(plain).not.toContain('target_info');

    const prefixed = await new PrometheusSerializer({ prefix: 'app', yieldEvery: 1 }).serialize(rm);
    expectPromtoolOk(prefixed);
    expect(prefixed).toContain('# TYPE app_hw_energy_joules_total counter');
    expect(prefixed).toContain('# TYPE target_info gauge');

    const allowAll = await new PrometheusSerializer({ resourceAttributeDenyList: [] }).serialize(rm);
    expect(only(parseExposition(allowAll).samples, 'target_info').labels.process_command_args).toBe(
      '["node","app.js","--token=secret"]',
    );
    // Yielding changes nothing in the output.
    expect(await new PrometheusSerializer({ yieldEvery: 1 }).serialize(rm)).toBe(
      await new PrometheusSerializer({ yieldEvery: 0 }).serialize(rm),
    );
  });

  it('keeps the event loop responsive between chunks', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const h = provider.getMeter('m').createHistogram('h', { unit: 's' });
    for (let i = 0; i < 300; i++) h.record(i, { i: String(i) });
    const rm = await collect(reader);
    let immediates = 0;
    // Queued before serialize starts; runs only if serialize pauses before finishing.
    setImmediate(() => {
      immediates++;
    });
    const pending = new PrometheusSerializer({ yieldEvery: 10 }).serialize(rm);
    expect(immediates).toBe(0);
    const body = await pending;
    expect(immediates).toBe(1);
    expect(find(parseExposition(body).samples, 'h_seconds_count')).toHaveLength(300);
  });

  it('serves steady-state scrapes from the label cache without going stale', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const counter = provider.getMeter('m').createCounter('c');
    const attrs: Attributes = { k: 'v1' };
    counter.add(1, attrs);
    const serializer = new PrometheusSerializer({ withoutTargetInfo: true, withoutScopeInfo: true });
    expect(await serializer.serialize(await collect(reader))).toBe(
      '# HELP c_total c; no description given\n# TYPE c_total counter\nc_total{k="v1"} 1\n',
    );
    counter.add(2, attrs);
    const rm = await collect(reader);
    const point = rm.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
    // The SDK hands back the very object we recorded with: that is what the cache relies on.
    expect(point?.attributes).toBe(attrs);
    expect(await serializer.serialize(rm)).toBe(
      '# HELP c_total c; no description given\n# TYPE c_total counter\nc_total{k="v1"} 3\n',
    );
    // Mutating a recorded attributes object is a caller bug, but must not serve a stale label.
    attrs.k = 'v2';
    attrs.extra = 'x';
    expect(await serializer.serialize(rm)).toBe(
      '# HELP c_total c; no description given\n# TYPE c_total counter\nc_total{k="v2",extra="x"} 3\n',
    );
  });

  it('renders target_info once per resource and format, and again for another resource', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({
      readers: [reader],
      resource: resourceFromAttributes({ 'service.name': 'a', 'host.id': 'h-1' }),
    });
    provider
      .getMeter('m')
      .createCounter('c')
      .add(1, Object.freeze({ k: 'v' }));
    const rm = await collect(reader);
    const serializer = new PrometheusSerializer({ withoutScopeInfo: true });
    const info = (body: string) => body.split('\n').filter((l) => l.startsWith('target_info'));
    const text = await serializer.serialize(rm);
    expect(info(text)).toEqual(['target_info{service_name="a",host_id="h-1"} 1']);
    expect(await serializer.serialize(rm)).toBe(text);
    // Both formats from one resource: each its own rendering.
    const om = await serializer.serialize(rm, 'openmetrics');
    expect(om).toContain('# TYPE target info\n');
    expect(info(om)).toEqual(['target_info{service_name="a",host_id="h-1"} 1']);
    expect(await serializer.serialize(rm)).toBe(text);
    // Another resource (another attributes object) is rendered anew.
    const other = { ...rm, resource: resourceFromAttributes({ 'service.name': 'b' }) };
    expect(info(await serializer.serialize(other))).toEqual(['target_info{service_name="b"} 1']);
    expect(info(await serializer.serialize(other, 'openmetrics'))).toEqual([
      'target_info{service_name="b"} 1',
    ]);
    // A frozen attributes object cannot change: its series keeps its cached labels, in both formats.
    expect(text).toContain('c_total{k="v"} 1\n');
    expect(om).toContain('c_total{k="v"} 1\n');
  });

  it('drops exponential histograms with a warning and stays valid', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('m');
    meter.createHistogram('exp', { unit: 's' }).record(1);
    meter.createCounter('kept').add(1);
    const rm = await collect(reader);
    expect(
      rm.scopeMetrics[0]?.metrics.some((m) => m.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM),
    ).toBe(true);
    const body = await new PrometheusSerializer().serialize(rm);
    expectPromtoolOk(body);
    expect(body).not.toContain('exp');
    expect(body).toContain('kept_total');
  });

  it('keeps the first type when two metrics of different kinds share a name', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('a').createCounter('jobs').add(1);
    provider.getMeter('b').createGauge('jobs.total').record(5);
    const body = await new PrometheusSerializer({ withoutTargetInfo: true }).serialize(await collect(reader));
    expectPromtoolOk(body);
    expect(parseExposition(body).samples).toEqual([
      { name: 'jobs_total', labels: { otel_scope_name: 'a' }, value: 1 },
    ]);
  });
});

/** Maps a stock sample name to ours, per the documented differences (unit suffixes). */
function stockToOtelNames(rm: ResourceMetrics): Map<string, string> {
  const names = new Map<string, string>();
  for (const { metrics } of rm.scopeMetrics) {
    for (const metric of metrics) {
      const kind: PrometheusMetricKind =
        metric.dataPointType === DataPointType.SUM
          ? metric.isMonotonic
            ? 'counter'
            : 'updowncounter'
          : metric.dataPointType === DataPointType.GAUGE
            ? 'gauge'
            : 'histogram';
      const { name, unit } = metric.descriptor;
      const stock = prometheusMetricName(name, unit, kind, { naming: 'stock' });
      const otel = prometheusMetricName(name, unit, kind);
      names.set(stock, otel);
      if (kind === 'histogram') {
        for (const s of ['_bucket', '_sum', '_count']) names.set(stock + s, otel + s);
      }
    }
  }
  return names;
}

describe('PrometheusSerializer vs @opentelemetry/exporter-prometheus 0.301.0', () => {
  /** The stock exporter only handles inputs without key collisions, `le` or leading digits. */
  async function compatibleCollection(): Promise<ResourceMetrics> {
    const reader = new TestReader();
    const provider = new MeterProvider({
      readers: [reader],
      resource: resourceFromAttributes({ 'service.name': 'svc', 'host.name': 'h' }),
    });
    const meter = provider.getMeter('tokenmeter.test', '1.2.3');
    const other = provider.getMeter('other', undefined, {
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    });
    meter.createCounter('gen_ai.client.token.count', { unit: '{token}' }).add(10, { type: 'input' });
    other.createCounter('gen_ai.client.token.count', { unit: '{token}' }).add(3, { type: 'output' });
    meter.createCounter('hw.energy', { unit: 'J' }).add(2.25, { nasty: NASTY, 'a.b': 1, flag: true });
    meter.createUpDownCounter('hw.gpu.memory.usage', { unit: 'By' }).add(-12, { 'hw.id': 'gpu0' });
    const g = meter.createGauge('hw.gpu.utilization', { unit: '1' });
    g.record(Number.NaN, { v: 'nan' });
    g.record(Number.POSITIVE_INFINITY, { v: 'inf' });
    g.record(0.1 + 0.2, { v: 'float' });
    meter.createObservableGauge('hw.temperature', { unit: 'Cel' }).addCallback((r) => r.observe(55));
    const h = meter.createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.5, 1e-7, 100] },
    });
    for (const v of [0.001, 0.3, 7, 1000]) h.record(v, { op: 'chat' });
    meter.createHistogram('gauge.hist', { unit: 'By' }); // no points: no output from either
    return collect(reader);
  }

  function comparable(body: string): Map<string, number> {
    // target_info differs by design (deny list); stock renders `# UNIT`, a comment to 0.0.4 readers.
    return sampleMap(parseExposition(body).samples.filter((s) => s.name !== 'target_info'));
  }

  it("'stock' naming gives the stock exporter's samples, value for value", async () => {
    const rm = await compatibleCollection();
    const stockBody = new StockSerializer().serialize(rm);
    const ours = await new PrometheusSerializer({ naming: 'stock' }).serialize(rm);
    expectPromtoolOk(stockBody);
    expectPromtoolOk(ours);
    const expected = comparable(stockBody);
    const actual = comparable(ours);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, value] of expected) expect(actual.get(key), key).toBe(value);
    // Same TYPE lines too.
    expect(parseExposition(ours).types).toEqual(parseExposition(stockBody).types);
  });

  it("'otel' naming differs only by the documented renames", async () => {
    const rm = await compatibleCollection();
    const rename = stockToOtelNames(rm);
    const stock = parseExposition(new StockSerializer().serialize(rm)).samples.filter(
      (s) => s.name !== 'target_info',
    );
    const expected = new Map<string, number>();
    for (const s of stock) {
      const name = rename.get(s.name);
      if (name === undefined) throw new Error(`no rename for ${s.name}`);
      expected.set(seriesKey(name, s.labels), s.value);
    }
    const actual = comparable(await new PrometheusSerializer().serialize(rm));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, value] of expected) expect(actual.get(key), key).toBe(value);
  });
});

describe('PrometheusSerializer, property: any names, units, keys and values', () => {
  // Mostly the characters that matter to escaping and sanitising, plus any code point.
  const char = fc.oneof(
    fc.constantFrom(
      '"',
      '\\',
      '\n',
      '.',
      '_',
      '-',
      ':',
      '/',
      '{',
      '}',
      ' ',
      'a',
      'Z',
      '1',
      '\uD800',
      '\uDC00',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
  const text = fc.string({ unit: char, maxLength: 12 });
  const otelName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_./-]{0,20}$/);
  const unit = fc.oneof(
    fc.constantFrom('', '1', 's', 'ms', 'By', 'By/s', '{token}', '{req}/s', 'Cel', '%', 'J', 'KiBy'),
    text,
  );
  const attributes = fc.dictionary(
    fc.oneof(text, fc.constantFrom('le', 'a.b', 'a_b', '__name__', 'otel_scope_name')),
    text,
    {
      maxKeys: 4,
    },
  );
  const value = fc.oneof(
    fc.double({ min: 0, noNaN: false }),
    fc.constantFrom(0, 1, 1e21, 1e-300, Number.POSITIVE_INFINITY, Number.NaN),
  );
  const instrument = fc.record({
    name: fc.oneof(otelName, text),
    unit,
    kind: fc.constantFrom('counter', 'updowncounter', 'gauge', 'histogram'),
    points: fc.array(fc.record({ attributes, value }), { minLength: 1, maxLength: 3 }),
  });

  it('always passes promtool and round-trips label values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(instrument, { minLength: 1, maxLength: 8 }), async (instruments) => {
        const reader = new TestReader();
        const provider = new MeterProvider({ readers: [reader] });
        instruments.forEach((spec, i) => {
          // One meter per instrument keeps them apart by otel_scope_name.
          const meter = provider.getMeter(`case${i}`);
          const opts = { unit: spec.unit };
          for (const p of spec.points) {
            if (spec.kind === 'counter') meter.createCounter(spec.name, opts).add(p.value, p.attributes);
            else if (spec.kind === 'updowncounter')
              meter.createUpDownCounter(spec.name, opts).add(p.value, p.attributes);
            else if (spec.kind === 'gauge') meter.createGauge(spec.name, opts).record(p.value, p.attributes);
            else meter.createHistogram(spec.name, opts).record(p.value, p.attributes);
          }
        });
        const body = await new PrometheusSerializer().serialize(await collect(reader));
        const { samples } = parseExposition(body);
        expectPromtoolOk(body);

        instruments.forEach((spec, i) => {
          const mine = samples.filter((s) => s.labels.otel_scope_name === `case${i}`);
          for (const p of spec.points) {
            const groups = new Map<string, string[]>();
            for (const key of Object.keys(p.attributes)) {
              const label = prometheusLabelName(key);
              groups.set(label, [...(groups.get(label) ?? []), key]);
            }
            for (const [label, keys] of groups) {
              if (keys.length !== 1 || label === 'le' || label.startsWith('otel_scope_')) continue;
              const original = p.attributes[keys[0] as string] as string;
              // Lone surrogates cannot be sent as UTF-8; Prometheus would reject them.
              const sent = original.replace(
                /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
                '\uFFFD',
              );
              if (mine.length > 0) expect(mine.some((s) => s.labels[label] === sent)).toBe(true);
            }
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
