import { type Attributes, diag } from '@opentelemetry/api';
import {
  DataPointType,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { ByteWriter, escapeHelp, escapeLabelValue, formatValue } from '@tokenmeter/exposition';
import {
  type PrometheusMetricKind,
  type PrometheusNaming,
  prometheusLabelName,
  prometheusMetricName,
} from './prometheus-naming.js';

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
   * Series rendered between event-loop yields in {@link PrometheusSerializer.serialize}
   * (a histogram series counts once, however many buckets it has). `0` never yields.
   * @default 500
   */
  yieldEvery?: number;
}

/** Prometheus families cannot carry a second `# TYPE`, so one per name. */
interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  help: string;
  readonly members: { metric: MetricData; scopeLabels: string }[];
}

/** A rendered attribute set plus what it was rendered from, to detect mutation. */
interface LabelCacheEntry {
  readonly keys: string[];
  readonly values: unknown[];
  /** The scope labels `bytes` was built with. */
  scope: string;
  /** UTF-8 of `body` plus `scope`, comma-joined: what goes between the braces. */
  bytes: Buffer;
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
}

const DEFAULT_DENY_LIST: readonly string[] = ['process.command_args', 'process.command_line'];
const SCOPE_LABELS: ReadonlySet<string> = new Set([
  'otel_scope_name',
  'otel_scope_version',
  'otel_scope_schema_url',
]);
const TARGET_INFO = 'target_info';
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const EMPTY = Buffer.alloc(0);
const CLOSE_SPACE = Buffer.from('} ');
const INF_AFTER_LABELS = Buffer.from(',le="+Inf"} ');
const INF_ALONE = Buffer.from('le="+Inf"} ');
const NEWLINE = 10;

/** Go compares strings byte-wise in UTF-8, i.e. by code point; JS `<` compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function metricKind(metric: MetricData): PrometheusMetricKind | undefined {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'updowncounter';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return undefined;
  }
}

/**
 * The `# HELP` text of an instrument created without a description. Linters
 * (`promtool check metrics`) reject a family without help text, and an empty
 * help line says nothing, so it names the OpenTelemetry instrument and unit:
 * the one thing a reader of the Prometheus name cannot see.
 */
export function fallbackHelp(otelName: string, unit: string | undefined): string {
  return unit ? `${otelName} (unit ${unit}); no description given` : `${otelName}; no description given`;
}

function familyBytes(name: string, histogram: boolean): FamilyBytes {
  return {
    open: Buffer.from(histogram ? `${name}_bucket{` : `${name}{`),
    bare: Buffer.from(`${name} `),
    sumOpen: Buffer.from(`${name}_sum{`),
    sumBare: Buffer.from(`${name}_sum `),
    countOpen: Buffer.from(`${name}_count{`),
    countBare: Buffer.from(`${name}_count `),
  };
}

/**
 * Renders an SDK collection (`MetricReader.collect()`) as Prometheus text
 * exposition format 0.0.4, as UTF-8 bytes.
 *
 * Hot path: the rendered label set of each series is cached as bytes per
 * attributes object. For cumulative temporality the SDK (and tokenmeter's
 * bound series) hand back the same attributes object for a series on every
 * collection, so a steady-state scrape copies cached bytes and writes digits:
 * four memcpy-sized steps per bucket line, no intermediate strings.
 * Attributes objects are assumed immutable (the SDK assumes the same: it keys
 * its own state by them); a cached entry is still checked against the object's
 * current keys and values (`===`), so mutating a recorded attributes object
 * cannot serve a stale string. Arrays as attribute values are compared by
 * reference: mutating one in place is not detected. The caches are `WeakMap`s
 * and die with the SDK's series.
 */
