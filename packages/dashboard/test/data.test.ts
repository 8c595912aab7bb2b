import { describe, expect, it } from 'vitest';
import {
  buildDashboardData,
  chartValues,
  DASHBOARD_SCHEMA,
  gpusOf,
  parseSeriesKey,
  seriesKey,
  serviceNameOf,
} from '../src/index.js';
import { appsStoppedAfterEach, costCounter, recordTraffic, TEST_PRICES } from './helpers.js';

const app = appsStoppedAfterEach();

describe('dashboard JSON from a real MeterProvider', () => {
  it('carries the snapshot, the models, the service name and the GPUs of one collection', async () => {
    const { llm, handle, dashboard } = await app({ gpu: true });
    recordTraffic(llm);
    const d = await dashboard.data();
    expect(d.schema).toBe(DASHBOARD_SCHEMA);
    expect(d.ok).toBe(true);
    expect(d.error).toBeUndefined();
    expect(d.service).toBe('dashboard-test');
    expect(d.intervalMillis).toBe(2000);
    expect(d.models).toEqual(['gpt-4o', 'gpt-4o-mini', 'llama-3-8b']);

    const c = d.client.total;
    expect(c.requests).toBe(4);
    expect(c.errors).toBe(1);
    expect(c.errorsByType).toEqual({ '429': 1 });
    expect(c.inputTokens).toBe(100 + 101 + 102);
    expect(c.outputTokens).toBe(20 + 21 + 22);
    expect(c.duration.count).toBe(4);
    expect(c.timeToFirstChunk.count).toBe(3);
    expect(c.timeToFirstChunk.p50).toBeGreaterThan(0.3);
    expect(c.timeToFirstChunk.p95).toBeGreaterThanOrEqual(c.timeToFirstChunk.p50 ?? Number.NaN);
    // The first window reaches back to createLlmMetrics(): it holds every value so far.
    expect(c.timeToFirstChunk.recent?.count).toBe(3);
    expect(c.timeToFirstChunk.recent?.p95).toBe(c.timeToFirstChunk.p95);
    expect(d.client.byModel['gpt-4o-mini']?.requests).toBe(2);
    expect(d.client.byModel['gpt-4o']?.errors).toBe(1);
    expect(d.server.total.requests).toBe(1);
    expect(d.server.byModel['llama-3-8b']?.timeToFirstToken.count).toBe(1);
    expect(d.training).toHaveLength(1);
    expect(d.training[0]).toMatchObject({ run: 'sft-1', model: 'llama-3-8b', steps: 1, loss: 2 });
    expect(d.training[0]?.stepDuration.count).toBe(1);

    expect(d.gpus).toHaveLength(2);
    expect(d.gpus[0]?.name).toBe('gpu0');
    expect(d.gpus[0]?.utilization).toBeGreaterThanOrEqual(0.2); // the general task, not the encoder's 0.01
    expect(d.gpus[0]?.memoryUsageBytes).toBe(20 * 2 ** 30);
    expect(d.gpus[1]?.memoryUsageBytes).toBe(24 * 2 ** 30);
    expect(d.gpus[1]?.memoryLimitBytes).toBe(80 * 2 ** 30);

    // The same numbers as llm.snapshot() reading the same aggregation.
    const s = await llm.snapshot({ from: () => handle.collect() });
    expect(d.client.total.duration.sum).toBe(s.client.total.duration.sum);
    const noRates = (x: unknown) =>
      JSON.parse(JSON.stringify(x, (k, v) => (k.endsWith('PerSecond') ? undefined : v))) as unknown;
    expect(noRates(d.client.byModel)).toEqual(noRates(s.client.byModel));
    expect(noRates(d.server)).toEqual(noRates(s.server));
    // What the history keeps of it: the charted numbers, by series key.
    const v = chartValues(d);
    expect(v['c|requests']).toBe(4);
    expect(v['c|errors|gpt-4o']).toBe(1);
    expect(v['c|ttft.count']).toBe(3);
    expect(v['c|ttft.p95']).toBe(c.timeToFirstChunk.recent?.p95);
    expect(v['c|duration.sum|gpt-4o-mini']).toBe(d.client.byModel['gpt-4o-mini']?.duration.sum);
    expect(v['s|ttft.count|llama-3-8b']).toBe(1); // the server's time to first token
    expect(v['t|loss|sft-1 / llama-3-8b']).toBe(2);
    expect(v['g|memoryUsage|gpu1']).toBe(24 * 2 ** 30);
    expect(Object.values(v).every(Number.isFinite)).toBe(true);
    expect(chartValues({ ...d, ok: false })).toEqual({});
    // A name may contain "|": everything after the field is the name.
    expect(parseSeriesKey(seriesKey('c', 'requests', 'org|model'))).toEqual({
      kind: 'c',
      field: 'requests',
      name: 'org|model',
    });
    expect(parseSeriesKey(seriesKey('s', 'errors'))).toEqual({ kind: 's', field: 'errors' });

    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(d))).toEqual(JSON.parse(JSON.stringify(d)));
  });

  it('has rates from the second request on, over the window snapshot() reports', async () => {
    const { llm, dashboard } = await app();
    recordTraffic(llm);
    const first = await dashboard.data();
    // The first window reaches back to createLlmMetrics(): a rate already exists.
    expect(first.windowS).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    recordTraffic(llm, 1);
    const second = await dashboard.data();
    expect(second.windowS).toBeGreaterThan(0);
    expect(second.client.total.requestsPerSecond).toBeGreaterThan(0);
    expect(second.client.total.requests).toBe(8);
    expect(second.time).toBeGreaterThanOrEqual(first.time);
  });

  it('degrades to empty sections, not errors, when nothing was recorded', async () => {
    const { dashboard } = await app();
    const d = await dashboard.data();
    expect(d.ok).toBe(true);
    expect(d.models).toEqual([]);
    expect(d.client.total.requests).toBe(0);
    expect(d.client.total.timeToFirstChunk.p50).toBeUndefined();
    expect(d.training).toEqual([]);
    expect(d.gpus).toEqual([]);
  });

  it('prefers the serviceName option and reports a failed collection without its detail', async () => {
    const { llm } = await app();
    const { createDashboard } = await import('../src/index.js');
    const dash = createDashboard({
      llm,
      serviceName: 'explicit',
      intervalMillis: 5000,
      collect: () => Promise.reject(new Error('secret-ish detail from the collector')),
    });
    const d = await dash.data();
    dash.close();
    expect(d.ok).toBe(false);
    expect(d.service).toBe('explicit');
    expect(d.intervalMillis).toBe(5000);
    expect(d.error).toBe('metrics collection failed; see the application log');
    expect(JSON.stringify(d)).not.toContain('secret-ish');
  });
});

