import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { CollectionLike, LlmMetrics, LlmSnapshot } from '@tokenmeter/llm';
import { chartValues } from './chart-values.js';
import { buildDashboardData, type DashboardData } from './data.js';
import { History, type HistoryData } from './history.js';
import { PAGE_HTML, PAGE_SCRIPT_SHA256, PAGE_STYLE_SHA256 } from './page-assets.js';
import { sampleEvery } from './sampler.js';

/** A request handler with the signature `http`, Express and `@tokenmeter/setup`'s `routes` accept. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The part of `LlmMetrics` the dashboard uses. */
export type SnapshotReader = Pick<LlmMetrics, 'snapshot'>;

export interface DashboardOptions {
  /**
   * The `LlmMetrics` whose `snapshot()` is read, or a function returning it — for routes
   * passed to `registerMetrics({ prometheus: { routes } })`, which exist before
   * `createLlmMetrics({ meterProvider })` can run (`mountDashboard()` needs no function).
   * While the function returns undefined the JSON answers 503.
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
  /**
   * How far back the charts reach, seconds: the span of the server's history and of
   * what the page keeps. At most 1000 history samples (`historySpanS * 1000 /
   * historyIntervalMillis`). @default 600 (10 minutes)
   */
  historySpanS?: number;
  /**
   * How often the server samples the charted values on its own, ms (at least 500), so
   * that a page opened late draws the recent past at once; `0` keeps no history on the
   * server (the page then starts empty). @default 5000
   */
  historyIntervalMillis?: number;
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
  /** The server's history as `GET <jsonPath>?history=1` sends it; undefined with `historyIntervalMillis: 0`. */
  history(): HistoryData | undefined;
  /** Stops the history sampler (its timer is unref'd, so it never keeps a process alive); idempotent. */
  close(): void;
}

/** `GET <jsonPath>?history=1`: the JSON plus the server's history. */
export type DashboardDataWithHistory = DashboardData & { history?: HistoryData };

/** Most samples the server's history may hold (memory: see `HISTORY_LIMITS`). */
const MAX_HISTORY_POINTS = 1000;

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
  const historySpanS = positiveInt(options.historySpanS, 600, 1, 'historySpanS');
  const historyIntervalMillis =
    options.historyIntervalMillis === 0
      ? 0
      : positiveInt(options.historyIntervalMillis, 5000, 500, 'historyIntervalMillis');
  const historyPoints =
    historyIntervalMillis && Math.floor((historySpanS * 1000) / historyIntervalMillis) + 1;
  if (historyIntervalMillis && historyPoints < 2) {
    throw new RangeError('dashboard: historySpanS must cover at least one historyIntervalMillis');
  }
  if (historyPoints > MAX_HISTORY_POINTS) {
    throw new RangeError(
      `dashboard: historySpanS / historyIntervalMillis gives ${historyPoints} samples (at most ${MAX_HISTORY_POINTS})`,
    );
  }
  const jsonPath = checkPath(options.jsonPath ?? '/dashboard.json', 'jsonPath');
  const pagePaths = (options.pagePaths ?? ['/', '/dashboard']).map((p) => checkPath(p, 'pagePaths'));
  const { collect } = options;

  const config = JSON.stringify({ json: jsonPath, intervalMillis, historySpanS, historyIntervalMillis });
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

  let collectFailing = false;
  const build = async (): Promise<DashboardData> => {
    const llm = typeof options.llm === 'function' ? options.llm() : options.llm;
    if (!llm) throw new NotReadyError();
    let collection: CollectionLike | undefined;
    try {
      collection = await collect();
      if (collectFailing) diag.info('tokenmeter dashboard: collect() works again');
      collectFailing = false;
    } catch (error) {
      // Once per run of failures: the sampler and every poll would repeat it (after a shutdown, forever).
      if (!collectFailing) diag.error('tokenmeter dashboard: collect() failed', error);
      collectFailing = true;
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

  // The server samples the charted values on its own schedule, so history exists
  // whether or not a page is open. It keeps numbers only (see History).
  const history = historyIntervalMillis ? new History(historyPoints, historyIntervalMillis) : undefined;
  let sampleFailing = false;
  const sampler =
    history &&
    sampleEvery(historyIntervalMillis, async () => {
      try {
        const d = await data();
        if (d.ok) history.add(d.time, chartValues(d));
        sampleFailing = false;
      } catch (error) {
        // Not ready yet (the LlmMetrics comes later) is no failure; anything else is said once.
        if (!(error instanceof NotReadyError) && !sampleFailing) {
          diag.error('tokenmeter dashboard: sampling the history failed', error);
          sampleFailing = true;
        }
      }
    });

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
    const withHistory = history !== undefined && wantsHistory(req);
    data()
      .then((d) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
        if (req.method === 'HEAD') return res.end();
        const body: DashboardDataWithHistory = withHistory ? { ...d, history: history.toJSON() } : d;
        res.end(JSON.stringify(body));
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
  return {
    routes,
    pageHandler,
    jsonHandler,
    data,
    history: () => history?.toJSON(),
    close: () => sampler?.stop(),
  };
}

class NotReadyError extends Error {}

function wantsHistory(req: IncomingMessage): boolean {
  const q = (req.url ?? '').indexOf('?');
  return q >= 0 && new URLSearchParams(req.url?.slice(q + 1)).get('history') === '1';
}

/** `createDashboard(options).routes`: the page and JSON routes for `registerMetrics({ prometheus: { routes } })`. */
export function dashboardRoutes(options: DashboardOptions): Record<string, DashboardHandler> {
  return createDashboard(options).routes;
}
