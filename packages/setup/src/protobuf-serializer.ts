/**
 * Renders an SDK collection in the Prometheus protobuf exposition format:
 * length-delimited `io.prometheus.client.MetricFamily` messages
 * (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited`). It is the only format that carries native
 * histograms, so Prometheus asks for it first when started with
 * `--enable-feature=native-histograms`; a scrape in it must carry everything,
 * so counters, gauges and classic histograms are written too.
 *
 * Field numbers are those of `io/prometheus/client/metrics.proto`
 * (prometheus/client_model, as vendored by Prometheus in `prompb`).
 */
import type { Attributes } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { wellFormed } from '@tokenmeter/exposition';
import { type Exemplar, exemplarsOf } from './exemplar.js';
import { LatestByKey } from './latest-by-key.js';
import { toNativeHistogram } from './native-histogram.js';
import {
  attributePairs,
  type Family,
  hrTimeMs,
  scopePairs,
  TARGET_INFO,
  type WriterSettings,
  writerSettings,
} from './prometheus-families.js';
import type { PrometheusSerializerOptions } from './prometheus-serializer.js';
import { ProtobufWriter, writeTimestamp } from './protobuf-writer.js';
import { SlotsByTable } from './series-byte-slots.js';
import { seriesIndexesOf } from './series-index.js';
import { SeriesLabelCache } from './series-label-cache.js';
import { runYielding, Slices, samplesOf } from './yielding.js';

// io.prometheus.client field numbers.
const MetricFamilyField = { name: 1, help: 2, type: 3, metric: 4, unit: 5 } as const;
const MetricTypeValue = { counter: 0, gauge: 1, histogram: 4 } as const;
const MetricField = { label: 1, gauge: 2, counter: 3, histogram: 7 } as const;
const LabelPairField = { name: 1, value: 2 } as const;
const ValueField = 1; // Gauge.value, Counter.value
const CounterField = { exemplar: 2, created: 3 } as const;
const HistogramField = {
  sampleCount: 1,
  sampleSum: 2,
  bucket: 3,
  schema: 5,
  zeroCount: 7,
  negativeSpan: 9,
  negativeDelta: 10,
  positiveSpan: 12,
  positiveDelta: 13,
  created: 15,
} as const;
const BucketField = { cumulativeCount: 1, upperBound: 2, exemplar: 3 } as const;
const SpanField = { offset: 1, length: 2 } as const;
const ExemplarField = { label: 1, value: 2, timestamp: 3 } as const;

/** A finished chunk goes out once it holds this much; the next family starts a new one. */
const CHUNK_BYTES = 256 * 1024;

function encodeLabels(pairs: readonly (readonly [string, string])[]): Buffer {
  const w = new ProtobufWriter(256);
  for (const [name, value] of pairs) {
    w.begin(MetricField.label);
    w.string(LabelPairField.name, name);
    w.string(LabelPairField.value, wellFormed(value));
    w.end();
  }
  return Buffer.concat(w.take());
}

function writeExemplar(w: ProtobufWriter, field: number, e: Exemplar): void {
  w.begin(field);
  w.begin(ExemplarField.label);
  w.string(LabelPairField.name, 'trace_id');
  w.string(LabelPairField.value, wellFormed(e.traceId));
  w.end();
  w.begin(ExemplarField.label);
  w.string(LabelPairField.name, 'span_id');
  w.string(LabelPairField.value, wellFormed(e.spanId));
  w.end();
  w.double(ExemplarField.value, e.value);
  writeTimestamp(w, ExemplarField.timestamp, e.timeMs);
  w.end();
}

export class ProtobufSerializer {
  private readonly s: WriterSettings;
  /** Per series: its encoded `Metric.label` fields, the scope labels (unless left out) last. */
  private readonly labels: SeriesLabelCache<ScopeMetrics['scope'] | undefined>;
  /** The latest resource's encoded `target_info` family. */
  private readonly targetInfo = new LatestByKey<Attributes, Buffer>();
  /** Per bound instrument: each series' encoded labels, by index. */
  private readonly slots = new SlotsByTable<ScopeMetrics['scope'] | undefined>();

