/**
 * Times a sync or async function without changing what it returns: a
 * promise (or any thenable, e.g. an SDK's APIPromise subclass) is returned
 * as is and only observed, so its type and extra methods survive. Errors
 * thrown by the user's function are re-thrown untouched; only our own
 * bookkeeping is guarded.
 */
import { clampPositive, type LlmContext } from './context.js';

export type MeasureDone = (
  seconds: number,
  error: unknown,
  failed: boolean,
  heapDelta: number | undefined,
) => void;

export function measureFn<T>(ctx: LlmContext, fn: () => T, done: MeasureDone, heap: boolean | undefined): T {
  if (typeof fn !== 'function') {
    ctx.diagnostics.warn('invalid-option', 'measure()/time() needs a function; nothing measured');
    return undefined as T;
  }
  const heapBefore = heap ? heapUsed() : undefined;
  const startedAt = ctx.now();
  const finish = (error: unknown, failed: boolean) => {
    try {
      const elapsed = (ctx.now() - startedAt) / 1000;
      const heapAfter = heapBefore === undefined ? undefined : heapUsed();
      const heapDelta =
        heapBefore === undefined || heapAfter === undefined ? undefined : heapAfter - heapBefore;
      done(clampPositive(elapsed), error, failed, heapDelta);
    } catch (err) {
      ctx.diagnostics.warn('internal-error', `measure(): ${String(err)}`);
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    finish(err, true);
    throw err;
  }
  if (isThenable(result)) {
    try {
      result.then(
        () => finish(undefined, false),
        (err: unknown) => finish(err, true),
      );
    } catch (err) {
      ctx.diagnostics.warn(
        'internal-error',
        `measure(): could not observe the returned promise (${String(err)})`,
      );
    }
    return result;
  }
  finish(undefined, false);
  return result;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return (
      value !== null &&
      (typeof value === 'object' || typeof value === 'function') &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  } catch {
    // A revoked proxy or a throwing `then` getter: not something we can observe.
    return false;
  }
}

function heapUsed(): number | undefined {
  try {
    return typeof process !== 'undefined' ? process.memoryUsage().heapUsed : undefined;
  } catch {
    return undefined;
  }
}
