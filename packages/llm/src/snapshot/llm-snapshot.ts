/**
 * What `snapshot()` returns: totals, recent rates and latency percentiles per
 * side (client, server, training), read from the SDK's own aggregation.
 */
import type { SemconvShape } from '../instruments.js';
import type { SnapshotSource } from './collection.js';

/** Values recorded within `LlmSnapshot.windowS`: the same window as the rates. */
export interface WindowLatency {
  count: number;
  sum: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
}

export interface LatencySummary {
  /** Number of recorded values since start. */
  count: number;
  /** Sum of recorded values (seconds) since start. */
  sum: number;
  mean?: number;
  min?: number;
  max?: number;
  /** Percentiles since start. */
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  /**
   * The same over the recent window only (bucket increases since the
   * window's baseline collection, like PromQL's
   * `histogram_quantile(q, rate(x_bucket[w]))`): what a live view should
   * show, since lifetime percentiles stop moving after a while. Undefined
   * when no window could be computed (as for the rates) or the series was reset.
   */
  recent?: WindowLatency;
}

/** What the client and the server summaries both count, since start. */
export interface RequestSummary {
  /** Finished requests (successful and failed). */
  requests: number;
  errors: number;
  errorsByType: Record<string, number>;
  finishReasons: Record<string, number>;
  activeRequests: number;
  inputTokens: number;
  outputTokens: number;
  /** Over `LlmSnapshot.windowS`. */
  requestsPerSecond?: number;
  inputTokensPerSecond?: number;
  outputTokensPerSecond?: number;
  duration: LatencySummary;
}

export interface ClientSummary extends RequestSummary {
  cachedInputTokens: number;
  reasoningTokens: number;
  timeToFirstChunk: LatencySummary;
  timePerOutputChunk: LatencySummary;
  /** `tokenmeter.gen_ai.client.cost` since start, US dollars (0 while nothing was priced). */
  costUsd: number;
  /** `tokenmeter.gen_ai.client.operation.cost`: the cost of each priced request, in US dollars. */
  costPerRequest: LatencySummary;
}

export interface ServerSummary extends RequestSummary {
  timeToFirstToken: LatencySummary;
  timePerOutputToken: LatencySummary;
  queue: LatencySummary;
  prefill: LatencySummary;
  decode: LatencySummary;
  stages: Record<string, LatencySummary>;
}

export interface TrainingSummary {
  run?: string;
  model?: string;
  steps: number;
  samples: number;
  tokens: number;
  evalSamples: number;
  evalTokens: number;
  stepsPerSecond?: number;
  samplesPerSecond?: number;
  tokensPerSecond?: number;
  loss?: number;
  evalLoss?: number;
  learningRate?: number;
  gradNorm?: number;
  epoch?: number;
  stepDuration: LatencySummary;
  phases: Record<string, LatencySummary>;
}

export interface LlmSnapshot {
  /** False when no source was available or collecting failed (`error` says why); totals are then zero. */
  ok: boolean;
  error?: string;
  /** Wall-clock time of the snapshot, ms since the epoch. */
  time: number;
  semconv: SemconvShape;
  /**
   * Length in seconds of the window the rates were computed over (from an
   * earlier collection of the same source, or from when the LlmMetrics
   * instance was created); undefined when no rate could be computed.
   */
  windowS?: number;
  client: { total: ClientSummary; byModel: Record<string, ClientSummary> };
  server: { total: ServerSummary; byModel: Record<string, ServerSummary> };
  training: TrainingSummary[];
}

export interface SnapshotOptions {
  /** Read from this source instead of the one given to createLlmMetrics({ collect }). */
  from?: SnapshotSource;
}

/** Model key used in `byModel` when a series has no model attribute. */
export const UNKNOWN_MODEL = '(unknown)';

/** The summary of a histogram nothing was recorded in. */
export function emptyLatency(): LatencySummary {
  return { count: 0, sum: 0 };
}

/** The part of an LlmSnapshot read from one collection. */
export type SnapshotSummaries = Pick<LlmSnapshot, 'client' | 'server' | 'training'>;
