/**
 * For integrations that wrap someone else's client: a telemetry step that
 * fails (a bug of ours, a payload shape we did not expect) is reported
 * through `diag` and never reaches the caller's code.
 */
import { type DiagLogger, diag } from '@opentelemetry/api';

export interface TelemetryGuard {
  /** Logs a telemetry failure; never throws. */
  report(where: string, error: unknown): void;
  /** Runs `fn`, reporting instead of throwing. */
  guard(where: string, fn: () => void): void;
}

export function telemetryGuard(namespace: string): TelemetryGuard {
  let logger: DiagLogger | undefined;
  const report = (where: string, error: unknown): void => {
    try {
      logger ??= diag.createComponentLogger({ namespace });
      logger.warn(`telemetry error in ${where} (the call itself is unaffected)`, error);
    } catch {
      // Reporting must not break the call either.
    }
  };
  return {
    report,
    guard(where, fn) {
      try {
        fn();
      } catch (error) {
        report(where, error);
      }
    },
  };
}
