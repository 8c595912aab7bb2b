/**
 * `error.type` for failed `ollama` client calls. Low cardinality by
 * construction: an HTTP status, a fixed tokenmeter value, a socket error code,
 * or llm's generic mapping.
 */
import { errorTypeOr, fetchErrorCode, isObject } from '@tokenmeter/llm/integration';

/** An `{"error": …}` object inside an NDJSON stream (the client throws a plain `Error`). */
export const ERROR_TYPE_STREAM_ERROR = 'stream_error';
/** The stream ended without the final `done: true` object. */
export const ERROR_TYPE_INCOMPLETE_STREAM = 'incomplete_stream';

/**
 * What the `ollama` client's errors say for sure (steps 1–3 of
 * `ollamaErrorType`), or undefined for anything else, which
 * `@tokenmeter/llm` then maps itself.
 */
export function classifyOllamaError(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const name = err.name;
  if (name === 'AbortError') return 'aborted';
  if (name === 'TimeoutError') return 'timeout';
  const status = err.status_code ?? err.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
    return String(status);
  }
  return fetchErrorCode(err);
}

/**
 * Maps an error thrown by the `ollama` client:
 *
 * 1. a DOM `AbortError` → `aborted`; a `TimeoutError` → `timeout`;
 * 2. `ResponseError` (HTTP error answer) → its `status_code` as a string (`'404'`, `'500'`, …);
 * 3. `fetch` failures (`TypeError: fetch failed`, `TypeError: terminated` when the
 *    connection drops mid-stream) → the socket error code of the cause
 *    (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`, …);
 * 4. anything else → `fallback(err)` (tokenmeter's generic mapping), else `_OTHER`.
 *
 * `stream_error` and `incomplete_stream` are decided by the instrumentation,
 * which sees the raw stream.
 */
export function ollamaErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyOllamaError(err) ?? errorTypeOr(err, fallback);
}
