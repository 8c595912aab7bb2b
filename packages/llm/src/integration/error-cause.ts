/**
 * The system error under an SDK's error. Many SDKs wrap a failed connection
 * in an error of their own (`APIConnectionError`, an HTTP/2 cancel,
 * `fetch`'s `TypeError: terminated`) whose `cause` — or the cause's cause —
 * is the socket error that says what happened.
 */
import { isObject } from './type-guards.js';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;

/**
 * The first `code` that looks like a system or library error code
 * (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`, …) in `err`'s `cause`
 * chain, `depth` levels deep (not `err`'s own code). Undefined when there is none.
 */
export function causeCode(err: unknown, depth = 3): string | undefined {
  let cause: unknown = isObject(err) ? err.cause : undefined;
  for (let i = 0; i < depth && isObject(cause); i++) {
    if (typeof cause.code === 'string' && CODE.test(cause.code)) return cause.code;
    cause = cause.cause;
  }
  return undefined;
}
