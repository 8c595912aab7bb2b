import { diag } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtobufSerializer } from '../src/protobuf-serializer.js';
import { ProtobufWriter } from '../src/protobuf-writer.js';
import { captureWarnings } from './helpers/diag.js';
import { decodeFamilies, labelsOf, nativeBuckets, type PbFamily } from './helpers/prometheus-protobuf.js';

afterEach(() => diag.disable());

function family(families: PbFamily[], name: string): PbFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}: ${families.map((x) => x.name).join(', ')}`);
  return f;
}

async function exponential(
  values: readonly number[],
  maxSize = 160,
): Promise<{ rm: ResourceMetrics; scale: number }> {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: 'latency',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } },
      },
    ],
  });
  const h = provider.getMeter('m').createHistogram('latency', { unit: 's' });
  for (const v of values) h.record(v, { route: '/chat' });
  const { resourceMetrics: rm } = await reader.collect();
  const point = rm.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
  return { rm, scale: (point?.value as { scale: number } | undefined)?.scale ?? Number.NaN };
}

/**
 * Prometheus' bucket of `v` at `schema`, from the definition (bucket j holds
 * (2^((j-1)/2^schema), 2^(j/2^schema)]), or undefined when `v` lies so close
 * to a boundary that float rounding could put it on either side.
 */
function expectedBucket(v: number, schema: number): number | undefined {
  const x = Math.log2(v) * 2 ** schema;
  const j = Math.ceil(x);
  if (Math.abs(x - Math.round(x)) < 1e-6 && !Number.isInteger(Math.log2(v))) return undefined;
  return j;
}

describe('ProtobufSerializer', () => {
  it('writes counters, gauges and classic histograms as Prometheus reads them', async () => {
    const reader = new TestMetricReader();
    const provider = new MeterProvider({
      readers: [reader],
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
    });
    const meter = provider.getMeter('tokenmeter.test', '1.2.3');
    meter.createCounter('hw.energy', { unit: 'J', description: 'Energy ✓' }).add(1.5, { 'hw.id': 'gpu0' });
    meter.createUpDownCounter('queue.size').add(-3);
    meter.createGauge('hw.gpu.utilization', { unit: '1' }).record(0.25, { bad: 'x\uD800' });
    const h = meter.createHistogram('duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    });
    for (const v of [0.05, 0.5, 0.7, 5]) h.record(v, { le: 'dropped', route: '/a' });
    const { resourceMetrics: rm } = await reader.collect();
    const start = rm.scopeMetrics[0]?.metrics[0]?.dataPoints[0]?.startTime ?? [0, 0];

    const families = decodeFamilies(Buffer.concat(await new ProtobufSerializer().serializeChunks(rm)));
    expect(families.map((f) => f.name)).toEqual([
      'target_info',
      'hw_energy_joules_total',
      'queue_size',
      'hw_gpu_utilization_ratio',
      'duration_seconds',
    ]);
    const target = family(families, 'target_info');
    expect(target.type).toBe('GAUGE');
    expect(target.metric?.[0]?.gauge?.value).toBe(1);
    expect(labelsOf(target.metric?.[0] ?? {})).toMatchObject({ service_name: 'svc' });

    const energy = family(families, 'hw_energy_joules_total');
    expect(energy).toMatchObject({ type: 'COUNTER', unit: 'joules', help: 'Energy ✓' });
    const counter = energy.metric?.[0];
    expect(counter?.counter?.value).toBe(1.5);
    expect(counter?.counter?.createdTimestamp?.seconds).toBe(start[0]);
    expect(labelsOf(counter ?? {})).toEqual({
      hw_id: 'gpu0',
      otel_scope_name: 'tokenmeter.test',
      otel_scope_version: '1.2.3',
    });
    expect(family(families, 'queue_size').metric?.[0]?.gauge?.value).toBe(-3);
    const utilization = family(families, 'hw_gpu_utilization_ratio');
    expect(utilization.unit).toBe('ratio');
    // Protobuf strings must be UTF-8: a lone surrogate becomes U+FFFD, as in the text formats.
    expect(labelsOf(utilization.metric?.[0] ?? {}).bad).toBe('x\uFFFD');

    const duration = family(families, 'duration_seconds');
    expect(duration).toMatchObject({ type: 'HISTOGRAM', unit: 'seconds' });
    const hist = duration.metric?.[0]?.histogram;
    expect(hist?.sampleCount).toBe(4);
    expect(hist?.sampleSum).toBeCloseTo(6.25, 12);
    expect(hist?.bucket?.map((b) => [b.upperBound, b.cumulativeCount])).toEqual([
      [0.1, 1],
      [1, 3],
      [Number.POSITIVE_INFINITY, 4],
    ]);
    expect(hist?.schema ?? 0).toBe(0);
    expect(hist?.positiveSpan ?? []).toEqual([]);
    expect(labelsOf(duration.metric?.[0] ?? {})).not.toHaveProperty('le');
  });

  it('encodes target_info once per resource, anew for another, and leaves it out for an empty one', async () => {
    const reader = new TestMetricReader();
    const provider = new MeterProvider({
      readers: [reader],
      resource: resourceFromAttributes({ 'service.name': 'a', 'host.id': 'h-1' }),
    });
    provider.getMeter('m').createCounter('c').add(1);
    const { resourceMetrics: rm } = await reader.collect();
    const serializer = new ProtobufSerializer({ withoutScopeInfo: true });
    const targetOf = async (r: ResourceMetrics) => {
      const families = decodeFamilies(Buffer.concat(await serializer.serializeChunks(r)));
      return { names: families.map((f) => f.name), families };
    };
    const first = await targetOf(rm);
    expect(labelsOf(family(first.families, 'target_info').metric?.[0] ?? {})).toEqual({
      service_name: 'a',
      host_id: 'h-1',
    });
    // The second scrape of the same resource is the same body, the counter included.
    const again = Buffer.concat(await serializer.serializeChunks(rm));
    expect(
      again.equals(
        Buffer.concat(await new ProtobufSerializer({ withoutScopeInfo: true }).serializeChunks(rm)),
      ),
    ).toBe(true);
    const other = await targetOf({ ...rm, resource: resourceFromAttributes({ 'service.name': 'b' }) });
    expect(labelsOf(family(other.families, 'target_info').metric?.[0] ?? {})).toEqual({ service_name: 'b' });
    expect(family(other.families, 'c_total').metric?.[0]?.counter?.value).toBe(1);
    const empty = await targetOf({ ...rm, resource: resourceFromAttributes({}) });
    expect(empty.names).toEqual(['c_total']);
    // Back to the first resource: its own attributes again, not the last ones encoded.
    const back = await targetOf(rm);
    expect(labelsOf(family(back.families, 'target_info').metric?.[0] ?? {})).toEqual({
      service_name: 'a',
      host_id: 'h-1',
    });
  });

  it('writes exponential histograms as native histograms with the same buckets', async () => {
    const values = [0, 0, 0.001, 0.0011, 0.5, 1, 2, 3, 100, 100, 1e6];
    const { rm, scale } = await exponential(values);
    const families = decodeFamilies(Buffer.concat(await new ProtobufSerializer().serializeChunks(rm)));
    const h = family(families, 'latency_seconds').metric?.[0]?.histogram;
    expect(h?.sampleCount).toBe(values.length);
    expect(h?.sampleSum).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      6,
    );
    expect(h?.zeroCount).toBe(2);
    expect(h?.zeroThreshold ?? 0).toBe(0);
    const schema = h?.schema ?? 0;
    expect(schema).toBe(Math.min(scale, 8));
    const expected = new Map<number, number>();
    for (const v of values.filter((x) => x > 0)) {
      const j = expectedBucket(v, schema) as number;
      expected.set(j, (expected.get(j) ?? 0) + 1);
    }
    expect(nativeBuckets(h?.positiveSpan, h?.positiveDelta)).toEqual(expected);
    expect(h?.negativeSpan ?? []).toEqual([]);
    expect(h?.bucket ?? []).toEqual([]);
  });

  it('merges finer scales down to schema 8 and keeps every observation, for any values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(4, 20, 160),
        async (values, maxSize) => {
          const { rm, scale } = await exponential(values, maxSize);
          const families = decodeFamilies(Buffer.concat(await new ProtobufSerializer().serializeChunks(rm)));
          const h = family(families, 'latency_seconds').metric?.[0]?.histogram;
          const schema = h?.schema ?? 0;
          expect(schema).toBe(Math.min(scale, 8));
          const buckets = nativeBuckets(h?.positiveSpan, h?.positiveDelta);
          let total = 0;
          for (const count of buckets.values()) {
            expect(count).toBeGreaterThan(0);
            total += count;
          }
          expect(total).toBe(values.length);
          for (const v of values) {
            const j = expectedBucket(v, schema);
            if (j !== undefined)
              expect(buckets.has(j), `value ${v} → bucket ${j} at schema ${schema}`).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps count and sum of a scale Prometheus cannot take (below -4), and says so once', async () => {
    const warnings = captureWarnings();
    const { rm, scale } = await exponential([1e-300, 1e300], 2);
    expect(scale).toBeLessThan(-4);
    const serializer = new ProtobufSerializer();
    await serializer.serializeChunks(rm);
    const families = decodeFamilies(Buffer.concat(await serializer.serializeChunks(rm)));
    const h = family(families, 'latency_seconds').metric?.[0]?.histogram;
    expect(h?.sampleCount).toBe(2);
    expect(h?.sampleSum).toBe(1e300);
    expect(h?.positiveSpan ?? []).toEqual([]);
    expect(warnings.filter((w) => w.includes('below the -4'))).toHaveLength(1);
  });

  it('writes an exponential histogram the text formats leave out, and warns about none', async () => {
    const warnings = captureWarnings();
    const { rm } = await exponential([1, 2]);
    await new ProtobufSerializer().serializeChunks(rm);
    expect(warnings).toEqual([]);
  });
});

describe('ProtobufWriter', () => {
  it('writes nested messages of any size, whatever length varint they need', () => {
    const w = new ProtobufWriter(16);
    for (const size of [0, 1, 127, 128, 300, 20_000]) {
      w.begin(undefined);
      w.string(1, 'x'.repeat(size));
      w.end();
    }
    const body = Buffer.concat(w.take());
    const families = decodeFamilies(body);
    expect(families.map((f) => f.name.length)).toEqual([0, 1, 127, 128, 300, 20_000]);
  });
});
