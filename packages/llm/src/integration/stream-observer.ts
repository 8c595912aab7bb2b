/**
 * Observing a stream as its consumer reads it, at the floor cost of timing a
 * chunk (docs/benchmarks.md, section 2): per item, one promise reaction on
 * the source's own promise and what `call.item()` does — no extra promise,
 * no microtask hop, no allocation.
 */
import type { Call } from './call.js';
import { isObject } from './type-guards.js';

/**
 * Wraps `source` so that each item it delivers goes to `call.item()`, its
 * end to `call.complete()`, its error to `call.fail()`, and the consumer
 * stopping early (`break`, `return()`, `throw()`) to `call.abort()`. The
 * consumer gets the source's own promises and values, untouched.
 *
 * `signal` is the stream's own abort signal, if it has one: some SDKs end
 * an aborted stream quietly (no error), which is then told apart from a
 * completed one by the signal.
 */
export function observeIterator<T>(
  source: AsyncIterator<T>,
  call: Call,
  signal?: AbortSignal,
): AsyncIterableIterator<T> {
  // Read the signal before closing the source: an SDK may abort its own controller on `return()`.
  const stop = (aborted: boolean) => call.abort(aborted ? signal?.reason : 'break');
  // Handlers built once per stream. The reaction is registered before the
  // promise is handed out, so it runs before the consumer's continuation.
  const onResult = (result: IteratorResult<T>): void => {
    try {
      if (result.done) {
        if (signal?.aborted) stop(true);
        else call.complete();
      } else if (!call.done) {
        call.item(result.value);
      }
    } catch (error) {
      // Nothing may reject the side promise: it has no handler.
      call.report('stream', error);
    }
  };
  const onError = (error: unknown): void => {
    call.fail(error);
  };
  const observed: AsyncIterableIterator<T> = {
    next(value?: unknown) {
      let promise: Promise<IteratorResult<T>>;
      try {
        // Forward exactly what the consumer passed, without a rest array and a spread call per item.
        // biome-ignore lint/complexity/noArguments: arity only; rest parameters allocate on this hot path
        const next = arguments.length === 0 ? source.next() : source.next(value);
        // A native promise (an async generator's) is used as is; anything else is adopted.
        promise = next instanceof Promise ? next : Promise.resolve(next);
      } catch (error) {
        // As an async function would: a synchronous throw becomes a rejection.
        onError(error);
        return Promise.reject(error);
      }
      // The rejection itself reaches the consumer through `promise`; this reaction only records it.
      promise.then(onResult, onError);
      return promise;
    },
    async return(value?: unknown) {
      const aborted = signal?.aborted === true;
      try {
        return source.return ? await source.return(value) : { done: true, value: value as T };
      } finally {
        stop(aborted);
      }
    },
    async throw(error?: unknown) {
      const aborted = signal?.aborted === true;
      try {
        if (source.throw) return await source.throw(error);
        throw error;
      } finally {
        stop(aborted);
      }
    },
    [Symbol.asyncIterator]() {
      return observed;
    },
  };
  return observed;
}

const OBSERVED = Symbol('@tokenmeter/llm.observed-stream');

/**
 * Observes a stream object in place — same object, same class, same extra
 * methods (`tee()`, `abort()`, `controller`) — by wrapping the one method
 * every way of consuming it goes through: an SDK `Stream`'s `iterator`, or
 * `[Symbol.asyncIterator]`. The first iterator that method hands out is
 * observed; a second consumption gets the source's own (the SDK reports a
 * consumed stream itself). Observing the same object again is a no-op, so
 * two promises of one call (an SDK's derived promises) observe it once.
 * Returns false when `target[key]` is not a method.
 */
export function observeStreamInPlace(
  target: object,
  key: PropertyKey,
  call: Call,
  signal?: AbortSignal,
): boolean {
  const fields = target as Record<PropertyKey, unknown>;
  if (fields[OBSERVED]) return true;
  const original = fields[key];
  if (typeof original !== 'function') return false;
  Object.defineProperty(target, OBSERVED, { value: true });
  const own = Object.getOwnPropertyDescriptor(target, key);
  let claimed = false;
  Object.defineProperty(target, key, {
    configurable: true,
    writable: true,
    enumerable: own?.enumerable ?? false,
    value: function (this: unknown, ...args: unknown[]) {
      const it = original.apply(this, args) as AsyncIterator<unknown>;
      if (claimed || !isObject(it)) return it;
      claimed = true;
      return observeIterator(it, call, signal);
    },
  });
  return true;
}

/**
 * Observes any async iterable that is not observed in place. An async
 * generator (an iterator that iterates itself) comes back as an observed
 * iterator, so `next()` works on it as before; any other iterable comes back
 * as a new iterable whose first iterator is observed (a Bedrock event stream).
 */
export function observeAsyncIterable<T>(
  source: AsyncIterable<T>,
  call: Call,
  signal?: AbortSignal,
): AsyncIterable<T> {
  if (typeof (source as Partial<AsyncIterator<T>>).next === 'function') {
    return observeIterator(source as unknown as AsyncIterator<T>, call, signal);
  }
  let claimed = false;
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      if (claimed) return it;
      claimed = true;
      return observeIterator(it, call, signal);
    },
  };
}
