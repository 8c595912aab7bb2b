/**
 * The timing tolerance the integration tests state. The simulator starts its
 * clock when it has read the request (after the client's clock started) and
 * schedules sends with setTimeout (never early), so a measured interval can
 * only be later than scripted, apart from timer rounding; the late slack
 * covers event loop, HTTP and parsing on a loaded CI machine.
 */
export const TIMING = {
  /** Allowed earliness of a client-measured interval (timer rounding), ms. */
  earlyMs: 1,
  /** Allowed lateness, ms. */
  lateMs: 60,
  /**
   * Allowed earliness of a gap between chunks, ms: chunk i is sent at
   * ttft + i × gap, so when chunk i-1 arrived late by δ the next gap is δ shorter.
   */
  gapEarlyMs: 20,
} as const;

/**
 * Why `seconds` is not within [scriptedMs − earlyMs, scriptedMs + lateMs], or
 * undefined when it is. Use as `expect(outsideTolerance(x, 150)).toBeUndefined()`.
 */
export function outsideTolerance(
  seconds: number | undefined,
  scriptedMs: number,
  earlyMs: number = TIMING.earlyMs,
  lateMs: number = TIMING.lateMs,
): string | undefined {
  if (seconds === undefined) return 'nothing was recorded';
  const ms = seconds * 1000;
  if (ms < scriptedMs - earlyMs || ms > scriptedMs + lateMs) {
    return `${ms.toFixed(1)} ms is outside [${scriptedMs - earlyMs}, ${scriptedMs + lateMs}] ms (scripted ${scriptedMs} ms)`;
  }
  return undefined;
}

/**
 * Throws (failing the test with the reason) unless `seconds` is within the
 * tolerance of a client-measured interval scripted at `scriptedMs`.
 */
export function assertWithin(seconds: number | undefined, scriptedMs: number): void {
  const why = outsideTolerance(seconds, scriptedMs);
  if (why) throw new Error(`timing: ${why}`);
}

/** The same for a gap between chunks (TIMING.gapEarlyMs early allowed). */
export function assertGap(seconds: number | undefined, scriptedMs: number): void {
  const why = outsideTolerance(seconds, scriptedMs, TIMING.gapEarlyMs);
  if (why) throw new Error(`timing: ${why}`);
}
