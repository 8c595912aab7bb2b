/**
 * Everything a handle needs, shared per `LlmMetrics` instance, so handles
 * hold one reference instead of closures.
 */
import type { AbandonTracker } from './abandon-tracker.js';
import type { AttrNode } from './attributes.js';
import type { CostRecorder } from './cost.js';
import type { Diagnostics } from './diagnostics.js';
import type { Guards } from './guards.js';
import type { InstrumentSet } from './instrument-set.js';
import type { SemconvShape } from './instruments.js';
import type { IdentityResolver } from './request-identity.js';

export interface LlmContext {
  readonly shape: SemconvShape;
  /** Replaced once when llm moves from the no-op global provider to the one registered later. */
  instruments: InstrumentSet;
  readonly diagnostics: Diagnostics;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** The empty attribute set every recorded set is derived from. */
  readonly root: AttrNode;
  readonly guards: Guards;
  /** Undefined when `trackAbandoned: false`. */
  readonly abandoned: AbandonTracker | undefined;
  /** Client and server request identities, each reusing its last resolution while it repeats. */
  readonly clientIdentity: IdentityResolver;
  readonly serverIdentity: IdentityResolver;
  /** Undefined when `prices: false`. */
  readonly cost: CostRecorder | undefined;
}

/** Resolves a caller-supplied start time (performance.now() ms) against the clock. */
export function startTime(ctx: LlmContext, given: unknown): number {
  const now = ctx.now();
  if (given === undefined || given === null) return now;
  if (typeof given !== 'number' || !Number.isFinite(given)) {
    ctx.diagnostics.warn(
      'invalid-option',
      'startTime must be a finite performance.now() value in ms; using now',
    );
    return now;
  }
  if (given > now) {
    ctx.diagnostics.warn('clock', 'startTime is in the future; clamped to now');
    return now;
  }
  return given;
}

/** Seconds between two clock readings, never negative. */
export function seconds(from: number, to: number): number {
  return clampPositive((to - from) / 1000);
}

/** x when positive, else 0 — NaN included (Math.max would keep NaN). */
export function clampPositive(x: number): number {
  if (x > 0) return x;
  return 0;
}
