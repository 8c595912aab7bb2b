import { diag, metrics as metricsApi } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { type CollectionResult, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { BoundMeterProvider } from './bound/bound-meter-provider.js';
import { type ClusterControl, startCluster } from './cluster/start-cluster.js';
import { flushAndReport } from './flush-report.js';
import type { MetricsAuth, RequestHandler } from './metrics-handler.js';
import type { ExporterName, RegisterMetricsOptions } from './options.js';
import {
  createPrometheusEndpoint,
  type PrometheusEndpoint,
  type PrometheusEndpointControl,
} from './prometheus-endpoint.js';
import { createReaders, type Readers } from './readers.js';
import { metricsAuthOption, type ResolvedConfig, resolveConfig } from './resolve-config.js';
import { buildResource } from './resource.js';
import { checkRoute } from './route-path.js';
import { installShutdownHooks } from './shutdown-hooks.js';

export interface FlushOptions {
  /** Deadline. @default shutdownTimeoutMillis (5000) */
  timeoutMillis?: number;
}

/** How the final export of `shutdown()` went. */
export interface ShutdownResult {
  /**
   * Undefined when every exporter got its data out. Otherwise an `ExportError`
   * (which exporters failed), a `DeadlineError` (the deadline passed first), or
   * what the SDK threw. Also logged once through `diag`: `shutdown()` never rejects.
   */
  readonly error: Error | undefined;
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
  /**
   * Serves `handler` at `path` on the metrics server, next to `/metrics`, with
   * the same bind address and `auth` — what `prometheus.routes` does, for a
   * handler that can only be made once the provider exists (a dashboard over
   * `createLlmMetrics()`). Works before and after the server listens. Returns
   * true when the route is served; false, with a diagnostic, when this
   * registration runs no metrics server (Prometheus exporter off,
   * `prometheus.server: false`, disabled, shut down). Throws `ConfigurationError`
   * for a path that does not start with `/`, contains `?`, `#` or spaces, or is
   * already served (the scrape path, the health path, an earlier route).
   */
  addRoute(path: string, handler: RequestHandler): boolean;
  /** Collects and pushes now on every push exporter. Rejects with `ExportError` / `DeadlineError`. */
  forceFlush(options?: FlushOptions): Promise<void>;
  /**
   * Final collect-and-export (bounded by the deadline), then closes the server
   * and releases the global provider. Never rejects: a failed final export is
   * logged once through `diag` and returned as `error`. Idempotent: later calls
   * return the same promise.
   */
  shutdown(options?: FlushOptions): Promise<ShutdownResult>;
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
  const auth = metricsAuthOption('prometheus.auth', options.prometheus?.auth);
  if (config.setGlobal && activeGlobal && !activeGlobal.isShutdown) {
    diag.warn(
      'tokenmeter: registerMetrics() called again; returning the existing registration (options ignored)',
    );
    return activeGlobal;
  }
  const handle = build(config, options.env ?? process.env, auth);
  if (config.setGlobal && !config.disabled) activeGlobal = handle;
  return handle;
}

/** One registration, step by step; each step is a function below. */
function build(config: ResolvedConfig, env: NodeJS.ProcessEnv, auth: MetricsAuth | undefined): MetricsHandle {
  const resource = buildResource(config, env);
  // Settle the detected attributes that arrive as promises now, so that every
  // reader, pulled or pushed, reads them once settled (see PrometheusReader).
  resource.waitForAsyncAttributes?.().catch((error: unknown) => {
    diag.debug(`tokenmeter: a detected resource attribute failed: ${String(error)}`);
  });
  const exporters: ExporterName[] = config.disabled ? [] : config.exporters;
  const readers = createReaders(config, exporters);
  const meterProvider = createMeterProvider(config, resource, readers);
  const endpoint = readers.prometheus
    ? createPrometheusEndpoint(readers.prometheus, config.prometheus, auth)
    : undefined;
  const globalSet = setGlobalProvider(config, meterProvider);
  const cluster = startCluster(config, readers);
  return createHandle({ config, resource, exporters, readers, meterProvider, endpoint, globalSet, cluster });
}

function withCardinality(views: ViewOptions[], limit: number): ViewOptions[] {
  // A view without its own limit ignores the reader's and falls back to 2000.
  return views.map((v) =>
    v.aggregationCardinalityLimit === undefined ? { ...v, aggregationCardinalityLimit: limit } : v,
  );
}

function createMeterProvider(config: ResolvedConfig, resource: Resource, readers: Readers): MeterProvider {
  const options = {
    resource,
    readers: [...readers.all],
    views: withCardinality(config.views, config.cardinalityLimit),
  };
  const meterProvider = readers.bound
    ? new BoundMeterProvider(options, readers.bound)
    : new MeterProvider(options);
  if (readers.otlp && config.selfMetrics) readers.otlp.setSelfObsMeterProvider(meterProvider);
  return meterProvider;
}

function setGlobalProvider(config: ResolvedConfig, meterProvider: MeterProvider): boolean {
  if (!config.setGlobal || config.disabled) return false;
  const set = metricsApi.setGlobalMeterProvider(meterProvider);
  if (!set)
    diag.warn('tokenmeter: a global MeterProvider was already set by someone else; ours is not global');
  return set;
}

interface HandleParts {
  config: ResolvedConfig;
  resource: Resource;
  exporters: ExporterName[];
  readers: Readers;
  meterProvider: MeterProvider;
  endpoint: PrometheusEndpointControl | undefined;
  globalSet: boolean;
  cluster: ClusterControl | undefined;
}

function createHandle(parts: HandleParts): MetricsHandle {
  const { config, resource, readers, meterProvider, endpoint } = parts;
  let shutdownPromise: Promise<ShutdownResult> | undefined;

  const handle: MetricsHandle = {
    meterProvider,
    resource,
    exporters: parts.exporters,
    prometheus: endpoint?.endpoint,
    ready: (endpoint?.endpoint.ready ?? Promise.resolve()).then(() => undefined),
    disabled: config.disabled,
    get isShutdown() {
      return shutdownPromise !== undefined;
    },
    config,
    collect: () => collectFrom(config, resource, readers),
    addRoute: (path, handler) => {
      if (endpoint) return endpoint.addRoute(path, handler);
      checkRoute(`addRoute("${String(path)}")`, path, handler, []);
      diag.warn(`tokenmeter: addRoute("${path}") serves nothing: the prometheus exporter is off`);
      return false;
    },
    forceFlush: (opts = {}) => {
      if (shutdownPromise) return Promise.resolve();
      const timeout = opts.timeoutMillis ?? config.shutdownTimeoutMillis;
      return flushAndReport('forceFlush', timeout, readers.pushed, () =>
        meterProvider.forceFlush({ timeoutMillis: timeout }),
      );
    },
    shutdown: (opts = {}) => {
      removeHooks?.();
      shutdownPromise ??= finalShutdown(parts, opts.timeoutMillis ?? config.shutdownTimeoutMillis, () => {
        if (activeGlobal === handle) activeGlobal = undefined;
      });
      return shutdownPromise;
    },
  };
  handle.ready.catch(() => {});
  const removeHooks =
    config.shutdownOnSignals && !config.disabled && readers.all.length > 0
      ? installShutdownHooks(() => handle.shutdown())
      : undefined;
  return handle;
}

function collectFrom(
  config: ResolvedConfig,
  resource: Resource,
  readers: Readers,
): Promise<CollectionResult> {
  if (readers.prometheus) return readers.prometheus.collectNow();
  if (readers.snapshot) return readers.snapshot.collect();
  if (!config.disabled) {
    diag.warn(
      'tokenmeter: collect() has no reader to read (no prometheus exporter); pass registerMetrics({ snapshot: true })',
    );
  }
  return Promise.resolve({ resourceMetrics: { resource, scopeMetrics: [] }, errors: [] });
}

/**
 * The last collect-and-export within `timeoutMillis`, then the server closes
 * and the global provider is released — at the deadline at the latest, even
 * if an exporter is still retrying. A failure is one diagnostic and the
 * result's `error`, never a rejection: the process is stopping, and an
 * unhandled rejection there would only turn a lost interval into a crash.
 */
async function finalShutdown(
  parts: HandleParts,
  timeoutMillis: number,
  releaseRegistration: () => void,
): Promise<ShutdownResult> {
  const { readers, meterProvider } = parts;
  for (const exporter of readers.pushed) exporter.quiet = true;
  await parts.cluster?.close(timeoutMillis); // a worker's last state goes up while it can still be collected
  let error: Error | undefined;
  try {
    await flushAndReport('shutdown', timeoutMillis, readers.pushed, async () => {
      await readers.otlp?.preload().catch(() => {}); // a failed load fails the export, reported below
      await meterProvider.shutdown({ timeoutMillis });
    });
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  await parts.endpoint?.close();
  if (parts.globalSet) metricsApi.disable();
  releaseRegistration();
  if (error) diag.error(`${error.message}; the measurements since the last export may be lost`);
  return { error };
}
