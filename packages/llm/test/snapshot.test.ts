import { AggregationType } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import { type CollectionLike, histogramQuantile, type SnapshotSource } from '../src/index.js';
import { rig } from './helpers.js';

describe('histogramQuantile', () => {
  it('interpolates inside the bucket like PromQL histogram_quantile', () => {
    // 10 values in (1, 2], 10 in (2, 4]
    const b = [1, 2, 4];
    const c = [0, 10, 10, 0];
    expect(histogramQuantile(0.5, b, c)).toBeCloseTo(2, 9);
    expect(histogramQuantile(0.25, b, c)).toBeCloseTo(1.5, 9);
    expect(histogramQuantile(0.75, b, c)).toBeCloseTo(3, 9);
  });
  it('uses 0 as the lower bound of the first bucket and min/max to tighten', () => {
    expect(histogramQuantile(0.5, [1], [4, 0])).toBeCloseTo(0.5, 9);
    expect(histogramQuantile(0.5, [1], [4, 0], 0.5, 0.9)).toBeCloseTo(0.7, 9);
    expect(histogramQuantile(0.99, [1], [0, 4], 2, 3)).toBeGreaterThan(2);
    expect(histogramQuantile(0.99, [1], [0, 4], 2, 3)).toBeLessThanOrEqual(3);
  });
  it('is undefined for an empty histogram or a bad q', () => {
    expect(histogramQuantile(0.5, [1, 2], [0, 0, 0])).toBeUndefined();
    expect(histogramQuantile(Number.NaN, [1], [1, 0])).toBeUndefined();
  });
});

