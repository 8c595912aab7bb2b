/**
 * What every exposition format shares: which OTel metrics make up each
 * Prometheus metric family (by name, across scopes), the family's type, help
 * text and unit, and the label pairs of a series. The text, OpenMetrics and
 * protobuf writers differ only in how they put these on the wire.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
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
  prometheusUnitSuffix,
} from './prometheus-naming.js';
import type { PrometheusSerializerOptions } from './prometheus-serializer.js';
import { WarnOnce } from './warn-once.js';
import { sliceLength } from './yielding.js';

export type FamilyType = 'counter' | 'gauge' | 'histogram';

/** One OTel metric inside a family, with the scope it came from. */
export interface FamilyMember {
  readonly metric: MetricData;
  readonly scope: ScopeMetrics['scope'];
}

/** Prometheus families cannot carry a second `# TYPE`, so one per name. */
export interface Family {
  /** The name in the text format: counters end in `_total`, histograms are the base name. */
  readonly name: string;
  readonly type: FamilyType;
  help: string;
  /**
   * The unit word (`seconds`, `bytes_per_second`, `ratio`) when the name ends
   * in it (before `_total`), else `''`: OpenMetrics and the protobuf format
   * reject a unit that is not a suffix of the family name.
   */
  readonly unit: string;
  readonly members: FamilyMember[];
}

/** Options that decide family names. */
export interface FamilyOptions {
  readonly naming: PrometheusNaming;
  readonly prefix: string;
  readonly withoutTargetInfo: boolean;
}

/** A series' labels as `[name, value]`, plus what they were rendered from (to detect mutation). */
export interface RenderedAttributes {
  readonly keys: string[];
  readonly values: unknown[];
  readonly pairs: [label: string, value: string][];
}

export const TARGET_INFO = 'target_info';
const DEFAULT_DENY_LIST: readonly string[] = ['process.command_args', 'process.command_line'];
export const SCOPE_LABELS: ReadonlySet<string> = new Set([
  'otel_scope_name',
  'otel_scope_version',
  'otel_scope_schema_url',
]);

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

function metricKind(metric: MetricData): PrometheusMetricKind {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'updowncounter';
    case DataPointType.GAUGE:
      return 'gauge';
    default:
      return 'histogram';
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

/** The unit word of a family when its name ends in it (counters: before `_total`), else `''`. */
function familyUnit(name: string, unit: string, kind: PrometheusMetricKind): string {
  const suffix = prometheusUnitSuffix(unit, kind);
  if (suffix === '') return '';
  const base = kind === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
  return base.endsWith(`_${suffix}`) ? suffix : '';
}

/** The scope labels of a series, as pairs. */
export function scopePairs(scope: ScopeMetrics['scope']): [string, string][] {
  const pairs: [string, string][] = [['otel_scope_name', scope.name]];
  if (scope.version) pairs.push(['otel_scope_version', scope.version]);
  if (scope.schemaUrl) pairs.push(['otel_scope_schema_url', scope.schemaUrl]);
  return pairs;
}

/**
 * Attributes as label pairs. Keys that sanitise to the same label are merged
 * as the Collector does: values joined with `;` in code-point order of the
 * original keys. Labels the exporter writes itself win over attributes: `le`
 * on histograms and the scope labels (the Collector overwrites them too).
 * Values are strings as they are, anything else as JSON (as
 * exporter-prometheus does: `[1,2]`, `true`, `1.5`).
 */
export function attributePairs(
  attrs: Attributes,
  histogram: boolean,
  scopeInfo: boolean,
  deny: ReadonlySet<string> | undefined,
): RenderedAttributes {
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
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const group = groups.get(label);
    if (group === undefined) groups.set(label, [[key, text]]);
    else group.push([key, text]);
  }
  const pairs: [string, string][] = [];
  for (const [label, group] of groups) {
    const value =
      group.length === 1
        ? (group[0]?.[1] ?? '')
        : group
            .sort((a, b) => compareCodePoints(a[0], b[0]))
            .map((entry) => entry[1])
            .join(';');
    pairs.push([label, value]);
  }
  // slice(): exact-length copies; push() leaves spare capacity in every cached entry.
  return { keys: keys.slice(), values: values.slice(), pairs };
}

