/**
 * `error.type` for failed LangChain runs. A run's error is whatever its
 * model integration or tool threw — an SDK's error, LangChain's own — so
 * only what such errors say for sure is read; `@tokenmeter/llm` maps the rest.
 */
import { causeCode, isObject } from '@tokenmeter/llm/integration';

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{1,63}$/;
/** Class names that say nothing about what failed. */
const GENERIC = new Set(['Error', 'Object', 'DOMException']);

function className(err: object): string | undefined {
  const ctor = (err as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && NAME.test(ctor.name) && !GENERIC.has(ctor.name)
    ? ctor.name
    : undefined;
}

/**
 * What a run's error says for sure, or undefined for llm's own mapping:
 *
 * 1. an HTTP `status` (100–599) → the status as a string (`'429'`);
 * 2. an abort (`AbortError`, or LangChain's `Error('AbortError')` /
 *    `Error('Aborted')`) → `aborted`; a `TimeoutError` → `timeout`;
 * 3. a connection failure → the socket error code under it (`ECONNREFUSED`,
 *    `UND_ERR_SOCKET` when a stream's connection dropped);
 * 4. the error's class, unless a bare `Error` (`APIConnectionError`, `RangeError`, `ToolInputParsingException`).
 */
export function classifyRunError(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const status = err.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
    return String(status);
  }
  if (err.name === 'AbortError' || err.message === 'AbortError' || err.message === 'Aborted')
    return 'aborted';
  if (err.name === 'TimeoutError') return 'timeout';
  return causeCode(err) ?? className(err);
}
