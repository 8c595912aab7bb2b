/**
 * Maps anything thrown to a low-cardinality `error.type` value. The order
 * favours what is comparable across SDKs: a 429 from any provider is "429",
 * whatever each SDK names its error class.
 *
 * 1. `aborted` — an AbortError (name), or a value passed to `abort()`
 * 2. `timeout` — a TimeoutError (name), e.g. from `AbortSignal.timeout()`
 * 3. the HTTP status as a string (`"429"`, `"503"`) — a numeric `status` or
 *    `statusCode` property in 100..599 (OpenAI/Anthropic SDK errors, fetch wrappers)
 * 4. a system/library error code (`ECONNRESET`, `ETIMEDOUT`, `UND_ERR_SOCKET`,
 *    `ENOTFOUND`…) — a string `code` of 2–64 characters `[A-Za-z0-9_.-]`
 * 5. the error's class name (`TypeError`, `RateLimitError`) — `name` or the
 *    constructor name, when it looks like an identifier
 * 6. `_OTHER` for everything else (strings, numbers, null, undefined, plain objects)
 *
 * Values are further bounded per `LlmMetrics` instance by the cardinality
 * guard (distinct cap, then `_OTHER`).
 */
import { OTHER_VALUE } from './semconv.js';

export const ERROR_TYPE_ABORTED = 'aborted';
export const ERROR_TYPE_TIMEOUT = 'timeout';
/** A handle that was garbage-collected without end/fail/abort. */
export const ERROR_TYPE_ABANDONED = 'abandoned';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

export function errorType(err: unknown): string {
  try {
    if (err === null || typeof err !== 'object') return OTHER_VALUE;
    const fields = err as { name?: unknown; status?: unknown; statusCode?: unknown; code?: unknown };
    const name = typeof fields.name === 'string' ? fields.name : undefined;
    if (name === 'AbortError') return ERROR_TYPE_ABORTED;
    if (name === 'TimeoutError') return ERROR_TYPE_TIMEOUT;
    const status = httpStatus(fields.status) ?? httpStatus(fields.statusCode);
    if (status !== undefined) return String(status);
    if (typeof fields.code === 'string' && CODE.test(fields.code)) return fields.code;
    if (name !== undefined && IDENT.test(name)) return name;
    const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== 'Object' && IDENT.test(ctor)) return ctor;
    return OTHER_VALUE;
  } catch {
    // Getters on exotic error objects may throw.
    return OTHER_VALUE;
  }
}

function httpStatus(given: unknown): number | undefined {
  return typeof given === 'number' && Number.isInteger(given) && given >= 100 && given <= 599
    ? given
    : undefined;
}