describe('snapshot()', () => {
  it('reads totals, percentiles and per-model stats from the SDK aggregation', async () => {
    const r = rig();
    for (let i = 0; i < 10; i++) {
      const req = r.llm.startRequest({
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o',
        stream: true,
      });
      r.clock.advance(100 + i * 10);
      req.chunk();
      r.clock.advance(50);
      req.chunk();
      req.end({ inputTokens: 10, outputTokens: 20, cachedInputTokens: 2, finishReason: 'stop' });
    }
    const other = r.llm.startRequest({ operation: 'chat', provider: 'anthropic', requestModel: 'claude' });
    other.fail(Object.assign(new Error('x'), { status: 529 }));
    const inflight = r.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' });

    const s = await r.llm.snapshot();
    expect(s.ok).toBe(true);
    expect(s.semconv).toBe('v1.41');
    expect(s.client.total.requests).toBe(11);
    expect(s.client.total.errors).toBe(1);
    expect(s.client.total.errorsByType).toEqual({ '529': 1 });
    expect(s.client.total.inputTokens).toBe(100);
    expect(s.client.total.outputTokens).toBe(200);
    expect(s.client.total.cachedInputTokens).toBe(20);
    expect(s.client.total.activeRequests).toBe(1);
    const g = s.client.byModel['gpt-4o'];
    expect(g?.requests).toBe(10);
    expect(g?.finishReasons).toEqual({ stop: 10 });
    expect(g?.timeToFirstChunk.count).toBe(10);
    expect(g?.timeToFirstChunk.min).toBeCloseTo(0.1, 9);
    expect(g?.timeToFirstChunk.max).toBeCloseTo(0.19, 9);
    // all TTFCs fall in the (0.08, 0.16] and (0.16, 0.32] buckets
    expect(g?.timeToFirstChunk.p50).toBeGreaterThanOrEqual(0.1);
    expect(g?.timeToFirstChunk.p50).toBeLessThanOrEqual(0.16);
    expect(g?.timeToFirstChunk.p99).toBeLessThanOrEqual(0.19);
    expect(g?.timePerOutputChunk.mean).toBeCloseTo(0.05, 9);
    expect(s.client.byModel.claude?.errors).toBe(1);
    inflight.end();
  });

  it('computes rates over a recent window from earlier collections', async () => {
    const r = rig({ snapshotWindowS: 10 });
    const req = (tokens: number) =>
      r.llm
        .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'm' })
        .end({ outputTokens: tokens });
    req(100);
    r.clock.advance(2000);
    const s1 = await r.llm.snapshot();
    // first snapshot: since the instance was created (2 s)
    expect(s1.windowS).toBeCloseTo(2, 9);
    expect(s1.client.total.outputTokensPerSecond).toBeCloseTo(50, 9);
    r.clock.advance(8000);
    req(400);
    const s2 = await r.llm.snapshot();
    // oldest sample at or before now − 10 s is the creation baseline
    expect(s2.windowS).toBeCloseTo(10, 9);
    expect(s2.client.total.outputTokensPerSecond).toBeCloseTo(50, 9);
    r.clock.advance(4000);
    req(600);
    const s3 = await r.llm.snapshot();
    // baseline: the s1 sample at t=2 s is the newest at or before 14 − 10 = 4 s
    expect(s3.windowS).toBeCloseTo(12, 9);
    expect(s3.client.total.outputTokensPerSecond).toBeCloseTo(1000 / 12, 9);
    expect(s3.client.byModel.m?.outputTokensPerSecond).toBeCloseTo(1000 / 12, 9);
  });

  it('windows percentiles like the rates: a recent slowdown shows in recent, not in the lifetime p50', async () => {
    const r = rig({ snapshotWindowS: 10 });
    const call = (model: string, ms: number) => {
      const req = r.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: model });
      r.clock.advance(ms);
      req.end();
    };
    for (let i = 0; i < 90; i++) call('m', 1000); // all in (0.64, 1.28]
    const s1 = await r.llm.snapshot();
    // first snapshot: the window is since creation, so it holds everything
    expect(s1.client.total.duration.recent).toEqual({
      count: 90,
      sum: s1.client.total.duration.sum,
      mean: s1.client.total.duration.mean,
      p50: s1.client.total.duration.p50,
      p90: s1.client.total.duration.p90,
      p95: s1.client.total.duration.p95,
      p99: s1.client.total.duration.p99,
    });
    r.clock.advance(10_000);
    for (let i = 0; i < 10; i++) call('m', 4000); // all in (2.56, 5.12]
    const s2 = await r.llm.snapshot();
    const d = s2.client.byModel.m?.duration;
    expect(d?.count).toBe(100);
    expect(d?.p50).toBeLessThanOrEqual(1.28); // lifetime: still dominated by the 90 fast calls
    expect(d?.recent?.count).toBe(10);
    expect(d?.recent?.mean).toBeCloseTo(4, 9);
    expect(d?.recent?.p50).toBeGreaterThan(2.56);
    expect(d?.recent?.p99).toBeLessThanOrEqual(4); // bounded by the lifetime max
    expect(s2.client.total.duration.recent?.count).toBe(10);
    // a window with no new values: a count of 0 and no percentiles
    r.clock.advance(20_000);
    await r.llm.snapshot();
    r.clock.advance(11_000);
    const s3 = await r.llm.snapshot();
    expect(s3.client.total.duration.recent).toEqual({ count: 0, sum: 0 });
    expect(s3.client.total.duration.p50).toBe(d?.p50);
  });

  it('gives no window for a histogram that was reset since the baseline', async () => {
    const a = rig({ snapshotWindowS: 1 });
    const b = rig();
    for (const x of [a, b]) {
      const n = x === a ? 5 : 2;
      for (let i = 0; i < n; i++) {
        const req = x.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'm' });
        x.clock.advance(100);
        req.end();
      }
    }
    // one source whose process restarted between two snapshots: fewer values than before
    let current = a;
    const source: SnapshotSource = () => current.reader.collect();
    const first = await a.llm.snapshot({ from: source });
    expect(first.client.total.duration.recent?.count).toBe(5);
    current = b;
    a.clock.advance(1000);
    const after = await a.llm.snapshot({ from: source });
    expect(after.client.total.duration.count).toBe(2);
    expect(after.client.total.duration.recent).toBeUndefined();
    expect(after.client.total.requestsPerSecond).toBeUndefined();
  });

  it('reads exponential histograms too (a View can ask for them), and never gives a wrong window', async () => {
    const r = rig({}, [
      {
        instrumentName: 'gen_ai.client.operation.duration',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
      },
    ]);
    const { llm, clock } = r;
    const call = (ms: number) => {
      const req = llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'm' });
      clock.advance(ms);
      req.end();
    };
    for (let ms = 1; ms <= 100; ms++) call(ms);
    const d = (await llm.snapshot()).client.total.duration;
    expect(d.count).toBe(100);
    expect(d.min).toBeCloseTo(0.001, 9);
    expect(d.max).toBeCloseTo(0.1, 9);
    // The SDK's base-2 buckets are a few percent wide at this range: within 10 % of the exact quantiles.
    expect(d.p50).toBeGreaterThan(0.045);
    expect(d.p50).toBeLessThan(0.055);
    expect(d.p99).toBeGreaterThan(0.09);
    expect(d.p99).toBeLessThanOrEqual(0.1);
    // Later values far out of the first range re-bucket the histogram (its scale drops): then there
    // is no honest window, rather than one computed from misaligned buckets.
    clock.advance(61_000);
    for (let i = 0; i < 10; i++) call(5000);
    const later = (await llm.snapshot()).client.total.duration;
    expect(later.count).toBe(110);
    expect(later.recent).toBeUndefined();
    await r.provider.shutdown();
  });

  it('summarises server and training data', async () => {
    const r = rig();
    const srv = r.llm.startServerRequest({ operation: 'chat', provider: 'vllm', requestModel: 'llama' });
    r.clock.advance(10);
    srv.scheduled();
    r.clock.advance(40);
    srv.token();
    r.clock.advance(50);
    srv.token();
    srv.stage('tokenize', 0.001);
    srv.end({ inputTokens: 7 });
    const run = r.llm.training({ runName: 'sft', model: 'llama' });
    run.step({ loss: 1, tokens: 1000, samples: 4, durationS: 0.5 });
    r.clock.advance(1000);
    const s = await r.llm.snapshot();
    expect(s.server.total.requests).toBe(1);
    expect(s.server.total.outputTokens).toBe(2);
    expect(s.server.total.inputTokens).toBe(7);
    expect(s.server.byModel.llama?.queue.sum).toBeCloseTo(0.01, 9);
    expect(s.server.byModel.llama?.prefill.sum).toBeCloseTo(0.04, 9);
    expect(s.server.byModel.llama?.timeToFirstToken.sum).toBeCloseTo(0.05, 9);
    expect(s.server.byModel.llama?.stages.tokenize?.count).toBe(1);
    expect(s.training).toHaveLength(1);
    expect(s.training[0]).toMatchObject({
      run: 'sft',
      model: 'llama',
      steps: 1,
      tokens: 1000,
      samples: 4,
      loss: 1,
    });
    expect(s.training[0]?.tokensPerSecond).toBeCloseTo(1000 / 1.1, 6);
  });

  it('accepts { from } (a MetricReader or a function) and ignores other scopes', async () => {
    const r = rig({ collect: undefined });
    const none = await r.llm.snapshot();
    expect(none.ok).toBe(false);
    expect(none.client.total.requests).toBe(0);
    r.llm.startRequest({ operation: 'chat', provider: 'openai' }).end();
    const other = r.provider.getMeter('someone-else').createHistogram('gen_ai.client.operation.duration');
    other.record(1);
    const fromReader = await r.llm.snapshot({ from: r.reader });
    expect(fromReader.client.total.requests).toBe(1);
    const fn: SnapshotSource = () => r.reader.collect();
    expect((await r.llm.snapshot({ from: fn })).client.total.requests).toBe(1);
  });

  it('never rejects when the source fails', async () => {
    const r = rig({
      collect: () => {
        throw new Error('down');
      },
    });
    const s = await r.llm.snapshot();
    expect(s.ok).toBe(false);
    expect(s.error).toContain('down');
    const bad = await r.llm.snapshot({ from: () => ({}) as unknown as CollectionLike });
    expect(bad.ok).toBe(false);
  });

  it('the SDK reader type satisfies the structural source type', () => {
    const reader = new TestMetricReader();
    const src: SnapshotSource = reader;
    expect(src).toBe(reader);
  });
});
