import { TimeoutError } from '@opentelemetry/sdk-metrics';
import { DeadlineError, ExportError } from './errors.js';
import type { TrackedExporter } from './tracked-exporter.js';

/** `work`, or a `DeadlineError` once `timeoutMillis` passed (the work itself goes on). */
export async function withDeadline<T>(
  operation: string,
  timeoutMillis: number,
  work: Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(operation, timeoutMillis)), timeoutMillis);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    // The SDK enforces the same deadline internally and may get there first.
    if (error instanceof TimeoutError) throw new DeadlineError(operation, timeoutMillis);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a flush (`work`) within `timeoutMillis`, then rejects with an
 * `ExportError` naming the exporters whose exports during it failed — the
 * SDK's own `forceFlush()`/`shutdown()` resolve either way — or with a
 * `DeadlineError` when it did not finish in time.
 */
export async function flushAndReport(
  operation: string,
  timeoutMillis: number,
  exporters: readonly TrackedExporter[],
  work: () => Promise<void>,
): Promise<void> {
  const before = exporters.map((t) => t.exports);
  await withDeadline(operation, timeoutMillis, work());
  const failures = exporters
    .filter((t, i) => t.exports > (before[i] ?? 0) && t.lastError !== undefined)
    .map((t) => ({ exporter: t.name, error: t.lastError as Error }));
  if (failures.length > 0) throw new ExportError(operation, failures);
}
