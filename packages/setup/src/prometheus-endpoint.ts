import { diag } from '@opentelemetry/api';
import {
  createHealthHandler,
  createRouter,
  createScrapeHandler,
  type MetricsAuth,
  type RequestHandler,
  withAuth,
} from './metrics-handler.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import type { PrometheusReader } from './prometheus-reader.js';
import type { ResolvedPrometheus } from './resolve-config.js';
import { checkRoute } from './route-path.js';

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
  /** The reader behind the endpoint: `scrape(format)` renders any format (protobuf too) as chunks. */
  readonly reader: PrometheusReader;
  /**
   * Renders the exposition text once, as a scrape would: the text format 0.0.4,
   * or with `'openmetrics'` OpenMetrics 1.0 (what Prometheus asks for by default).
   */
  scrape(format?: 'text' | 'openmetrics'): Promise<string>;
}

/** The endpoint, with what only the registration itself may do to it. */
export interface PrometheusEndpointControl {
  readonly endpoint: PrometheusEndpoint;
  /** See `MetricsHandle.addRoute`. */
  addRoute(path: string, handler: RequestHandler): boolean;
  /** Stops the server (if one runs); later `addRoute()` calls serve nothing. */
  close(): Promise<void>;
}

/**
 * The scrape and health handlers over `reader` and, unless `server: false`, our
 * own HTTP server routing the scrape path, the health path and the extra
 * routes. The route table is read on every request, so a route added after the
 * server started is served at once, with the same `auth`.
 */
export function createPrometheusEndpoint(
  reader: PrometheusReader,
  p: ResolvedPrometheus,
  auth: MetricsAuth | undefined,
): PrometheusEndpointControl {
  const handler = createScrapeHandler((format) => reader.stream(format), auth);
  const healthHandler = createHealthHandler(auth);
  let url: string | undefined;
  let ready: Promise<string | undefined> = Promise.resolve(undefined);
  let server: MetricsServer | undefined;
  const routes = new Map<string, RequestHandler>([[p.path, handler]]);
  if (p.server) {
    if (p.healthPath) routes.set(p.healthPath, healthHandler);
    for (const [route, extra] of Object.entries(p.routes)) routes.set(route, withAuth(auth, extra));
    server = startMetricsServer(p.host, p.port, createRouter(routes));
    ready = server.listening.then((base) => {
      url = `${base}${p.path}`;
      return url;
    });
    ready.catch(() => {});
  }
  let closed = false;
  return {
    endpoint: {
      get url() {
        return url;
      },
      ready,
      handler,
      healthHandler,
      reader,
      scrape: async (format = 'text') => {
        const { chunks, release } = await reader.scrape(format === 'openmetrics' ? 'openmetrics' : 'text');
        const text = Buffer.concat(chunks).toString('utf8');
        release();
        return text;
      },
    },
    addRoute(path, route) {
      checkRoute(`addRoute("${String(path)}")`, path, route, routes.keys());
      if (!server || closed) {
        diag.warn(
          `tokenmeter: addRoute("${path}") serves nothing: ${closed ? 'the registration was shut down' : 'no metrics server runs (prometheus.server is false)'}`,
        );
        return false;
      }
      routes.set(path, withAuth(auth, route));
      return true;
    },
    async close() {
      closed = true;
      await server?.close();
    },
  };
}
