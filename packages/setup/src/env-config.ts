import { type ClusterRole, parseClusterEnv } from './cluster/cluster-options.js';
import { ConfigurationError } from './errors.js';
import type { ExporterName, OtlpProtocol, TemporalityPreference } from './options.js';

/**
 * What the `OTEL_*` environment says, validated. Every field is undefined when
 * its variable is unset or empty (the spec treats empty as unset).
 */
export interface EnvConfig {
  disabled?: boolean;
  serviceName?: string;
  exporters?: ExporterName[];
  prometheusHost?: string;
  prometheusPort?: number;
  /** Full metrics URL, already resolved from the generic or the signal-specific variable. */
  otlpEndpoint?: string;
  otlpHeaders?: Record<string, string>;
  otlpProtocol?: OtlpProtocol;
  otlpCompression?: 'gzip' | 'none';
  otlpTimeoutMillis?: number;
  temporality?: TemporalityPreference;
  exportIntervalMillis?: number;
  exportTimeoutMillis?: number;
  /** Not an OTel variable: ours, for `OTEL_METRICS_EXPORTER=file`. */
  filePath?: string;
  /** Not an OTel variable: `TOKENMETER_BOUND_SERIES`, the bound-series record path. */
  boundSeries?: boolean;
  /** Not an OTel variable: `TOKENMETER_EXEMPLARS`, exemplars on the bound-series path. */
  exemplars?: boolean;
  /** Not an OTel variable: `TOKENMETER_CLUSTER`, cluster aggregation. */
  cluster?: ClusterRole | 'off';
}

const EXPORTERS: readonly string[] = ['prometheus', 'otlp', 'console', 'logging', 'file', 'none'];
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The signal-specific variable wins over the generic one, as the spec says. */
function readOtlp(env: NodeJS.ProcessEnv, suffix: string): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_METRICS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = read(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

export function parseBoolean(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigurationError(name, value, '"true" or "false"');
}

export function parseNonNegativeInt(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value)) throw new ConfigurationError(name, value, `an integer from 0 to ${max}`);
  const n = Number(value);
  if (n > max) throw new ConfigurationError(name, value, `an integer from 0 to ${max}`);
  return n;
}

export function parsePositiveInt(name: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > 2 ** 31 - 1)
    throw new ConfigurationError(name, value, 'a positive integer (milliseconds)');
  return n;
}

export function parseExporters(name: string, value: string): ExporterName[] {
  const out: ExporterName[] = [];
  for (const part of value.split(',')) {
    const v = part.trim().toLowerCase();
    if (v === '') continue;
    if (!EXPORTERS.includes(v))
      throw new ConfigurationError(name, value, `a comma-separated list of ${EXPORTERS.join(', ')}`);
    // `logging` is the spec's deprecated name for `console`.
    const exporter = (v === 'logging' ? 'console' : v) as ExporterName;
    if (!out.includes(exporter)) out.push(exporter);
  }
  if (out.includes('none') && out.length > 1) {
    throw new ConfigurationError(name, value, '"none" alone, or a list without "none"');
  }
  return out.includes('none') ? [] : out;
}

export function parseProtocol(name: string, value: string): OtlpProtocol {
  if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
  const hint =
    value === 'grpc' ? ' (grpc is not bundled: use http/protobuf against the Collector port 4318)' : '';
  throw new ConfigurationError(name, value, `one of ${PROTOCOLS.join(', ')}${hint}`);
}

export function parseCompression(name: string, value: string): 'gzip' | 'none' {
  const v = value.toLowerCase();
  if (v === 'gzip' || v === 'none') return v;
  throw new ConfigurationError(name, value, 'one of gzip, none');
}

export function parseTemporality(name: string, value: string): TemporalityPreference {
  const v = value.toLowerCase();
  if (v === 'cumulative' || v === 'delta' || v === 'lowmemory') return v;
  throw new ConfigurationError(name, value, 'one of cumulative, delta, lowmemory');
}

