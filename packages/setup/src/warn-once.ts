/**
 * Diagnostics said once per reason: a problem that repeats at every scrape or
 * record (a bad name, a worker that keeps timing out) would otherwise flood
 * the application's log with the same line.
 */
import { diag } from '@opentelemetry/api';

export class WarnOnce {
  private readonly said = new Set<string>();

  /** `message` through `diag.warn`, unless one with the same `key` was said before. */
  warn(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    diag.warn(message);
  }
}
