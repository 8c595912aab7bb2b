import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

export interface FakeServer {
  url: string;
  /** Requests received so far. */
  hits: () => number;
  close: () => Promise<void>;
}

/** A loopback HTTP server on a free port; `handler` gets the 1-based request number. */
export async function startServer(handler: Handler): Promise<FakeServer> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    handler(req, res, hits);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body(hit)` as Prometheus text (or OpenMetrics with `openMetrics`). */
export function exposition(body: (hit: number) => string, openMetrics = false): Handler {
  return (_req, res, hit) => {
    res.writeHead(200, {
      'content-type': openMetrics
        ? 'application/openmetrics-text; version=1.0.0; charset=utf-8'
        : 'text/plain; version=0.0.4; charset=utf-8',
    });
    res.end(body(hit));
  };
}
