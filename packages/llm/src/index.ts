/**
 * @tokenmeter/llm — OpenTelemetry GenAI semantic-convention metrics for LLM
 * clients, inference servers and training loops, plus the extras LLM teams
 * need, under the `tokenmeter.*` namespace. Depends on `@opentelemetry/api` only.
 */
export { DURATION_BUCKETS, TOKEN_BUCKETS, TPOT_BUCKETS, TTFT_BUCKETS } from './buckets.js';
export type {
  ClientRequest,
  EndInfo,
  FailInfo,
  ReportedServerTimings,
  StartRequestOptions,
} from './client-request.js';
export type {
  CollectionLike,
  DataPointLike,
  MetricDataLike,
  ResourceMetricsLike,
  ScopeMetricsLike,
  SnapshotSource,
} from './collection.js';
export {
  ERROR_TYPE_ABANDONED,
  ERROR_TYPE_ABORTED,
  ERROR_TYPE_TIMEOUT,
  errorType,
  errorTypeOr,
} from './error-type.js';
export type {
  BatchInfo,
  CacheLookupInfo,
  CircuitBreakerInfo,
  ExtraAttributes,
  MeasureOptions,
  ModelLoadInfo,
  QueueInfo,
  QueueRejectInfo,
  RateLimitWaitInfo,
  RetryInfo,
} from './extras.js';
export {
  INSTRUMENTS,
  type InstrumentDefinition,
  type InstrumentKind,
  type SemconvShape,
} from './instruments.js';
export {
  createLlmMetrics,
  type LlmMetrics,
  type LlmMetricsOptions,
  SEMCONV_OPT_IN_LATEST,
  type TrackOperationOptions,
} from './llm-metrics.js';
export { OTHER_VALUE, type ValueGuardOptions } from './model-guard.js';
export { histogramQuantile } from './quantile.js';
export { ERROR_TYPE_OTHER, METER_NAME } from './semconv.js';
export { type ServerEndpoint, serverEndpointOf } from './server-endpoint.js';
export type { ObserveServerOptions, ServerGaugeCallback, ServerGaugeValues } from './server-gauges.js';
export type {
  ServerEndInfo,
  ServerFailInfo,
  ServerRequest,
  StartServerRequestOptions,
} from './server-request.js';
export type {
  ClientSummary,
  LatencySummary,
  LlmSnapshot,
  ServerSummary,
  SnapshotOptions,
  TrainingSummary,
  WindowLatency,
} from './snapshot.js';
export { UNKNOWN_MODEL } from './snapshot.js';
export { type TelemetryGuard, telemetryGuard } from './telemetry-guard.js';
export type { EvalInfo, StepInfo, TrainingOptions, TrainingRun } from './training.js';
export type { TokenUsage } from './usage.js';
export { VERSION } from './version.js';
