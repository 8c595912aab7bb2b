import type { Attributes } from '@opentelemetry/api';
import type { MetricProducer, PushMetricExporter, ViewOptions } from '@opentelemetry/sdk-metrics';
import { type ResolvedCluster, resolveCluster } from './cluster/cluster-options.js';
import { appendMetricsPath, parseUrl, readEnvConfig } from './env-config.js';
import { ConfigurationError } from './errors.js';
import type { MetricsAuth } from './metrics-handler.js';
import type {
  ExporterName,
  OtlpProtocol,
  PrometheusOptions,
  RegisterMetricsOptions,
  TemporalityPreference,
} from './options.js';
import { checkRoute } from './route-path.js';

export interface ResolvedPrometheus
  extends Required<Omit<PrometheusOptions, 'metricProducers' | 'auth' | 'routes'>> {
  routes: NonNullable<PrometheusOptions['routes']>;
  metricProducers: NonNullable<PrometheusOptions['metricProducers']>;
}

export interface ResolvedOtlp {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMillis: number;
  intervalMillis: number;
  exportTimeoutMillis: number;
  temporality: TemporalityPreference;
}

/** Every setting with its final value: code option, else environment, else default. */
export interface ResolvedConfig {
  disabled: boolean;
  serviceName: string | undefined;
  serviceVersion: string | undefined;
  serviceInstanceId: string | undefined;
  resourceAttributes: Attributes;
  detectResources: boolean;
  exporters: ExporterName[];
  prometheus: ResolvedPrometheus;
  otlp: ResolvedOtlp;
  consoleIntervalMillis: number;
  file: {
    path: string;
    format: 'otlp-json' | 'csv';
    maxBytes: number;
    maxFiles: number;
    intervalMillis: number;
  };
  extraExporters: { name: string; exporter: PushMetricExporter; intervalMillis: number }[];
  cardinalityLimit: number;
  metricProducers: MetricProducer[];
  views: ViewOptions[];
  selfMetrics: boolean;
  snapshot: boolean;
  boundSeries: boolean;
  exemplars: boolean;
  setGlobal: boolean;
  shutdownOnSignals: boolean;
  shutdownTimeoutMillis: number;
  /** Cluster aggregation; a worker runs no Prometheus exporter and keeps a snapshot reader to answer from. */
  cluster: ResolvedCluster;
}

export const DEFAULT_PROMETHEUS_PORT = 9464;
export const DEFAULT_PROMETHEUS_HOST = '127.0.0.1';
export const DEFAULT_OTLP_URL = 'http://localhost:4318/v1/metrics';
export const DEFAULT_CARDINALITY_LIMIT = 2000;
/** One real series besides the overflow one. */
export const MIN_CARDINALITY_LIMIT = 2;
export const MAX_CARDINALITY_LIMIT = 10_000_000;

const KNOWN_EXPORTERS: readonly string[] = ['prometheus', 'otlp', 'console', 'file', 'none'];

/** `value` when it is an integer in [min, max], undefined when absent; a `ConfigurationError` otherwise. */
export function intOption(
  setting: string,
  value: number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(setting, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** `value` when it is a boolean, undefined when absent; a `ConfigurationError` otherwise. */
export function booleanOption(setting: string, value: boolean | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ConfigurationError(setting, value, 'true or false');
  return value;
}

/** What an `auth` value holds, for an error message that must not print a secret. */
function describeAuth(value: unknown): string {
  if (typeof value !== 'object' || value === null)
    return typeof value === 'string' ? 'a string' : String(value);
  const fields = Object.entries(value).map(([k, v]) => {
    const shown = typeof v !== 'string' ? typeof v : v === '' ? 'empty string' : 'string';
    return `${k}: <${shown}>`;
  });
  return `{ ${fields.join(', ')} }`;
}

/**
 * `value` when it is usable credentials for the metrics endpoint, undefined
 * when absent; a `ConfigurationError` otherwise. An empty token or password
 * would let anyone in who sends an empty one, and `:` cannot be in an HTTP
 * basic user name, so both are refused rather than served.
 */
export function metricsAuthOption(setting: string, value: unknown): MetricsAuth | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<Record<string, unknown>> | null;
  const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
  if (typeof v === 'object' && v !== null) {
    // Fields set to undefined (an unset environment variable spread in) do not count.
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 1 && nonEmpty(v.bearerToken)) return { bearerToken: v.bearerToken };
    if (keys.length === 2 && nonEmpty(v.username) && !v.username.includes(':') && nonEmpty(v.password)) {
      return { username: v.username, password: v.password };
    }
  }
  throw new ConfigurationError(
    setting,
    describeAuth(value),
    "{ bearerToken } with a non-empty token, or { username, password }: both non-empty, no ':' in the username",
  );
}

