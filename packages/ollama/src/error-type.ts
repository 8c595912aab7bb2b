/**
 * `error.type` for failed `ollama` client calls. Low cardinality by
 * construction: an HTTP status, a fixed tokenmeter value, a socket error code,
 * or llm's generic mapping.
 */
import { errorTypeOr } from '@tokenmeter/llm';

/** An `{"error": …}` object inside an NDJSON stream (the client throws a plain `Error`). */
export const ERROR_TYPE_STREAM_ERROR = 'stream_error';
/** The stream ended without the final `done: true` object. */
export const ERROR_TYPE_INCOMPLETE_STREAM = 'incomplete_stream';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;
const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;

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
  if (isObj(err)) {
    const name = err.name;
    if (name === 'AbortError') return 'aborted';
    if (name === 'TimeoutError') return 'timeout';
    const status = err.status_code ?? err.status;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
      return String(status);
    }
    const cause = err.cause;
    if (err instanceof TypeError && isObj(cause) && typeof cause.code === 'string' && CODE.test(cause.code)) {
      return cause.code;
    }
  }
  return errorTypeOr(err, fallback);
}
