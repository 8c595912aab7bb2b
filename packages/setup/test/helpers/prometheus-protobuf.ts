/**
 * Decodes a Prometheus protobuf exposition (length-delimited
 * `io.prometheus.client.MetricFamily`) with protobufjs, from a schema written
 * here from `io/prometheus/client/metrics.proto` (the fields Prometheus
 * reads), so the hand-written encoder is checked by an independent decoder.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package io.prometheus.client;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message LabelPair { string name = 1; string value = 2; }
enum MetricType { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
message Gauge { double value = 1; }
message Counter { double value = 1; Exemplar exemplar = 2; Timestamp created_timestamp = 3; }
message Histogram {
  uint64 sample_count = 1;
  double sample_count_float = 4;
  double sample_sum = 2;
  repeated Bucket bucket = 3;
  Timestamp created_timestamp = 15;
  sint32 schema = 5;
  double zero_threshold = 6;
  uint64 zero_count = 7;
  double zero_count_float = 8;
  repeated BucketSpan negative_span = 9;
  repeated sint64 negative_delta = 10;
  repeated double negative_count = 11;
  repeated BucketSpan positive_span = 12;
  repeated sint64 positive_delta = 13;
  repeated double positive_count = 14;
  repeated Exemplar exemplars = 16;
}
message Bucket { uint64 cumulative_count = 1; double cumulative_count_float = 4; double upper_bound = 2; Exemplar exemplar = 3; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Exemplar { repeated LabelPair label = 1; double value = 2; Timestamp timestamp = 3; }
message Metric {
  repeated LabelPair label = 1;
  Gauge gauge = 2;
  Counter counter = 3;
  Histogram histogram = 7;
  int64 timestamp_ms = 6;
}
message MetricFamily { string name = 1; string help = 2; MetricType type = 3; repeated Metric metric = 4; string unit = 5; }
`;

const root = protobuf.parse(SCHEMA).root;
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');

export interface PbTimestamp {
  seconds?: number;
  nanos?: number;
}
export interface PbExemplar {
  label?: { name: string; value: string }[];
  value?: number;
  timestamp?: PbTimestamp;
}
export interface PbSpan {
  offset?: number;
  length?: number;
}
export interface PbHistogram {
  sampleCount?: number;
  sampleSum?: number;
  bucket?: { cumulativeCount?: number; upperBound?: number; exemplar?: PbExemplar }[];
  createdTimestamp?: PbTimestamp;
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  negativeSpan?: PbSpan[];
  negativeDelta?: number[];
  positiveSpan?: PbSpan[];
  positiveDelta?: number[];
}
export interface PbMetric {
  label?: { name: string; value: string }[];
  gauge?: { value?: number };
  counter?: { value?: number; exemplar?: PbExemplar; createdTimestamp?: PbTimestamp };
  histogram?: PbHistogram;
}
export interface PbFamily {
  name: string;
  help?: string;
  type?: string;
  unit?: string;
  metric?: PbMetric[];
}

/** Every MetricFamily of a delimited body, in order. */
export function decodeFamilies(body: Uint8Array): PbFamily[] {
  const reader = protobuf.Reader.create(body);
  const out: PbFamily[] = [];
  while (reader.pos < reader.len) {
    const message = MetricFamily.decodeDelimited(reader);
    out.push(MetricFamily.toObject(message, { longs: Number, enums: String }) as PbFamily);
  }
  return out;
}

/** A metric's labels as an object. */
export function labelsOf(metric: PbMetric): Record<string, string> {
  return Object.fromEntries((metric.label ?? []).map((l) => [l.name, l.value]));
}

/** The absolute bucket index → count of one side of a native histogram, from its spans and deltas. */
export function nativeBuckets(spans: PbSpan[] = [], deltas: number[] = []): Map<number, number> {
  const out = new Map<number, number>();
  let index = 0;
  let count = 0;
  let d = 0;
  spans.forEach((span, i) => {
    index = i === 0 ? (span.offset ?? 0) : index + (span.offset ?? 0);
    for (let k = 0; k < (span.length ?? 0); k++) {
      count += deltas[d++] ?? Number.NaN;
      if (count !== 0) out.set(index, count);
      index++;
    }
  });
  if (d !== deltas.length) throw new Error(`${deltas.length} deltas for spans covering ${d} buckets`);
  return out;
}