function oneOf<T extends string>(
  setting: string,
  value: T | undefined,
  accepted: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!accepted.includes(value))
    throw new ConfigurationError(setting, value, `one of ${accepted.join(', ')}`);
  return value;
}

function resolveExporters(
  options: RegisterMetricsOptions,
  fromEnv: ExporterName[] | undefined,
): ExporterName[] {
  if (options.exporters === undefined) return fromEnv ?? ['prometheus'];
  if (!Array.isArray(options.exporters)) {
    throw new ConfigurationError('exporters', options.exporters, `an array of ${KNOWN_EXPORTERS.join(', ')}`);
  }
  const out: ExporterName[] = [];
  for (const e of options.exporters) {
    if (!KNOWN_EXPORTERS.includes(e)) {
      throw new ConfigurationError('exporters', e, `one of ${KNOWN_EXPORTERS.join(', ')}`);
    }
    if (e !== 'none' && !out.includes(e)) out.push(e);
  }
  return out;
}

function resolveOtlpUrl(options: RegisterMetricsOptions, fromEnv: string | undefined): string {
  const endpoint = options.otlp?.endpoint;
  if (endpoint === undefined) return fromEnv ?? DEFAULT_OTLP_URL;
  const url = parseUrl('otlp.endpoint', endpoint);
  return options.otlp?.endpointIsFull ? url.toString() : appendMetricsPath(url);
}

function resolveRoutes(
  routes: PrometheusOptions['routes'],
  path: string,
  healthPath: string | false,
): NonNullable<PrometheusOptions['routes']> {
  const served = healthPath === false ? [path] : [path, healthPath];
  for (const [route, handler] of Object.entries(routes ?? {})) {
    checkRoute(`prometheus.routes["${route}"]`, route, handler, served);
  }
  return routes ?? {};
}

