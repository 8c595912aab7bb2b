/** Exponential backoff between retries of one scrape. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 200 */
  initialMillis?: number;
  /** Upper bound on any one delay. @default 5000 */
  maxMillis?: number;
  /** Growth factor per retry. @default 2 */
  multiplier?: number;
  /**
   * Fraction of each delay that is randomised (0 = none, 1 = "full jitter"), so
   * many scrapers that failed together do not retry together. @default 0.2
   */
  jitter?: number;
}

/** Delay before retry number `attempt` (1-based). `random` is injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialMillis ?? 200;
  const max = options.maxMillis ?? 5000;
  const multiplier = options.multiplier ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
  const base = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
