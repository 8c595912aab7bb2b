/**
 * `error.type` for failures of `@google/genai` calls. Low cardinality by
 * construction: an HTTP status code, a fixed tokenmeter value, a socket error
 * code, or llm's generic mapping.
 */
import { errorTypeOr, fetchErrorCode, isObject } from '@tokenmeter/llm/integration';

/**
 * What the SDK's errors say for sure (steps 1–3 of `googleGenAIErrorType`),
 * or undefined for anything else, which `@tokenmeter/llm` then maps itself.
 * `callerSignal` is the call's `config.abortSignal`: the SDK's own timeout
 * (`httpOptions.timeout`) aborts the request with a plain `AbortError` too,
 * so an `AbortError` the caller did not ask for is the timeout.
 */
export function classifyGoogleGenAIError(err: unknown, callerSignal?: AbortSignal): string | undefined {
  if (!isObject(err)) return undefined;
  const status = err.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
    return String(status);
  }
  if (err.name === 'AbortError') return callerSignal?.aborted ? 'aborted' : 'timeout';
  if (err.name === 'TimeoutError') return 'timeout';
  return fetchErrorCode(err);
}

/**
 * Maps an error thrown by a `@google/genai` call to `error.type`:
 *
 * 1. `ApiError` (an HTTP error answer, or an error object inside a stream) →
 *    its status as a string (`'429'`, `'503'`, …);
 * 2. an `AbortError` → `aborted` when the call's `config.abortSignal` fired,
 *    else `timeout` (the SDK's `httpOptions.timeout` aborts the same way); a
 *    `TimeoutError` → `timeout`;
 * 3. `fetch` failures (`TypeError: fetch failed`, `TypeError: terminated` when
 *    the connection drops mid-stream) → the socket error code of the cause
 *    (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`, …);
 * 4. anything else → `fallback(err)` (tokenmeter's generic mapping), else `_OTHER`.
 */
export function googleGenAIErrorType(
  err: unknown,
  fallback?: (err: unknown) => string,
  callerSignal?: AbortSignal,
): string {
  return classifyGoogleGenAIError(err, callerSignal) ?? errorTypeOr(err, fallback);
}
