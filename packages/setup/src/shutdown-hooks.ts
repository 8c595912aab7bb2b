import { diag } from '@opentelemetry/api';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs `finalExport` once on SIGTERM, SIGINT or `beforeExit`, then lets the
 * process do what it would have done without us:
 * - a signal with no other listener is re-raised after the export, so the
 *   process dies of that signal (exit status 128+n), as it would by default;
 * - if the application has its own listener, it keeps control: we never call
 *   `process.exit()` and never re-raise;
 * - `beforeExit` just lets the loop drain again, and the process exits normally.
 * Returns a function that removes the hooks.
 */
export function installShutdownHooks(finalExport: (reason: string) => Promise<unknown>): () => void {
  let removed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // Counted now, while every listener is still attached: an app handler added
    // with `once()` is gone by the time our export finishes, but it still owns
    // the signal and we must not kill the process under it.
    const appOwnsSignal = process.listenerCount(signal) > 0; // ours is already detached (once)
    remove();
    finalExport(signal)
      .catch((error: unknown) => diag.error(`tokenmeter: final export on ${signal} failed`, error))
      .finally(() => {
        if (!appOwnsSignal && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  const onBeforeExit = () => {
    remove();
    finalExport('beforeExit').catch((error: unknown) =>
      diag.error('tokenmeter: final export before exit failed', error),
    );
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);
  process.once('beforeExit', onBeforeExit);

  function remove(): void {
    if (removed) return;
    removed = true;
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('beforeExit', onBeforeExit);
  }
  return remove;
}
