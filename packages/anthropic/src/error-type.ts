/**
 * `error.type` for failures of `@anthropic-ai/sdk` calls. Low cardinality by
 * construction: an HTTP status code, one of Anthropic's documented error
 * types, one of a fixed list of SDK error class names, or a fixed fallback.
 */
import { classifyStainlessError, errorTypeOr, isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/** SDK error classes (no HTTP status) reported by name. */
export const SDK_ERROR_CLASSES: ReadonlySet<string> = new Set([
  'APIConnectionError',
  'APIError',
  'AnthropicError',
]);

/** The error `type`s Anthropic documents (https://docs.anthropic.com/en/api/errors). */
export const ANTHROPIC_ERROR_TYPES: ReadonlySet<string> = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'overloaded_error',
  'timeout_error',
]);

/**
 * The `type` of an `error` event inside a stream: the SDK throws it as an
 * `APIError` without a status whose `error` is the event's body,
 * `{ type: 'error', error: { type: 'overloaded_error', … } }`.
 */
function streamErrorType(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const body = err.error;
  const inner = isObject(body) ? body.error : undefined;
  const type = isObject(inner) ? nonEmptyString(inner.type) : undefined;
  return type !== undefined && ANTHROPIC_ERROR_TYPES.has(type) ? type : undefined;
}

/**
 * What the Anthropic SDK's errors say for sure (steps 1–5 of
 * `anthropicErrorType`), or undefined for anything else, which
 * `@tokenmeter/llm` then maps itself.
 */
export function classifyAnthropicError(err: unknown): string | undefined {
  const type = classifyStainlessError(err, SDK_ERROR_CLASSES);
  return type === 'APIError' ? (streamErrorType(err) ?? type) : type;
}

/**
 * Maps an error thrown by an `@anthropic-ai/sdk` call to `error.type`:
 *
 * 1. an `APIError` with an HTTP status → the status code as a string (`'429'`, `'529'`, …);
 * 2. `APIUserAbortError` or a DOM `AbortError` → `aborted`; `APIConnectionTimeoutError`
 *    or a DOM `TimeoutError` → `timeout`;
 * 3. an `error` event inside a stream → Anthropic's error type (`overloaded_error`,
 *    `api_error`, …; `APIError` for a type Anthropic does not document);
 * 4. `APIConnectionError` (no response), or the connection dropped mid-stream → `APIConnectionError`;
 * 5. another SDK error → `AnthropicError`;
 * 6. anything else → `fallback(err)` (tokenmeter's generic mapping), else `_OTHER`.
 */
export function anthropicErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyAnthropicError(err) ?? errorTypeOr(err, fallback);
}
