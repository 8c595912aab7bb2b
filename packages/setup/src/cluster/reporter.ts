import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import type { Exemplar } from '../exemplar.js';
import { MAX_EXPONENTIAL_BUCKETS } from './exponential-merge.js';
import {
  earlier,
  type HistogramValue,
  type MergedMetric,
  type MergedSeries,
  type MergedState,
  type MetricIdentity,
  REPORTER_ATTRIBUTE,
  type Slot,
  type SlotSource,
} from './merged-state.js';
import { canonicalKey, decodeNumber, Kind } from './wire.js';

/** Bounds on what one reporter may send; anything beyond is a malformed collection. */
const MAX_BOUNDARIES = 1000;
const MAX_ATTRIBUTES = 128;
const MAX_ARRAY_ATTRIBUTE = 1000;
const MAX_TEXT = 65_536;
const MAX_ID = 2 ** 31 - 1;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** A definition from the message, checked, not yet applied. */
interface MetricDef extends MetricIdentity {
  readonly index: number;
}

interface SeriesDef {
  readonly id: number;
  readonly metric: number;
  readonly kind: Kind;
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  readonly boundaries: number[] | undefined;
}

/** A checked collection, ready to apply. */
interface Plan {
  readonly full: boolean;
  readonly incarnation: string | undefined;
  readonly metrics: MetricDef[];
  readonly series: SeriesDef[];
  /** Where each reported series' numbers start in `values`. */
  readonly offsets: number[];
  /** Series ids no longer collected. */
  readonly gone: number[];
  /** The exemplars of reported series, by series id. */
  readonly exemplars: Map<number, (Exemplar | undefined)[]>;
}

class Malformed extends Error {}