export class PrometheusSerializer {
  private readonly naming: PrometheusNaming;
  private readonly prefix: string;
  private readonly withoutScopeInfo: boolean;
  private readonly withoutTargetInfo: boolean;
  private readonly denyList: ReadonlySet<string>;
  private readonly yieldEvery: number;
  private readonly labelCache = new WeakMap<Attributes, LabelCacheEntry>();
  private readonly histogramLabelCache = new WeakMap<Attributes, LabelCacheEntry>();
  private readonly bucketCache = new WeakMap<readonly number[], BucketCacheEntry>();
  private readonly familyCache = new Map<string, FamilyBytes>();
  private readonly warned = new Set<string>();

  constructor(options: PrometheusSerializerOptions = {}) {
    this.naming = options.naming ?? 'otel';
    this.prefix = options.prefix ?? '';
    this.withoutScopeInfo = options.withoutScopeInfo ?? false;
    this.withoutTargetInfo = options.withoutTargetInfo ?? false;
    this.denyList = new Set(options.resourceAttributeDenyList ?? DEFAULT_DENY_LIST);
    const every = options.yieldEvery ?? 500;
    this.yieldEvery = every > 0 ? every : Number.POSITIVE_INFINITY;
  }

  /**
   * Renders `resourceMetrics`, yielding to the event loop every `yieldEvery`
   * series so a large scrape does not stall the application it measures.
   * The attributes objects must not change while this runs (see class docs).
   */
  async serialize(resourceMetrics: ResourceMetrics): Promise<string> {
    return Buffer.concat(await this.serializeChunks(resourceMetrics)).toString('utf8');
  }

  /**
   * Like {@link serialize}, but returns the UTF-8 body in pieces, ready for a
   * socket or a compressor: no final join, no string encoding.
   */
  async serializeChunks(resourceMetrics: ResourceMetrics): Promise<Buffer[]> {
    const out = new ByteWriter();
    const steps = this.render(resourceMetrics, out);
    while (steps.next().done !== true) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out.take();
  }

  /** Same output as {@link serialize}, in one synchronous pass. */
  serializeSync(resourceMetrics: ResourceMetrics): string {
    const out = new ByteWriter();
    const steps = this.render(resourceMetrics, out);
    while (steps.next().done !== true) {
      // Runs to the end without yielding to the event loop.
    }
    return Buffer.concat(out.take()).toString('utf8');
  }

