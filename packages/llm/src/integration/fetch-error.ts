/**
 * What a failed `fetch` (undici) says for sure. SDKs built on `fetch`
 * without their own connection error class (ollama, @google/genai) pass its
 * errors through: `TypeError: fetch failed` when no response came, and
 * `TypeError: terminated` when the connection dropped mid-body, each with the
 * socket error as its `cause`.
 */
import { isObject } from './type-guards.js';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;

/**
 * The socket error code of a failed `fetch` (`ECONNREFUSED`, `ECONNRESET`,
 * `ENOTFOUND`, `UND_ERR_SOCKET`, …): the `code` of a `TypeError`'s `cause`,
 * when it looks like one. Undefined for anything else.
 */
export function fetchErrorCode(err: unknown): string | undefined {
  if (!(err instanceof TypeError)) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  return isObject(cause) && typeof cause.code === 'string' && CODE.test(cause.code) ? cause.code : undefined;
}
