import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueType } from '@opentelemetry/api';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { FileMetricExporter } from '../src/file-metric-exporter.js';
import { registerMetrics } from '../src/register-metrics.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'tokenmeter-file-'));

/** registerMetrics() with only the file exporter, isolated from the process (no env, globals or signals). */
function fileOnly(path: string, options: Parameters<typeof registerMetrics>[0] = {}) {
  return registerMetrics({
    env: {},
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
    exporters: ['file'],
    file: { path, intervalMillis: 60_000 },
    ...options,
  });
}

describe('FileMetricExporter', () => {
  it("works as registerMetrics({ exporters: ['file'] }) and writes OTLP/JSON lines", async () => {
    const path = join(tempDir(), 'metrics.jsonl');
    const handle = fileOnly(path, { serviceName: 'bench-app' });
    expect(handle.exporters).toEqual(['file']);
    const meter = handle.meterProvider.getMeter('app', '1.2.3');
    meter
      .createCounter('app.requests', { unit: '{request}', valueType: ValueType.INT })
      .add(3, { route: '/chat' });
    meter
      .createHistogram('app.latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } })
      .record(0.5, { route: '/chat' });
    meter.createGauge('app.temp').record(1.5);
    await handle.forceFlush();
    await handle.shutdown();

    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    const req = JSON.parse(lines[0] as string);
    const rm = req.resourceMetrics[0];
    expect(rm.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'bench-app' },
    });
    const sm = rm.scopeMetrics.find((s: { scope: { name: string } }) => s.scope.name === 'app');
    expect(sm.scope.version).toBe('1.2.3');
    const byName = Object.fromEntries(sm.metrics.map((m: { name: string }) => [m.name, m]));
    expect(byName['app.requests'].unit).toBe('{request}');
    expect(byName['app.requests'].sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true });
    expect(byName['app.requests'].sum.dataPoints[0]).toMatchObject({
      asInt: '3',
      attributes: [{ key: 'route', value: { stringValue: '/chat' } }],
    });
    expect(byName['app.requests'].sum.dataPoints[0].timeUnixNano).toMatch(/^\d{19}$/);
    expect(byName['app.latency'].histogram.dataPoints[0]).toMatchObject({
      count: '1',
      sum: 0.5,
      bucketCounts: ['0', '1', '0'],
      explicitBounds: [0.1, 1],
      min: 0.5,
      max: 0.5,
    });
    expect(byName['app.temp'].gauge.dataPoints[0].asDouble).toBe(1.5);
  });

  it('writes exponential histograms (a View can ask for them) as OTLP/JSON buckets that hold the recorded values', async () => {
    const path = join(tempDir(), 'metrics.jsonl');
    const handle = fileOnly(path, {
      views: [
        { instrumentName: 'app.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    });
    const recorded = [0.003, 0.05, 0.05, 1.7];
    const h = handle.meterProvider.getMeter('app').createHistogram('app.latency', { unit: 's' });
    for (const v of recorded) h.record(v, { route: '/chat' });
    await handle.forceFlush();
    await handle.shutdown();

    const req = JSON.parse(readFileSync(path, 'utf8').trim().split('\n')[0] as string);
    const metric = req.resourceMetrics[0].scopeMetrics[0].metrics[0];
    expect(metric.name).toBe('app.latency');
    expect(metric.histogram).toBeUndefined();
    const p = metric.exponentialHistogram.dataPoints[0];
    expect(metric.exponentialHistogram.aggregationTemporality).toBe(2);
    expect(p).toMatchObject({ count: '4', zeroCount: '0', min: 0.003, max: 1.7 });
    expect(p.sum).toBeCloseTo(1.803, 12);
    expect(Number.isInteger(p.scale)).toBe(true);
    expect(Number.isInteger(p.positive.offset)).toBe(true);
    const counts: number[] = p.positive.bucketCounts.map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
    // OTLP: bucket offset + i covers (base^(offset+i), base^(offset+i+1)] with base = 2^(2^-scale).
    const base = 2 ** (2 ** -p.scale);
    const bucketOf = (v: number) => Math.ceil(Math.log(v) / Math.log(base)) - 1 - p.positive.offset;
    const expected = new Array<number>(counts.length).fill(0);
    for (const v of recorded) expected[bucketOf(v)]! += 1;
    expect(counts).toEqual(expected);
  });

  it('rotates by size and keeps maxFiles', async () => {
    const dir = tempDir();
    const path = join(dir, 'm.jsonl');
    const exporter = new FileMetricExporter({ path, maxBytes: 2000, maxFiles: 2 });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const c = provider.getMeter('m').createCounter('c');
    for (let i = 0; i < 40; i++) {
      c.add(1, { i: String(i % 5) });
      await provider.forceFlush();
    }
    await provider.shutdown();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    for (const p of [path, `${path}.1`, `${path}.2`]) {
      expect(statSync(p).size).toBeLessThanOrEqual(2000);
      for (const line of readFileSync(p, 'utf8').trim().split('\n'))
        expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it('fails exports after shutdown instead of throwing', async () => {
    const exporter = new FileMetricExporter({ path: join(tempDir(), 'x.jsonl') });
    await exporter.shutdown();
    const result = await new Promise((resolve) =>
      exporter.export({ resource: { attributes: {} } as never, scopeMetrics: [] }, resolve),
    );
    expect(result).toMatchObject({ code: 1 });
  });

  it('OTEL_METRICS_EXPORTER=file takes its path from TOKENMETER_METRICS_FILE, and fails clearly without one', async () => {
    const path = join(tempDir(), 'env.jsonl');
    const handle = registerMetrics({
      env: { OTEL_METRICS_EXPORTER: 'file', TOKENMETER_METRICS_FILE: path },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    handle.meterProvider.getMeter('m').createCounter('c').add(1);
    await handle.shutdown();
    expect(readFileSync(path, 'utf8')).toContain('"name":"c"');
    expect(() => registerMetrics({ env: { OTEL_METRICS_EXPORTER: 'file' }, setGlobal: false })).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError', setting: 'TOKENMETER_METRICS_FILE' }),
    );
  });
});