  constructor(options: PrometheusSerializerOptions = {}) {
    this.s = writerSettings(options);
    this.labels = new SeriesLabelCache(!this.s.withoutScopeInfo, (pairs, scope) =>
      encodeLabels(scope === undefined ? pairs : [...pairs, ...scopePairs(scope)]),
    );
  }

  /** The body in chunks, yielding to the event loop every `yieldEvery` samples (see `yieldEvery`). */
  async serializeChunks(resourceMetrics: ResourceMetrics): Promise<Buffer[]> {
    const w = new ProtobufWriter(CHUNK_BYTES);
    await runYielding(this.render(resourceMetrics, w));
    return w.take();
  }

  private *render(resourceMetrics: ResourceMetrics, w: ProtobufWriter): Generator<void, void, void> {
    if (!this.s.withoutTargetInfo) {
      w.raw(this.targetInfo.get(resourceMetrics.resource.attributes, (a) => this.encodeTargetInfo(a)));
    }
    const slices = new Slices(this.s.yieldEvery);
    for (const family of this.s.grouper.group(resourceMetrics, true).values()) {
      w.begin(undefined);
      this.familyHeader(w, family);
      for (const { metric, scope } of family.members) {
        const scoped = this.s.withoutScopeInfo ? undefined : scope;
        // A bound instrument's series are found by index (see series-index.ts); others by attributes.
        const indexed = seriesIndexesOf(metric);
        const indexes = indexed?.indexes;
        const slots = indexed === undefined ? undefined : this.slots.of(indexed.table, scoped);
        const points = metric.dataPoints as DataPoint<unknown>[];
        for (let j = 0; j < points.length; j++) {
          const point = points[j] as DataPoint<unknown>;
          const index = indexes?.[j];
          if (slices.due(samplesOf(point.value))) {
            // The family's message stays open across the pause: the writer keeps it in
            // one buffer, and chunks are only cut between families.
            yield;
          }
          w.begin(MetricFamilyField.metric);
          switch (metric.dataPointType) {
            case DataPointType.SUM:
            case DataPointType.GAUGE: {
              w.raw(this.labels.getAt(slots, index, point.attributes, scoped, false));
              const value = point.value as number;
              if (family.type === 'counter') {
                w.begin(MetricField.counter);
                w.double(ValueField, value);
                const e = exemplarsOf(point)?.[0];
                if (e !== undefined) writeExemplar(w, CounterField.exemplar, e);
                writeTimestamp(w, CounterField.created, hrTimeMs(point.startTime));
              } else {
                w.begin(MetricField.gauge);
                w.double(ValueField, value);
              }
              w.end();
              break;
            }
            case DataPointType.HISTOGRAM:
              w.raw(this.labels.getAt(slots, index, point.attributes, scoped, true));
              this.classicHistogram(w, point as DataPoint<Histogram>);
              break;
            case DataPointType.EXPONENTIAL_HISTOGRAM:
              w.raw(this.labels.getAt(slots, index, point.attributes, scoped, true));
              this.nativeHistogram(w, point as DataPoint<ExponentialHistogram>, metric.descriptor.name);
              break;
          }
          w.end();
        }
      }
      w.end();
      if (w.pending >= CHUNK_BYTES) w.flush();
    }
  }

  private familyHeader(w: ProtobufWriter, family: Family): void {
    w.string(MetricFamilyField.name, family.name);
    w.string(MetricFamilyField.help, wellFormed(family.help));
    w.uint(MetricFamilyField.type, MetricTypeValue[family.type]);
    if (family.unit !== '') w.string(MetricFamilyField.unit, family.unit);
  }