  /** One code path for both entry points. Yields wherever `serialize` may pause. */
  private *render(resourceMetrics: ResourceMetrics, out: ByteWriter): Generator<void, void, void> {
    if (!this.withoutTargetInfo) out.utf8(this.renderTargetInfo(resourceMetrics.resource.attributes));
    let budget = this.yieldEvery;
    for (const family of this.families(resourceMetrics).values()) {
      const name = family.name;
      out.utf8(`# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`);
      const histogram = family.type === 'histogram';
      const bytes = this.familyBytes(name, histogram);
      for (const { metric, scopeLabels } of family.members) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          for (const point of metric.dataPoints) {
            const labels = this.seriesLabels(point.attributes, scopeLabels, true);
            const histogram = point.value;
            const { boundaries, counts } = histogram.buckets;
            const tails = this.bucketTails(boundaries);
            const hasLabels = labels.length > 0;
            const tailList = hasLabels ? tails.afterLabels : tails.alone;
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
              out.byte(NEWLINE);
            }
            out.bytes(bytes.open);
            if (hasLabels) out.bytes(labels);
            out.bytes(hasLabels ? INF_AFTER_LABELS : INF_ALONE);
            out.value(histogram.count);
            out.byte(NEWLINE);
            // The SDK leaves `sum` out for instruments that allow negative values.
            if (histogram.sum !== undefined) {
              this.sample(out, bytes.sumOpen, bytes.sumBare, labels, histogram.sum);
            }
            this.sample(out, bytes.countOpen, bytes.countBare, labels, histogram.count);
            if (--budget <= 0) {
              budget = this.yieldEvery;
              yield;
            }
          }
        } else if (
          metric.dataPointType === DataPointType.SUM ||
          metric.dataPointType === DataPointType.GAUGE
        ) {
          for (const point of metric.dataPoints) {
            const labels = this.seriesLabels(point.attributes, scopeLabels, false);
            this.sample(out, bytes.open, bytes.bare, labels, point.value);
            if (--budget <= 0) {
              budget = this.yieldEvery;
              yield;
            }
          }
        }
      }
    }
  }

  /** One `name{labels} value` line (`name value` without labels). */
  private sample(out: ByteWriter, open: Buffer, bare: Buffer, labels: Buffer, value: number): void {
    if (labels.length > 0) {
      out.bytes(open);
      out.bytes(labels);
      out.bytes(CLOSE_SPACE);
    } else {
      out.bytes(bare);
    }
    out.value(value);
    out.byte(NEWLINE);
  }

  private familyBytes(name: string, histogram: boolean): FamilyBytes {
    const key = histogram ? `h:${name}` : `s:${name}`;
    let bytes = this.familyCache.get(key);
    if (bytes === undefined) {
      bytes = familyBytes(name, histogram);
      this.familyCache.set(key, bytes);
    }
    return bytes;
  }

  /** Groups metrics by Prometheus name, across scopes, in first-seen order. */
  private families(resourceMetrics: ResourceMetrics): Map<string, Family> {
    const families = new Map<string, Family>();
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      const scopeLabels = this.withoutScopeInfo ? '' : renderScopeLabels(scopeMetrics.scope);
      for (const metric of scopeMetrics.metrics) {
        const { descriptor } = metric;
        const kind = metricKind(metric);
        if (kind === undefined) {
          this.warnOnce(
            `exp:${descriptor.name}`,
            `tokenmeter: metric "${descriptor.name}" is an exponential histogram, which the Prometheus text format cannot carry; it is left out of the scrape. Use explicit bucket boundaries for it.`,
          );
          continue;
        }
        const name = prometheusMetricName(descriptor.name, descriptor.unit, kind, {
          naming: this.naming,
          prefix: this.prefix,
        });
        if (name === '' || (name === TARGET_INFO && !this.withoutTargetInfo)) {
          this.warnOnce(
            `name:${descriptor.name}`,
            `tokenmeter: metric "${descriptor.name}" has no valid Prometheus name ("${name}"); it is left out of the scrape.`,
          );
          continue;
        }
        const type = kind === 'counter' ? 'counter' : kind === 'histogram' ? 'histogram' : 'gauge';
        const family = families.get(name);
        if (family === undefined) {
          families.set(name, {
            name,
            type,
            help: descriptor.description || fallbackHelp(descriptor.name, descriptor.unit),
            members: [{ metric, scopeLabels }],
          });
        } else if (family.type !== type) {
          this.warnOnce(
            `type:${name}:${type}`,
            `tokenmeter: metric "${descriptor.name}" maps to Prometheus name "${name}", already used by a ${family.type}; the ${type} is left out of the scrape.`,
          );
        } else {
          // A member with a description beats the fallback text of one without.
          if (descriptor.description && family.members.every((m) => !m.metric.descriptor.description)) {
            family.help = descriptor.description;
          }
          family.members.push({ metric, scopeLabels });
        }
      }
    }
    return families;
  }

  /** The full label list of one series as UTF-8, without braces; empty when it has none. */
  private seriesLabels(attributes: Attributes | undefined, scopeLabels: string, histogram: boolean): Buffer {
    const attrs = attributes ?? EMPTY_ATTRIBUTES;
    const cache = histogram ? this.histogramLabelCache : this.labelCache;
    let entry = cache.get(attrs);
    if (entry === undefined || !stillMatches(entry, attrs)) {
      const { keys, values, body } = this.renderAttributes(
        attrs,
        histogram,
        !this.withoutScopeInfo,
        undefined,
      );
      entry = { keys, values, scope: scopeLabels, bytes: labelBytes(body, scopeLabels) };
      cache.set(attrs, entry);
    } else if (entry.scope !== scopeLabels) {
      // The same attributes object under another scope (rare): render again. Only
      // the bytes are kept per series, to hold the cache at one copy of each label set.
      const { body } = this.renderAttributes(attrs, histogram, !this.withoutScopeInfo, undefined);
      entry.scope = scopeLabels;
      entry.bytes = labelBytes(body, scopeLabels);
    }
    return entry.bytes;
  }

  /**
   * Renders attributes as `k="v",...`. Keys that sanitise to the same label are
   * merged as the Collector does: values joined with `;` in code-point order of
   * the original keys. Labels we write ourselves win over attributes: `le` on
   * histograms and the scope labels (the Collector overwrites them too).
   */
  private renderAttributes(
    attrs: Attributes,
    histogram: boolean,
    scopeInfo: boolean,
    deny: ReadonlySet<string> | undefined,
  ): { keys: string[]; values: unknown[]; body: string } {
    const keys: string[] = [];
    const values: unknown[] = [];
    const groups = new Map<string, [key: string, value: string][]>();
    for (const key in attrs) {
      const value = attrs[key];
      keys.push(key);
      values.push(value);
      if (value === undefined || value === null || deny?.has(key)) continue;
      const label = prometheusLabelName(key);
      if ((histogram && label === 'le') || (scopeInfo && SCOPE_LABELS.has(label))) continue;
      // Non-strings as JSON, as exporter-prometheus does (`[1,2]`, `true`, `1.5`).
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      const group = groups.get(label);
      if (group === undefined) groups.set(label, [[key, text]]);
      else group.push([key, text]);
    }
    const parts: string[] = [];
    for (const [label, group] of groups) {
      const value =
        group.length === 1
          ? (group[0]?.[1] ?? '')
          : group
              .sort((a, b) => compareCodePoints(a[0], b[0]))
              .map((entry) => entry[1])
              .join(';');
      parts.push(`${label}="${escapeLabelValue(value)}"`);
    }
    // slice(): exact-length copies; push() leaves spare capacity in every cached entry.
    return { keys: keys.slice(), values: values.slice(), body: parts.join(',') };
  }

  /** `le` tails for one boundaries array; the SDK shares one array per instrument. */
  private bucketTails(boundaries: readonly number[]): BucketCacheEntry {
    const cached = this.bucketCache.get(boundaries);
    if (cached !== undefined && sameNumbers(cached.bounds, boundaries)) return cached;
    const le = boundaries.map((bound) =>
      Number.isFinite(bound) ? `le="${formatValue(bound)}"} ` : undefined,
    );
    const entry: BucketCacheEntry = {
      bounds: boundaries.slice(),
      afterLabels: le.map((t) => (t === undefined ? undefined : Buffer.from(`,${t}`))),
      alone: le.map((t) => (t === undefined ? undefined : Buffer.from(t))),
    };
    this.bucketCache.set(boundaries, entry);
    return entry;
  }

  private renderTargetInfo(resourceAttributes: Attributes): string {
    const { body } = this.renderAttributes(resourceAttributes, false, false, this.denyList);
    if (body === '') return '';
    return `# HELP ${TARGET_INFO} Target metadata\n# TYPE ${TARGET_INFO} gauge\n${TARGET_INFO}{${body}} 1\n`;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    diag.warn(message);
  }
}

function labelBytes(body: string, scopeLabels: string): Buffer {
  if (body === '') return scopeLabels === '' ? EMPTY : Buffer.from(scopeLabels);
  return Buffer.from(scopeLabels === '' ? body : `${body},${scopeLabels}`);
}

function renderScopeLabels(scope: ScopeMetrics['scope']): string {
  let labels = `otel_scope_name="${escapeLabelValue(scope.name)}"`;
  if (scope.version) labels += `,otel_scope_version="${escapeLabelValue(scope.version)}"`;
  if (scope.schemaUrl) labels += `,otel_scope_schema_url="${escapeLabelValue(scope.schemaUrl)}"`;
  return labels;
}

/** True while `attrs` still has exactly the keys and values the entry was rendered from. */
function stillMatches(entry: LabelCacheEntry, attrs: Attributes): boolean {
  const { keys, values } = entry;
  let i = 0;
  for (const key in attrs) {
    if (keys[i] !== key || attrs[key] !== values[i]) return false;
    i++;
  }
  return i === keys.length;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
