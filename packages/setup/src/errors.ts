/**
 * Thrown by `registerMetrics()` when an option or an `OTEL_*` environment
 * variable has a value we cannot use. It names the setting, the bad value and
 * what would have been accepted, so the fix is obvious from the log line.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  /** The option path (`prometheus.port`) or environment variable (`OTEL_EXPORTER_PROMETHEUS_PORT`). */
  readonly setting: string;
  /** The value as it was given (stringified). */
  readonly value: string;
  /** Human-readable description of accepted values. */
  readonly accepted: string;

  constructor(setting: string, value: unknown, accepted: string) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(`Invalid ${setting}=${shown}: expected ${accepted}`);
    this.setting = setting;
    this.value = typeof value === 'string' ? value : String(value);
    this.accepted = accepted;
  }
}

/**
 * The Prometheus endpoint could not listen (port in use, permission denied,
 * unknown host). Delivered through the rejected `prometheus.ready` /
 * `metrics.ready` promise, never thrown: the application keeps running and the
 * other exporters keep working.
 */
export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
  /** The Node.js system error code, e.g. `EADDRINUSE`, `EACCES`. */
  readonly code: string | undefined;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const hint =
      cause.code === 'EADDRINUSE'
        ? ' (another process is listening there: pick another port with prometheus.port or OTEL_EXPORTER_PROMETHEUS_PORT)'
        : '';
    super(`tokenmeter metrics server could not listen on ${host}:${port}: ${cause.message}${hint}`, {
      cause,
    });
    this.code = cause.code;
    this.host = host;
    this.port = port;
  }
}

/**
 * `forceFlush()` or `shutdown()` did not get every exporter's data out: an
 * export failed (collector down, HTTP 4xx/5xx) or the deadline passed. The SDK
 * itself resolves in both cases; we reject so callers can tell.
 */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  /** One entry per failed exporter, in the order the exporters were configured. */
  readonly failures: readonly { exporter: string; error: Error }[];

  constructor(operation: string, failures: readonly { exporter: string; error: Error }[]) {
    super(
      `tokenmeter ${operation} failed for ${failures.map((f) => `${f.exporter} (${f.error.message})`).join(', ')}`,
    );
    this.failures = failures;
  }
}

/** The deadline given to `forceFlush()` / `shutdown()` passed before the exporters finished. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly timeoutMillis: number;
  constructor(operation: string, timeoutMillis: number) {
    super(`tokenmeter ${operation} did not finish within ${timeoutMillis} ms`);
    this.timeoutMillis = timeoutMillis;
  }
}
