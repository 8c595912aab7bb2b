/**
 * The small checks every integration makes on payloads it does not own:
 * one copy, so a provider's odd shape is handled the same everywhere.
 */

/** A non-null object, read as a bag of unknown fields. */
export type UnknownRecord = Record<PropertyKey, unknown>;

export function isObject(x: unknown): x is UnknownRecord {
  return typeof x === 'object' && x !== null;
}

/** An object or function with a callable `then` (a promise, or an SDK's promise-like). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    x !== null &&
    typeof (x as UnknownRecord).then === 'function'
  );
}

/** Something `for await` accepts: it has a `[Symbol.asyncIterator]` method. */
export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return isObject(x) && typeof x[Symbol.asyncIterator] === 'function';
}

/** The string, when it is a non-empty string. */
export function nonEmptyString(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

/** The number, when it is a finite number (counts are validated by `@tokenmeter/llm` itself). */
export function finiteNumber(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/**
 * Whether a payload field carries something: a non-empty string or array,
 * or any object (a tool call, an audio part). Used to tell output chunks
 * from role-only, finish-only and usage-only ones.
 */
export function hasContent(x: unknown): boolean {
  return typeof x === 'string' ? x.length > 0 : Array.isArray(x) ? x.length > 0 : isObject(x);
}