export function resolveConfig(options: RegisterMetricsOptions = {}): ResolvedConfig {
  const env = readEnvConfig(options.env ?? process.env);
  const p = options.prometheus ?? {};
  const o = options.otlp ?? {};
  const path = p.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new ConfigurationError('prometheus.path', path, 'a path starting with "/"');
  }
  const healthPath = p.healthPath ?? '/healthz';
  if (
    healthPath !== false &&
    (typeof healthPath !== 'string' || !healthPath.startsWith('/') || healthPath === path)
  ) {
    throw new ConfigurationError(
      'prometheus.healthPath',
      healthPath,
      'false, or a path starting with "/" other than the scrape path',
    );
  }
  const interval = intOption('otlp.intervalMillis', o.intervalMillis, 1, 2 ** 31 - 1);
  const headers = o.headers ?? env.otlpHeaders ?? {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string') throw new ConfigurationError(`otlp.headers.${k}`, v, 'a string');
  }
  const cluster = resolveCluster(options.cluster, env.cluster);
  const worker = cluster.role === 'worker';
  const exporters = resolveExporters(options, env.exporters).filter((e) => !(worker && e === 'prometheus'));
  const f = options.file ?? {};
  const filePath = f.path ?? env.filePath;
  if (exporters.includes('file') && (typeof filePath !== 'string' || filePath === '')) {
    throw new ConfigurationError(
      options.file?.path === undefined ? 'TOKENMETER_METRICS_FILE' : 'file.path',
      filePath ?? '',
      'a file path for the file exporter (file.path in code or TOKENMETER_METRICS_FILE)',
    );
  }
  const boundSeries = booleanOption('boundSeries', options.boundSeries) ?? env.boundSeries ?? true;
  const exemplars = booleanOption('exemplars', options.exemplars) ?? env.exemplars ?? false;
  if (exemplars && !boundSeries) {
    const fromCode = options.exemplars !== undefined;
    throw new ConfigurationError(
      fromCode ? 'exemplars' : 'TOKENMETER_EXEMPLARS',
      fromCode ? true : 'true',
      'false while the bound-series path is off (boundSeries: false or TOKENMETER_BOUND_SERIES=false): exemplars are recorded on that path, the SDK has none',
    );
  }
  return {
    disabled: options.disabled ?? env.disabled ?? false,
    serviceName: options.serviceName ?? env.serviceName,
    serviceVersion: options.serviceVersion,
    serviceInstanceId: options.serviceInstanceId,
    resourceAttributes: options.resourceAttributes ?? {},
    detectResources: options.detectResources ?? true,
    exporters,
    prometheus: {
      server: p.server ?? true,
      host: p.host ?? env.prometheusHost ?? DEFAULT_PROMETHEUS_HOST,
      port: intOption('prometheus.port', p.port, 0, 65535) ?? env.prometheusPort ?? DEFAULT_PROMETHEUS_PORT,
      path,
      healthPath,
      naming: oneOf('prometheus.naming', p.naming, ['otel', 'stock']) ?? 'otel',
      scrapeTimeoutMillis:
        intOption('prometheus.scrapeTimeoutMillis', p.scrapeTimeoutMillis, 1, 600_000) ?? 10_000,
      withoutScopeInfo: p.withoutScopeInfo ?? false,
      withoutTargetInfo: p.withoutTargetInfo ?? false,
      withoutCreated: booleanOption('prometheus.withoutCreated', p.withoutCreated) ?? false,
      metricProducers: p.metricProducers ?? [],
      routes: resolveRoutes(p.routes, path, healthPath),
    },
    otlp: {
      url: resolveOtlpUrl(options, env.otlpEndpoint),
      protocol:
        oneOf('otlp.protocol', o.protocol, ['http/protobuf', 'http/json']) ??
        env.otlpProtocol ??
        'http/protobuf',
      headers,
      compression:
        oneOf('otlp.compression', o.compression, ['gzip', 'none']) ?? env.otlpCompression ?? 'none',
      timeoutMillis:
        intOption('otlp.timeoutMillis', o.timeoutMillis, 1, 600_000) ?? env.otlpTimeoutMillis ?? 10_000,
      intervalMillis: interval ?? env.exportIntervalMillis ?? 60_000,
      exportTimeoutMillis:
        intOption('otlp.exportTimeoutMillis', o.exportTimeoutMillis, 1, 600_000) ??
        env.exportTimeoutMillis ??
        30_000,
      temporality:
        oneOf('otlp.temporality', o.temporality, ['cumulative', 'delta', 'lowmemory']) ??
        env.temporality ??
        'cumulative',
    },
    consoleIntervalMillis:
      intOption('console.intervalMillis', options.console?.intervalMillis, 1, 2 ** 31 - 1) ??
      env.exportIntervalMillis ??
      60_000,
    file: {
      path: filePath ?? '',
      format: oneOf('file.format', f.format, ['otlp-json', 'csv']) ?? 'otlp-json',
      maxBytes: intOption('file.maxBytes', f.maxBytes, 0, Number.MAX_SAFE_INTEGER) ?? 100 * 1024 * 1024,
      maxFiles: intOption('file.maxFiles', f.maxFiles, 0, 1000) ?? 5,
      intervalMillis:
        intOption('file.intervalMillis', f.intervalMillis, 1, 2 ** 31 - 1) ??
        env.exportIntervalMillis ??
        60_000,
    },
    extraExporters: (options.extraExporters ?? []).map((e, i) => ({
      name: e.name,
      exporter: e.exporter,
      intervalMillis:
        intOption(`extraExporters[${i}].intervalMillis`, e.intervalMillis, 1, 2 ** 31 - 1) ??
        env.exportIntervalMillis ??
        60_000,
    })),
    cardinalityLimit:
      intOption('cardinalityLimit', options.cardinalityLimit, MIN_CARDINALITY_LIMIT, MAX_CARDINALITY_LIMIT) ??
      DEFAULT_CARDINALITY_LIMIT,
    metricProducers: options.metricProducers ?? [],
    views: options.views ?? [],
    selfMetrics: options.selfMetrics ?? true,
    snapshot: worker || (options.snapshot ?? false),
    boundSeries,
    exemplars,
    setGlobal: options.setGlobal ?? true,
    shutdownOnSignals: options.shutdownOnSignals ?? true,
    shutdownTimeoutMillis:
      intOption('shutdownTimeoutMillis', options.shutdownTimeoutMillis, 1, 600_000) ?? 5_000,
    cluster,
  };
}
