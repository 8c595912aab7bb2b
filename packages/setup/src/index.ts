export { type BindMeterProviderOptions, bindMeterProvider } from './bind-meter-provider.js';
export type {
  BoundCounter,
  BoundCounterSeries,
  BoundGauge,
  BoundHistogram,
  BoundRecordSeries,
} from './bound/instruments.js';
export type { ClusterOptions, ClusterRole } from './cluster/cluster-options.js';
export { attachWorkerThread } from './cluster/start-cluster.js';
export {
  type BoundMeterProviderOptions,
  createBoundMeterProvider,
  type ReaderFactory,
} from './create-bound-meter-provider.js';
export { ConfigurationError, DeadlineError, ExportError, MetricsServerError } from './errors.js';
export { type Exemplar, type ExemplarDataPoint, exemplarsOf } from './exemplar.js';
export { type ExpositionFormat, type NegotiatedFormat, negotiateFormat } from './exposition-format.js';
export {
  FILE_EXPORTER_CSV_HEADER,
  FileMetricExporter,
  type FileMetricExporterOptions,
  toCsvRows,
  toOtlpJson,
} from './file-metric-exporter.js';
export type { MetricsAuth, RequestHandler } from './metrics-handler.js';
export { PROMETHEUS_CONTENT_TYPE } from './metrics-handler.js';
export type {
  ConsoleOptions,
  ExporterName,
  FileOptions,
  OtlpOptions,
  OtlpProtocol,
  PrometheusOptions,
  RegisterMetricsOptions,
  TemporalityPreference,
} from './options.js';
export type { PrometheusEndpoint } from './prometheus-endpoint.js';
export { type PrometheusHandlerOptions, prometheusHandler } from './prometheus-handler.js';
export {
  type PrometheusMetricKind,
  type PrometheusNameOptions,
  type PrometheusNaming,
  prometheusLabelName,
  prometheusMetricName,
  prometheusUnitSuffix,
} from './prometheus-naming.js';
export {
  PrometheusReader,
  type PrometheusReaderOptions,
  type Scrape,
  type ScrapeStream,
} from './prometheus-reader.js';
export {
  fallbackHelp,
  PrometheusSerializer,
  type PrometheusSerializerOptions,
  type TextExpositionFormat,
} from './prometheus-serializer.js';
export { ProtobufSerializer } from './protobuf-serializer.js';
export type { FlushOptions, MetricsHandle, ShutdownResult } from './register-metrics.js';
export { registerMetrics } from './register-metrics.js';
export type { ResolvedConfig } from './resolve-config.js';
export type { ScrapeBody } from './scrape-body.js';
