/**
 * Runs a task on a fixed grid of times, on a timer that never keeps the
 * process alive (`unref`), never two runs at once: a run that overruns its
 * slot makes the next one skip to the next slot of the grid.
 */
export interface Sampler {
  /** Stops the timer; idempotent. A run in progress finishes, and nothing runs after it. */
  stop(): void;
}

export function sampleEvery(intervalMillis: number, run: () => Promise<void>): Sampler {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let next = Date.now() + intervalMillis;
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    if (next <= now) next += Math.ceil((now - next + 1) / intervalMillis) * intervalMillis;
    timer = setTimeout(tick, next - now);
    timer.unref?.();
  };
  const tick = () => {
    next += intervalMillis;
    run()
      .catch(() => undefined)
      .finally(schedule);
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
