import type { Attributes, HrTime } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  ByteWriter,
  ChunkPool,
  escapeHelp,
  escapeLabelValue,
  formatCanonical,
  formatValue,
} from '@tokenmeter/exposition';
import { type Exemplar, exemplarsOf } from './exemplar.js';
import { LatestByKey } from './latest-by-key.js';
import {
  attributePairs,
  type Family,
  hrTimeMs,
  scopePairs,
  TARGET_INFO,
  type WriterSettings,
  writerSettings,
} from './prometheus-families.js';
import type { PrometheusNaming } from './prometheus-naming.js';
import { SlotsByTable } from './series-byte-slots.js';
import { seriesIndexesOf } from './series-index.js';
import { SeriesLabelCache } from './series-label-cache.js';
import { histogramSamples, runYielding, Slices } from './yielding.js';

export { fallbackHelp } from './prometheus-families.js';

/** The text formats: Prometheus text 0.0.4, or OpenMetrics 1.0. */
export type TextExpositionFormat = 'text' | 'openmetrics';

/** Options for {@link PrometheusSerializer}. */
export interface PrometheusSerializerOptions {
  /**
   * Metric naming: `'otel'` adds unit suffixes (`_seconds`, `_bytes`, `_ratio`) like the
   * Collector and Prometheus' OTLP receiver; `'stock'` reproduces the names of
   * `@opentelemetry/exporter-prometheus` 0.301.0 (no unit suffix).
   * @default 'otel'
   */
  naming?: PrometheusNaming;
  /** Namespace prepended to every metric name as `<prefix>_` (not to `target_info`). @default none */
  prefix?: string;
  /** Leave out the `otel_scope_name` / `otel_scope_version` / `otel_scope_schema_url` labels. @default false */
  withoutScopeInfo?: boolean;
  /** Leave out the `target_info` series that carries the resource attributes. @default false */
  withoutTargetInfo?: boolean;
  /**
   * Resource attribute keys never copied onto `target_info`. The defaults can carry
   * secrets (tokens passed on the command line); a list given here replaces them.
   * @default ['process.command_args', 'process.command_line']
   */
  resourceAttributeDenyList?: readonly string[];
  /**
   * Leave out the `_created` samples (each counter's and histogram's start time) of
   * OpenMetrics scrapes. Prometheus before 3.0 stores each one as a series of its own
   * (`<name>_created`), one more series per counter.
   * @default false
   */
  withoutCreated?: boolean;
  /**
   * Samples (lines of the text format) rendered between event-loop yields in
   * {@link PrometheusSerializer.serialize}: a counter or gauge series is one, a
   * histogram series one per bucket plus `_sum` and `_count` (17 with the 14 GenAI
   * duration buckets). `0` never yields.
   * @default 8500 (500 such histogram series)
   */
  yieldEvery?: number;
}

/** The rendered `le` tails of one boundaries array, with and without a leading comma. */
interface BucketCacheEntry {
  readonly bounds: readonly number[];
  /** `,le="0.005"} `; `undefined` where the boundary is not finite: that line is skipped. */
  readonly afterLabels: readonly (Buffer | undefined)[];
  /** `le="0.005"} ` for a series without labels. */
  readonly alone: readonly (Buffer | undefined)[];
}

/** The fixed byte pieces of one family's sample lines. */
interface FamilyBytes {
  /** `name{` (counters, gauges) or `name_bucket{` (histograms). */
  readonly open: Buffer;
  /** `name ` for a series without labels (counters, gauges). */
  readonly bare: Buffer;
  readonly sumOpen: Buffer;
  readonly sumBare: Buffer;
  readonly countOpen: Buffer;
  readonly countBare: Buffer;
  /** OpenMetrics `_created`: `base_created{` and `base_created ` (counters drop `_total`). */
  readonly createdOpen: Buffer;
  readonly createdBare: Buffer;
  /**
   * A counter or gauge series' whole `name{labels} ` (`name ` without labels).
   * Made once per family and kept with it: a closure made per scrape and
   * handed to the label cache would be a function its optimized code checks
   * for, and dies with the scrape (see shape-anchor.ts).
   */
  readonly prefix: (labels: Buffer) => Buffer;
}