describe('cost', () => {
  it('has no cost until tokenmeter.gen_ai.client.cost ({USD}) has points, then sums it by model', async () => {
    const { llm, handle, dashboard } = await app();
    recordTraffic(llm);
    const cost = costCounter(handle);
    expect((await dashboard.data()).cost).toBeUndefined();
    cost(0.25, 'gpt-4o');
    cost(0.5, 'gpt-4o');
    cost(0.125, 'gpt-4o-mini');
    // The same name in another unit is not dollars: not read.
    handle.meterProvider
      .getMeter('someone-else')
      .createCounter('tokenmeter.gen_ai.client.cost', { unit: '{cent}' })
      .add(1000, { 'gen_ai.request.model': 'gpt-4o' });
    const d = await dashboard.data();
    expect(d.cost).toEqual({ total: 0.875, byModel: { 'gpt-4o': 0.75, 'gpt-4o-mini': 0.125 } });
  });

  it("charts llm's own cost: totals by model and per-request percentiles", async () => {
    const { llm, dashboard } = await app({ prices: { bundled: false, table: TEST_PRICES } });
    recordTraffic(llm);
    const d = await dashboard.data();
    // gpt-4o: 100 × $2/M + 20 × $8/M = $0.00036 (its failed call reported no usage);
    // gpt-4o-mini: (101 + 102) × $0.5/M + (21 + 22) × $2/M = $0.0001875.
    expect(d.cost?.byModel['gpt-4o']).toBeCloseTo(0.00036, 12);
    expect(d.cost?.byModel['gpt-4o-mini']).toBeCloseTo(0.0001875, 12);
    expect(d.client.byModel['gpt-4o-mini']?.costPerRequest.count).toBe(2);
    const v = chartValues(d);
    expect(v[seriesKey('c', 'cost.count', 'gpt-4o-mini')]).toBe(2);
    expect(v[seriesKey('c', 'cost.sum')]).toBeCloseTo(0.00036 + 0.0001875, 12);
    expect(v[seriesKey('c', 'cost.p50', 'gpt-4o')]).toBeCloseTo(0.00036, 12);
  });
});

describe('pure helpers', () => {
  const point = (value: number, attributes: Record<string, unknown>) => ({
    startTime: [0, 0] as const,
    endTime: [0, 0] as const,
    attributes: attributes as Record<string, string>,
    value,
  });
  const collection = (metrics: { name: string; points: ReturnType<typeof point>[] }[]) => ({
    resourceMetrics: {
      resource: { attributes: { 'service.name': 'from-resource' } },
      scopeMetrics: [
        {
          scope: { name: '@tokenmeter/host' },
          metrics: metrics.map((m) => ({
            descriptor: { name: m.name },
            dataPointType: 2,
            dataPoints: m.points,
          })),
        },
      ],
    },
  });

  it('groups hw.gpu.* by hw.id, sorts gpu2 before gpu10 and skips non-general tasks', () => {
    const c = collection([
      {
        name: 'hw.gpu.utilization',
        points: [
          point(0.9, { 'hw.id': 'b', 'hw.name': 'gpu10', 'hw.gpu.task': 'general' }),
          point(0.2, { 'hw.id': 'a', 'hw.name': 'gpu2' }),
          point(0.7, { 'hw.id': 'a', 'hw.name': 'gpu2', 'hw.gpu.task': 'decoder' }),
        ],
      },
      { name: 'hw.gpu.memory.limit', points: [point(Number.NaN, { 'hw.id': 'a' })] },
      { name: 'hw.gpu.power', points: [point(300, { 'hw.id': 'a' })] },
    ]);
    expect(gpusOf(c)).toEqual([
      { name: 'gpu2', utilization: 0.2 },
      { name: 'gpu10', utilization: 0.9 },
    ]);
    expect(serviceNameOf(c)).toBe('from-resource');
    expect(gpusOf(undefined)).toEqual([]);
    expect(gpusOf({ resourceMetrics: [] })).toEqual([]);
  });

  it('buildDashboardData lists client and server models once, sorted', async () => {
    const { llm } = await app();
    const s = await llm.snapshot({ from: () => ({ resourceMetrics: [] }) });
    s.client.byModel.b = s.client.total;
    s.server.byModel.a = s.server.total;
    s.server.byModel.b = s.server.total;
    const d = buildDashboardData(s, collection([]), { intervalMillis: 1000 });
    expect(d.models).toEqual(['a', 'b']);
    expect(d.service).toBe('from-resource');
    expect(buildDashboardData(s, undefined, { intervalMillis: 1000 }).service).toBe('unknown_service');
  });
});
