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
  /**
   * The last client and server handle to finish. A handle's hidden class is
   * reachable from its class only through a weak transition, so once every
   * handle has died (an idle service between two requests), a full garbage
   * collection frees it and V8 throws away every optimized function that
   * checks for it: the next few hundred requests then ran 3–10× slower while
   * V8 recompiled them. Keeping one finished handle of each kind keeps the
   * shape, for a few hundred bytes; a finished handle is not tracked as
   * abandoned, so this delays no diagnostic.
   */
  readonly lastFinished: { client: object | undefined; server: object | undefined };
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