  private classicHistogram(w: ProtobufWriter, point: DataPoint<Histogram>): void {
    const h = point.value;
    const { boundaries, counts } = h.buckets;
    const exemplars = exemplarsOf(point);
    w.begin(MetricField.histogram);
    w.uint(HistogramField.sampleCount, h.count);
    if (h.sum !== undefined) w.double(HistogramField.sampleSum, h.sum);
    let cumulative = 0;
    for (let i = 0; i <= boundaries.length; i++) {
      cumulative += counts[i] ?? 0;
      // The last bucket is +Inf: written, so that its exemplar has a place.
      const bound = i < boundaries.length ? (boundaries[i] as number) : Number.POSITIVE_INFINITY;
      if (i < boundaries.length && !Number.isFinite(bound)) continue;
      w.begin(HistogramField.bucket);
      w.uint(BucketField.cumulativeCount, i < boundaries.length ? cumulative : h.count);
      w.double(BucketField.upperBound, bound);
      const e = exemplars?.[i];
      if (e !== undefined) writeExemplar(w, BucketField.exemplar, e);
      w.end();
    }
    writeTimestamp(w, HistogramField.created, hrTimeMs(point.startTime));
    w.end();
  }

  private nativeHistogram(w: ProtobufWriter, point: DataPoint<ExponentialHistogram>, name: string): void {
    const n = toNativeHistogram(point.value);
    w.begin(MetricField.histogram);
    if (n === undefined) {
      // Not representable (scale below -4): count and sum only, said once.
      this.s.warnings.warn(
        `scale:${name}`,
        `tokenmeter: exponential histogram "${name}" has scale ${point.value.scale}, below the -4 Prometheus native histograms allow; its buckets are left out of protobuf scrapes (count and sum stay)`,
      );
      w.uint(HistogramField.sampleCount, point.value.count);
      w.double(HistogramField.sampleSum, point.value.sum ?? Number.NaN);
    } else {
      w.uint(HistogramField.sampleCount, n.count);
      w.double(HistogramField.sampleSum, n.sum);
      w.sint(HistogramField.schema, n.schema);
      if (n.zeroCount > 0) w.uint(HistogramField.zeroCount, n.zeroCount);
      for (const s of n.negativeSpans) this.span(w, HistogramField.negativeSpan, s.offset, s.length);
      w.packedSint(HistogramField.negativeDelta, n.negativeDeltas);
      const empty = n.positiveSpans.length === 0 && n.negativeSpans.length === 0 && n.zeroCount === 0;
      // A native histogram with nothing in it needs a no-op span, or it reads as a classic one.
      if (empty) this.span(w, HistogramField.positiveSpan, 0, 0);
      for (const s of n.positiveSpans) this.span(w, HistogramField.positiveSpan, s.offset, s.length);
      w.packedSint(HistogramField.positiveDelta, n.positiveDeltas);
    }
    writeTimestamp(w, HistogramField.created, hrTimeMs(point.startTime));
    w.end();
  }

  private span(w: ProtobufWriter, field: number, offset: number, length: number): void {
    w.begin(field);
    if (offset !== 0) w.sint(SpanField.offset, offset);
    if (length !== 0) w.uint(SpanField.length, length);
    w.end();
  }

  /** The `target_info` family, encoded on its own. */
  private encodeTargetInfo(resourceAttributes: Attributes): Buffer {
    const w = new ProtobufWriter(1024);
    this.writeTargetInfo(w, resourceAttributes);
    return Buffer.concat(w.take());
  }

  private writeTargetInfo(w: ProtobufWriter, resourceAttributes: Attributes): void {
    const { pairs } = attributePairs(resourceAttributes, false, false, this.s.denyList);
    if (pairs.length === 0) return;
    w.begin(undefined);
    w.string(MetricFamilyField.name, TARGET_INFO);
    w.string(MetricFamilyField.help, 'Target metadata');
    w.uint(MetricFamilyField.type, MetricTypeValue.gauge);
    w.begin(MetricFamilyField.metric);
    w.raw(encodeLabels(pairs));
    w.begin(MetricField.gauge);
    w.double(ValueField, 1);
    w.end();
    w.end();
    w.end();
  }
}
