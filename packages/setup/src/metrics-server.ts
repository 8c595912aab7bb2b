import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { diag } from '@opentelemetry/api';
import { MetricsServerError } from './errors.js';
import type { RequestHandler } from './metrics-handler.js';

export interface MetricsServer {
  server: Server;
  /** Resolves with the base URL (`http://127.0.0.1:9464`) once listening; rejects with `MetricsServerError`. */
  listening: Promise<string>;
  close(): Promise<void>;
}

/** Open connections kept; a new one beyond this closes the oldest (see below). */
export const MAX_CONNECTIONS = 128;
/** A connection with no socket activity for this long is closed (a client that stopped reading). */
export const IDLE_SOCKET_TIMEOUT_MILLIS = 15_000;

/**
 * Starts the HTTP server that serves the scrape. The server is `unref()`'d so a
 * short-lived script still exits on its own, and timeouts are short so a slow
 * or stalled client cannot hold sockets for long:
 * - headers must arrive within 5 s and the request within 15 s, checked every
 *   second (Node checks every 30 s by default, so a slowloris client held a
 *   socket for up to 35 s);
 * - a socket with no activity for 15 s is closed: a client that sends a request
 *   and never reads the response would otherwise hold its socket, and the
 *   rendered scrape it is stuck on, forever;
 * - past {@link MAX_CONNECTIONS} open connections a new connection closes the
 *   oldest one instead of being refused (`server.maxConnections` refuses the
 *   newcomer: 128 stalled connections from one client denied every scrape).
 */
export function startMetricsServer(host: string, port: number, handler: RequestHandler): MetricsServer {
  const server = createServer(
    {
      requestTimeout: 15_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 8192,
      connectionsCheckingInterval: 1_000,
    },
    handler,
  );
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MILLIS, (socket) => socket.destroy());
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= MAX_CONNECTIONS) {
      const oldest = open.values().next().value;
      if (oldest) {
        open.delete(oldest);
        oldest.destroy();
      }
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  const listening = new Promise<string>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const wrapped = new MetricsServerError(host, port, error);
      diag.error(wrapped.message);
      reject(wrapped);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // Later socket-level errors must not become uncaught exceptions in the app.
      server.on('error', (error) => diag.error('tokenmeter metrics server error', error));
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shownHost}:${address.port}`);
    });
    server.unref();
  });
  // Marks the rejection as handled: an app that never awaits `ready` must not
  // crash on an unhandled rejection because port 9464 was taken.
  listening.catch(() => {});
  return {
    server,
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
