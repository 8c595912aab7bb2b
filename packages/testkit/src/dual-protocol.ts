/**
 * One port that speaks HTTP/1.1 and cleartext HTTP/2 (prior knowledge), as
 * the client picks: the AWS SDK's Bedrock runtime client talks HTTP/2 by
 * default (its `NodeHttp2Handler`), older majors and every other SDK talk
 * HTTP/1.1. Each connection goes to one of the two Node servers by its first
 * bytes — the HTTP/2 connection preface starts `PRI * HTTP/2.0` — and both
 * hand their requests to the same handler, through Node's HTTP/2
 * compatibility API, whose request and response have the HTTP/1 methods the
 * simulators use.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, Http2ServerRequest } from 'node:http2';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const PREFACE = Buffer.from('PRI * HTTP/2.0');

/** A TCP server handing each connection to HTTP/1.1 or to cleartext HTTP/2. */
export function createDualProtocolServer(listener: RequestListener): Server {
  const http1 = createHttp1Server(listener);
  // The compatibility API's request and response stand in for the HTTP/1 ones.
  const http2 = createHttp2Server(listener as unknown as Parameters<typeof createHttp2Server>[0]);
  return createTcpServer((socket: Socket) => {
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const n = Math.min(first.length, PREFACE.length);
      const h2 = n > 0 && first.subarray(0, n).equals(PREFACE.subarray(0, n));
      // The HTTP/2 session reads what is buffered itself; the HTTP/1 parser needs it to flow.
      if (h2) {
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  });
}

/**
 * Drops the connection a request came on: closes the socket of an HTTP/1.1
 * request; resets (TCP RST) the socket of an HTTP/2 session. Node's HTTP/2
 * client ends a stream quietly, as if complete, when its session's socket
 * is merely closed, so that would not look like a dropped connection to it.
 */
export function dropConnection(req: IncomingMessage): void {
  const r: unknown = req;
  if (r instanceof Http2ServerRequest) r.stream.session?.socket.resetAndDestroy();
  else req.socket.destroy();
}
