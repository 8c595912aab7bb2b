import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { CollectionLike, LlmMetrics, LlmSnapshot } from '@tokenmeter/llm';
import { buildDashboardData, type DashboardData } from './data.js';
import { PAGE_HTML, PAGE_SCRIPT_SHA256, PAGE_STYLE_SHA256 } from './page-assets.js';

/** A request handler with the signature `http`, Express and `@tokenmeter/setup`'s `routes` accept. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The part of `LlmMetrics` the dashboard uses. */
export type SnapshotReader = Pick<LlmMetrics, 'snapshot'>;

export interface DashboardOptions {
  /**
   * The `LlmMetrics` whose `snapshot()` is read, or a function returning it — for the usual
   * order where `createLlmMetrics({ meterProvider })` runs after `registerMetrics()` (whose
   * `routes` need the handlers first). While the function returns undefined the JSON answers 503.
   */
  llm: SnapshotReader | (() => SnapshotReader | undefined);
  /**
   * A cumulative collection of everything recorded: `() => handle.collect()` of
   * `@tokenmeter/setup`, or `() => reader.collect()` of any SDK `MetricReader`. Each JSON
   * request collects once; `snapshot()` and the `hw.gpu.*` panels both read that one result.
   */
  collect: () => Promise<CollectionLike> | CollectionLike;
  /** Shown on the page. @default the collection's `service.name`, else `unknown_service` */
  serviceName?: string;
  /** How often the page polls the JSON, ms (at least 500). @default 2000 */
  intervalMillis?: number;
  /** Points kept per chart in the browser. @default 300 (10 minutes at 2 s) */
  historyPoints?: number;
  /** Paths serving the page. @default ['/', '/dashboard'] */
  pagePaths?: string[];
  /** Path of the JSON (the page fetches this absolute path). @default '/dashboard.json' */
  jsonPath?: string;
}

export interface Dashboard {
  /** `{ '/': page, '/dashboard': page, '/dashboard.json': json }`, for `registerMetrics({ prometheus: { routes } })`. */
  routes: Record<string, DashboardHandler>;
  pageHandler: DashboardHandler;
  jsonHandler: DashboardHandler;
  /** The JSON the handler would send now (for tests and other transports). */
  data(): Promise<DashboardData>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function positiveInt(v: number | undefined, def: number, min: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v < min) throw new RangeError(`dashboard: ${name} must be a number >= ${min}`);
  return Math.round(v);
}

function checkPath(p: string, name: string): string {
  if (!p.startsWith('/')) throw new RangeError(`dashboard: ${name} must start with "/" (got "${p}")`);
  return p;
}

/** Answers 405 for anything but GET and HEAD; returns true when the request may go on. */
function getOrHead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD' });
  res.end();
  return false;
}

/**
 * The dashboard page and its JSON, to serve next to `/metrics`:
 *
 * ```ts
 * const telemetry = registerMetrics({
 *   prometheus: { routes: dashboardRoutes({ llm: () => llm, collect: () => telemetry.collect() }) },
 * });
 * const llm = createLlmMetrics({ meterProvider: telemetry.meterProvider, collect: () => telemetry.collect() });
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const intervalMillis = positiveInt(options.intervalMillis, 2000, 500, 'intervalMillis');
  const historyPoints = positiveInt(options.historyPoints, 300, 2, 'historyPoints');
  const jsonPath = checkPath(options.jsonPath ?? '/dashboard.json', 'jsonPath');
  const pagePaths = (options.pagePaths ?? ['/', '/dashboard']).map((p) => checkPath(p, 'pagePaths'));
  const { collect } = options;

  const config = JSON.stringify({ json: jsonPath, intervalMillis, historyPoints });
  const html = PAGE_HTML.replace('__TOKENMETER_CONFIG__', escapeAttr(config));
  const csp = [
    "default-src 'none'",
    `script-src '${PAGE_SCRIPT_SHA256}'`,
    `style-src '${PAGE_STYLE_SHA256}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  // One stable source object: snapshot() keeps its rate ring per source, and every JSON
  // request hands it the collection that request made (so GPU gauges and the snapshot
  // come from the same instant, with one collect() per request).
  let current: CollectionLike | undefined;
  const source = () => {
    if (!current) throw new Error('no collection');
    return current;
  };

  const build = async (): Promise<DashboardData> => {
    const llm = typeof options.llm === 'function' ? options.llm() : options.llm;
    if (!llm) throw new NotReadyError();
    let collection: CollectionLike | undefined;
    try {
      collection = await collect();
    } catch (error) {
      diag.error('tokenmeter dashboard: collect() failed', error);
    }
    current = collection;
    let snapshot: LlmSnapshot;
    try {
      snapshot = await llm.snapshot({ from: source });
    } finally {
      current = undefined;
    }
    const buildOptions: { service?: string; intervalMillis: number } = { intervalMillis };
    if (options.serviceName !== undefined) buildOptions.service = options.serviceName;
    return buildDashboardData(snapshot, collection, buildOptions);
  };

  // Concurrent requests (two tabs) share one collection instead of racing on `current`.
  let inflight: Promise<DashboardData> | undefined;
  const data = (): Promise<DashboardData> => {
    inflight ??= build().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const pageHandler: DashboardHandler = (req, res) => {
    if (!getOrHead(req, res)) return;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  };

  const jsonHandler: DashboardHandler = (req, res) => {
    if (!getOrHead(req, res)) return;
    data()
      .then((d) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(d));
      })
      .catch((error: unknown) => {
        const notReady = error instanceof NotReadyError;
        if (!notReady) diag.error('tokenmeter dashboard: building the JSON failed', error);
        if (res.headersSent) {
          res.end();
          return;
        }
        res.writeHead(notReady ? 503 : 500, {
          'content-type': 'application/json; charset=utf-8',
          ...SECURITY_HEADERS,
        });
        const message = notReady ? 'metrics not ready yet' : 'dashboard data failed; see the application log';
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ ok: false, error: message }));
      });
  };

  const routes: Record<string, DashboardHandler> = {};
  for (const p of pagePaths) routes[p] = pageHandler;
  routes[jsonPath] = jsonHandler;
  return { routes, pageHandler, jsonHandler, data };
}

class NotReadyError extends Error {}

/** `createDashboard(options).routes`: the page and JSON routes for `registerMetrics({ prometheus: { routes } })`. */
export function dashboardRoutes(options: DashboardOptions): Record<string, DashboardHandler> {
  return createDashboard(options).routes;
}
