import { SELF_METRICS } from '../scrape/self-metrics.js';
import type { RecordedSample } from '../sinks/recorded-sample.js';
import type { TargetHealth } from './analysis.js';

/**
 * Each target's scrapes, from the `tokenmeter_scrape_up` series every
 * recording carries: how many succeeded, and when, to tell "this series did
 * not exist yet" (a successful scrape without it) from "we could not see".
 */
export class TargetScrapes {
  private readonly health = new Map<string, TargetHealth>();
  /** Times of successful scrapes per target, sorted by {@link finish}. */
  private readonly successes = new Map<string, number[]>();

  static of(rows: readonly RecordedSample[]): TargetScrapes {
    const scrapes = new TargetScrapes();
    for (const row of rows) if (row.family === SELF_METRICS.up) scrapes.add(row);
    scrapes.finish();
    return scrapes;
  }

  private add(row: RecordedSample): void {
    const h = this.health.get(row.target) ?? {
      target: row.target,
      scrapes: 0,
      failed: 0,
      first: row.ts,
      last: row.ts,
    };
    h.scrapes++;
    if (row.value !== 1) h.failed++;
    h.first = Math.min(h.first, row.ts);
    h.last = Math.max(h.last, row.ts);
    this.health.set(row.target, h);
    // Only successful scrapes prove a series did not exist yet.
    if (row.value === 1) {
      const list = this.successes.get(row.target) ?? [];
      list.push(row.ts);
      this.successes.set(row.target, list);
    }
  }

  private finish(): void {
    for (const list of this.successes.values()) list.sort((a, b) => a - b);
  }

  /** Per target, in order of first appearance. */
  targets(): TargetHealth[] {
    return [...this.health.values()];
  }

  /** The last successful scrape of `target` before `ts`: when a series first seen at `ts` was born. */
  before(target: string, ts: number): number | undefined {
    const list = this.successes.get(target);
    if (!list) return undefined;
    let prev: number | undefined;
    for (const t of list) {
      if (t >= ts) break;
      prev = t;
    }
    return prev;
  }
}
