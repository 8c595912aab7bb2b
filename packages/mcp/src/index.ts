/**
 * @tokenmeter/mcp — the OpenTelemetry MCP metrics (`mcp.client.operation.duration`,
 * `mcp.server.operation.duration`, `mcp.client.session.duration`,
 * `mcp.server.session.duration`) for the Model Context Protocol TypeScript
 * SDK, measured on the transport of an instrumented client or server.
 */
export type { McpRole } from './connection.js';
export { MAX_PENDING } from './connection.js';
export { ERROR_CANCELLED, ERROR_CONNECTION_CLOSED, ERROR_TIMEOUT } from './error-type.js';
export {
  instrumentMcpClient,
  instrumentMcpServer,
  isMcpInstrumented,
  type McpInstrumentationOptions,
  type McpTransportOptions,
  observeMcpTransport,
  uninstrumentMcp,
} from './instrument.js';
