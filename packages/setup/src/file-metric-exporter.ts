/**
 * A push exporter that writes the application's own metrics to a file:
 * OTLP/JSON lines (the Collector file exporter's format: one
 * `ExportMetricsServiceRequest` per line) or CSV, rotated by size.
 *
 * `registerMetrics({ exporters: ['file'] })` runs it; it is also exported
 * to run under any `PeriodicExportingMetricReader`.
 */
import { closeSync, openSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { type Attributes, type AttributeValue, diag, type HrTime, ValueType } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type InstrumentType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { csvField, csvNumber } from '@tokenmeter/exposition';

export interface FileMetricExporterOptions {
  /** File to append to; rotated files get `.1`, `.2`, ... (`.1` is the newest). */
  path: string;
  /** `'otlp-json'`: one OTLP/JSON `ExportMetricsServiceRequest` per line. `'csv'`: one row per point. @default 'otlp-json' */
  format?: 'otlp-json' | 'csv';
  /** Rotate before a write would make the file larger than this; 0 disables rotation. @default 104857600 (100 MiB) */
  maxBytes?: number;
  /** Rotated files kept besides the live one. @default 5 */
  maxFiles?: number;
  /** @default AggregationTemporality.CUMULATIVE */
  temporality?: AggregationTemporality;
}

/** Columns of the CSV format. `attributes` is a JSON object; `bounds`/`bucket_counts` are `;`-separated. */
export const FILE_EXPORTER_CSV_HEADER = [
  'time_unix_ms',
  'start_unix_ms',
  'service_name',
  'scope',
  'metric',
  'unit',
  'type',
  'temporality',
  'attributes',
  'value',
  'count',
  'sum',
  'min',
  'max',
  'bounds',
  'bucket_counts',
] as const;

const nanos = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
const millis = (t: HrTime): number => t[0] * 1000 + t[1] / 1e6;

/** OTLP `AnyValue` in protojson form (64-bit integers as strings). */
function anyValue(v: AttributeValue | undefined | null): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => anyValue(x as AttributeValue)) } };
  return {};
}

function keyValues(attrs: Attributes): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value as AttributeValue) }));
}

/** SDK enum (DELTA = 0, CUMULATIVE = 1) → OTLP wire enum (DELTA = 1, CUMULATIVE = 2). */
const wireTemporality = (t: AggregationTemporality): number => (t === AggregationTemporality.DELTA ? 1 : 2);

function jsonNumber(v: number): number | string {
  // protojson spells non-finite doubles as strings.
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

/** The fields every OTLP data point has. */
function pointHead(p: DataPoint<unknown>): Record<string, unknown> {
  return {
    attributes: keyValues(p.attributes),
    startTimeUnixNano: nanos(p.startTime),
    timeUnixNano: nanos(p.endTime),
  };
}

/** Count, sum, min and max of either histogram kind (sum/min/max only when kept). */
function histogramStats(h: Histogram | ExponentialHistogram): Record<string, unknown> {
  return {
    count: String(h.count),
    ...(h.sum !== undefined ? { sum: h.sum } : {}),
    ...(h.min !== undefined ? { min: h.min } : {}),
    ...(h.max !== undefined ? { max: h.max } : {}),
  };
}

function numberPoint(p: DataPoint<number>, valueType: ValueType): Record<string, unknown> {
  const base = pointHead(p);
  return valueType === ValueType.INT && Number.isInteger(p.value)
    ? { ...base, asInt: String(p.value) }
    : { ...base, asDouble: jsonNumber(p.value) };
}

function otlpMetric(m: MetricData): Record<string, unknown> {
  const d = m.descriptor;
  const head = { name: d.name, description: d.description, unit: d.unit };
  switch (m.dataPointType) {
    case DataPointType.GAUGE:
      return { ...head, gauge: { dataPoints: m.dataPoints.map((p) => numberPoint(p, d.valueType)) } };
    case DataPointType.SUM:
      return {
        ...head,
        sum: {
          dataPoints: m.dataPoints.map((p) => numberPoint(p, d.valueType)),
          aggregationTemporality: wireTemporality(m.aggregationTemporality),
          isMonotonic: m.isMonotonic,
        },
      };
    case DataPointType.HISTOGRAM:
      return {
        ...head,
        histogram: {
          aggregationTemporality: wireTemporality(m.aggregationTemporality),
          dataPoints: m.dataPoints.map((p) => ({
            ...pointHead(p),
            ...histogramStats(p.value),
            bucketCounts: p.value.buckets.counts.map(String),
            explicitBounds: p.value.buckets.boundaries,
          })),
        },
      };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return {
        ...head,
        exponentialHistogram: {
          aggregationTemporality: wireTemporality(m.aggregationTemporality),
          dataPoints: m.dataPoints.map((p) => {
            const h: ExponentialHistogram = p.value;
            return {
              ...pointHead(p),
              ...histogramStats(h),
              scale: h.scale,
              zeroCount: String(h.zeroCount),
              positive: { offset: h.positive.offset, bucketCounts: h.positive.bucketCounts.map(String) },
              negative: { offset: h.negative.offset, bucketCounts: h.negative.bucketCounts.map(String) },
            };
          }),
        },
      };
  }
}

/** The OTLP/JSON `ExportMetricsServiceRequest` for one export (what the Collector's file exporter writes). */
export function toOtlpJson(rm: ResourceMetrics): Record<string, unknown> {
  return {
    resourceMetrics: [
      {
        resource: { attributes: keyValues(rm.resource.attributes) },
        ...(rm.resource.schemaUrl ? { schemaUrl: rm.resource.schemaUrl } : {}),
        scopeMetrics: rm.scopeMetrics.map((sm) => ({
          scope: { name: sm.scope.name, ...(sm.scope.version ? { version: sm.scope.version } : {}) },
          ...(sm.scope.schemaUrl ? { schemaUrl: sm.scope.schemaUrl } : {}),
          metrics: sm.metrics.map(otlpMetric),
        })),
      },
    ],
  };
}

const TYPE_NAMES: Record<DataPointType, string> = {
  [DataPointType.GAUGE]: 'gauge',
  [DataPointType.SUM]: 'sum',
  [DataPointType.HISTOGRAM]: 'histogram',
  [DataPointType.EXPONENTIAL_HISTOGRAM]: 'exponential_histogram',
};

/** CSV rows (no header) for one export. */
export function toCsvRows(rm: ResourceMetrics): string {
  const service = String(rm.resource.attributes['service.name'] ?? '');
  let out = '';
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      let type = TYPE_NAMES[m.dataPointType];
      if (m.dataPointType === DataPointType.SUM) type = m.isMonotonic ? 'counter' : 'updowncounter';
      const temporality = m.aggregationTemporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';
      for (const p of m.dataPoints as DataPoint<unknown>[]) {
        let value = '';
        let count = '';
        let sum = '';
        let min = '';
        let max = '';
        let bounds = '';
        let buckets = '';
        if (typeof p.value === 'number') value = csvNumber(p.value);
        else {
          const h = p.value as Histogram | ExponentialHistogram;
          count = String(h.count);
          sum = csvNumber(h.sum);
          min = csvNumber(h.min);
          max = csvNumber(h.max);
          if ('buckets' in h) {
            bounds = h.buckets.boundaries.join(';');
            buckets = h.buckets.counts.join(';');
          }
        }
        const cells = [
          csvNumber(millis(p.endTime)),
          csvNumber(millis(p.startTime)),
          csvField(service),
          csvField(sm.scope.name),
          csvField(m.descriptor.name),
          csvField(m.descriptor.unit),
          type,
          temporality,
          csvField(JSON.stringify(p.attributes)),
          value,
          count,
          sum,
          min,
          max,
          bounds,
          buckets,
        ];
        out += `${cells.join(',')}\n`;
      }
    }
  }
  return out;
}

