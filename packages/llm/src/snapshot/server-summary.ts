/**
 * The server side of a snapshot: which instruments feed a ServerSummary, and how.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { InstrumentKey } from '../instruments.js';
import { ATTR_TM_STAGE } from '../semconv.js';
import { addByAttribute, HistogramAccumulator, type SummariseLatency } from './histogram.js';
import { emptyLatency, type ServerSummary } from './llm-snapshot.js';
import type { PointHandler } from './points.js';
import type { PerModel } from './request-side.js';

export interface ServerAccumulator {
  readonly summary: ServerSummary;
  readonly duration: HistogramAccumulator;
  readonly timeToFirstToken: HistogramAccumulator;
  readonly timePerOutputToken: HistogramAccumulator;
  readonly queue: HistogramAccumulator;
  readonly prefill: HistogramAccumulator;
  readonly decode: HistogramAccumulator;
  /** By `tokenmeter.stage`. */
  readonly stages: Map<string, HistogramAccumulator>;
}

export function newServerAccumulator(): ServerAccumulator {
  return {
    summary: {
      requests: 0,
      errors: 0,
      errorsByType: {},
      finishReasons: {},
      activeRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      duration: emptyLatency(),
      timeToFirstToken: emptyLatency(),
      timePerOutputToken: emptyLatency(),
      queue: emptyLatency(),
      prefill: emptyLatency(),
      decode: emptyLatency(),
      stages: {},
    },
    duration: new HistogramAccumulator(),
    timeToFirstToken: new HistogramAccumulator(),
    timePerOutputToken: new HistogramAccumulator(),
    queue: new HistogramAccumulator(),
    prefill: new HistogramAccumulator(),
    decode: new HistogramAccumulator(),
    stages: new Map(),
  };
}

/** What each server instrument does to the server side. */
export function serverHandlers(
  server: PerModel<ServerAccumulator>,
  diagnostics: Diagnostics,
): [InstrumentKey, PointHandler][] {
  return [
    ['serverRequestDuration', server.durations()],
    ['serverTimeToFirstToken', server.fold('timeToFirstToken')],
    ['serverTimePerOutputToken', server.fold('timePerOutputToken')],
    ['serverQueueDuration', server.fold('queue')],
    ['serverPrefillDuration', server.fold('prefill')],
    ['serverDecodeDuration', server.fold('decode')],
    [
      'serverStageDuration',
      (point) =>
        server.feed(point, (accumulator) =>
          addByAttribute(accumulator.stages, ATTR_TM_STAGE, point, diagnostics),
        ),
    ],
    ['serverInputTokens', server.add('inputTokens')],
    ['serverOutputTokens', server.add('outputTokens')],
    ['serverActiveRequests', server.add('activeRequests')],
    ['serverRequests', server.finishReasons()],
    ['serverErrors', server.errors()],
  ];
}

/** The accumulator's summary with its latencies, each noted under `key` + its name. */
export function finishServer(
  accumulator: ServerAccumulator,
  key: string,
  summarise: SummariseLatency,
): ServerSummary {
  const { summary } = accumulator;
  summary.duration = summarise(`${key}duration`, accumulator.duration);
  summary.timeToFirstToken = summarise(`${key}ttft`, accumulator.timeToFirstToken);
  summary.timePerOutputToken = summarise(`${key}tpot`, accumulator.timePerOutputToken);
  summary.queue = summarise(`${key}queue`, accumulator.queue);
  summary.prefill = summarise(`${key}prefill`, accumulator.prefill);
  summary.decode = summarise(`${key}decode`, accumulator.decode);
  for (const [stage, histogram] of accumulator.stages)
    summary.stages[stage] = summarise(`${key}stage\u0000${stage}`, histogram);
  return summary;
}
