/**
 * `error.type` for errors of the SDKs Stainless generates (openai,
 * @anthropic-ai/sdk, …): they share their error classes — `APIError` with an
 * HTTP `status`, `APIUserAbortError`, `APIConnectionError`,
 * `APIConnectionTimeoutError` — and how a connection dropped mid-stream
 * surfaces, so each integration only names its SDK's other classes.
 */
import { isObject } from './type-guards.js';

function className(err: object): string | undefined {
  const ctor = (err as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' ? ctor.name : undefined;
}

const SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

/**
 * The connection dropped after the response headers (mid-stream): `fetch`
 * (undici) then throws a raw `TypeError: terminated` whose cause is a socket
 * error; the SDKs only wrap failures before the response in `APIConnectionError`.
 */
function isConnectionDrop(err: object): boolean {
  const cause = (err as { cause?: unknown }).cause;
  if (isObject(cause) && typeof cause.code === 'string' && SOCKET_CODES.has(cause.code)) return true;
  return err instanceof TypeError && err.message === 'terminated';
}

/**
 * What a Stainless SDK's error says for sure, or undefined for anything else
 * (which `@tokenmeter/llm` then maps itself):
 *
 * 1. an HTTP `status` (100–599) → the status code as a string (`'429'`, `'529'`, …);
 * 2. `APIUserAbortError` or a DOM `AbortError` → `aborted`; `APIConnectionTimeoutError`
 *    or a DOM `TimeoutError` → `timeout`;
 * 3. a class named in `sdkClasses` (`APIConnectionError`, `APIError` — an error
 *    event inside a stream has no status —, the SDK's base error…) → its name;
 * 4. a connection dropped mid-stream → `APIConnectionError`.
 */
export function classifyStainlessError(err: unknown, sdkClasses: ReadonlySet<string>): string | undefined {
  if (!isObject(err)) return undefined;
  const status = err.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
    return String(status);
  }
  const name = className(err);
  if (name === 'APIUserAbortError' || err.name === 'AbortError') return 'aborted';
  if (name === 'APIConnectionTimeoutError' || err.name === 'TimeoutError') return 'timeout';
  if (name && sdkClasses.has(name)) return name;
  if (isConnectionDrop(err)) return 'APIConnectionError';
  return undefined;
}
