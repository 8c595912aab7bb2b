/**
 * `error.type` for failed Bedrock runtime calls. Low cardinality by
 * construction: the name of an AWS exception (a modelled, fixed list per
 * service), an HTTP status, a socket error code, or llm's generic mapping.
 */
import { causeCode, errorTypeOr, isObject, type UnknownRecord } from '@tokenmeter/llm/integration';

/** A ConverseStream that ended without its `messageStop` event (the SDK may end a dropped stream quietly). */
export const ERROR_TYPE_INCOMPLETE_STREAM = 'incomplete_stream';

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;
/** Names the SDK gives an error it could not match to a modelled exception. */
const GENERIC_NAMES = new Set([
  'Error',
  'ServiceException',
  'UnknownError',
  'BedrockRuntimeServiceException',
]);

function httpStatus(err: UnknownRecord): string | undefined {
  const meta = err.$metadata;
  const status = isObject(meta) ? meta.httpStatusCode : undefined;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599
    ? String(status)
    : undefined;
}

/**
 * What a Bedrock runtime call's error says for sure (steps 1–4 of
 * `bedrockErrorType`), or undefined for anything else, which
 * `@tokenmeter/llm` then maps itself.
 */
export function classifyBedrockError(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const name = typeof err.name === 'string' ? err.name : undefined;
  if (name === 'AbortError') return 'aborted';
  if (name === 'TimeoutError') return 'timeout';
  // An AWS service exception: the SDK sets `$fault` and `$metadata` on every one.
  if (err.$fault === 'client' || err.$fault === 'server') {
    if (name !== undefined && NAME.test(name) && !GENERIC_NAMES.has(name)) return name;
    return httpStatus(err);
  }
  return causeCode(err);
}

/**
 * Maps an error thrown by a Bedrock runtime call (`client.send(command)`, or
 * reading a ConverseStream's `stream`):
 *
 * 1. a DOM `AbortError` → `aborted`; a `TimeoutError` → `timeout`;
 * 2. an AWS exception → its name: `ThrottlingException` (429),
 *    `ValidationException` (400), `AccessDeniedException` (403),
 *    `ResourceNotFoundException` (404), `ModelTimeoutException` (408),
 *    `ModelErrorException` (424), `ServiceUnavailableException` (503),
 *    `InternalServerException` (500), and the exceptions a stream carries
 *    (`ModelStreamErrorException`, …);
 * 3. an exception the SDK could not name (an unmodelled error) → its HTTP status;
 * 4. a connection failure → the socket error code in its `cause` chain (`ECONNREFUSED`);
 * 5. anything else → `fallback(err)` (tokenmeter's generic mapping: a `code`
 *    such as `ECONNRESET` or `ERR_HTTP2_STREAM_ERROR`, else the class name),
 *    else `_OTHER`.
 *
 * `incomplete_stream` is decided by the instrumentation, which sees the stream.
 */
export function bedrockErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyBedrockError(err) ?? errorTypeOr(err, fallback);
}
