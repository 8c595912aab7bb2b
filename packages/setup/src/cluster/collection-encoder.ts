import { randomUUID } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { exemplarsOf } from '../exemplar.js';
import {
  canonicalKey,
  encodeNumber,
  encodeOptional,
  Kind,
  metricKey,
  TAG,
  WIRE_VERSION,
  type WireCollection,
  type WireMetricDef,
  type WireNumber,
  type WireSeriesDef,
} from './wire.js';

interface EncodedMetric {
  readonly index: number;
  /** Series ids by attributes object: the SDK and the bound path hand back the same object per series. */
  readonly byObject: WeakMap<Attributes, number>;
  /** Series ids by canonical key, for a series whose attributes arrive as a new object. */
  readonly byKey: Map<string, number>;
}

/** Appends the exemplars a point carries (the bound-series path with `exemplars: true`). */
function encodeExemplars(id: number, point: DataPoint<unknown>, out: WireCollection['exemplars']): void {
  const list = exemplarsOf(point);
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e !== undefined) out.push(id, i, encodeNumber(e.value), e.timeMs, e.traceId, e.spanId);
  }
}

export function kindOf(metric: MetricData): Kind {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? Kind.Counter : Kind.UpDown;
    case DataPointType.GAUGE:
      return Kind.Gauge;
    case DataPointType.HISTOGRAM:
      return Kind.Histogram;
    default:
      return Kind.Exponential;
  }
}

/**
 * Turns cumulative collections into {@link WireCollection}s for one receiver,
 * remembering what it has told it so far: a series is defined once, then
 * sent as its id and numbers, and only when they changed since the last
 * collection; a series that is no longer collected is listed in `gone`.
 * That holds as long as the receiver applied every collection; when it did
 * not, it asks for a full one, which starts over.
 */
export class CollectionEncoder {
  private readonly incarnation = randomUUID();
  private metrics = new Map<string, EncodedMetric>();
  private nextMetric = 0;
  private nextSeries = 0;
  /** Per series id: what its last sent value was, as a number that changes whenever the value does. */
  private lastSent: (number | undefined)[] = [];
  /** Per series id: the collection that last had it. */
  private lastSeen: number[] = [];
  private collection = 0;
  /** Ids collected in the previous collection. */
  private present: number[] = [];

  /** `full`: forget every definition and send them all again (the receiver asked). */
  encode(
    resourceMetrics: ResourceMetrics,
    type: WireCollection['type'],
    id: number,
    full: boolean,
  ): WireCollection {
    if (full) {
      this.metrics = new Map();
      this.nextMetric = 0;
      this.nextSeries = 0;
      this.lastSent = [];
      this.lastSeen = [];
      this.present = [];
    }
    const collection = ++this.collection;
    const present: number[] = [];
    const metricDefs: WireMetricDef[] = [];
    const seriesDefs: WireSeriesDef[] = [];
    const values: WireNumber[] = [];
    const exemplars: WireCollection['exemplars'] = [];
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        if (metric.dataPoints.length === 0) continue;
        const kind = kindOf(metric);
        const { name, description, unit, valueType } = metric.descriptor;
        const version = scope.version ?? '';
        const schemaUrl = scope.schemaUrl ?? '';
        const key = metricKey(scope.name, version, schemaUrl, name, unit, kind);
        let encoded = this.metrics.get(key);
        if (encoded === undefined) {
          encoded = { index: this.nextMetric++, byObject: new WeakMap(), byKey: new Map() };
          this.metrics.set(key, encoded);
          metricDefs.push([
            encoded.index,
            scope.name,
            version,
            schemaUrl,
            name,
            description,
            unit,
            kind,
            valueType,
          ]);
        }
        this.encodePoints(metric, encoded, seriesDefs, values, exemplars, present, collection);
      }
    }
    const gone: number[] = [];
    for (const seriesId of this.present) if (this.lastSeen[seriesId] !== collection) gone.push(seriesId);
    for (const seriesId of gone) this.lastSent[seriesId] = undefined; // sent again if it comes back
    this.present = present;
    return {
      [TAG]: WIRE_VERSION,
      type,
      id,
      full,
      incarnation: this.incarnation,
      metrics: metricDefs,
      series: seriesDefs,
      values,
      gone,
      exemplars,
    };
  }

  private seriesId(
    encoded: EncodedMetric,
    attributes: Attributes,
    startTime: readonly [number, number],
    boundaries: number[] | undefined,
    seriesDefs: WireSeriesDef[],
  ): number {
    const known = encoded.byObject.get(attributes);
    if (known !== undefined) return known;
    const key = canonicalKey(attributes);
    let id = encoded.byKey.get(key);
    if (id === undefined) {
      id = this.nextSeries++;
      encoded.byKey.set(key, id);
      const [seconds, nanos] = startTime;
      seriesDefs.push(
        boundaries === undefined
          ? [id, encoded.index, attributes, seconds, nanos]
          : [id, encoded.index, attributes, seconds, nanos, boundaries],
      );
    }
    encoded.byObject.set(attributes, id);
    return id;
  }

  /**
   * True when the series' value differs from what was last sent (and notes
   * it as sent). `signature` changes whenever the value does: the value of a
   * sum or gauge, the count of a cumulative histogram.
   */
  private changed(seriesId: number, signature: number, present: number[], collection: number): boolean {
    if (this.lastSeen[seriesId] === collection) return false; // a second point for one series: the first one counts
    this.lastSeen[seriesId] = collection;
    present.push(seriesId);
    if (Object.is(this.lastSent[seriesId], signature)) return false;
    this.lastSent[seriesId] = signature;
    return true;
  }

  private encodePoints(
    metric: MetricData,
    encoded: EncodedMetric,
    seriesDefs: WireSeriesDef[],
    values: WireNumber[],
    exemplars: WireCollection['exemplars'],
    present: number[],
    collection: number,
  ): void {
    switch (metric.dataPointType) {
      case DataPointType.SUM:
      case DataPointType.GAUGE:
        for (const point of metric.dataPoints) {
          const id = this.seriesId(encoded, point.attributes, point.startTime, undefined, seriesDefs);
          if (!this.changed(id, point.value, present, collection)) continue;
          values.push(id, encodeNumber(point.value));
          encodeExemplars(id, point, exemplars);
        }
        return;
      case DataPointType.HISTOGRAM:
        for (const point of metric.dataPoints) {
          const h = point.value;
          const id = this.seriesId(
            encoded,
            point.attributes,
            point.startTime,
            h.buckets.boundaries,
            seriesDefs,
          );
          if (!this.changed(id, h.count, present, collection)) continue;
          values.push(id, h.count, encodeOptional(h.sum), encodeOptional(h.min), encodeOptional(h.max));
          for (const c of h.buckets.counts) values.push(c);
          encodeExemplars(id, point, exemplars);
        }
        return;
      case DataPointType.EXPONENTIAL_HISTOGRAM:
        for (const point of metric.dataPoints) {
          const h = point.value;
          const id = this.seriesId(encoded, point.attributes, point.startTime, undefined, seriesDefs);
          if (!this.changed(id, h.count, present, collection)) continue;
          values.push(id, h.count, encodeOptional(h.sum), encodeOptional(h.min), encodeOptional(h.max));
          values.push(h.scale, h.zeroCount);
          values.push(h.positive.offset, h.positive.bucketCounts.length, ...h.positive.bucketCounts);
          values.push(h.negative.offset, h.negative.bucketCounts.length, ...h.negative.bucketCounts);
        }
        return;
    }
  }
}
