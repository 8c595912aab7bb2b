import type { LlmMetrics } from '@tokenmeter/llm';
import {
  type ClientIntegrationOptions,
  isObject,
  metricsOf,
  PatchRegistry,
  telemetryGuard,
} from '@tokenmeter/llm/integration';
import { McpConnection, type McpRole } from './connection.js';
import { type NetworkAttributes, networkOf } from './network.js';
import { observeTransport, transportPatches } from './transport.js';

/**
 * `llm` and `meterProvider` as for every integration; the rest overrides
 * what the transport's class says (see README, "Attributes").
 */
export interface McpInstrumentationOptions extends Pick<ClientIntegrationOptions, 'llm' | 'meterProvider'> {
  /** `server.address` (client side). @default the host of the transport's URL (Streamable HTTP, SSE, WebSocket) */
  serverAddress?: string;
  /** `server.port` (client side), with `serverAddress`. @default the port of the transport's URL */
  serverPort?: number;
  /** `network.transport`. @default `pipe` for stdio, `tcp` for HTTP and WebSocket transports, none in memory */
  networkTransport?: string;
  /** `network.protocol.name`. @default `http` for Streamable HTTP and SSE, `websocket` for WebSocket */
  networkProtocolName?: string;
  /**
   * `network.protocol.version`. @default the HTTP version of the requests a
   * Streamable HTTP server transport handles (Node's `req.httpVersion`);
   * omitted elsewhere (a `fetch` response does not say which version it used)
   */
  networkProtocolVersion?: string;
}

export interface McpTransportOptions extends McpInstrumentationOptions {
  /** Which end of MCP this process is on this transport. Required. */
  role: McpRole;
}

const telemetry = telemetryGuard('@tokenmeter/mcp');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/mcp.instrumentation'));

function networkWith(transport: object, o: McpInstrumentationOptions): NetworkAttributes {
  const n = networkOf(transport);
  return {
    transport: o.networkTransport ?? n.transport,
    protocolName: o.networkProtocolName ?? n.protocolName,
    protocolVersion: o.networkProtocolVersion ?? n.protocolVersion,
    serverAddress: o.serverAddress ?? n.serverAddress,
    serverPort: o.serverAddress !== undefined ? o.serverPort : (o.serverPort ?? n.serverPort),
  };
}

/**
 * Measures one transport: its operations (`mcp.client.operation.duration`
 * for requests and notifications it sends, `mcp.server.operation.duration`
 * for requests it receives) and its session (`mcp.{role}.session.duration`,
 * from `start()` to `onclose`). Call it before the SDK's `connect(transport)`,
 * which sets the handlers this wraps. A transport is observed once.
 * `instrumentMcpClient` / `instrumentMcpServer` call it for you.
 */
export function observeMcpTransport<T extends object>(transport: T, options: McpTransportOptions): T {
  if (options?.role !== 'client' && options?.role !== 'server')
    throw new TypeError(
      `observeMcpTransport(): role must be "client" or "server", got ${String(options?.role)}`,
    );
  if (!isObject(transport) || transportPatches.isPatched(transport)) return transport;
  try {
    const llm = metricsOf(options);
    const connection = new McpConnection(llm, options.role, networkWith(transport, options), telemetry);
    observeTransport(transport, connection, telemetry);
  } catch (error) {
    telemetry.report('observeMcpTransport', error);
  }
  return transport;
}

function instrument<T extends object>(target: T, role: McpRole, options: McpInstrumentationOptions): T {
  if (!isObject(target) || patches.isPatched(target)) return target;
  let llm: LlmMetrics;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('instrument', error);
    return target;
  }
  const o: McpTransportOptions = { ...options, llm, role };
  patches.patch(
    target,
    (p) =>
      p.method(
        target,
        'connect',
        (connect) =>
          function (this: unknown, ...args: never[]) {
            const transport: unknown = args[0];
            if (isObject(transport)) telemetry.guard('connect', () => observeMcpTransport(transport, o));
            return connect.apply(this, args);
          },
      ),
    telemetry,
  );
  return target;
}

/**
 * Instruments an MCP `Client` (`@modelcontextprotocol/sdk/client`) in place
 * and returns it: every transport it connects to is measured — operations
 * it sends and receives, and the client session. Calling it twice is a no-op.
 */
export function instrumentMcpClient<C extends object>(client: C, options: McpInstrumentationOptions = {}): C {
  return instrument(client, 'client', options);
}

/**
 * Instruments an MCP `McpServer` or low-level `Server` in place and returns
 * it: every transport it connects to (one per session for Streamable HTTP)
 * is measured — requests it serves, requests and notifications it sends,
 * and the server session. Calling it twice is a no-op.
 */
export function instrumentMcpServer<S extends object>(server: S, options: McpInstrumentationOptions = {}): S {
  return instrument(server, 'server', options);
}

/**
 * Removes what `instrumentMcpClient` / `instrumentMcpServer` added. Transports
 * already connected stay measured until they close.
 */
export function uninstrumentMcp<T extends object>(target: T): T {
  patches.unpatch(target);
  return target;
}

/** True when `target` (a client or server) is currently instrumented. */
export function isMcpInstrumented(target: object): boolean {
  return patches.isPatched(target);
}
