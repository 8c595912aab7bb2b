/**
 * One measured call: a `ClientRequest` handle plus what the provider has
 * reported so far, finalised exactly once. Whatever ends the call first —
 * the end of the stream, an error, an early `break`, an abort signal, the
 * caller cancelling — wins; every later ending is ignored, so nothing is
 * counted twice. A call that nothing ends is left to llm's garbage-collection
 * net (`error.type=abandoned`).
 *
 * Integrations subclass it to read their provider's payloads: override
 * `item()` (a stream item reached the consumer), `resolved()` (the call's
 * promise resolved) and, when needed, `complete()` and `errorType()`.
 */
import { type ClientRequest, type EndInfo, ERROR_TYPE_ABORTED } from '../index.js';
import type { TelemetryGuard } from './telemetry-guard.js';

export class Call {
  /**
   * What the provider reported so far (response model, token counts, finish
   * reason, server timings). Adapters fill it; `end()` passes it to the
   * handle, and `fail()`/`abort()` pass its model and token counts.
   */
  readonly info: EndInfo = {};
  private finished = false;
  private signal: AbortSignal | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    /** The handle from `llm.startRequest()`. */
    protected readonly request: ClientRequest,
    /** Where telemetry failures are reported (`telemetryGuard('@tokenmeter/<integration>')`). */
    protected readonly telemetry: TelemetryGuard,
  ) {}

  /** True once the call ended, failed or was aborted. */
  get done(): boolean {
    return this.finished;
  }

  /** Reports a telemetry failure through `diag`; never throws. */
  report(where: string, error: unknown): void {
    this.telemetry.report(where, error);
  }

  /** One output chunk reached the consumer (the first one is the time to first chunk). */
  chunk(): void {
    if (this.finished) return;
    try {
      this.request.chunk();
    } catch (error) {
      this.report('chunk', error);
    }
  }

  /**
   * A stream item reached the consumer. Hot path: called once per item, only
   * while the call is open. Override to read the item; this default counts
   * every item as an output chunk.
   */
  item(_value: unknown): void {
    this.chunk();
  }

  /**
   * The call's promise resolved with `value` (or the call returned it
   * synchronously). Returns what the caller receives — `value` itself, or a
   * replacement (an observed stream): honoured for native promises, an
   * APIPromise's parse step and synchronous results; a foreign thenable is
   * observed in place, so observe its streams in place too. This default
   * reads nothing and completes the call.
   */
  resolved(value: unknown): unknown {
    this.complete();
    return value;
  }

  /** The response (or the stream) completed normally. Override to turn a reported failure into `fail()`. */
  complete(): void {
    this.end();
  }

  /** Finalises the call as a success with `info`. Returns false when it had already ended. */
  end(): boolean {
    if (!this.settle()) return false;
    try {
      this.request.end(this.info);
    } catch (error) {
      this.report('end', error);
    }
    return true;
  }

  /**
   * Finalises the call as failed. `error.type` is `errorType` when given,
   * else what `this.errorType(error)` says, else llm's own mapping of the
   * error — bounded once, by llm. An error while the watched signal is
   * aborted, or one classified `aborted`, is recorded as an abort.
   */
  fail(error: unknown, errorType?: string): boolean {
    if (!this.settle()) return false;
    try {
      if (this.signal?.aborted) {
        this.request.abort(this.signal.reason, this.info);
        return true;
      }
      const type = errorType ?? this.classify(error);
      if (type === ERROR_TYPE_ABORTED) this.request.abort(error, this.info);
      else this.request.fail(error, type === undefined ? this.info : { ...this.info, errorType: type });
    } catch (reportError) {
      this.report('fail', reportError);
    }
    return true;
  }

  /** The consumer gave up (`break`, `return()`, cancel, an abort signal): `error.type=aborted`, or `timeout`. */
  abort(reason: unknown): boolean {
    if (!this.settle()) return false;
    try {
      this.request.abort(reason, this.info);
    } catch (error) {
      this.report('abort', error);
    }
    return true;
  }

  /**
   * Aborts the call at the moment `signal` fires (or now, if it has), even if
   * nobody reads the stream again; the listener is removed when the call ends.
   */
  watch(signal: AbortSignal | undefined): void {
    if (!signal || this.finished) return;
    if (signal.aborted) {
      this.abort(signal.reason);
      return;
    }
    try {
      const onAbort = () => this.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.signal = signal;
      this.unwatch = () => signal.removeEventListener('abort', onAbort);
    } catch (error) {
      this.report('watch', error);
    }
  }

  /**
   * The integration's `error.type` for `error`: what its SDK says for sure
   * (an HTTP status, an SDK error class, a socket code), or undefined to let
   * llm map it. Must not throw for any input.
   */
  protected errorType(_error: unknown): string | undefined {
    return undefined;
  }

  private classify(error: unknown): string | undefined {
    try {
      return this.errorType(error);
    } catch (classifyError) {
      this.report('errorType', classifyError);
      return undefined;
    }
  }

  private settle(): boolean {
    if (this.finished) return false;
    this.finished = true;
    const unwatch = this.unwatch;
    if (unwatch) {
      this.unwatch = undefined;
      try {
        unwatch();
      } catch (error) {
        this.report('unwatch', error);
      }
    }
    return true;
  }
}

/**
 * Hands a resolved value to `call.resolved()` and returns what the caller
 * gets: the value itself once the call has ended, or when `resolved()` throws.
 */
export function deliver(call: Call, value: unknown): unknown {
  if (call.done) return value;
  try {
    return call.resolved(value);
  } catch (error) {
    call.report('resolved', error);
    return value;
  }
}