/**
 * `PushMetricExporter` writing to a local file: `registerMetrics({ exporters:
 * ['file'], file: { path } })`. The file is opened when the exporter is built
 * (a bad path fails at configuration time); every export after that is one
 * append through libuv, queued so exports never interleave, so nothing on the
 * export path blocks the event loop and a crash loses at most the export in
 * progress.
 */
export class FileMetricExporter implements PushMetricExporter {
  private handle: FileHandle | undefined;
  private readonly opened: Promise<void>;
  private closed = false;
  private size = 0;
  /** Exports run one after another: a rotation must not race an append. */
  private queue: Promise<void>;
  private readonly format: 'otlp-json' | 'csv';
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly temporality: AggregationTemporality;

  constructor(private readonly options: FileMetricExporterOptions) {
    this.format = options.format ?? 'otlp-json';
    this.maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.maxFiles = options.maxFiles ?? 5;
    this.temporality = options.temporality ?? AggregationTemporality.CUMULATIVE;
    // Checked synchronously once, so a wrong path is a configuration error, not a later diag line.
    closeSync(openSync(options.path, 'a'));
    this.opened = this.open();
    this.queue = this.opened.catch(() => {});
  }

  private async open(): Promise<void> {
    this.handle = await open(this.options.path, 'a');
    this.size = (await this.handle.stat()).size;
    if (this.size === 0 && this.format === 'csv') await this.write(`${FILE_EXPORTER_CSV_HEADER.join(',')}\n`);
  }

  private async write(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    await (this.handle as FileHandle).appendFile(buf);
    this.size += buf.length;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const p = this.options.path;
    if (this.maxFiles <= 0) await rm(p, { force: true });
    else {
      await rm(`${p}.${this.maxFiles}`, { force: true });
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        await rename(`${p}.${i}`, `${p}.${i + 1}`).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      await rename(p, `${p}.1`);
    }
    await this.open();
  }

  private async append(metrics: ResourceMetrics): Promise<void> {
    await this.opened;
    const text = this.format === 'csv' ? toCsvRows(metrics) : `${JSON.stringify(toOtlpJson(metrics))}\n`;
    const bytes = Buffer.byteLength(text);
    const headerBytes = this.format === 'csv' ? FILE_EXPORTER_CSV_HEADER.join(',').length + 1 : 0;
    if (this.maxBytes > 0 && this.size > headerBytes && this.size + bytes > this.maxBytes)
      await this.rotate();
    await this.write(text);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.closed) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('FileMetricExporter is shut down') });
      return;
    }
    const run = this.queue.then(() => this.append(metrics));
    this.queue = run.catch(() => {});
    run.then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => {
        diag.error(`tokenmeter: writing metrics to ${this.options.path} failed`, error);
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
  }

  selectAggregationTemporality(_instrumentType: InstrumentType): AggregationTemporality {
    return this.temporality;
  }

  /** Resolves when every export handed over so far is on disk. */
  async forceFlush(): Promise<void> {
    await this.queue;
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle?.close();
    this.handle = undefined;
  }
}
