/**
 * `error.type` of MCP operations and sessions that failed without a JSON-RPC
 * error code: a transport that could not send, a request cancelled or timed
 * out, a connection that closed first. (A JSON-RPC error response is
 * recorded as its code by `@tokenmeter/llm`, and `tools/call` results with
 * `isError: true` as `tool_error`.)
 */
import { fetchErrorCode, isObject } from '@tokenmeter/llm/integration';

/** The sender cancelled the request (`notifications/cancelled`), for a reason other than a timeout. */
export const ERROR_CANCELLED = 'cancelled';
/** The sender gave up waiting (the SDK's request timeout, which it announces with `notifications/cancelled`). */
export const ERROR_TIMEOUT = 'timeout';
/** The connection closed while the request was in flight. */
export const ERROR_CONNECTION_CLOSED = 'connection_closed';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;

/**
 * What a transport's error says for sure: the socket code under `fetch`'s
 * `TypeError` (`ECONNREFUSED`…), an HTTP status in the SDK's
 * `StreamableHTTPError` / `SseError` `code` (`404` for an unknown session), a
 * system error code (`ENOENT` when a stdio server cannot be spawned,
 * `EPIPE`). Undefined lets `@tokenmeter/llm` map the rest (the class name).
 */
export function transportErrorType(err: unknown): string | undefined {
  const socket = fetchErrorCode(err);
  if (socket) return socket;
  if (!isObject(err)) return undefined;
  const code = err.code;
  if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599) return String(code);
  if (typeof code === 'string' && CODE.test(code)) return code;
  return undefined;
}

/**
 * Why a request was cancelled, from the reason its sender gave. The SDK
 * sends `String(reason)`: for its own timeout, an `McpError` whose text is
 * `MCP error -32001: Request timed out` (or `Maximum total timeout
 * exceeded`); for an `AbortSignal`, the signal's reason.
 */
export function cancellationType(reason: unknown): string {
  if (typeof reason === 'string' && /-32001|timed out|timeout/i.test(reason)) return ERROR_TIMEOUT;
  return ERROR_CANCELLED;
}
