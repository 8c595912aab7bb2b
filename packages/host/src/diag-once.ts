import { diag } from '@opentelemetry/api';

/**
 * Keeps one diagnostic per condition: a key logs again only when its message
 * changes, and once more (info) when the condition clears. A GPU failing every
 * second must not flood the log.
 */
export class DiagOnce {
  private readonly active = new Map<string, string>();
  private readonly infoSeen = new Set<string>();

  constructor(private readonly prefix = '@tokenmeter/host') {}

  warn(key: string, message: string): void {
    if (this.active.get(key) === message) return;
    this.active.set(key, message);
    diag.warn(`${this.prefix}: ${message}`);
  }

  /** Debug-level, once per key for the lifetime of the registration. */
  debug(key: string, message: string): void {
    if (this.infoSeen.has(key)) return;
    this.infoSeen.add(key);
    diag.debug(`${this.prefix}: ${message}`);
  }

  /** Info-level, once per key for the lifetime of the registration. */
  info(key: string, message: string): void {
    if (this.infoSeen.has(key)) return;
    this.infoSeen.add(key);
    diag.info(`${this.prefix}: ${message}`);
  }

  clear(key: string, recovered: string): void {
    if (!this.active.delete(key)) return;
    diag.info(`${this.prefix}: ${recovered}`);
  }

  /** Clears every key starting with `prefix` that is not in `keep`. */
  clearExcept(prefix: string, keep: ReadonlySet<string>, recovered: (key: string) => string): void {
    for (const key of [...this.active.keys()]) {
      if (key.startsWith(prefix) && !keep.has(key)) this.clear(key, recovered(key));
    }
  }

  has(key: string): boolean {
    return this.active.has(key);
  }
}
