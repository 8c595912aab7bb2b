/**
 * The messages between a cluster primary (or a main thread) and the processes
 * or threads that report to it. One request/response pair per scrape.
 *
 * The values are cumulative; what crosses is incremental. A metric or series
 * is defined once (`metrics`, `series`: descriptor, attributes, start time,
 * bucket boundaries) and named by a small integer afterwards; a series' numbers
 * are sent when they changed since the last collection, and a series that
 * stopped being collected is listed in `gone`. A steady-state scrape of an
 * app where little changed is a few numbers. When the receiver lost track (a
 * reply it dropped as late or malformed), it asks with `full: true` and the
 * sender starts over: every definition, every series' numbers.
 *
 * Everything that crosses is plain JSON (`node:cluster`'s default
 * serialization), so non-finite numbers travel as strings.
 */

/** Marks our messages among the application's own on a shared channel; the value is the protocol version. */
export const TAG = '$tokenmeter';
export const WIRE_VERSION = 1;

/** How a metric aggregates across reporters. */
export const Kind = {
  /** Monotonic sum: summed, survives its reporter. */
  Counter: 0,
  /** Non-monotonic sum: summed over live reporters. */
  UpDown: 1,
  /** Last value: one series per reporter. */
  Gauge: 2,
  /** Explicit-bucket histogram: summed bucket-wise, survives its reporter. */
  Histogram: 3,
  /** Base-2 exponential histogram: re-scaled to a common scale, summed, survives its reporter. */
  Exponential: 4,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** `[index, scopeName, scopeVersion, scopeSchemaUrl, name, description, unit, kind, valueType]` */
export type WireMetricDef = [number, string, string, string, string, string, string, Kind, number];

/**
 * `[seriesId, metricIndex, attributes, startSeconds, startNanos]`, plus the
 * bucket boundaries for an explicit-bucket histogram.
 */
export type WireSeriesDef =
  | [number, number, Record<string, unknown>, number, number]
  | [number, number, Record<string, unknown>, number, number, number[]];

/** A number, or `'NaN'`/`'Inf'`/`'-Inf'`, or `null` for an absent optional field (histogram sum/min/max). */
export type WireNumber = number | string | null;

/** Reporter → receiver: a collection, as the answer to `collect` or pushed on shutdown. */
export interface WireCollection {
  readonly [TAG]: typeof WIRE_VERSION;
  readonly type: 'collection' | 'final';
  /** The request's id; 0 for `final`. */
  readonly id: number;
  /** True when the definitions start from scratch (ids from 0). */
  readonly full: boolean;
  /**
   * Which encoder (one per provider in the reporting process) sent this. A
   * new one means the reporter's counts started again from zero (a second
   * `registerMetrics()` after a shutdown), even when its series' start times,
   * in milliseconds, equal the old ones. Absent from older reporters.
   */
  readonly incarnation?: string;
  readonly metrics: WireMetricDef[];
  readonly series: WireSeriesDef[];
  /**
   * Per series reported, flat: its id, then
   * - sums and gauges: the value;
   * - histogram: count, sum, min, max, then one count per bucket (boundaries + 1);
   * - exponential: count, sum, min, max, scale, zeroCount, positive offset,
   *   positive length, the positive counts, negative offset, negative length,
   *   the negative counts.
   * Only series whose value changed since the last collection (all of them in a full one).
   */
  readonly values: WireNumber[];
  /** Series of the last collection that this one no longer has (observations stopped). */
  readonly gone: number[];
  /**
   * The exemplars of series reported in `values` (counters and histograms recorded with
   * `exemplars: true`), flat: series id, bucket index (0 for a counter), value, time in
   * milliseconds since the epoch, trace id, span id. A reported series without any has none.
   */
  readonly exemplars: (WireNumber | string)[];
}

/** Receiver → reporter. */
export interface WireRequest {
  readonly [TAG]: typeof WIRE_VERSION;
  readonly type: 'collect';
  readonly id: number;
  readonly full: boolean;
}

/** Reporter → receiver on start, and in answer to `probe`: "ask me at every scrape". */
export interface WireHello {
  readonly [TAG]: typeof WIRE_VERSION;
  readonly type: 'hello';
}

/** Receiver → reporters that may have said hello before it listened. */
export interface WireProbe {
  readonly [TAG]: typeof WIRE_VERSION;
  readonly type: 'probe';
}

export const HELLO: WireHello = Object.freeze({ [TAG]: WIRE_VERSION, type: 'hello' });
export const PROBE: WireProbe = Object.freeze({ [TAG]: WIRE_VERSION, type: 'probe' });

/** True for a message that claims to be ours (of any version): everything else is the application's. */
export function isTagged(message: unknown): message is { [TAG]: unknown; type?: unknown } {
  return typeof message === 'object' && message !== null && TAG in message;
}

export function encodeNumber(value: number): WireNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Inf' : '-Inf';
}

export function encodeOptional(value: number | undefined): WireNumber {
  return value === undefined ? null : encodeNumber(value);
}

/** The number a wire value stands for; undefined when it is none (so the message is malformed). */
export function decodeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/**
 * One key per metric on either side of the wire: what the merge tells metrics
 * apart by (the description is not part of it: the first one stays).
 */
export function metricKey(
  scopeName: string,
  scopeVersion: string,
  schemaUrl: string,
  name: string,
  unit: string,
  kind: Kind,
): string {
  return JSON.stringify([scopeName, scopeVersion, schemaUrl, name, unit, kind]);
}

/**
 * One key per attribute set whatever the key order: sorted `[key, value]`
 * pairs as JSON. Absent values (`undefined`, `null`) are left out, as every
 * exporter does.
 *
 * Not the bound series' `attributesKey` (bound/attributes.ts): that one keys
 * a caller's raw object by the form cleaning will give it, skipping what
 * cleaning drops (mixed-type arrays, objects). Here the sets are collected
 * data from any path (an instrument a view keeps on the SDK path may carry a
 * mixed array), and dropping a value from the key would merge two series.
 */
export function canonicalKey(attributes: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(attributes).sort();
  const pairs: unknown[] = [];
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined && value !== null) pairs.push(key, value);
  }
  return JSON.stringify(pairs);
}
