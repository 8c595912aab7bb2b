import type { Attributes } from '@opentelemetry/api';
import type { MetricProducer, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { ClusterOptions, ClusterRole } from './cluster/cluster-options.js';
import type { MetricsAuth, RequestHandler } from './metrics-handler.js';

/** Names accepted in `exporters` and in `OTEL_METRICS_EXPORTER`. */
export type ExporterName = 'prometheus' | 'otlp' | 'console' | 'file' | 'none';

/** `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` values this package can send. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` values (spec names, lower case). */
export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

export interface PrometheusOptions {
  /**
   * Start our own HTTP server. `false`: no server; mount `metrics.prometheus.handler`
   * on your own `http`/Express/Fastify server instead.
   * @default true
   */
  server?: boolean;
  /**
   * Bind address. Loopback by default so metrics are never exposed by accident;
   * in a container set `host: '0.0.0.0'` (or `OTEL_EXPORTER_PROMETHEUS_HOST=0.0.0.0`).
   * @default '127.0.0.1' (else `OTEL_EXPORTER_PROMETHEUS_HOST`)
   */
  host?: string;
  /**
   * Port; `0` picks a free one (read it back from `metrics.prometheus.url` after `ready`).
   * @default 9464 (else `OTEL_EXPORTER_PROMETHEUS_PORT`)
   */
  port?: number;
  /** Scrape path. @default '/metrics' */
  path?: string;
  /** Liveness path served next to the scrape path (200 `ok`). `false` disables it. @default '/healthz' */
  healthPath?: string | false;
  /**
   * Metric naming. `'otel'`: the OpenTelemetry → Prometheus compatibility rules with unit
   * suffixes (`_seconds`, `_bytes`, `_ratio`) and `_total`, identical to what the Collector
   * and Prometheus' own OTLP receiver produce. `'stock'`: the names of
   * `@opentelemetry/exporter-prometheus` (no unit suffix).
   * @default 'otel'
   */
  naming?: 'otel' | 'stock';
  /**
   * Maximum time a scrape waits for `collect()` (observable callbacks included). A hung
   * callback then costs one scrape its data for that instrument, not the whole endpoint.
   * @default 10000
   */
  scrapeTimeoutMillis?: number;
  /** Leave out the `otel_scope_name`/`otel_scope_version`/`otel_scope_schema_url` labels. @default false */
  withoutScopeInfo?: boolean;
  /**
   * Leave the `_created` samples (each counter's and histogram's start time) out of
   * OpenMetrics scrapes. Prometheus before 3.0 stores every one as a series of its own
   * (`<name>_created`): one more series per counter and per histogram series.
   * @default false
   */
  withoutCreated?: boolean;
  /** Leave out the `target_info` series. @default false */
  withoutTargetInfo?: boolean;
  /**
   * Require credentials on every request to the metrics server (scrape and health):
   * `{ bearerToken }` or `{ username, password }` (HTTP basic). @default none
   */
  auth?: MetricsAuth;
  /**
   * More routes on the metrics server, by exact path (e.g. a dashboard page and its JSON).
   * They get the same bind address and `auth` as `/metrics`. @default none
   */
  routes?: Record<string, RequestHandler>;
  /** Extra producers whose metrics are added to every scrape (e.g. a scrape bridge). */
  metricProducers?: MetricProducer[];
}

export interface OtlpOptions {
  /**
   * Collector base URL (`/v1/metrics` is appended) or, with `endpointIsFull: true`, the full
   * URL. @default OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (as is), else OTEL_EXPORTER_OTLP_ENDPOINT
   * + `/v1/metrics`, else `http://localhost:4318/v1/metrics`.
   */
  endpoint?: string;
  /** Treat `endpoint` as the full signal URL (the spec's `..._METRICS_ENDPOINT` semantics). @default false */
  endpointIsFull?: boolean;
  /** @default 'http/protobuf' (the spec default), else OTEL_EXPORTER_OTLP_[METRICS_]PROTOCOL */
  protocol?: OtlpProtocol;
  /** Extra HTTP headers (auth tokens). @default OTEL_EXPORTER_OTLP_[METRICS_]HEADERS */
  headers?: Record<string, string>;
  /** @default 'none', else OTEL_EXPORTER_OTLP_[METRICS_]COMPRESSION */
  compression?: 'gzip' | 'none';
  /** Per-export HTTP timeout. @default 10000, else OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT */
  timeoutMillis?: number;
  /** Push interval. @default 60000, else OTEL_METRIC_EXPORT_INTERVAL */
  intervalMillis?: number;
  /** Time allowed for one collect-and-export. @default 30000, else OTEL_METRIC_EXPORT_TIMEOUT */
  exportTimeoutMillis?: number;
  /** @default 'cumulative', else OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE */
  temporality?: TemporalityPreference;
}

export interface FileOptions {
  /** File to append to; rotated copies are `path.1` (newest) … `path.N`. @default TOKENMETER_METRICS_FILE */
  path?: string;
  /** One OTLP/JSON `ExportMetricsServiceRequest` per line (the Collector file format), or CSV rows. @default 'otlp-json' */
  format?: 'otlp-json' | 'csv';
  /** Rotate before a write would pass this size; 0 never rotates. @default 104857600 (100 MiB) */
  maxBytes?: number;
  /** Rotated files kept. @default 5 */
  maxFiles?: number;
  /** @default 60000, else OTEL_METRIC_EXPORT_INTERVAL */
  intervalMillis?: number;
}

export interface ConsoleOptions {
  /** @default 60000, else OTEL_METRIC_EXPORT_INTERVAL */
  intervalMillis?: number;
}

export interface RegisterMetricsOptions {
  /** Turn everything off (no readers, no server, no global). @default OTEL_SDK_DISABLED === 'true' */
  disabled?: boolean;
  /** `service.name`. @default OTEL_SERVICE_NAME, else `unknown_service:node` */
  serviceName?: string;
  /** `service.version`. @default none (or `service.version` in OTEL_RESOURCE_ATTRIBUTES) */
  serviceVersion?: string;
  /** `service.instance.id`. @default a random UUID per process (the spec's recommendation) */
  serviceInstanceId?: string;
  /** Extra resource attributes; they override detected ones. */
  resourceAttributes?: Attributes;
  /**
   * Run the host/process/container resource detectors. `process.command_args` and
   * `process.command_line` are always dropped: command lines carry secrets.
   * @default true
   */
  detectResources?: boolean;
  /** @default OTEL_METRICS_EXPORTER, else ['prometheus'] */
  exporters?: ExporterName[];
  prometheus?: PrometheusOptions;
  otlp?: OtlpOptions;
  console?: ConsoleOptions;
  /** The `file` exporter: the app's own metrics to a local file, no server needed. */
  file?: FileOptions;
  /** Additional push exporters, each with its own periodic reader. */
  extraExporters?: { name: string; exporter: PushMetricExporter; intervalMillis?: number }[];
  /**
   * Per-metric limit on attribute sets, applied to every reader and to every view that has
   * no limit of its own. N means N−1 real series plus one `otel.metric.overflow=true`
   * series. On the bound-series path (`boundSeries`, the default) it holds for the life of
   * the instrument, so it bounds memory too; instruments left to the SDK (observables,
   * instruments a view selects) are bounded per collection only, and for cumulative
   * temporality the SDK never evicts. Either way, bound user-controlled values before
   * recording (`@tokenmeter/llm` does this for model names).
   * @default 2000
   */
  cardinalityLimit?: number;
  /**
   * External metric producers (e.g. `@tokenmeter/scrape`'s bridge of a vLLM endpoint) added
   * to every reader, so their series reach the Prometheus endpoint and every push exporter.
   */
  metricProducers?: MetricProducer[];
  /** Views passed to the MeterProvider as they are (a view's own cardinality limit wins). */
  views?: ViewOptions[];
  /**
   * Let the OTLP exporter record its own work with the OTel SDK's semantic-convention
   * self-observability metrics (`otel.sdk.exporter.metric_data_point.exported` with
   * `error.type` on failure, `.inflight`, `otel.sdk.exporter.operation.duration`), so a
   * failing push is visible on the Prometheus endpoint and alertable. @default true
   */
  selfMetrics?: boolean;
  /**
   * Keep an in-process cumulative aggregation for `collect()` (what `snapshot()` and the
   * dashboard read) when there is no Prometheus reader to read from. Every reader
   * aggregates every record once more, so this roughly doubles the recording cost of an
   * OTLP-only setup; with the Prometheus exporter on, `collect()` reads its reader for free.
   * @default false
   */
  snapshot?: boolean;
  /**
   * Record synchronous instruments (Counter, UpDownCounter, Histogram, Gauge) on the
   * bound-series path: each attribute set's series is found by object identity (a frozen
   * attributes object, as `@tokenmeter/llm` passes) or bound once with `bind()`, and
   * aggregated in place, with no attribute hashing per record; every reader gets the data
   * through a `MetricProducer`, with its own temporality and the cardinality limit. An
   * instrument that a view selects, or that a reader wants aggregated other than by
   * default, stays on the SDK path. `false`: every instrument is the SDK's.
   * @default true, else TOKENMETER_BOUND_SERIES
   */
  boundSeries?: boolean;
  /**
   * Keep exemplars on the bound-series path: for each histogram bucket and each counter
   * series, the latest measurement recorded inside a sampled span (from the context passed
   * to `record()`/`add()`, else the active one), with its trace and span id. OpenMetrics and
   * protobuf scrapes carry them; OTLP does not (the SDK's OTLP transformer has no
   * exemplars). Memory: at most one exemplar per bucket of each histogram series, one per
   * counter series. Needs `boundSeries` (the SDK has no exemplars); instruments that stay
   * on the SDK path (views) get none.
   * @default false, else TOKENMETER_EXEMPLARS
   */
  exemplars?: boolean;
  /** Set the provider as the global MeterProvider. @default true */
  setGlobal?: boolean;
  /**
   * On SIGTERM, SIGINT and `beforeExit`, run one final collect-and-export (bounded by
   * `shutdownTimeoutMillis`), then let the process go on with its normal behaviour for that
   * signal. @default true
   */
  shutdownOnSignals?: boolean;
  /** Deadline for `shutdown()` and the signal-triggered final export. @default 5000 */
  shutdownTimeoutMillis?: number;
  /** Environment to read `OTEL_*` variables from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Merge the metrics of `node:cluster` workers and worker threads into one endpoint
   * served by the primary (counters and histograms summed, gauges per worker). `true`
   * or `'auto'`: worker in a cluster worker or a worker thread, primary elsewhere. See
   * the README, "Cluster and worker threads".
   * @default false, else TOKENMETER_CLUSTER
   */
  cluster?: boolean | ClusterRole | ClusterOptions;
}
