/**
 * `error.type` for failures of OpenAI SDK calls. Low cardinality by
 * construction: an HTTP status code, one of a fixed list of SDK error class
 * names, or a fixed fallback.
 */
import { errorTypeOr } from '@tokenmeter/llm';

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
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause === 'object' && typeof cause.code === 'string' && SOCKET_CODES.has(cause.code)) {
    return true;
  }
  return err instanceof TypeError && err.message === 'terminated';
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
  if (err && typeof err === 'object') {
    const status = (err as { status?: unknown }).status;
    const name = className(err);
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
      return String(status);
    }
    const errName = (err as { name?: unknown }).name;
    if (name === 'APIUserAbortError' || errName === 'AbortError') return 'aborted';
    if (name === 'APIConnectionTimeoutError' || errName === 'TimeoutError') return 'timeout';
    if (name && SDK_ERROR_CLASSES.has(name)) return name;
    if (isConnectionDrop(err)) return 'APIConnectionError';
  }
  return errorTypeOr(err, fallback);
}
