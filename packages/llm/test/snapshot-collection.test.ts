import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import { createLlmMetrics, METER_NAME } from '../src/index.js';
import {
  AGGREGATION_TEMPORALITY,
  type CollectionLike,
  DATA_POINT_TYPE,
  isDelta,
  isExplicitHistogram,
  isExponentialHistogram,
  llmMetrics,
  type MetricDataLike,
} from '../src/snapshot/collection.js';

/** The named members of a TypeScript numeric enum (without its reverse mapping). */
function members(numericEnum: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(numericEnum).filter(([name]) => Number.isNaN(Number(name))));
}

/** A collection of real llm records (client, server, training) from the SDK, read as llm reads it. */
async function collectionFrom(options: {
  temporality?: AggregationTemporality;
  views?: ViewOptions[];
}): Promise<CollectionLike> {
  const reader = new TestMetricReader({ temporality: options.temporality });
  const provider = new MeterProvider({ readers: [reader], views: options.views ?? [] });
  const llm = createLlmMetrics({ meterProvider: provider, env: {} });
  const req = llm.startRequest({
    operation: 'chat',
    provider: 'openai',
    requestModel: 'gpt-4o',
    stream: true,
  });
  req.chunk();
  req.chunk();
  req.end({ inputTokens: 3, outputTokens: 5, finishReason: 'stop' });
  const srv = llm.startServerRequest({ operation: 'chat', provider: 'vllm', requestModel: 'llama' });
  srv.token();
  srv.end({ inputTokens: 2 });
  llm.training({ runName: 'r' }).step({ loss: 1.5, durationS: 0.2, samples: 4 });
  provider.getMeter('someone-else').createCounter('gen_ai.client.operation.duration').add(1);
  // The SDK's own result type, assigned to the structural one llm accepts.
  const collection: CollectionLike = await reader.collect();
  return collection;
}

describe("snapshot()'s typed view of the SDK's collection", () => {
  it('names exactly the values of the SDK enums it reads', () => {
    expect(DATA_POINT_TYPE).toEqual(members(DataPointType));
    expect(AGGREGATION_TEMPORALITY).toEqual(members(AggregationTemporality));
  });

  it("tells the SDK's histogram values apart as the data point type says", async () => {
    const exponential: ViewOptions = {
      instrumentType: InstrumentType.HISTOGRAM,
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
    };
    const seen = new Set<number>();
    for (const views of [[], [exponential]]) {
      for (const metric of llmMetrics(await collectionFrom({ views }))) {
        seen.add(metric.dataPointType);
        for (const point of metric.dataPoints) {
          expect(isExplicitHistogram(point.value)).toBe(metric.dataPointType === DATA_POINT_TYPE.HISTOGRAM);
          expect(isExponentialHistogram(point.value)).toBe(
            metric.dataPointType === DATA_POINT_TYPE.EXPONENTIAL_HISTOGRAM,
          );
        }
      }
    }
    // Every kind of point llm records was looked at.
    expect([...seen].sort()).toEqual(Object.values(DATA_POINT_TYPE).sort());
  });

  it('knows a delta collection from a cumulative one', async () => {
    const names = (collection: CollectionLike, delta: boolean) =>
      [...llmMetrics(collection)].filter((metric) => isDelta(metric) === delta).map((m) => m.descriptor.name);
    const cumulative = await collectionFrom({});
    const delta = await collectionFrom({ temporality: AggregationTemporality.DELTA });
    expect(names(cumulative, true)).toEqual([]);
    expect(names(delta, false)).toEqual([]);
    expect(names(delta, true).sort()).toEqual(names(cumulative, false).sort());
  });

  it("reads only llm's scope, and skips what is not a resource, scope or metric", async () => {
    const collection = await collectionFrom({});
    const resource = collection.resourceMetrics as { scopeMetrics: readonly unknown[] };
    const ours = resource.scopeMetrics.filter(
      (scope) => (scope as { scope: { name: string } }).scope.name === METER_NAME,
    ) as { metrics: readonly MetricDataLike[] }[];
    const expected = ours.flatMap((scope) => scope.metrics);
    expect(expected.length).toBeGreaterThan(0);
    expect([...llmMetrics(collection)]).toEqual(expected);
    const cluttered = {
      resourceMetrics: [
        null,
        5,
        { scopeMetrics: 'none' },
        {
          scopeMetrics: [
            null,
            { scope: null, metrics: expected },
            { scope: { name: METER_NAME }, metrics: 'none' },
            { scope: { name: METER_NAME }, metrics: [null, undefined, ...expected] },
          ],
        },
      ],
    } as unknown as CollectionLike;
    expect([...llmMetrics(cluttered)]).toEqual(expected);
  });
});
