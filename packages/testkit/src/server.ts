import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createDualProtocolServer, dropConnection } from './dual-protocol.js';
import type { SimRequest } from './script.js';

/** Common shape of a running simulator. */
export interface RunningSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Requests received, in arrival order (the last `maxLoggedRequests`; mutable: tests may clear it). */
  readonly requests: SimRequest[];
  /** Stops accepting, destroys open connections and resolves when closed. Idempotent. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Keep at most this many entries in `requests` (oldest dropped first), so long runs don't grow. @default 1000 */
  maxLoggedRequests?: number;
}

/** Per-request context handed to route handlers. */
export interface Exchange {
  /** The request; over HTTP/2, Node's compatibility request (same methods). */
  readonly req: IncomingMessage;
  /** The response; over HTTP/2, Node's compatibility response (same methods). */
  readonly res: ServerResponse;
  readonly request: SimRequest;
  /** Aborted when the client goes away or the simulator closes. */
  readonly signal: AbortSignal;
  /** Resolves at `request.receivedAt + ms` (absolute schedule, no drift); false when aborted first. */
  at(ms: number): Promise<boolean>;
  /** Writes unless the connection is gone; false when it is. */
  write(data: string): boolean;
  /** Drops the connection (the socket; over HTTP/2 the session): simulates a dropped connection. */
  cut(): void;
}

export type Handler = (ex: Exchange) => Promise<void>;

/** Where a request goes and which model it asks for, from its URL and parsed body. */
export type RequestTarget = (
  url: string,
  body: Record<string, unknown> | undefined,
) => { path: string; model: string | undefined };

/** The path before `?` and the body's `model` field: the OpenAI, Ollama and Anthropic APIs. */
export const bodyModelTarget: RequestTarget = (url, body) => ({
  path: url.split('?')[0] ?? '/',
  model: typeof body?.model === 'string' ? body.model : undefined,
});

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  if (parts.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Sleeps until `performance.now() >= target` with setTimeout (no busy wait). */
function sleepUntil(target: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  const delay = target - performance.now();
  if (delay <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(!signal.aborted);
    }, Math.ceil(delay));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function sendJson(ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (ex.signal.aborted || ex.res.headersSent) return;
  const text = JSON.stringify(body);
  ex.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  ex.res.end(text);
}

export async function startServer(
  options: ServerOptions,
  route: (path: string, method: string) => Handler | undefined,
  target: RequestTarget = bodyModelTarget,
): Promise<RunningSimulator> {
  const requests: SimRequest[] = [];
  const maxLogged = Math.max(0, options.maxLoggedRequests ?? 1000);
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  const server: Server = createDualProtocolServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const body = await readBody(req);
      const { path, model } = target(req.url ?? '/', body);
      const request: SimRequest = {
        method,
        path,
        headers: req.headers,
        body,
        model,
        receivedAt: performance.now(),
      };
      requests.push(request);
      if (requests.length > maxLogged) requests.splice(0, requests.length - maxLogged);
      const gone = new AbortController();
      const onGone = () => gone.abort();
      res.on('close', onGone);
      closing.signal.addEventListener('abort', onGone, { once: true });
      const ex: Exchange = {
        req,
        res,
        request,
        signal: gone.signal,
        at: (ms) => sleepUntil(request.receivedAt + ms, gone.signal),
        write: (data) => {
          if (gone.signal.aborted || res.destroyed) return false;
          res.write(data);
          return true;
        },
        cut: () => {
          dropConnection(req);
          gone.abort();
        },
      };
      const handler = route(path, method);
      try {
        if (!handler) {
          sendJson(ex, 404, {
            error: { message: `No route for ${method} ${path}`, type: 'invalid_request_error', code: null },
          });
        } else {
          await handler(ex);
        }
      } catch (error) {
        if (!res.headersSent) {
          sendJson(ex, 500, { error: { message: String(error), type: 'server_error', code: null } });
        } else {
          dropConnection(req);
        }
      } finally {
        closing.signal.removeEventListener('abort', onGone);
      }
    })();
  });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