function fail(reason: string): never {
  throw new Malformed(reason);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function int(value: unknown, what: string, min = 0, max = MAX_ID): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${what} is ${JSON.stringify(value)}, not an integer from ${min} to ${max}`);
  }
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    fail(`${what} is not a string of at most ${MAX_TEXT} characters`);
  return value;
}

function number(value: unknown, what: string): number {
  const n = decodeNumber(value);
  if (n === undefined) fail(`${what} is ${JSON.stringify(value)}, not a number`);
  return n;
}

function optionalNumber(value: unknown, what: string): number | undefined {
  return value === null ? undefined : number(value, what);
}

function isPrimitive(value: unknown): boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

function attributesOf(value: unknown): Attributes {
  if (!isRecord(value)) fail('series attributes are not an object');
  let n = 0;
  for (const key in value) {
    if (++n > MAX_ATTRIBUTES) fail(`a series has more than ${MAX_ATTRIBUTES} attributes`);
    if (key.length > MAX_TEXT) fail('an attribute key is too long');
    const v = value[key];
    if (v === undefined || v === null || isPrimitive(v)) {
      if (typeof v === 'string' && v.length > MAX_TEXT) fail(`attribute "${key}" is too long`);
      continue;
    }
    if (!Array.isArray(v) || v.length > MAX_ARRAY_ATTRIBUTE) fail(`attribute "${key}" is not a valid value`);
    for (const item of v) {
      if (item !== null && item !== undefined && !isPrimitive(item))
        fail(`attribute "${key}" is not a valid value`);
    }
  }
  return value as Attributes;
}

function boundariesOf(value: unknown): number[] {
  if (!Array.isArray(value) || value.length > MAX_BOUNDARIES)
    fail('histogram boundaries are not a short array');
  for (let i = 0; i < value.length; i++) {
    const b = value[i];
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (value[i - 1] as number))) {
      fail('histogram boundaries are not increasing finite numbers');
    }
  }
  return value as number[];
}

/**
 * One process or thread that reports to this one (or this process itself):
 * the definitions it sent, and its latest cumulative value of every series
 * it reported, as slots into the {@link MergedState}.
 *
 * A collection is checked completely before any of it is applied, so a
 * malformed one changes nothing: the reporter's last good state stays.
 */
export class Reporter implements SlotSource {
  /** The next collection must define everything again (first contact, or after a reply was lost). */
  needFull = true;
  /** The encoder of the last full collection (see WireCollection.incarnation). */
  private incarnation: string | undefined;
  private metricsByIndex: (MergedMetric | undefined)[] = [];
  private kindById: Kind[] = [];
  private bucketsById: number[] = [];
  private slotsById: (Slot | undefined)[] = [];
  /** Every slot, by metric and attribute set: kept across full re-definitions, so values carry over. */
  private readonly byKey = new Map<string, Slot>();
  private readonly labelledAttributes = new Map<MergedSeries, Attributes>();
  private seen: number[] = [];
  private stamp = 0;

  /**
   * @param label this reporter's value of `tokenmeter.worker.id` on its gauges;
   *   undefined leaves them unlabelled.
   */
  constructor(
    private readonly state: MergedState,
    readonly label: string | undefined,
    private readonly maxSeries: number,
  ) {}

  slots(): Iterable<Slot> {
    return this.byKey.values();
  }

  /**
   * Applies one collection. Returns why it was rejected, or undefined when
   * it was applied; a rejected collection changes nothing.
   */
  apply(message: unknown): string | undefined {
    let plan: Plan;
    try {
      plan = this.check(message);
    } catch (error) {
      // Anything a check trips over is the message's fault, not a reason to throw into the transport.
      return error instanceof Malformed ? error.message : `unreadable (${String(error)})`;
    }
    this.commit(plan, (message as { values: unknown[] }).values);
    return undefined;
  }

  /** The reporter is gone: the state keeps what its monotonic series reported. */
  leave(): void {
    for (const slot of this.byKey.values()) this.state.release(slot);
    this.byKey.clear();
    this.slotsById = [];
  }

  private check(message: unknown): Plan {
    if (!isRecord(message)) fail('not an object');
    const { full, metrics, series, values, gone, incarnation } = message;
    if (typeof full !== 'boolean') fail('"full" is not a boolean');
    if (incarnation !== undefined && (typeof incarnation !== 'string' || incarnation.length > 64)) {
      fail('"incarnation" is not a string of at most 64 characters');
    }
    if (!full && incarnation !== this.incarnation) {
      fail('an incremental collection from another provider than the last full one');
    }
    if (this.needFull && !full) fail('an incremental collection where a full one was asked for');
    if (!Array.isArray(metrics) || !Array.isArray(series) || !Array.isArray(values) || !Array.isArray(gone)) {
      fail('"metrics", "series", "values" or "gone" is not an array');
    }
    if (metrics.length > this.maxSeries || series.length > this.maxSeries || gone.length > this.maxSeries) {
      fail(`more than ${this.maxSeries} definitions`);
    }
    const metricDefs = new Map<number, MetricDef>();
    for (const raw of metrics) {
      const def = this.checkMetric(raw);
      if (metricDefs.has(def.index) || (!full && this.metricsByIndex[def.index] !== undefined)) {
        fail(`metric ${def.index} is defined twice`);
      }
      metricDefs.set(def.index, def);
    }
    const kindOfMetric = (index: number): Kind | undefined =>
      metricDefs.get(index)?.kind ?? (full ? undefined : this.metricsByIndex[index]?.identity.kind);
    const seriesDefs = new Map<number, SeriesDef>();
    for (const raw of series) {
      const def = this.checkSeries(raw, kindOfMetric);
      if (seriesDefs.has(def.id) || (!full && this.kindById[def.id] !== undefined)) {
        fail(`series ${def.id} is defined twice`);
      }
      seriesDefs.set(def.id, def);
    }
    const layout = (id: number): [Kind, number] | undefined => {
      const def = seriesDefs.get(id);
      if (def) return [def.kind, (def.boundaries?.length ?? 0) + 1];
      const kind = full ? undefined : this.kindById[id];
      return kind === undefined ? undefined : [kind, this.bucketsById[id] ?? 0];
    };
    const stamp = ++this.stamp;
    const offsets = this.checkValues(values, layout, stamp);
    const exemplarList = message.exemplars ?? [];
    if (!Array.isArray(exemplarList)) fail('"exemplars" is not an array');
    // Before `gone` marks more ids: here `seen` still means "reported in values".
    const exemplars = this.checkExemplars(exemplarList, layout, stamp);
    for (const raw of gone) {
      const id = int(raw, 'a gone series id');
      if (layout(id) === undefined) fail(`undefined series ${id} is gone`);
      if (this.seen[id] === stamp) fail(`series ${id} is both reported and gone`);
      this.seen[id] = stamp;
    }
    return {
      full,
      incarnation,
      metrics: [...metricDefs.values()],
      series: [...seriesDefs.values()],
      offsets,
      gone: gone as number[],
      exemplars,
    };
  }

  private checkMetric(raw: unknown): MetricDef {
    if (!Array.isArray(raw) || raw.length !== 9) fail('a metric definition is not a 9-element array');
    const kind = int(raw[7], 'a metric kind', 0, 4) as Kind;
    return {
      index: int(raw[0], 'a metric index'),
      scopeName: text(raw[1], 'a scope name'),
      scopeVersion: text(raw[2], 'a scope version'),
      schemaUrl: text(raw[3], 'a schema URL'),
      name: text(raw[4], 'a metric name'),
      description: text(raw[5], 'a metric description'),
      unit: text(raw[6], 'a metric unit'),
      kind,
      valueType: int(raw[8], 'a value type', 0, 1) as ValueType,
    };
  }

  private checkSeries(raw: unknown, kindOfMetric: (index: number) => Kind | undefined): SeriesDef {
    if (!Array.isArray(raw) || raw.length < 5 || raw.length > 6)
      fail('a series definition is not a 5- or 6-element array');
    const id = int(raw[0], 'a series id');
    const metric = int(raw[1], 'a series metric index');
    const kind = kindOfMetric(metric);
    if (kind === undefined) fail(`series ${id} belongs to undefined metric ${metric}`);
    const attributes = attributesOf(raw[2]);
    const startTime: HrTime = [int(raw[3], 'a start time'), int(raw[4], 'a start time', 0, 999_999_999)];
    if ((kind === Kind.Histogram) !== (raw.length === 6))
      fail(`series ${id} has boundaries where it should not, or none where it should`);
    const boundaries = kind === Kind.Histogram ? boundariesOf(raw[5]) : undefined;
    return { id, metric, kind, attributes, startTime, boundaries };
  }

  /** Walks the values; returns where each reported series' numbers start. */
  private checkValues(
    values: unknown[],
    layout: (id: number) => [Kind, number] | undefined,
    stamp: number,
  ): number[] {
    const offsets: number[] = [];
    let i = 0;
    while (i < values.length) {
      const id = int(values[i], 'a series id');
      const known = layout(id);
      if (known === undefined) fail(`values for undefined series ${id}`);
      if (this.seen[id] === stamp) fail(`series ${id} is reported twice`);
      this.seen[id] = stamp;
      if (offsets.length >= this.maxSeries) fail(`more than ${this.maxSeries} series`);
      offsets.push(i);
      i = this.checkPoint(values, i + 1, known[0], known[1], id);
    }
    return offsets;
  }

  /** The exemplars of reported counters and histograms: six fields each, bucket indexes in range. */
  private checkExemplars(
    list: unknown[],
    layout: (id: number) => [Kind, number] | undefined,
    stamp: number,
  ): Map<number, (Exemplar | undefined)[]> {
    const out = new Map<number, (Exemplar | undefined)[]>();
    if (list.length % 6 !== 0 || list.length > 6 * this.maxSeries)
      fail('"exemplars" is not a list of 6-field entries');
    for (let i = 0; i < list.length; i += 6) {
      const id = int(list[i], 'an exemplar series id');
      const known = layout(id);
      if (known === undefined || this.seen[id] !== stamp)
        fail(`an exemplar for series ${id}, which is not reported`);
      const [kind, buckets] = known;
      const slots = kind === Kind.Histogram ? buckets : kind === Kind.Counter ? 1 : 0;
      const index = int(list[i + 1], 'an exemplar bucket', 0, Math.max(0, slots - 1));
      if (slots === 0) fail(`an exemplar for series ${id}, which is neither a counter nor a histogram`);
      const traceId = list[i + 4];
      const spanId = list[i + 5];
      if (
        typeof traceId !== 'string' ||
        !TRACE_ID.test(traceId) ||
        typeof spanId !== 'string' ||
        !SPAN_ID.test(spanId)
      ) {
        fail('an exemplar trace or span id is not lowercase hex of the right length');
      }
      const timeMs = number(list[i + 3], 'an exemplar time');
      if (!Number.isFinite(timeMs)) fail('an exemplar time is not finite');
      let entries = out.get(id);
      if (entries === undefined) {
        entries = new Array<Exemplar | undefined>(slots).fill(undefined);
        out.set(id, entries);
      }
      entries[index] = { value: number(list[i + 2], 'an exemplar value'), timeMs, traceId, spanId };
    }
    return out;
  }

  /** Checks one series' numbers from `i`; returns the index after them. */
  private checkPoint(values: unknown[], i: number, kind: Kind, buckets: number, id: number): number {
    const what = `series ${id}`;
    if (kind === Kind.Counter) {
      if (number(values[i], what) < 0) fail(`${what}: a counter below 0`);
      return i + 1;
    }
    if (kind === Kind.UpDown || kind === Kind.Gauge) {
      number(values[i], what);
      return i + 1;
    }
    const count = int(values[i], `${what} count`, 0, Number.MAX_SAFE_INTEGER);
    optionalNumber(values[i + 1], `${what} sum`);
    optionalNumber(values[i + 2], `${what} min`);
    optionalNumber(values[i + 3], `${what} max`);
    let at = i + 4;
    let total = 0;
    if (kind === Kind.Histogram) {
      for (let b = 0; b < buckets; b++)
        total += int(values[at++], `${what} bucket`, 0, Number.MAX_SAFE_INTEGER);
    } else {
      int(values[at++], `${what} scale`, -10, 20);
      total += int(values[at++], `${what} zero count`, 0, Number.MAX_SAFE_INTEGER);
      for (let sign = 0; sign < 2; sign++) {
        int(values[at++], `${what} offset`, -MAX_ID - 1, MAX_ID);
        const n = int(values[at++], `${what} bucket count`, 0, MAX_EXPONENTIAL_BUCKETS);
        for (let b = 0; b < n; b++) total += int(values[at++], `${what} bucket`, 0, Number.MAX_SAFE_INTEGER);
      }
    }
    if (total !== count) fail(`${what}: buckets hold ${total} values, count says ${count}`);
    return at;
  }

  private commit(plan: Plan, values: unknown[]): void {
    if (plan.full) {
      if (this.incarnation !== undefined && plan.incarnation !== this.incarnation) {
        // Another provider's counts, started from zero: what the last one counted stays.
        for (const slot of this.byKey.values()) {
          this.state.keepBeforeReset(slot);
          slot.value = undefined;
        }
      }
      this.incarnation = plan.incarnation;
      // Whatever this collection does not report is no longer observed.
      for (const slot of this.byKey.values()) slot.present = false;
      this.metricsByIndex = [];
      this.kindById = [];
      this.bucketsById = [];
      this.slotsById = [];
      this.needFull = false;
    }
    for (const def of plan.metrics) this.metricsByIndex[def.index] = this.state.metric(def);
    for (const def of plan.series) {
      const metric = this.metricsByIndex[def.metric] as MergedMetric;
      const key = canonicalKey(def.attributes);
      const slotKey = `${metric.key}\u0000${key}`;
      let slot = this.byKey.get(slotKey);
      if (slot === undefined) {
        slot = this.state.slot(
          metric,
          key,
          def.attributes,
          def.startTime,
          def.boundaries,
          this.labelled,
          this.label,
        );
        if (slot) this.byKey.set(slotKey, slot);
      } else if (earlier(slot.startTime, def.startTime)) {
        // The same series, started again (a new provider in the same process): what it had counted stays.
        this.state.keepBeforeReset(slot);
        slot.value = undefined;
        slot.startTime = def.startTime;
      }
      this.slotsById[def.id] = slot;
      this.kindById[def.id] = def.kind;
      this.bucketsById[def.id] = (def.boundaries?.length ?? 0) + 1;
    }
    for (const at of plan.offsets) {
      const id = values[at] as number;
      const slot = this.slotsById[id];
      if (slot === undefined) continue; // left out of the merge (said once when it was defined)
      const value = readPoint(values, at + 1, this.kindById[id] as Kind, this.bucketsById[id] ?? 0);
      if (slot.value !== undefined && wentDown(slot.value, value)) this.state.keepBeforeReset(slot);
      slot.value = value;
      // A reported point carries all its current exemplars: none means none.
      slot.exemplars = plan.exemplars.get(id);
      slot.present = true;
    }
    for (const id of plan.gone) {
      const slot = this.slotsById[id];
      if (slot) slot.present = false;
    }
  }

  private readonly labelled = (series: MergedSeries): Attributes => {
    let attributes = this.labelledAttributes.get(series);
    if (attributes === undefined) {
      const inner = series.attributes[REPORTER_ATTRIBUTE];
      // A reporter that merged its own reporters (a cluster worker's threads): `2/thread-7`.
      const label = inner === undefined ? this.label : `${this.label}/${String(inner)}`;
      attributes = Object.freeze({ ...series.attributes, [REPORTER_ATTRIBUTE]: label });
      this.labelledAttributes.set(series, attributes);
    }
    return attributes;
  };
}

type Value = number | HistogramValue | ExponentialHistogram;

/** A cumulative value smaller than the last one: the reporter started counting again. */
function wentDown(before: Value, after: Value): boolean {
  if (typeof before === 'number' || typeof after === 'number') return (after as number) < (before as number);
  return after.count < before.count;
}

/** Reads one checked series value from `values` at `i`. */
function readPoint(values: unknown[], i: number, kind: Kind, buckets: number): Value {
  if (kind === Kind.Counter || kind === Kind.UpDown || kind === Kind.Gauge)
    return decodeNumber(values[i]) as number;
  const count = values[i] as number;
  const sum = values[i + 1] === null ? undefined : decodeNumber(values[i + 1]);
  const min = values[i + 2] === null ? undefined : decodeNumber(values[i + 2]);
  const max = values[i + 3] === null ? undefined : decodeNumber(values[i + 3]);
  let at = i + 4;
  if (kind === Kind.Histogram) {
    return { count, sum, min, max, counts: values.slice(at, at + buckets) as number[] };
  }
  const scale = values[at++] as number;
  const zeroCount = values[at++] as number;
  const signs: ExponentialHistogram['positive'][] = [];
  for (let sign = 0; sign < 2; sign++) {
    const offset = values[at++] as number;
    const n = values[at++] as number;
    signs.push({ offset, bucketCounts: values.slice(at, at + n) as number[] });
    at += n;
  }
  return {
    count,
    sum,
    min,
    max,
    scale,
    zeroCount,
    positive: signs[0] as ExponentialHistogram['positive'],
    negative: signs[1] as ExponentialHistogram['negative'],
  };
}
