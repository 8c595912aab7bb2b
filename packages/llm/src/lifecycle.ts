/**
 * The steps every request handle (client or server) shares: ending exactly
 * once, and naming an abort.
 */
import type { UpDownCounter } from '@opentelemetry/api';
import type { Finalizable } from './abandon-tracker.js';
import type { AttrNode } from './attributes.js';
import type { LlmContext } from './context.js';
import { ERROR_TYPE_ABORTED, ERROR_TYPE_TIMEOUT, errorType } from './error-type.js';
import { OTHER_VALUE } from './semconv.js';

/** The part of a handle's state that the shared steps read. */
export interface LifecycleCore extends Finalizable {
  readonly ctx: LlmContext;
  readonly base: AttrNode;
}

/** `error.type` of an abort: a timeout stays `timeout`, anything else is `aborted`. */
export function abortErrorType(reason: unknown): string {
  return errorType(reason) === ERROR_TYPE_TIMEOUT ? ERROR_TYPE_TIMEOUT : ERROR_TYPE_ABORTED;
}

/**
 * Marks the handle done and takes it out of the in-flight count, exactly once.
 * A second end/fail/abort returns false with one diagnostic, so nothing is
 * counted twice. `handle` is the abandon tracker's key, and is kept as the
 * last finished one of its `kind` (see `LlmContext.lastFinished`).
 */
export function finishOnce(
  core: LifecycleCore,
  handle: object,
  kind: keyof LlmContext['lastFinished'],
  active: UpDownCounter,
  what: string,
): boolean {
  if (core.done) {
    core.ctx.diagnostics.warn('double-end', `${what} on a request that already ended; ignored`);
    return false;
  }
  core.done = true;
  core.ctx.lastFinished[kind] = handle;
  try {
    core.ctx.abandoned?.release(handle, core);
    core.base.add(active, -1);
  } catch (err) {
    core.ctx.diagnostics.warn('internal-error', `${what}: ${String(err)}`);
  }
  return true;
}

/**
 * The bounded `error.type` of a failure: forced (abort), else what the caller
 * passed, else derived from the error.
 */
export function failureType(
  ctx: LlmContext,
  error: unknown,
  given: unknown,
  forced: string | undefined,
): string {
  if (forced !== undefined) return forced;
  const guard = ctx.guards.errorType;
  return (given !== undefined ? guard.bound(given) : guard.bound(errorType(error))) ?? OTHER_VALUE;
}

/** The bounded finish reason; for an array (one per choice) the first. */
export function finishReasonOf(ctx: LlmContext, reason: unknown): string | undefined {
  return ctx.guards.finishReason.bound(Array.isArray(reason) ? reason[0] : reason);
}
