/**
 * Cardinality attack: 100k distinct model names arriving over many scrape
 * intervals. The SDK's own limit is per collection interval and never evicts
 * cumulative state, so the bound must come from llm's model guard (`_OTHER`).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createLlmMetrics } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import { seriesOf, sumSamples } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('cardinality attack', () => {
  it('100k distinct model names over 20 intervals: series stay at the cap, overflow is visible as _OTHER, memory stays bounded', async () => {
    const h = registerMetrics({
      serviceName: 'cardinality',
      exporters: ['prometheus'],
      prometheus: { server: false },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    const llm = createLlmMetrics({ meterProvider: h.meterProvider, models: { maxDistinct: 100 } });
    const INTERVALS = 20;
    const PER_INTERVAL = 5000;
    const heap: number[] = [];
    let text = '';
    for (let k = 0; k < INTERVALS; k++) {
      for (let i = 0; i < PER_INTERVAL; i++) {
        const id = k * PER_INTERVAL + i;
        llm
          .startRequest({ operation: 'chat', provider: 'openai', requestModel: `attacker-model-${id}` })
          .end({ responseModel: `attacker-response-${id}`, inputTokens: 1, outputTokens: 1 });
      }
      text = (await h.prometheus?.scrape()) ?? '';
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    const name = 'gen_ai_client_operation_duration_seconds_count';
    const series = seriesOf(text, name);
    // The model guard keeps 100 distinct names, shared by request and response
    // models (here the first 50 requests use 2 each); everything else is `_OTHER`.
    expect(series.length).toBeLessThanOrEqual(101);
    expect(sumSamples(text, name)).toBe(INTERVALS * PER_INTERVAL); // nothing lost, only folded
    const other = sumSamples(text, name, 'gen_ai_request_model="_OTHER"');
    expect(other).toBe(INTERVALS * PER_INTERVAL - (series.length - 1));
    expect(other).toBeGreaterThanOrEqual(INTERVALS * PER_INTERVAL - 100);
    // Bounded: the last 10 intervals (50k more distinct names) add no series and
    // (loosely, GC is not exact) no memory beyond noise.
    const growth = (heap[INTERVALS - 1] ?? 0) - (heap[9] ?? 0);
    expect(growth).toBeLessThan(8 * 2 ** 20);
    console.log(
      `cardinality: ${series.length} series, heap growth over the last 10 intervals ${(growth / 2 ** 20).toFixed(2)} MiB`,
    );
    await h.shutdown();
  }, 60_000);

  it('without the guard, the SDK limit alone does not bound cumulative state (why the guard exists)', async () => {
    const reader = new TestMetricReader({ cardinalityLimit: 50 });
    const c = new MeterProvider({ readers: [reader] }).getMeter('raw').createCounter('raw.requests');
    let points = 0;
    for (let k = 0; k < 5; k++) {
      for (let i = 0; i < 200; i++) c.add(1, { model: `m-${k}-${i}` });
      const { resourceMetrics } = await reader.collect();
      points = resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints.length ?? 0;
    }
    // Documents the SDK 3.1 behaviour the guard compensates for: the cumulative
    // series set keeps growing past the limit of 50 across intervals.
    expect(points).toBeGreaterThan(50);
  });
});
