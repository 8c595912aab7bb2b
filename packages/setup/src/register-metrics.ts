import { diag, metrics as metricsApi } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  ConsoleMetricExporter,
  type IMetricReader,
  MeterProvider,
  type MetricProducer,
  MetricReader,
  PeriodicExportingMetricReader,
  TimeoutError,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { BoundMeterProvider } from './bound/bound-meter-provider.js';
import { BoundRegistry } from './bound/bound-registry.js';
import { DeadlineError, ExportError } from './errors.js';
import { FileMetricExporter } from './file-metric-exporter.js';
import {
  createHealthHandler,
  createRouter,
  createScrapeHandler,
  type MetricsAuth,
  type RequestHandler,
  withAuth,
} from './metrics-handler.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import type { ExporterName, RegisterMetricsOptions } from './options.js';
import { LazyOtlpExporter } from './otlp-exporter.js';
import { PrometheusReader, type Scrape } from './prometheus-reader.js';
import { type ResolvedConfig, resolveConfig } from './resolve-config.js';
import { buildResource } from './resource.js';
import { installShutdownHooks } from './shutdown-hooks.js';
import { TrackedExporter } from './tracked-exporter.js';

/** The Prometheus side of a handle. */
export interface PrometheusEndpoint {
  /** `http://127.0.0.1:9464/metrics` once listening; undefined before, on failure, or with `server: false`. */
  readonly url: string | undefined;
  /** Resolves with `url` once listening (immediately with `server: false`); rejects with `MetricsServerError`. */
  readonly ready: Promise<string | undefined>;
  /** Serves the scrape on whatever path you mount it (`app.get('/metrics', handler)`). */
  readonly handler: RequestHandler;
  /** Answers 200 `ok`. */
  readonly healthHandler: RequestHandler;
  /** The reader, for adding routes of your own next to the scrape. */
  readonly reader: PrometheusReader;
  /** Renders the exposition text once, as a scrape would. */
  scrape(): Promise<string>;
}

export interface FlushOptions {
  /** Deadline; rejects with `DeadlineError` past it. @default shutdownTimeoutMillis (5000) */
  timeoutMillis?: number;
}

export interface MetricsHandle {
  /** The SDK MeterProvider: pass it to instrumentations, or rely on the global one. */
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  /** Exporters actually running, after options and `OTEL_METRICS_EXPORTER` were applied. */
  readonly exporters: readonly ExporterName[];
  /** Present when the `prometheus` exporter is on. */
  readonly prometheus: PrometheusEndpoint | undefined;
  /** Resolves when every exporter is ready to serve (the Prometheus server listens). */
  readonly ready: Promise<void>;
  /** True when disabled by `disabled: true` or `OTEL_SDK_DISABLED=true`: nothing is recorded. */
  readonly disabled: boolean;
  readonly isShutdown: boolean;
  /** The resolved configuration (code options over environment over defaults). */
  readonly config: Readonly<ResolvedConfig>;
  /**
   * A cumulative collection of everything recorded so far, from the SDK's own
   * aggregation (what `snapshot()` helpers read). Has no effect on exports.
   */
  collect(): Promise<CollectionResult>;
  /** Collects and pushes now on every push exporter. Rejects with `ExportError` / `DeadlineError`. */
  forceFlush(options?: FlushOptions): Promise<void>;
  /** Final collect-and-export, then stops everything. Idempotent: later calls return the same promise. */
  shutdown(options?: FlushOptions): Promise<void>;
}

/** Test-and-snapshot reader: cumulative, never exports, only answers `collect()`. */
class SnapshotReader extends MetricReader {
  constructor(limit: number, metricProducers: MetricProducer[]) {
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      cardinalitySelector: () => limit,
      metricProducers,
    });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let activeGlobal: MetricsHandle | undefined;

/**
 * Builds the MeterProvider with the chosen exporters and (by default) makes it
 * the global one. Throws `ConfigurationError` for bad options or `OTEL_*`
 * values; never throws for runtime problems (a taken port rejects `ready`).
 *
 * Calling it again while a global registration is active returns that same
 * handle (with a diagnostic), so two libraries that both "set up metrics" do
 * not fight; after `shutdown()` a new registration starts fresh.
 */
