/**
 * The network attributes of an MCP connection, read from the transport the
 * SDK was given (the conventions' "Recording MCP transport" table): stdio is
 * `pipe`; Streamable HTTP and HTTP+SSE are `tcp` + `http`; WebSocket is
 * `tcp` + `websocket`; the in-memory transport has none. A client transport's
 * URL gives `server.address` / `server.port`.
 */
import { isObject, serverEndpointOf } from '@tokenmeter/llm/integration';

export interface NetworkAttributes {
  /** `network.transport`: `tcp`, `pipe`… */
  transport?: string;
  /** `network.protocol.name`: `http`, `websocket`. */
  protocolName?: string;
  /** `network.protocol.version`: `1.1`, `2` — only when observed (an HTTP request's version) or given. */
  protocolVersion?: string;
  serverAddress?: string;
  serverPort?: number;
}

/** Transport classes of `@modelcontextprotocol/sdk`, by constructor name. */
const KNOWN: Readonly<Record<string, Pick<NetworkAttributes, 'transport' | 'protocolName'>>> = {
  StdioClientTransport: { transport: 'pipe' },
  StdioServerTransport: { transport: 'pipe' },
  StreamableHTTPClientTransport: { transport: 'tcp', protocolName: 'http' },
  StreamableHTTPServerTransport: { transport: 'tcp', protocolName: 'http' },
  WebStandardStreamableHTTPServerTransport: { transport: 'tcp', protocolName: 'http' },
  SSEClientTransport: { transport: 'tcp', protocolName: 'http' },
  SSEServerTransport: { transport: 'tcp', protocolName: 'http' },
  WebSocketClientTransport: { transport: 'tcp', protocolName: 'websocket' },
};

/**
 * What the transport's class says. The SDK's URL-based client transports
 * keep the endpoint in `_url` (a `URL`), the same field since 1.0; a
 * transport of any other class gives nothing, and options fill the gaps.
 */
export function networkOf(transport: object): NetworkAttributes {
  const name = (transport as { constructor?: { name?: unknown } }).constructor?.name;
  const known = typeof name === 'string' ? KNOWN[name] : undefined;
  if (!known) return {};
  const url = (transport as { _url?: unknown })._url;
  const endpoint = url instanceof URL || typeof url === 'string' ? serverEndpointOf(String(url)) : {};
  return { ...known, ...endpoint };
}

/**
 * The HTTP version and MCP protocol version of a request a Streamable HTTP
 * server transport handles (`handleRequest(req, res)` gets Node's
 * `IncomingMessage`; a web-standard `Request` carries no HTTP version).
 */
export function readHttpRequest(req: unknown): { httpVersion?: string; mcpProtocolVersion?: string } {
  if (!isObject(req)) return {};
  const httpVersion =
    typeof req.httpVersion === 'string' && req.httpVersion !== '' ? req.httpVersion : undefined;
  let mcpProtocolVersion: string | undefined;
  const headers = req.headers;
  if (isObject(headers)) {
    const get = headers.get;
    const v =
      typeof get === 'function' ? get.call(headers, 'mcp-protocol-version') : headers['mcp-protocol-version'];
    if (typeof v === 'string' && v !== '') mcpProtocolVersion = v;
  }
  return { httpVersion: httpVersion === '2.0' ? '2' : httpVersion, mcpProtocolVersion };
}