const EMPTY = Buffer.alloc(0);
const CLOSE_SPACE = Buffer.from('} ');
const INF_AFTER_LABELS = Buffer.from(',le="+Inf"} ');
const INF_ALONE = Buffer.from('le="+Inf"} ');
const EOF = Buffer.from('# EOF\n');
const NEWLINE = 10;

/** The OpenMetrics family name and type of a text-format family (counters lose `_total`). */
function openMetricsFamily(family: Family): { name: string; type: string } {
  if (family.type !== 'counter') return { name: family.name, type: family.type };
  // A counter's samples must end in `_total`; one whose name cannot is written as `unknown`.
  if (family.name.length > 6 && family.name.endsWith('_total')) {
    return { name: family.name.slice(0, -6), type: 'counter' };
  }
  return { name: family.name, type: 'unknown' };
}

/** Seconds since the epoch, to the millisecond, as OpenMetrics timestamps are written. */
function seconds(ms: number): string {
  return formatValue(ms / 1000);
}

function familyBytes(name: string, histogram: boolean, createdBase: string): FamilyBytes {
  const open = Buffer.from(histogram ? `${name}_bucket{` : `${name}{`);
  const bare = Buffer.from(`${name} `);
  return {
    open,
    bare,
    sumOpen: Buffer.from(`${name}_sum{`),
    sumBare: Buffer.from(`${name}_sum `),
    countOpen: Buffer.from(`${name}_count{`),
    countBare: Buffer.from(`${name}_count `),
    createdOpen: Buffer.from(`${createdBase}_created{`),
    createdBare: Buffer.from(`${createdBase}_created `),
    prefix: (labels) => (labels.length > 0 ? Buffer.concat([open, labels, CLOSE_SPACE]) : bare),
  };
}

/**
 * Renders an SDK collection (`MetricReader.collect()`) as Prometheus text
 * exposition format 0.0.4, or as OpenMetrics 1.0 text (with `# UNIT`,
 * `_created`, exemplars and `# EOF`), as UTF-8 bytes.
 *
 * Hot path: the rendered label set of each series is cached as bytes per
 * attributes object (`SeriesLabelCache`, shared with the protobuf writer), so
 * a steady-state scrape copies cached bytes and writes digits: four
 * memcpy-sized steps per bucket line, no intermediate strings. A bound
 * series skips that lookup: its bytes are kept by its index in its table
 * (`SeriesByteSlots`), for a counter or gauge the whole `name{labels} `, so
 * its line is one copy and the digits.
 *
 * Exponential histograms are left out (with one diagnostic): neither text
 * format can carry them. `ProtobufSerializer` writes them as native histograms.
 */
export class PrometheusSerializer {
  private readonly s: WriterSettings;
  private readonly withoutCreated: boolean;
  /** Per series: the UTF-8 of its labels and then its scope's, comma-joined: what goes between the braces. */
  private readonly labels: SeriesLabelCache<string>;
  private readonly scopeCache = new WeakMap<ScopeMetrics['scope'], string>();
  private readonly bucketCache = new WeakMap<readonly number[], BucketCacheEntry>();
  private readonly canonicalBucketCache = new WeakMap<readonly number[], BucketCacheEntry>();
  private readonly familyCache = new Map<string, FamilyBytes>();
  /** Per bound instrument, by series index: `name{labels} ` of counters and gauges, keyed by family and scope labels. */
  private readonly prefixSlots = new SlotsByTable<string>();
  /** Per bound instrument, by series index: the labels alone (histograms; OpenMetrics counters with `_created`), keyed by scope labels. */
  private readonly labelSlots = new SlotsByTable<string>();
  /** The latest resource's rendered `target_info`, per format. */
  private readonly targetInfoText = new LatestByKey<Attributes, string>();
  private readonly targetInfoOm = new LatestByKey<Attributes, string>();
  /** Chunks of finished scrapes, reused by the next (see ChunkPool: no external-memory GC storm). */
  private readonly pool = new ChunkPool();

  constructor(options: PrometheusSerializerOptions = {}) {
    this.s = writerSettings(options);
    this.withoutCreated = options.withoutCreated ?? false;
    this.labels = new SeriesLabelCache(!this.s.withoutScopeInfo, (pairs, scopeLabels) =>
      labelBytes(labelText(pairs), scopeLabels),
    );
  }

