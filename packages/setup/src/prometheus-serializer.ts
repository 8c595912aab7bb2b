import { type Attributes, diag } from '@opentelemetry/api';
import {
  DataPointType,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
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
  readonly body: string;
}

/** The rendered `le` tails (`0.005"} `) of one boundaries array. */
interface BucketCacheEntry {
  readonly bounds: readonly number[];
  /** `undefined` where the boundary is not finite: that line is skipped. */
  readonly tails: readonly (string | undefined)[];
}

const DEFAULT_DENY_LIST: readonly string[] = ['process.command_args', 'process.command_line'];
const SCOPE_LABELS: ReadonlySet<string> = new Set([
  'otel_scope_name',
  'otel_scope_version',
  'otel_scope_schema_url',
]);
const TARGET_INFO = 'target_info';
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});

const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const LABEL_VALUE_SPECIAL_ALL = /[\\"\n]/g;
const HELP_SPECIAL = /[\\\n]/g;
// Prometheus rejects a scrape with invalid UTF-8; Node would write U+FFFD for a
// lone surrogate anyway, so do it here where tests can see it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(s: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\uFFFD') : s;
}

function escapeLabelValue(value: string): string {
  const v = wellFormed(value);
  if (!LABEL_VALUE_SPECIAL.test(v)) return v;
  return v.replace(LABEL_VALUE_SPECIAL_ALL, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

function escapeHelp(help: string): string {
  return wellFormed(help).replace(HELP_SPECIAL, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/**
 * A sample value as Go's `strconv.ParseFloat` (Prometheus) reads it. JS number
 * formatting is already Go-compatible (`1e+21`, `1e-7`, `NaN`) except infinities.
 */
function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

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
 * Renders an SDK collection (`MetricReader.collect()`) as Prometheus text
 * exposition format 0.0.4.
 *
 * Hot path: the rendered label string of each series is cached per attributes
 * object. For cumulative temporality the SDK hands back the first attributes
 * object it saw for a series on every collection, so a steady-state scrape only
 * concatenates cached strings. Attributes objects are assumed immutable (the SDK
 * assumes the same: it keys its own state by them); a cached entry is still
 * checked against the object's current keys and values (`===`), so mutating a
 * recorded attributes object cannot serve a stale string. Arrays as attribute
 * values are compared by reference: mutating one in place is not detected. The
 * caches are `WeakMap`s and die with the SDK's series.
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
    return (await this.serializeChunks(resourceMetrics)).join('');
  }

  /**
   * Like {@link serialize}, but returns the pieces unjoined. Writing them to a
   * socket one by one avoids building (and UTF-8 encoding) one large string
   * in a single synchronous step: for 10k histogram series the final join
   * alone blocks the loop for ~30 ms.
   */
  async serializeChunks(resourceMetrics: ResourceMetrics): Promise<string[]> {
    const chunks: string[] = [];
    const steps = this.render(resourceMetrics);
    let step = steps.next();
    while (step.done !== true) {
      chunks.push(step.value);
      await new Promise<void>((resolve) => setImmediate(resolve));
      step = steps.next();
    }
    chunks.push(step.value);
    return chunks;
  }

  /** Same output as {@link serialize}, in one synchronous pass. */
  serializeSync(resourceMetrics: ResourceMetrics): string {
    const chunks: string[] = [];
    const steps = this.render(resourceMetrics);
    let step = steps.next();
    while (step.done !== true) {
      chunks.push(step.value);
      step = steps.next();
    }
    chunks.push(step.value);
    return chunks.join('');
  }

  /**
   * One code path for both entry points. Yields a flat chunk wherever
   * `serialize` may pause. Lines go into an array joined per chunk: `+=` would
   * build a rope of ~10^6 pieces whose flattening (when the body is finally
   * written) costs ~100 ms in one synchronous go for a 10k-series scrape.
   */
  private *render(resourceMetrics: ResourceMetrics): Generator<string, string, void> {
    let lines: string[] = [];
    if (!this.withoutTargetInfo) lines.push(this.renderTargetInfo(resourceMetrics.resource.attributes));
    let budget = this.yieldEvery;
    for (const family of this.families(resourceMetrics).values()) {
      const name = family.name;
      if (family.help !== '') lines.push(`# HELP ${name} ${escapeHelp(family.help)}\n`);
      lines.push(`# TYPE ${name} ${family.type}\n`);
      for (const { metric, scopeLabels } of family.members) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const bucketName = `${name}_bucket{`;
          const sumName = `${name}_sum`;
          const countName = `${name}_count`;
          for (const point of metric.dataPoints) {
            const labels = this.seriesLabels(point.attributes, scopeLabels, true);
            const histogram = point.value;
            const { boundaries, counts } = histogram.buckets;
            const tails = this.bucketTails(boundaries);
            const bucketOpen = labels === '' ? `${bucketName}le="` : `${bucketName}${labels},le="`;
            let cumulative = 0;
            for (let i = 0; i < boundaries.length; i++) {
              cumulative += counts[i] ?? 0;
              const tail = tails[i];
              // Non-finite boundaries (never produced by the SDK) would duplicate `+Inf`.
              if (tail !== undefined) lines.push(`${bucketOpen}${tail}${cumulative}\n`);
            }
            const suffix = labels === '' ? ' ' : `{${labels}} `;
            lines.push(`${bucketOpen}+Inf"} ${formatValue(histogram.count)}\n`);
            // The SDK leaves `sum` out for instruments that allow negative values.
            if (histogram.sum !== undefined) lines.push(`${sumName}${suffix}${formatValue(histogram.sum)}\n`);
            lines.push(`${countName}${suffix}${formatValue(histogram.count)}\n`);
            if (--budget <= 0) {
              budget = this.yieldEvery;
              yield lines.join('');
              lines = [];
            }
          }
        } else if (
          metric.dataPointType === DataPointType.SUM ||
          metric.dataPointType === DataPointType.GAUGE
        ) {
          const open = `${name}{`;
          for (const point of metric.dataPoints) {
            const labels = this.seriesLabels(point.attributes, scopeLabels, false);
            lines.push(
              labels === ''
                ? `${name} ${formatValue(point.value)}\n`
                : `${open}${labels}} ${formatValue(point.value)}\n`,
            );
            if (--budget <= 0) {
              budget = this.yieldEvery;
              yield lines.join('');
              lines = [];
            }
          }
        }
      }
    }
    return lines.join('');
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
            help: descriptor.description,
            members: [{ metric, scopeLabels }],
          });
        } else if (family.type !== type) {
          this.warnOnce(
            `type:${name}:${type}`,
            `tokenmeter: metric "${descriptor.name}" maps to Prometheus name "${name}", already used by a ${family.type}; the ${type} is left out of the scrape.`,
          );
        } else {
          if (family.help === '') family.help = descriptor.description;
          family.members.push({ metric, scopeLabels });
        }
      }
    }
    return families;
  }

  /** The full label list of one series, without braces; `''` when it has none. */
  private seriesLabels(attributes: Attributes | undefined, scopeLabels: string, histogram: boolean): string {
    const attrs = attributes ?? EMPTY_ATTRIBUTES;
    const cache = histogram ? this.histogramLabelCache : this.labelCache;
    let entry = cache.get(attrs);
    if (entry === undefined || !stillMatches(entry, attrs)) {
      entry = this.renderAttributes(attrs, histogram, !this.withoutScopeInfo, undefined);
      cache.set(attrs, entry);
    }
    const body = entry.body;
    if (body === '') return scopeLabels;
    return scopeLabels === '' ? body : `${body},${scopeLabels}`;
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
  ): LabelCacheEntry {
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
    // join() yields one flat string. `+=` would keep a rope of every piece alive
    // in the cache (~0.8 KiB per series for 4 labels, measured) and make every
    // scrape walk it again.
    // slice(): exact-length copies; push() leaves spare capacity in every cached entry.
    return { keys: keys.slice(), values: values.slice(), body: parts.join(',') };
  }

  /** `le` tails for one boundaries array; the SDK shares one array per instrument. */
  private bucketTails(boundaries: readonly number[]): readonly (string | undefined)[] {
    const cached = this.bucketCache.get(boundaries);
    if (cached !== undefined && sameNumbers(cached.bounds, boundaries)) return cached.tails;
    const tails = boundaries.map((bound) =>
      Number.isFinite(bound) ? `${formatValue(bound)}"} ` : undefined,
    );
    this.bucketCache.set(boundaries, { bounds: boundaries.slice(), tails });
    return tails;
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
