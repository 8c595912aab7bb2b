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
    ctx.d.warn('invalid-option', 'measure()/time() needs a function; nothing measured');
    return undefined as T;
  }
  const h0 = heap ? heapUsed() : undefined;
  const t0 = ctx.now();
  const finish = (error: unknown, failed: boolean) => {
    try {
      const s = (ctx.now() - t0) / 1000;
      const h1 = h0 === undefined ? undefined : heapUsed();
      done(clampPositive(s), error, failed, h0 === undefined || h1 === undefined ? undefined : h1 - h0);
    } catch (err) {
      ctx.d.warn('internal-error', `measure(): ${String(err)}`);
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
      ctx.d.warn('internal-error', `measure(): could not observe the returned promise (${String(err)})`);
    }
    return result;
  }
  finish(undefined, false);
  return result;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  try {
    return (
      v !== null &&
      (typeof v === 'object' || typeof v === 'function') &&
      typeof (v as { then?: unknown }).then === 'function'
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
