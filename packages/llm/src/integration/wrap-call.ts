/**
 * Wrapping a call: start the clock when the caller calls, start the
 * measurement, run the original, and observe what it returns — a plain
 * value, a promise, or an SDK's promise-like kept intact.
 */
import { isApiPromiseLike, observeApiPromise } from './api-promise.js';
import { type Call, deliver } from './call.js';
import type { TelemetryGuard } from './telemetry-guard.js';
import { isThenable } from './type-guards.js';

// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

/**
 * Starts one call's measurement: usually reads the request (model, stream
 * flag), calls `llm.startRequest({ …, startTime })` and returns a `Call`.
 * May rewrite `args` (e.g. to ask for usage in a stream). Returns undefined
 * to leave this call unmeasured.
 */
export type CallStarter = (self: unknown, args: unknown[], startTime: number) => Call | undefined;

/**
 * Observes what a call returned and returns what the caller gets:
 * - an APIPromise: observed in place, returned as is;
 * - a native promise: chained (`resolved()` may replace the value, e.g. with
 *   an observed stream); a rejection still reaches the caller, and still
 *   goes unhandled if they never handle it;
 * - any other thenable (an SDK's promise subclass): observed in place,
 *   returned as is, so its own methods stay;
 * - anything else: handed to `resolved()` at once.
 */
export function observeResult(call: Call, result: unknown): unknown {
  try {
    if (isApiPromiseLike(result)) {
      observeApiPromise(result, call);
      return result;
    }
    if (isThenable(result)) {
      const onError = (error: unknown) => {
        call.fail(error);
        throw error;
      };
      if (Object.getPrototypeOf(result) === Promise.prototype) {
        return (result as Promise<unknown>).then((value) => deliver(call, value), onError);
      }
      result.then(
        (value) => deliver(call, value),
        (error: unknown) => call.fail(error),
      );
      return result;
    }
  } catch (error) {
    call.report('observe', error);
    return result;
  }
  return deliver(call, result);
}

/**
 * Runs `invoke` as `call`'s request: a synchronous throw fails the call and
 * is re-thrown; what it returns is observed (`observeResult`). With no call
 * (the measurement could not start), `invoke` runs unobserved.
 */
export function runCall<T>(call: Call | undefined, invoke: () => T): T {
  let result: T;
  try {
    result = invoke();
  } catch (error) {
    call?.fail(error);
    throw error;
  }
  return call ? (observeResult(call, result) as T) : result;
}

/**
 * Wraps a client method: each invocation takes `performance.now()` first,
 * starts its measurement with `start` (a failure there is reported through
 * `telemetry` and the call runs unmeasured), then runs the original with the
 * same `this` and arguments.
 */
export function wrapCall<F extends (...args: never[]) => unknown>(
  original: F,
  start: CallStarter,
  telemetry: TelemetryGuard,
): F {
  return function measured(this: unknown, ...args: unknown[]) {
    const startTime = clock.now();
    let call: Call | undefined;
    try {
      call = start(this, args, startTime);
    } catch (error) {
      telemetry.report('start', error);
    }
    return runCall(call, () => (original as unknown as (...a: unknown[]) => unknown).apply(this, args));
  } as unknown as F;
}