  /**
   * Renders `resourceMetrics`, yielding to the event loop every `yieldEvery`
   * samples so a large scrape does not stall the application it measures.
   * The attributes objects must not change while this runs (see `SeriesLabelCache`).
   */
  async serialize(resourceMetrics: ResourceMetrics, format: TextExpositionFormat = 'text'): Promise<string> {
    return Buffer.concat(await this.serializeChunks(resourceMetrics, format)).toString('utf8');
  }

  /**
   * Like {@link serialize}, but returns the UTF-8 body in pieces, ready for a
   * socket or a compressor: no final join, no string encoding. `onChunk`
   * receives each piece as soon as it is complete, in order, while the rest
   * is still being rendered; `last` is true for the final piece.
   */
  async serializeChunks(
    resourceMetrics: ResourceMetrics,
    format: TextExpositionFormat = 'text',
    onChunk?: (chunk: Buffer, last: boolean) => void,
  ): Promise<Buffer[]> {
    const out = new ByteWriter(undefined, this.pool, onChunk);
    return runYielding(this.renderAndTake(resourceMetrics, out, format === 'openmetrics'));
  }

  /**
   * The render and its last chunk in one synchronous step: a consumer woken by
   * an earlier chunk runs only after `onChunk` had the last one, so a body
   * rendered without a pause is known whole before anyone reads it.
   */
  private *renderAndTake(
    resourceMetrics: ResourceMetrics,
    out: ByteWriter,
    om: boolean,
  ): Generator<void, Buffer[], void> {
    yield* this.render(resourceMetrics, out, om);
    return out.take();
  }

  /**
   * Hands the chunks of an earlier {@link serializeChunks} back for reuse by the
   * next one. Call it once nothing reads them any more (the response is
   * written); not calling it is safe, the garbage collector takes them instead.
   */
  release(chunks: readonly Buffer[]): void {
    this.pool.give(chunks);
  }

  /** Same output as {@link serialize}, in one synchronous pass. */
  serializeSync(resourceMetrics: ResourceMetrics, format: TextExpositionFormat = 'text'): string {
    const out = new ByteWriter();
    const steps = this.render(resourceMetrics, out, format === 'openmetrics');
    while (steps.next().done !== true) {
      // Runs to the end without yielding to the event loop.
    }
    return Buffer.concat(out.take()).toString('utf8');
  }

