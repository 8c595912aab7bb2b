/**
 * The scrape handler of `registerMetrics()`'s endpoint, for a
 * `PrometheusReader` that lives in a provider someone else built: NodeSDK's
 * `metricReaders`, or the application's own `new MeterProvider({ readers })`.
 * There the stock exporter would otherwise be the only Prometheus endpoint,
 * at its speed (docs/benchmarks.md, section 3).
 */
import { ConfigurationError } from './errors.js';
import { createScrapeHandler, type MetricsAuth, type RequestHandler } from './metrics-handler.js';
import { PrometheusReader } from './prometheus-reader.js';
import { metricsAuthOption } from './resolve-config.js';

export interface PrometheusHandlerOptions {
  /** Credentials every request must carry: `{ bearerToken }` or `{ username, password }` (HTTP basic). @default none */
  auth?: MetricsAuth;
}

/**
 * A `(req, res)` handler that answers a scrape from `reader`, as the endpoint
 * of `registerMetrics()` does: text 0.0.4, OpenMetrics or protobuf by the
 * request's `Accept`, the body sent as it is rendered, gzip for large bodies,
 * concurrent scrapes sharing one collection. Mount it at any path of your
 * own server. It never throws: a failed collection answers 500 and goes to
 * `diag`.
 *
 * @throws ConfigurationError for a reader that is not setup's
 *   `PrometheusReader`, or for `auth` that is not usable credentials.
 */
export function prometheusHandler(
  reader: PrometheusReader,
  options: PrometheusHandlerOptions = {},
): RequestHandler {
  if (!(reader instanceof PrometheusReader)) {
    throw new ConfigurationError('reader', reader, 'a PrometheusReader from @tokenmeter/setup');
  }
  const auth = metricsAuthOption('auth', options.auth);
  return createScrapeHandler((format) => reader.stream(format), auth);
}
