/**
 * The client side of a snapshot: which instruments feed a ClientSummary, and how.
 */
import type { InstrumentKey } from '../instruments.js';
import { ATTR_GEN_AI_TOKEN_TYPE } from '../semconv.js';
import { HistogramAccumulator, type SummariseLatency } from './histogram.js';
import { type ClientSummary, emptyLatency } from './llm-snapshot.js';
import { histogramSum, type PointHandler, stringAttribute } from './points.js';
import type { PerModel } from './request-side.js';

export interface ClientAccumulator {
  readonly summary: ClientSummary;
  readonly duration: HistogramAccumulator;
  readonly timeToFirstChunk: HistogramAccumulator;
  readonly timePerOutputChunk: HistogramAccumulator;
  readonly cost: HistogramAccumulator;
}

export function newClientAccumulator(): ClientAccumulator {
  return {
    summary: {
      requests: 0,
      errors: 0,
      errorsByType: {},
      finishReasons: {},
      activeRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      duration: emptyLatency(),
      timeToFirstChunk: emptyLatency(),
      timePerOutputChunk: emptyLatency(),
      costUsd: 0,
      costPerRequest: emptyLatency(),
    },
    duration: new HistogramAccumulator(),
    timeToFirstChunk: new HistogramAccumulator(),
    timePerOutputChunk: new HistogramAccumulator(),
    cost: new HistogramAccumulator(),
  };
}

/** What each client instrument (of either shape) does to the client side. */
export function clientHandlers(client: PerModel<ClientAccumulator>): [InstrumentKey, PointHandler][] {
  const duration = client.durations();
  return [
    ['clientOperationDuration', duration],
    ['clientInferenceDuration', duration],
    ['invokeWorkflowDuration', duration],
    ['clientTimeToFirstChunk', client.fold('timeToFirstChunk')],
    ['clientInferenceTimeToFirstChunk', client.fold('timeToFirstChunk')],
    ['clientTimePerOutputChunk', client.fold('timePerOutputChunk')],
    ['clientInferenceTimePerOutputChunk', client.fold('timePerOutputChunk')],
    [
      'clientTokenUsage',
      (point) =>
        client.feed(point, (accumulator) => {
          const type = stringAttribute(point.attributes, ATTR_GEN_AI_TOKEN_TYPE);
          if (type === 'input') accumulator.summary.inputTokens += histogramSum(point);
          else if (type === 'output') accumulator.summary.outputTokens += histogramSum(point);
        }),
    ],
    ['usageInputTokens', client.add('inputTokens')],
    ['usageOutputTokens', client.add('outputTokens')],
    ['usageCacheReadInputTokens', client.add('cachedInputTokens')],
    ['tmCacheReadInputTokens', client.add('cachedInputTokens')],
    ['usageReasoningOutputTokens', client.add('reasoningTokens')],
    ['tmReasoningOutputTokens', client.add('reasoningTokens')],
    ['clientActiveRequests', client.add('activeRequests')],
    ['clientCost', client.add('costUsd')],
    ['clientOperationCost', client.fold('cost')],
    ['clientRequests', client.finishReasons()],
    ['clientErrors', client.errors()],
  ];
}

/** The accumulator's summary with its latencies, each noted under `key` + its name. */
export function finishClient(
  accumulator: ClientAccumulator,
  key: string,
  summarise: SummariseLatency,
): ClientSummary {
  const { summary } = accumulator;
  summary.duration = summarise(`${key}duration`, accumulator.duration);
  summary.timeToFirstChunk = summarise(`${key}ttfc`, accumulator.timeToFirstChunk);
  summary.timePerOutputChunk = summarise(`${key}tpoc`, accumulator.timePerOutputChunk);
  summary.costPerRequest = summarise(`${key}cost`, accumulator.cost);
  return summary;
}
