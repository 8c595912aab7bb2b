import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { type ExpositionFormat, negotiateFormat, TEXT_CONTENT_TYPE } from './exposition-format.js';
import type { ScrapeStream } from './prometheus-reader.js';
import type { ScrapeBody } from './scrape-body.js';

/** The `Content-Type` of the Prometheus text format 0.0.4, what a scrape without `Accept` gets. */
export const PROMETHEUS_CONTENT_TYPE = TEXT_CONTENT_TYPE;

/** Credentials required on every request to the metrics server. */
export type MetricsAuth = { bearerToken: string } | { username: string; password: string };

/** A request handler with the signature `http`, Express and (via `reply.raw`) Fastify accept. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Bodies smaller than this are sent as is: gzip costs more than it saves. */
const GZIP_MIN_BYTES = 1024;

/**
 * zlib's fastest level. Exposition text is so repetitive that level 1 still
 * shrinks it ~50x (a 40 MB 10k-series scrape: 848 KB at level 1, 697 KB at
 * the default 6), in a quarter of the time (40 ms vs 160 ms on the benchmark
 * machine): the scrape's latency matters more than the last 20% of bytes on
 * a link that carries one scrape every few seconds.
 */
const GZIP_LEVEL = zlibConstants.Z_BEST_SPEED;

/**
 * Resolves once `out` can take more (true), or once the response closed under
 * it (false): a client that hangs up mid-body must not leave the handler, and
 * the body it holds, waiting forever for a `drain` that never comes.
 */
function drained(out: Writable, res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    out.once('drain', done);
    res.once('close', done);
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Returns true when the request may proceed; otherwise it has answered 401. */
export function checkAuth(auth: MetricsAuth | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? '';
  let ok = false;
  if ('bearerToken' in auth) {
    ok = header.startsWith('Bearer ') && safeEqual(header.slice(7), auth.bearerToken);
  } else if (header.startsWith('Basic ')) {
    ok = safeEqual(Buffer.from(header.slice(6), 'base64').toString(), `${auth.username}:${auth.password}`);
  }
  if (!ok) {
    res.writeHead(401, {
      'content-type': 'text/plain; charset=utf-8',
      'www-authenticate': 'bearerToken' in auth ? 'Bearer' : 'Basic realm="tokenmeter"',
    });
    res.end('unauthorized\n');
  }
  return ok;
}

/** Puts `auth` in front of any handler. */
export function withAuth(auth: MetricsAuth | undefined, handler: RequestHandler): RequestHandler {
  if (!auth) return handler;
  return (req, res) => {
    if (checkAuth(auth, req, res)) handler(req, res);
  };
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  return typeof accept === 'string' && /\bgzip\b/.test(accept);
}

/**
 * The scrape handler, without routing: mount it on any path of your own
 * server. The format follows the request's `Accept` header (text 0.0.4,
 * OpenMetrics 1.0 or protobuf; text when the header asks for nothing we
 * serve or cannot be read). The body goes out as it is rendered. Never
 * throws; a failed collection answers 500 and goes to `diag`, a failure after
 * part of the body went out closes the connection (the scrape fails rather
 * than ingesting half a body).
 */
export function createScrapeHandler(
  stream: (format: ExpositionFormat) => ScrapeStream,
  auth?: MetricsAuth,
): RequestHandler {
  return (req, res) => {
    if (!checkAuth(auth, req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const { format, contentType } = negotiateFormat(req.headers.accept);
    // The body depends on Accept (format) and Accept-Encoding (gzip): caches must key on both.
    const headers = { 'content-type': contentType, vary: 'Accept, Accept-Encoding' };
    const { body, release } = stream(format);
    // Chunks go back for reuse only once every byte left for the socket; a
    // response that breaks off early leaves them to the garbage collector,
    // since the socket may still hold a pending write of them.
    res.once('finish', release);
    send(req, res, body, headers).catch((error: unknown) => {
      diag.error('tokenmeter: Prometheus scrape failed', error);
      if (res.headersSent) {
        // Part of the body is out: cut the connection, so the scraper records a
        // failed scrape instead of ingesting a truncated one.
        res.destroy();
        return;
      }
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('# metrics collection failed; see the application log\n');
    });
  };
}

/**
 * Writes each chunk of `body` as soon as it is rendered, waiting for `drain`
 * when the client is slower. It walks `body.chunks` by index rather than
 * through `body.read()`: an async generator costs a few promise hops per
 * chunk, measurable on a small scrape (~0.03 ms of a ~0.7 ms 1k-series
 * counter scrape on the benchmark VM), and a body rendered in one go is
 * handed to `end()` whole, as a one-write response.
 */
async function send(
  req: IncomingMessage,
  res: ServerResponse,
  body: ScrapeBody,
  headers: Record<string, string>,
): Promise<void> {
  if (req.method === 'HEAD') {
    await body.done;
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const chunks = body.chunks;
  let out: Writable | undefined;
  let sent = 0;
  for (;;) {
    if (out === undefined && body.complete) {
      out = open(req, res, body, headers, 0);
      if (chunks.length === 1) {
        out.end(chunks[0]);
        return;
      }
    }
    while (sent < chunks.length) {
      const chunk = chunks[sent++] as Buffer;
      out ??= open(req, res, body, headers, chunk.length);
      if (!out.write(chunk) && !(await drained(out, res))) {
        if (out !== res) out.destroy();
        return;
      }
    }
    body.throwIfFailed();
    if (body.complete) break;
    await body.changed();
  }
  (out ?? open(req, res, body, headers, 0)).end();
}

/**
 * Sends the headers when the first chunk is ready. A body rendered in one go
 * (every small scrape) has a known length and goes out with `Content-Length`;
 * a large one goes out chunked as it is rendered, compressed when the client
 * accepts gzip.
 */
function open(
  req: IncomingMessage,
  res: ServerResponse,
  body: ScrapeBody,
  headers: Record<string, string>,
  firstChunk: number,
): Writable {
  let length: number | undefined;
  if (body.complete) {
    length = 0;
    for (const c of body.chunks) length += c.length;
  }
  if ((length ?? firstChunk) >= GZIP_MIN_BYTES && acceptsGzip(req)) {
    // zlib runs on the thread pool: compressing a large scrape never blocks the loop.
    res.writeHead(200, { ...headers, 'content-encoding': 'gzip' });
    const gzip = createGzip({ level: GZIP_LEVEL });
    gzip.pipe(res);
    return gzip;
  }
  res.writeHead(200, length === undefined ? headers : { ...headers, 'content-length': length });
  return res;
}

/** Liveness: the process answers HTTP. Deliberately says nothing about exporters. */
export function createHealthHandler(auth?: MetricsAuth): RequestHandler {
  return (req, res) => {
    if (!checkAuth(auth, req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : 'ok\n');
  };
}

/** Routes by path: the handler our own server uses. */
export function createRouter(routes: Map<string, RequestHandler>): RequestHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const route = routes.get(path);
    if (route) {
      try {
        route(req, res);
      } catch (error) {
        // A throwing route (ours or a user's) must not take the metrics server down.
        diag.error(`tokenmeter: handler for ${path} threw`, error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`not found; metrics are at ${[...routes.keys()].join(', ')}\n`);
  };
}
