/**
 * `error.type` for failures of OpenAI SDK calls. Low cardinality by
 * construction: an HTTP status code, one of a fixed list of SDK error class
 * names, or a fixed fallback.
 */
import { errorTypeOr } from '@tokenmeter/llm';
import { isObject } from '@tokenmeter/llm/integration';

/** SDK error classes (no HTTP status) reported by name. */
export const SDK_ERROR_CLASSES: ReadonlySet<string> = new Set([
  'APIConnectionError',
  'APIError',
  'OpenAIError',
  'LengthFinishReasonError',
  'ContentFilterFinishReasonError',
]);

function className(err: object): string | undefined {
  const ctor = (err as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' ? ctor.name : undefined;
}

const SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

/**
 * The connection dropped after the response headers (mid-stream): `fetch`
 * (undici) then throws a raw `TypeError: terminated` whose cause is a socket
 * error; the SDK only wraps failures before the response in `APIConnectionError`.
 */
function isConnectionDrop(err: object): boolean {
  const cause = (err as { cause?: unknown }).cause;
  if (isObject(cause) && typeof cause.code === 'string' && SOCKET_CODES.has(cause.code)) return true;
  return err instanceof TypeError && err.message === 'terminated';
}

/**
 * What the OpenAI SDK's errors say for sure (steps 1–4 of `openAiErrorType`),
 * or undefined for anything else, which `@tokenmeter/llm` then maps itself.
 */
export function classifyOpenAiError(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const status = err.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
    return String(status);
  }
  const name = className(err);
  if (name === 'APIUserAbortError' || err.name === 'AbortError') return 'aborted';
  if (name === 'APIConnectionTimeoutError' || err.name === 'TimeoutError') return 'timeout';
  if (name && SDK_ERROR_CLASSES.has(name)) return name;
  if (isConnectionDrop(err)) return 'APIConnectionError';
  return undefined;
}

/**
 * Maps an error thrown by an `openai` SDK call to `error.type`:
 *
 * 1. an `APIError` with an HTTP status → the status code as a string (`'429'`, `'500'`, …);
 * 2. `APIUserAbortError` or a DOM `AbortError` → `aborted`; `APIConnectionTimeoutError`
 *    or a DOM `TimeoutError` → `timeout` (the values `@tokenmeter/llm` uses for every integration);
 * 3. a known SDK class without status → its class name (`APIConnectionError`,
 *    `APIError` (an error event inside a stream), `OpenAIError`,
 *    `LengthFinishReasonError`, `ContentFilterFinishReasonError`);
 * 4. the connection dropped mid-stream (`TypeError: terminated`, socket error causes) → `APIConnectionError`;
 * 5. anything else → `fallback(err)` (tokenmeter's generic mapping), else `_OTHER`.
 */
export function openAiErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyOpenAiError(err) ?? errorTypeOr(err, fallback);
}