/**
 * Groups an SDK collection into Prometheus families, in first-seen order,
 * warning once per problem (through `diag`, never thrown).
 */
export class FamilyGrouper {
  constructor(
    private readonly options: FamilyOptions,
    private readonly warnings: WarnOnce,
  ) {}

  /**
   * `exponential`: whether exponential histograms are members (the protobuf
   * format carries them as native histograms; the text formats cannot).
   */
  group(resourceMetrics: ResourceMetrics, exponential: boolean): Map<string, Family> {
    const families = new Map<string, Family>();
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      const scope = scopeMetrics.scope;
      for (const metric of scopeMetrics.metrics) {
        const { descriptor } = metric;
        if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM && !exponential) {
          this.warnings.warn(
            `exp:${descriptor.name}`,
            `tokenmeter: metric "${descriptor.name}" is an exponential histogram, which the Prometheus text and OpenMetrics formats cannot carry; it is left out of this scrape. A scraper that negotiates the protobuf format (Prometheus with --enable-feature=native-histograms) gets it as a native histogram; OTLP exporters get it as it is.`,
          );
          continue;
        }
        const kind = metricKind(metric);
        const name = prometheusMetricName(descriptor.name, descriptor.unit, kind, this.options);
        if (name === '' || (name === TARGET_INFO && !this.options.withoutTargetInfo)) {
          this.warnings.warn(
            `name:${descriptor.name}`,
            `tokenmeter: metric "${descriptor.name}" has no valid Prometheus name ("${name}"); it is left out of the scrape.`,
          );
          continue;
        }
        const type: FamilyType =
          kind === 'counter' ? 'counter' : kind === 'histogram' ? 'histogram' : 'gauge';
        const family = families.get(name);
        if (family === undefined) {
          families.set(name, {
            name,
            type,
            help: descriptor.description || fallbackHelp(descriptor.name, descriptor.unit),
            unit: familyUnit(name, descriptor.unit, kind),
            members: [{ metric, scope }],
          });
        } else if (family.type !== type) {
          this.warnings.warn(
            `type:${name}:${type}`,
            `tokenmeter: metric "${descriptor.name}" maps to Prometheus name "${name}", already used by a ${family.type}; the ${type} is left out of the scrape.`,
          );
        } else {
          // A member with a description beats the fallback text of one without.
          if (descriptor.description && family.members.every((m) => !m.metric.descriptor.description)) {
            family.help = descriptor.description;
          }
          family.members.push({ metric, scope });
        }
      }
    }
    return families;
  }
}

/** The options every writer reads, resolved once. */
export interface WriterSettings {
  readonly withoutScopeInfo: boolean;
  readonly withoutTargetInfo: boolean;
  /** Resource attribute keys never copied onto `target_info`. */
  readonly denyList: ReadonlySet<string>;
  /** Series between event-loop yields (`Infinity`: never; see `yielding.ts`). */
  readonly yieldEvery: number;
  readonly grouper: FamilyGrouper;
  /** The writer's diagnostics, each said once (the grouper's too). */
  readonly warnings: WarnOnce;
}

export function writerSettings(options: PrometheusSerializerOptions): WriterSettings {
  const withoutTargetInfo = options.withoutTargetInfo ?? false;
  const warnings = new WarnOnce();
  return {
    withoutScopeInfo: options.withoutScopeInfo ?? false,
    withoutTargetInfo,
    denyList: new Set(options.resourceAttributeDenyList ?? DEFAULT_DENY_LIST),
    yieldEvery: sliceLength(options.yieldEvery),
    grouper: new FamilyGrouper(
      { naming: options.naming ?? 'otel', prefix: options.prefix ?? '', withoutTargetInfo },
      warnings,
    ),
    warnings,
  };
}

/** Milliseconds since the epoch of an SDK timestamp. */
export function hrTimeMs(t: HrTime): number {
  return t[0] * 1000 + Math.round(t[1] / 1e6);
}
