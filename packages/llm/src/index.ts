/**
 * @tokenmeter/llm — OpenTelemetry GenAI semantic-convention metrics for LLM
 * clients, inference servers and training loops, plus the extras LLM teams
 * need, under the `tokenmeter.*` namespace. Depends on `@opentelemetry/api` only.
 *
 * This entry point is the API applications use. What only integration
 * authors need (wrapping calls, observing streams, patching clients,
 * `telemetryGuard`, `serverEndpointOf`, `errorTypeOr`) is
 * `@tokenmeter/llm/integration`.
 */
export {
  AGENT_DURATION_BUCKETS,
  CALL_COUNT_BUCKETS,
  COST_BUCKETS,
  DURATION_BUCKETS,
  MCP_DURATION_BUCKETS,
  TOKEN_BUCKETS,
  TPOT_BUCKETS,
  TTFT_BUCKETS,
  WORKFLOW_DURATION_BUCKETS,
} from './buckets.js';
export { BUNDLED_PRICES } from './bundled-prices.js';
export type {
  AgentCalls,
  ClientRequest,
  EndInfo,
  FailInfo,
  ReportedServerTimings,
  StartRequestOptions,
} from './client-request.js';
export {
  ERROR_TYPE_ABANDONED,
  ERROR_TYPE_ABORTED,
  ERROR_TYPE_TIMEOUT,
  errorType,
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
  PRICES_ENV,
  type PriceOptions,
  SEMCONV_OPT_IN_LATEST,
  type TrackOperationOptions,
} from './llm-metrics.js';
export type {
  McpEndInfo,
  McpFailInfo,
  McpHandle,
  McpOperationOptions,
  McpSessionOptions,
  McpSide,
} from './mcp.js';
// Deprecated here: moved to @tokenmeter/llm/integration.
export {
  errorTypeOr,
  type ServerEndpoint,
  serverEndpointOf,
  type TelemetryGuard,
  telemetryGuard,
} from './moved-to-integration.js';
export {
  loadPriceTable,
  type ModelPrice,
  type PriceTable,
  PriceTableError,
  parsePriceTable,
  type TierPrices,
  type TokenRates,
} from './price-table.js';
export {
  COST_TOKEN_TYPES,
  type CostTokenType,
  ERROR_TYPE_OTHER,
  METER_NAME,
  OTHER_VALUE,
  SEMCONV_SOURCES,
  UNPRICED_REASONS,
  type UnpricedReason,
} from './semconv.js';
export type { ObserveServerOptions, ServerGaugeCallback, ServerGaugeValues } from './server-gauges.js';
export type {
  ServerEndInfo,
  ServerFailInfo,
  ServerRequest,
  StartServerRequestOptions,
} from './server-request.js';
export type {
  CollectionLike,
  DataPointLike,
  MetricDataLike,
  ResourceMetricsLike,
  ScopeMetricsLike,
  SnapshotSource,
} from './snapshot/collection.js';
export {
  type ClientSummary,
  type LatencySummary,
  type LlmSnapshot,
  type RequestSummary,
  type ServerSummary,
  type SnapshotOptions,
  type TrainingSummary,
  UNKNOWN_MODEL,
  type WindowLatency,
} from './snapshot/llm-snapshot.js';
export { histogramQuantile } from './snapshot/percentiles.js';
export type { EvalInfo, StepInfo, TrainingOptions, TrainingRun } from './training.js';
export type { TokenUsage } from './usage.js';
export type { ValueGuardOptions } from './value-guard.js';
export { VERSION } from './version.js';
