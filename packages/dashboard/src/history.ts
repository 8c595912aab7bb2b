/**
 * The server's chart history: a fixed-size ring of the charted values
 * (`chartValues()`), one sample per interval, so a page opened late draws the
 * recent past at once. It keeps numbers, not snapshots: no histogram buckets,
 * no error maps, one Float64Array per charted series.
 *
 * Memory is bounded up front: at most `HISTORY_LIMITS.columns` series of
 * `points` doubles each (with the defaults, 1024 × 121 × 8 B ≈ 1 MB at the very
 * most; the quickstart demo uses ~125 series, ~120 kB). Series are admitted in
 * the order they appear, up to `HISTORY_LIMITS` names per kind; later models,
 * runs or GPUs are charted from the page's own polls only.
 */
import { parseSeriesKey, type SeriesKind } from './chart-values.js';

/** The history as `GET /dashboard.json?history=1` sends it. */
export interface HistoryData {
  /** How often the server samples, ms. */
  intervalMillis: number;
  /** How far back the server keeps samples, seconds. */
  spanS: number;
  /** Sample times, ms since the epoch, oldest first. */
  times: number[];
  /** One array per charted series (`seriesKey()`), aligned with `times`; null where a sample had no value. */
  columns: Record<string, (number | null)[]>;
}

/** Bounds of what the history tracks (names per kind, and series in all). */
export const HISTORY_LIMITS = {
  /** Client models and server models, each (their totals are always kept). */
  models: 20,
  /** Training runs. */
  runs: 8,
  /** GPUs. */
  gpus: 16,
  /** Series of every kind together: the hard bound on memory. */
  columns: 1024,
} as const;

const NAMES_PER_KIND: Record<SeriesKind, number> = {
  c: HISTORY_LIMITS.models,
  s: HISTORY_LIMITS.models,
  $: HISTORY_LIMITS.models,
  t: HISTORY_LIMITS.runs,
  g: HISTORY_LIMITS.gpus,
};

export class History {
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private readonly names = new Map<SeriesKind, Set<string>>();
  /** Index of the oldest sample, and how many there are. */
  private start = 0;
  private count = 0;

  constructor(
    /** Samples kept (the oldest is dropped when a new one comes). */
    readonly points: number,
    readonly intervalMillis: number,
  ) {
    this.times = new Float64Array(points);
  }

  get size(): number {
    return this.count;
  }

  /** Number of series tracked: the memory is `columnCount × points × 8` bytes (plus the times). */
  get columnCount(): number {
    return this.columns.size;
  }

  /** Appends one sample (time in ms, values by `seriesKey`); a sample not newer than the last is ignored. */
  add(time: number, values: Readonly<Record<string, number>>): void {
    const last = this.count > 0 ? this.times[(this.start + this.count - 1) % this.points] : undefined;
    if (last !== undefined && !(time > last)) return;
    let slot: number;
    if (this.count < this.points) {
      slot = (this.start + this.count) % this.points;
      this.count++;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.points;
    }
    this.times[slot] = time;
    for (const col of this.columns.values()) col[slot] = Number.NaN;
    for (const [key, v] of Object.entries(values)) {
      const col = this.columns.get(key) ?? this.admit(key);
      if (col) col[slot] = v;
    }
  }

  /** A new column for `key`, or undefined when its kind or the total is at its limit. */
  private admit(key: string): Float64Array | undefined {
    if (this.columns.size >= HISTORY_LIMITS.columns) return undefined;
    const { kind, name } = parseSeriesKey(key);
    if (name !== undefined) {
      let names = this.names.get(kind);
      if (!names) {
        names = new Set();
        this.names.set(kind, names);
      }
      if (!names.has(name)) {
        if (names.size >= (NAMES_PER_KIND[kind] ?? 0)) return undefined;
        names.add(name);
      }
    }
    const col = new Float64Array(this.points).fill(Number.NaN);
    this.columns.set(key, col);
    return col;
  }

  /** The samples, oldest first, as plain JSON (NaN becomes null). */
  toJSON(): HistoryData {
    const order = Array.from({ length: this.count }, (_, i) => (this.start + i) % this.points);
    const columns: Record<string, (number | null)[]> = {};
    for (const [key, col] of this.columns) {
      const values = order.map((i) => {
        const v = col[i] as number;
        return Number.isNaN(v) ? null : v;
      });
      if (values.some((v) => v !== null)) columns[key] = values;
    }
    return {
      intervalMillis: this.intervalMillis,
      spanS: ((this.points - 1) * this.intervalMillis) / 1000,
      times: order.map((i) => this.times[i] as number),
      columns,
    };
  }
}