export function registerMetrics(options: RegisterMetricsOptions = {}): MetricsHandle {
  const config = resolveConfig(options);
  if (config.setGlobal && activeGlobal && !activeGlobal.isShutdown) {
    diag.warn(
      'tokenmeter: registerMetrics() called again; returning the existing registration (options ignored)',
    );
    return activeGlobal;
  }
  const handle = build(config, options.env ?? process.env, options.prometheus?.auth);
  if (config.setGlobal && !config.disabled) activeGlobal = handle;
  return handle;
}

function withCardinality(views: ViewOptions[], limit: number): ViewOptions[] {
  // A view without its own limit ignores the reader's and falls back to 2000.
  return views.map((v) =>
    v.aggregationCardinalityLimit === undefined ? { ...v, aggregationCardinalityLimit: limit } : v,
  );
}

function build(config: ResolvedConfig, env: NodeJS.ProcessEnv, auth: MetricsAuth | undefined): MetricsHandle {
  const resource = buildResource(config, env);
  const exporters: ExporterName[] = config.disabled ? [] : config.exporters;
  const readers: IMetricReader[] = [];
  const tracked: TrackedExporter[] = [];
  const limit = config.cardinalityLimit;
  const bound =
    config.boundSeries && !config.disabled
      ? new BoundRegistry({ cardinalityLimit: limit, views: config.views })
      : undefined;
  /** Builds a reader with `producers` plus, on the bound-series path, that reader's own producer. */
  const withBound = <R extends MetricReader>(
    producers: MetricProducer[],
    make: (p: MetricProducer[]) => R,
  ): R => {
    const own = bound?.producer();
    const reader = make(own ? [...producers, own] : producers);
    own?.attach(reader);
    return reader;
  };

  let prometheusReader: PrometheusReader | undefined;
  if (exporters.includes('prometheus')) {
    const p = config.prometheus;
    prometheusReader = withBound(
      [...config.metricProducers, ...p.metricProducers],
      (metricProducers) =>
        new PrometheusReader({
          naming: p.naming,
          withoutScopeInfo: p.withoutScopeInfo,
          withoutTargetInfo: p.withoutTargetInfo,
          scrapeTimeoutMillis: p.scrapeTimeoutMillis,
          cardinalityLimit: limit,
          metricProducers,
        }),
    );
    readers.push(prometheusReader);
  }
  const push = (
    name: string,
    exporter: ConstructorParameters<typeof TrackedExporter>[1],
    interval: number,
    timeout: number,
  ) => {
    const t = new TrackedExporter(name, exporter);
    tracked.push(t);
    readers.push(
      withBound(
        config.metricProducers,
        (metricProducers) =>
          new PeriodicExportingMetricReader({
            exporter: t,
            exportIntervalMillis: interval,
            // The SDK requires timeout <= interval.
            exportTimeoutMillis: Math.min(timeout, interval),
            cardinalityLimits: { default: limit },
            metricProducers,
          }),
      ),
    );
  };
  let otlpExporter: LazyOtlpExporter | undefined;
  if (exporters.includes('otlp')) {
    otlpExporter = new LazyOtlpExporter(config.otlp);
    push('otlp', otlpExporter, config.otlp.intervalMillis, config.otlp.exportTimeoutMillis);
  }
  if (exporters.includes('console')) {
    push(
      'console',
      new ConsoleMetricExporter(),
      config.consoleIntervalMillis,
      config.otlp.exportTimeoutMillis,
    );
  }
  if (exporters.includes('file')) {
    const f = config.file;
    push(
      'file',
      new FileMetricExporter({ path: f.path, format: f.format, maxBytes: f.maxBytes, maxFiles: f.maxFiles }),
      f.intervalMillis,
      config.otlp.exportTimeoutMillis,
    );
  }
  if (!config.disabled) {
    for (const extra of config.extraExporters) {
      push(extra.name, extra.exporter, extra.intervalMillis, config.otlp.exportTimeoutMillis);
    }
  }
  const snapshotReader =
    prometheusReader || config.disabled || !config.snapshot
      ? undefined
      : withBound(config.metricProducers, (metricProducers) => new SnapshotReader(limit, metricProducers));
  if (snapshotReader) readers.push(snapshotReader);

  const providerOptions = { resource, readers, views: withCardinality(config.views, limit) };
  const meterProvider = bound
    ? new BoundMeterProvider(providerOptions, bound)
    : new MeterProvider(providerOptions);
  if (otlpExporter && config.selfMetrics) otlpExporter.setSelfObsMeterProvider(meterProvider);

  let server: MetricsServer | undefined;
  let prometheus: PrometheusEndpoint | undefined;
  if (prometheusReader) {
    const reader = prometheusReader;
    const p = config.prometheus;
    const scrape = (): Promise<Scrape> => reader.scrape();
    const handler = createScrapeHandler(scrape, auth);
    const healthHandler = createHealthHandler(auth);
    let url: string | undefined;
    let ready: Promise<string | undefined> = Promise.resolve(undefined);
    if (p.server) {
      const routes = new Map<string, RequestHandler>([[p.path, handler]]);
      if (p.healthPath) routes.set(p.healthPath, healthHandler);
      for (const [route, extra] of Object.entries(p.routes)) routes.set(route, withAuth(auth, extra));
      server = startMetricsServer(p.host, p.port, createRouter(routes));
      ready = server.listening.then((base) => {
        url = `${base}${p.path}`;
        return url;
      });
      ready.catch(() => {});
    }
    prometheus = {
      get url() {
        return url;
      },
      ready,
      handler,
      healthHandler,
      reader,
      scrape: async () => Buffer.concat((await scrape()).chunks).toString('utf8'),
    };
  }

  let globalSet = false;
  if (config.setGlobal && !config.disabled) {
    globalSet = metricsApi.setGlobalMeterProvider(meterProvider);
    if (!globalSet)
      diag.warn('tokenmeter: a global MeterProvider was already set by someone else; ours is not global');
  }

  let shutdownPromise: Promise<void> | undefined;
  let removeHooks: (() => void) | undefined;

  async function withDeadline<T>(operation: string, timeoutMillis: number, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(operation, timeoutMillis)), timeoutMillis);
      timer.unref();
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      // The SDK enforces the same deadline internally and may get there first.
      if (error instanceof TimeoutError) throw new DeadlineError(operation, timeoutMillis);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `work`, then reports exporters whose exports during it failed. */
  async function tracking(
    operation: string,
    timeoutMillis: number,
    work: () => Promise<void>,
  ): Promise<void> {
    const before = tracked.map((t) => t.exports);
    await withDeadline(operation, timeoutMillis, work());
    const failures = tracked
      .filter((t, i) => t.exports > (before[i] ?? 0) && t.lastError !== undefined)
      .map((t) => ({ exporter: t.name, error: t.lastError as Error }));
    if (failures.length > 0) throw new ExportError(operation, failures);
  }

  const handle: MetricsHandle = {
    meterProvider,
    resource,
    exporters,
    prometheus,
    ready: (prometheus?.ready ?? Promise.resolve()).then(() => undefined),
    disabled: config.disabled,
    get isShutdown() {
      return shutdownPromise !== undefined;
    },
    config,
    collect: () => {
      if (prometheusReader) return prometheusReader.collectNow();
      if (snapshotReader) return snapshotReader.collect();
      if (!config.disabled) {
        diag.warn(
          'tokenmeter: collect() has no reader to read (no prometheus exporter); pass registerMetrics({ snapshot: true })',
        );
      }
      return Promise.resolve({ resourceMetrics: { resource, scopeMetrics: [] }, errors: [] });
    },
    forceFlush: (opts = {}) => {
      if (shutdownPromise) return Promise.resolve();
      const timeout = opts.timeoutMillis ?? config.shutdownTimeoutMillis;
      return tracking('forceFlush', timeout, () => meterProvider.forceFlush({ timeoutMillis: timeout }));
    },
    shutdown: (opts = {}) => {
      if (shutdownPromise) return shutdownPromise;
      const timeout = opts.timeoutMillis ?? config.shutdownTimeoutMillis;
      removeHooks?.();
      shutdownPromise = tracking('shutdown', timeout, async () => {
        try {
          await meterProvider.shutdown({ timeoutMillis: timeout });
        } finally {
          await server?.close();
          if (globalSet) metricsApi.disable();
          if (activeGlobal === handle) activeGlobal = undefined;
        }
      });
      return shutdownPromise;
    },
  };
  handle.ready.catch(() => {});

  if (config.shutdownOnSignals && !config.disabled && readers.length > 0) {
    removeHooks = installShutdownHooks(() => handle.shutdown());
  }
  return handle;
}