  /** One code path for both entry points and both formats. Yields wherever `serialize` may pause. */
  private *render(
    resourceMetrics: ResourceMetrics,
    out: ByteWriter,
    om: boolean,
  ): Generator<void, void, void> {
    if (!this.s.withoutTargetInfo) {
      const attributes = resourceMetrics.resource.attributes;
      out.utf8(
        om
          ? this.targetInfoOm.get(attributes, (a) => this.renderTargetInfo(a, true))
          : this.targetInfoText.get(attributes, (a) => this.renderTargetInfo(a, false)),
      );
    }
    const slices = new Slices(this.s.yieldEvery);
    for (const family of this.s.grouper.group(resourceMetrics, false).values()) {
      const name = family.name;
      const histogram = family.type === 'histogram';
      const omFamily = openMetricsFamily(family);
      let created = false;
      let exemplars = false;
      if (om) {
        created = !this.withoutCreated && (omFamily.type === 'counter' || histogram);
        exemplars = omFamily.type === 'counter' || histogram;
        out.utf8(`# TYPE ${omFamily.name} ${omFamily.type}\n`);
        if (family.unit !== '' && omFamily.name.endsWith(`_${family.unit}`)) {
          out.utf8(`# UNIT ${omFamily.name} ${family.unit}\n`);
        }
        out.utf8(`# HELP ${omFamily.name} ${escapeHelp(family.help, true)}\n`);
      } else {
        out.utf8(`# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`);
      }
      const bytes = this.familyBytes(family, omFamily.name);
      for (const { metric, scope } of family.members) {
        const scopeLabels = this.s.withoutScopeInfo ? '' : this.scopeLabels(scope);
        // A bound instrument's series are found by index (see series-index.ts); others by attributes.
        const indexed = seriesIndexesOf(metric);
        const indexes = indexed?.indexes;
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const slots = indexed && this.labelSlots.of(indexed.table, scopeLabels);
          const points = metric.dataPoints;
          for (let j = 0; j < points.length; j++) {
            const point = points[j] as DataPoint<Histogram>;
            if (slices.due(histogramSamples(point.value.buckets.counts.length))) yield;
            const labels = this.labels.getAt(slots, indexes?.[j], point.attributes, scopeLabels, true);
            this.histogramSeries(out, bytes, labels, point, om, exemplars, created);
          }
        } else if (
          metric.dataPointType === DataPointType.SUM ||
          metric.dataPointType === DataPointType.GAUGE
        ) {
          // A `_created` line needs the labels alone; otherwise the whole
          // `name{labels} ` of a series is kept, one copy per line.
          const prefixes =
            indexed &&
            !created &&
            this.prefixSlots.of(indexed.table, `${family.type}:${name}\n${scopeLabels}`);
          const slots = indexed && created ? this.labelSlots.of(indexed.table, scopeLabels) : undefined;
          const points = metric.dataPoints;
          for (let j = 0; j < points.length; j++) {
            if (slices.due()) yield;
            const point = points[j] as DataPoint<number>;
            const index = indexes?.[j];
            let labels: Buffer = EMPTY;
            if (prefixes && index !== undefined) {
              out.bytes(
                this.labels.getAt(prefixes, index, point.attributes, scopeLabels, false, bytes.prefix),
              );
            } else {
              labels = this.labels.getAt(slots, index, point.attributes, scopeLabels, false);
              this.open(out, bytes.open, bytes.bare, labels);
            }
            out.value(point.value);
            // Without OpenMetrics, `exemplars` and `created` are false: a plain sample line.
            if (exemplars) this.exemplar(out, exemplarsOf(point)?.[0]);
            out.byte(NEWLINE);
            if (created) this.created(out, bytes, labels, point.startTime);
          }
        }
      }
    }
    if (om) out.bytes(EOF);
  }

  /** One histogram series: its `_bucket` lines (cumulative, `+Inf` last), `_sum`, `_count` and, in OpenMetrics, `_created`. */
  private histogramSeries(
    out: ByteWriter,
    bytes: FamilyBytes,
    labels: Buffer,
    point: DataPoint<Histogram>,
    om: boolean,
    exemplars: boolean,
    created: boolean,
  ): void {
    const h = point.value;
    const { boundaries, counts } = h.buckets;
    const tails = this.bucketTails(boundaries, om);
    const hasLabels = labels.length > 0;
    const tailList = hasLabels ? tails.afterLabels : tails.alone;
    const ex = exemplars ? exemplarsOf(point) : undefined;
    let cumulative = 0;
    for (let i = 0; i < boundaries.length; i++) {
      cumulative += counts[i] ?? 0;
      const tail = tailList[i];
      // Non-finite boundaries (never produced by the SDK) would duplicate `+Inf`.
      if (tail === undefined) continue;
      out.bytes(bytes.open);
      if (hasLabels) out.bytes(labels);
      out.bytes(tail);
      out.value(cumulative);
      if (ex !== undefined) this.exemplar(out, ex[i]);
      out.byte(NEWLINE);
    }
    out.bytes(bytes.open);
    if (hasLabels) out.bytes(labels);
    out.bytes(hasLabels ? INF_AFTER_LABELS : INF_ALONE);
    out.value(h.count);
    if (ex !== undefined) this.exemplar(out, ex[boundaries.length]);
    out.byte(NEWLINE);
    // The SDK leaves `sum` out for instruments that allow negative values.
    if (h.sum !== undefined) this.sample(out, bytes.sumOpen, bytes.sumBare, labels, h.sum);
    this.sample(out, bytes.countOpen, bytes.countBare, labels, h.count);
    if (created) this.created(out, bytes, labels, point.startTime);
  }

  /** `name{labels} ` (`name ` without labels). */
  private open(out: ByteWriter, open: Buffer, bare: Buffer, labels: Buffer): void {
    if (labels.length > 0) {
      out.bytes(open);
      out.bytes(labels);
      out.bytes(CLOSE_SPACE);
    } else {
      out.bytes(bare);
    }
  }

  /** One `name{labels} value` line (`name value` without labels). */
  private sample(out: ByteWriter, open: Buffer, bare: Buffer, labels: Buffer, value: number): void {
    this.open(out, open, bare, labels);
    out.value(value);
    out.byte(NEWLINE);
  }

  /** OpenMetrics `_created`: when the cumulative series started, in seconds. */
  private created(out: ByteWriter, bytes: FamilyBytes, labels: Buffer, start: HrTime): void {
    this.open(out, bytes.createdOpen, bytes.createdBare, labels);
    out.ascii(seconds(hrTimeMs(start)));
    out.byte(NEWLINE);
  }

  /** ` # {trace_id="…",span_id="…"} value timestamp`, the OpenMetrics exemplar after a sample. */
  private exemplar(out: ByteWriter, e: Exemplar | undefined): void {
    if (e === undefined) return;
    out.utf8(
      ` # {trace_id="${escapeLabelValue(e.traceId)}",span_id="${escapeLabelValue(e.spanId)}"} ${formatValue(e.value)} ${seconds(e.timeMs)}`,
    );
  }

  /**
   * Keyed by type and name: a name's type can change from one scrape to the next
   * (a gauge `jobs.total` and a counter `jobs` both map to `jobs_total`, and the
   * first in a scrape owns it), and a counter's `_created` base drops `_total`.
   */
  private familyBytes(family: Family, createdBase: string): FamilyBytes {
    const key = `${family.type}:${family.name}`;
    let bytes = this.familyCache.get(key);
    if (bytes === undefined) {
      bytes = familyBytes(family.name, family.type === 'histogram', createdBase);
      this.familyCache.set(key, bytes);
    }
    return bytes;
  }

  private scopeLabels(scope: ScopeMetrics['scope']): string {
    let text = this.scopeCache.get(scope);
    if (text === undefined) {
      text = scopePairs(scope)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      this.scopeCache.set(scope, text);
    }
    return text;
  }

  /**
   * `le` tails for one boundaries array; the SDK shares one array per
   * instrument. OpenMetrics wants canonical numbers (`1.0`); the text format
   * keeps the shortest form (`1`) that existing series were stored with.
   */
  private bucketTails(boundaries: readonly number[], canonical: boolean): BucketCacheEntry {
    const cache = canonical ? this.canonicalBucketCache : this.bucketCache;
    const cached = cache.get(boundaries);
    if (cached !== undefined && sameNumbers(cached.bounds, boundaries)) return cached;
    const format = canonical ? formatCanonical : formatValue;
    const le = boundaries.map((bound) => (Number.isFinite(bound) ? `le="${format(bound)}"} ` : undefined));
    const entry: BucketCacheEntry = {
      bounds: boundaries.slice(),
      afterLabels: le.map((t) => (t === undefined ? undefined : Buffer.from(`,${t}`))),
      alone: le.map((t) => (t === undefined ? undefined : Buffer.from(t))),
    };
    cache.set(boundaries, entry);
    return entry;
  }

  private renderTargetInfo(resourceAttributes: Attributes, om: boolean): string {
    const body = labelText(attributePairs(resourceAttributes, false, false, this.s.denyList).pairs);
    if (body === '') return '';
    // OpenMetrics has an info type: family `target`, sample `target_info` (the same series).
    return om
      ? `# TYPE target info\n# HELP target Target metadata\n${TARGET_INFO}{${body}} 1\n`
      : `# HELP ${TARGET_INFO} Target metadata\n# TYPE ${TARGET_INFO} gauge\n${TARGET_INFO}{${body}} 1\n`;
  }
}

function labelText(pairs: readonly (readonly [string, string])[]): string {
  let text = '';
  for (const [label, value] of pairs) {
    text += `${text === '' ? '' : ','}${label}="${escapeLabelValue(value)}"`;
  }
  return text;
}

function labelBytes(body: string, scopeLabels: string): Buffer {
  if (body === '') return scopeLabels === '' ? EMPTY : Buffer.from(scopeLabels);
  return Buffer.from(scopeLabels === '' ? body : `${body},${scopeLabels}`);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
