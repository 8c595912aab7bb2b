/**
 * Observing an MCP transport in place. The SDK's `Protocol` (under `Client`,
 * `Server` and `McpServer`) owns the transport: `connect()` sets its
 * `onmessage`, `onclose` and `onerror` and then calls `start()`. So `start`
 * is where those handlers are wrapped — by assignment, which also goes
 * through transports that forward them to an inner one (the Streamable HTTP
 * server transport) — and `send` and `close` are wrapped as own properties
 * of that transport instance only.
 */
import type { TelemetryGuard } from '@tokenmeter/llm';
import { isThenable, PatchRegistry } from '@tokenmeter/llm/integration';
import type { McpConnection } from './connection.js';
import { readHttpRequest } from './network.js';

type Handler = ((...args: unknown[]) => unknown) | undefined;

export const transportPatches = new PatchRegistry(Symbol.for('@tokenmeter/mcp.transport'));

/**
 * Wraps the transport's methods so that `connection` sees every message,
 * the start and the close. Once per transport: a transport already
 * observed (by this or another copy of the package) is left as it is.
 */
export function observeTransport(
  transport: object,
  connection: McpConnection,
  telemetry: TelemetryGuard,
): void {
  transportPatches.patch(
    transport,
    (p) => {
      p.method(
        transport,
        'start',
        (start) =>
          function (this: unknown, ...args: never[]) {
            telemetry.guard('start', () => {
              connection.starting();
              wrapHandlers(transport, connection, telemetry);
            });
            const started = start.apply(this, args);
            if (isThenable(started)) {
              started.then(undefined, (error: unknown) =>
                telemetry.guard('start', () => connection.startFailed(error)),
              );
            }
            return started;
          },
      );
      p.method(
        transport,
        'send',
        (send) =>
          function (this: unknown, ...args: never[]) {
            let sent: ((sending: unknown) => void) | undefined;
            try {
              sent = connection.outgoing(args[0]);
            } catch (error) {
              telemetry.report('send', error);
            }
            const sending = send.apply(this, args);
            if (sent) telemetry.guard('send', () => sent(sending));
            return sending;
          },
      );
      p.method(
        transport,
        'close',
        (close) =>
          function (this: unknown, ...args: never[]) {
            telemetry.guard('close', () => connection.closing());
            return close.apply(this, args);
          },
      );
      // Streamable HTTP server transports see each HTTP request first: its HTTP version, and the MCP version header.
      p.method(
        transport,
        'handleRequest',
        (handle) =>
          function (this: unknown, ...args: never[]) {
            telemetry.guard('handleRequest', () => connection.httpRequest(readHttpRequest(args[0])));
            return handle.apply(this, args);
          },
      );
    },
    telemetry,
  );
}

/** Wraps the handlers the Protocol has just set, so that messages, errors and the close pass by `connection` first. */
function wrapHandlers(transport: object, connection: McpConnection, telemetry: TelemetryGuard): void {
  const t = transport as { onmessage?: Handler; onclose?: Handler; onerror?: Handler };
  const onmessage = t.onmessage;
  t.onmessage = function (this: unknown, ...args: unknown[]) {
    telemetry.guard('onmessage', () => {
      const m = args[0];
      // A transport may hand over a JSON-RPC batch as one array.
      if (Array.isArray(m)) for (const one of m) connection.incoming(one);
      else connection.incoming(m);
    });
    return onmessage?.apply(this, args);
  };
  const onclose = t.onclose;
  t.onclose = function (this: unknown, ...args: unknown[]) {
    telemetry.guard('onclose', () => connection.closed());
    return onclose?.apply(this, args);
  };
  const onerror = t.onerror;
  t.onerror = function (this: unknown, ...args: unknown[]) {
    telemetry.guard('onerror', () => connection.failed(args[0]));
    return onerror?.apply(this, args);
  };
}
