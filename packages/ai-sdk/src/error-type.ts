/**
 * `error.type` for failed AI SDK model calls, low cardinality by construction.
 */
import { causeCode, errorTypeOr, isObject } from '@tokenmeter/llm/integration';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;
/** Only error statuses: an `APICallError` for a stream that broke after a 200 carries `statusCode: 200`. */
const httpStatus = (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599 ? String(v) : undefined;

/**
 * What a model call's error says for sure (steps 1–4 of `aiSdkErrorType`),
 * or undefined for anything else, which `@tokenmeter/llm` then maps itself.
 */
export function classifyAiSdkError(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  // `generateText` gave up after its retries (`AI_RetryError`): what the last attempt failed with.
  if (err.name === 'AI_RetryError' && err.lastError !== err) return classifyAiSdkError(err.lastError);
  if (err.name === 'AbortError') return 'aborted';
  if (err.name === 'TimeoutError') return 'timeout';
  const status = httpStatus(err.statusCode) ?? httpStatus(err.status);
  if (status) return status;
  const code = causeCode(err);
  if (code) return code;
  if (!(err instanceof Error)) {
    if (typeof err.code === 'string' && CODE.test(err.code)) return err.code;
    if (typeof err.type === 'string' && CODE.test(err.type)) return err.type;
  }
  return undefined;
}

/**
 * Maps what a model call threw, or the `error` of an `error` stream part:
 *
 * 1. `AbortError` → `aborted`; `TimeoutError` → `timeout`;
 * 2. an HTTP error status (`APICallError.statusCode`, or `status`, 400–599) → the status as a
 *    string (a stream that broke after its `200` carries `statusCode: 200`: not an HTTP error);
 * 3. a network failure (`APICallError` "Cannot connect to API", `fetch`'s
 *    `TypeError: terminated` when the connection drops mid-stream) → the
 *    socket error code in its cause chain (`ECONNREFUSED`, `UND_ERR_SOCKET`, …);
 * 4. an error object sent inside the stream (`{ message, type, code }`, not an
 *    `Error`) → its `code`, else its `type` (`server_error`, …);
 * 5. anything else → `fallback(err)` (tokenmeter's generic mapping: a `code`,
 *    else the class name such as `AI_TypeValidationError`), else `_OTHER`.
 *
 * An `AI_RetryError` (a call that failed after the AI SDK's retries) is
 * mapped as its `lastError`.
 */
export function aiSdkErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyAiSdkError(err) ?? errorTypeOr(err, fallback);
}
