/**
 * Rate-limited diagnostics. Bad input on a hot path would otherwise flood the
 * log once per call; one line per kind of problem is enough to find the bug.
 */
import { diag } from '@opentelemetry/api';

export type DiagKind =
  | 'invalid-number'
  | 'invalid-token-count'
  | 'invalid-attribute'
  | 'invalid-option'
  | 'value-truncated'
  | 'value-not-allowed'
  | 'cardinality-overflow'
  | 'attribute-cache-full'
  | 'double-end'
  | 'after-end'
  | 'mark-order'
  | 'clock'
  | 'abandoned'
  | 'callback-error'
  | 'normalizer-error'
  | 'snapshot'
  | 'no-provider'
  | 'internal-error';

export class Diagnostics {
  private readonly seen = new Set<DiagKind>();

  /** Logs `message` through the OTel `diag` logger the first time `kind` occurs. */
  warn(kind: DiagKind, message: string): void {
    if (this.seen.has(kind)) return;
    this.seen.add(kind);
    try {
      diag.warn(`@tokenmeter/llm [${kind}]: ${message} (further "${kind}" problems are not reported)`);
    } catch {
      // A throwing user logger must not turn a diagnostic into an exception.
    }
  }

  /** Kinds reported so far (for tests and debugging). */
  kinds(): readonly DiagKind[] {
    return [...this.seen];
  }
}