export function parseUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(name, value, 'an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(name, value, 'an absolute http:// or https:// URL');
  }
  return url;
}

/** The generic endpoint is a base: the spec appends the signal path to it. */
export function appendMetricsPath(base: URL): string {
  const path = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return new URL(`${path}v1/metrics${base.search}`, base).toString();
}

/** W3C-baggage-like `k=v,k2=v2` with percent-encoded values (the spec's format). */
export function parseHeaders(name: string, value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (key === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new ConfigurationError(
        name,
        value,
        'comma-separated key=value pairs with HTTP header names as keys',
      );
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigurationError(name, value, 'percent-encoded header values');
    }
    headers[key] = decoded;
  }
  return headers;
}

/** Reads and validates every variable we honour; throws `ConfigurationError` on the first bad one. */
export function readEnvConfig(env: NodeJS.ProcessEnv): EnvConfig {
  const config: EnvConfig = {};
  const disabled = read(env, 'OTEL_SDK_DISABLED');
  if (disabled !== undefined) config.disabled = parseBoolean('OTEL_SDK_DISABLED', disabled);
  const serviceName = read(env, 'OTEL_SERVICE_NAME');
  if (serviceName !== undefined) config.serviceName = serviceName;
  const exporters = read(env, 'OTEL_METRICS_EXPORTER');
  if (exporters !== undefined) config.exporters = parseExporters('OTEL_METRICS_EXPORTER', exporters);

  const host = read(env, 'OTEL_EXPORTER_PROMETHEUS_HOST');
  if (host !== undefined) config.prometheusHost = host;
  const port = read(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  if (port !== undefined)
    config.prometheusPort = parseNonNegativeInt('OTEL_EXPORTER_PROMETHEUS_PORT', port, 65535);

  const specific = read(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const generic = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (specific !== undefined) {
    config.otlpEndpoint = parseUrl('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', specific).toString();
  } else if (generic !== undefined) {
    config.otlpEndpoint = appendMetricsPath(parseUrl('OTEL_EXPORTER_OTLP_ENDPOINT', generic));
  }
  const headers = readOtlp(env, 'HEADERS');
  if (headers) config.otlpHeaders = parseHeaders(headers.name, headers.value);
  const protocol = readOtlp(env, 'PROTOCOL');
  if (protocol) config.otlpProtocol = parseProtocol(protocol.name, protocol.value);
  const compression = readOtlp(env, 'COMPRESSION');
  if (compression) config.otlpCompression = parseCompression(compression.name, compression.value);
  const timeout = readOtlp(env, 'TIMEOUT');
  if (timeout) config.otlpTimeoutMillis = parsePositiveInt(timeout.name, timeout.value);
  const temporality = read(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (temporality !== undefined) {
    config.temporality = parseTemporality('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', temporality);
  }
  const interval = read(env, 'OTEL_METRIC_EXPORT_INTERVAL');
  if (interval !== undefined)
    config.exportIntervalMillis = parsePositiveInt('OTEL_METRIC_EXPORT_INTERVAL', interval);
  const exportTimeout = read(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  if (exportTimeout !== undefined) {
    config.exportTimeoutMillis = parsePositiveInt('OTEL_METRIC_EXPORT_TIMEOUT', exportTimeout);
  }
  const filePath = read(env, 'TOKENMETER_METRICS_FILE');
  if (filePath !== undefined) config.filePath = filePath;
  const bound = read(env, 'TOKENMETER_BOUND_SERIES');
  if (bound !== undefined) config.boundSeries = parseBoolean('TOKENMETER_BOUND_SERIES', bound);
  const exemplars = read(env, 'TOKENMETER_EXEMPLARS');
  if (exemplars !== undefined) config.exemplars = parseBoolean('TOKENMETER_EXEMPLARS', exemplars);
  const cluster = read(env, 'TOKENMETER_CLUSTER');
  if (cluster !== undefined) config.cluster = parseClusterEnv('TOKENMETER_CLUSTER', cluster);
  return config;
}
