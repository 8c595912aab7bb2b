/**
 * The page's chart data: one column per charted series (`seriesKey()`), aligned
 * with one list of times, filled first from the server's history and then by
 * each poll; and the rates and means drawn from those cumulative columns.
 * Pure (no DOM), so the tests run it in Node.
 */
import { parseSeriesKey, type SeriesKind } from '../src/chart-values.js';
import type { HistoryData } from '../src/history.js';

export type Column = readonly (number | null)[];

/**
 * A rate or a mean is drawn only over at least this many seconds: the change
 * from the newest earlier point at least this old. Two polls a few
 * milliseconds apart would otherwise make a rate of 0 (or a spike).
 */
export const RATE_MIN_S = 4;

export class SeriesStore {
  /** Seconds since the epoch, increasing. */
  readonly times: number[] = [];
  private readonly columns = new Map<string, (number | null)[]>();

  /** A store holding the server's history (times in ms there, seconds here). */
  static fromHistory(h: HistoryData | undefined): SeriesStore {
    const store = new SeriesStore();
    if (!h || !Array.isArray(h.times)) return store;
    store.times.push(...h.times.map((t) => t / 1000));
    for (const [key, values] of Object.entries(h.columns ?? {})) {
      if (Array.isArray(values) && values.length === h.times.length) store.columns.set(key, [...values]);
    }
    return store;
  }

  get length(): number {
    return this.times.length;
  }

  /**
   * Appends the values of one point (seconds since the epoch). A point not newer
   * than the last one is ignored (returns false): the same snapshot seen twice.
   */
  push(tS: number, values: Readonly<Record<string, number>>): boolean {
    const last = this.times[this.times.length - 1];
    if (last !== undefined && !(tS > last)) return false;
    const n = this.times.length;
    this.times.push(tS);
    for (const [key, col] of this.columns) col.push(values[key] ?? null);
    for (const [key, v] of Object.entries(values)) {
      if (this.columns.has(key)) continue;
      const col: (number | null)[] = new Array(n).fill(null);
      col.push(v);
      this.columns.set(key, col);
    }
    return true;
  }

  /** Drops the points older than `tS` (seconds since the epoch). */
  trimBefore(tS: number): void {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) < tS) drop++;
    if (drop === 0) return;
    this.times.splice(0, drop);
    for (const col of this.columns.values()) col.splice(0, drop);
  }

  /** The column of `key`, all null when it has none. */
  column(key: string): Column {
    return this.columns.get(key) ?? new Array<null>(this.times.length).fill(null);
  }

  /** Names (models, runs, GPUs) of `kind` with at least one value, in the order first seen. */
  names(kind: SeriesKind): string[] {
    const out = new Set<string>();
    for (const [key, col] of this.columns) {
      const k = parseSeriesKey(key);
      if (k.kind === kind && k.name !== undefined && col.some((v) => v !== null)) out.add(k.name);
    }
    return [...out];
  }

  /** Whether any series of `kind` (its total or a name) has a value. */
  has(kind: SeriesKind): boolean {
    for (const [key, col] of this.columns) {
      if (parseSeriesKey(key).kind === kind && col.some((v) => v !== null)) return true;
    }
    return false;
  }
}

/**
 * For each point i: `f(Δnum, Δden)` between point i and the newest earlier point j
 * at least `minS` seconds older where both columns have values; null where no
 * such j exists or `f` returns null.
 */
function overInterval(
  times: readonly number[],
  num: Column,
  den: Column | 'time',
  minS: number,
  f: (dNum: number, dDen: number) => number | null,
): (number | null)[] {
  const at = (c: Column | 'time', i: number) => (c === 'time' ? (times[i] ?? null) : (c[i] ?? null));
  return times.map((t, i) => {
    const n1 = num[i] ?? null;
    const d1 = at(den, i);
    if (n1 === null || d1 === null) return null;
    for (let j = i - 1; j >= 0; j--) {
      if (t - (times[j] as number) < minS) continue;
      const n0 = num[j] ?? null;
      const d0 = at(den, j);
      if (n0 === null || d0 === null) continue;
      return f(n1 - n0, d1 - d0);
    }
    return null;
  });
}

/**
 * Per-second rate of a cumulative column over at least `minS` seconds; null
 * where there is no earlier point that old, and across a reset (a decrease).
 */
export function rate(times: readonly number[], values: Column, minS = RATE_MIN_S): (number | null)[] {
  return overInterval(times, values, 'time', minS, (dv, dt) => (dv >= 0 && dt > 0 ? dv / dt : null));
}

/**
 * Δnum / Δden of two cumulative columns over at least `minS` seconds (a mean:
 * Δsum / Δcount; cost per request: Δcost / Δrequests); null where Δden is not
 * positive, across a reset, or where there is no earlier point that old.
 */
export function ratio(
  times: readonly number[],
  num: Column,
  den: Column,
  minS = RATE_MIN_S,
): (number | null)[] {
  return overInterval(times, num, den, minS, (dn, dd) => (dd > 0 && dn >= 0 ? dn / dd : null));
}
