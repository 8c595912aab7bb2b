/**
 * OpenTelemetry → Prometheus name translation.
 *
 * `'otel'` naming follows the OpenTelemetry "Prometheus and OpenMetrics
 * Compatibility" spec as implemented by `prometheus/otlptranslator`
 * (strategy `UnderscoreEscapingWithSuffixes`), which both the Collector and
 * Prometheus' own OTLP receiver use: a metric gets the same name whether it is
 * scraped from this process or pushed through OTLP. The quirks of that
 * implementation are reproduced on purpose (see NAMING.md), because matching
 * it is the point.
 *
 * `'stock'` naming reproduces `@opentelemetry/exporter-prometheus` 0.301.0.
 */

/** Which naming rules to apply. */
export type PrometheusNaming = 'otel' | 'stock';

/**
 * The OTel data kind of a metric, as far as naming cares:
 * - `counter`: monotonic Sum (Counter, ObservableCounter) → `_total`
 * - `updowncounter`: non-monotonic Sum (UpDownCounter, ObservableUpDownCounter), a Prometheus gauge
 * - `gauge`: Gauge data (Gauge, ObservableGauge) → unit `1` becomes `_ratio`
 * - `histogram`: explicit-bucket or exponential histogram
 */
export type PrometheusMetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** Options for {@link prometheusMetricName}. */
export interface PrometheusNameOptions {
  /** Naming rules. @default 'otel' */
  naming?: PrometheusNaming;
  /** Namespace prepended as `<prefix>_`; sanitised like a name. @default none */
  prefix?: string;
}

// UCUM unit → Prometheus base-unit word (otlptranslator's unitMap, verbatim,
// including its `tibibytes` spelling: matching the Collector beats being right).
const UNIT_MAP: ReadonlyMap<string, string> = new Map([
  ['d', 'days'],
  ['h', 'hours'],
  ['min', 'minutes'],
  ['s', 'seconds'],
  ['ms', 'milliseconds'],
  ['us', 'microseconds'],
  ['ns', 'nanoseconds'],
  ['By', 'bytes'],
  ['KiBy', 'kibibytes'],
  ['MiBy', 'mebibytes'],
  ['GiBy', 'gibibytes'],
  ['TiBy', 'tibibytes'],
  ['KBy', 'kilobytes'],
  ['MBy', 'megabytes'],
  ['GBy', 'gigabytes'],
  ['TBy', 'terabytes'],
  ['m', 'meters'],
  ['V', 'volts'],
  ['A', 'amperes'],
  ['J', 'joules'],
  ['W', 'watts'],
  ['g', 'grams'],
  ['Cel', 'celsius'],
  ['Hz', 'hertz'],
  ['1', ''],
  ['%', 'percent'],
]);

// The denominator of `X/Y` is singular: `By/s` → `bytes_per_second`.
const PER_UNIT_MAP: ReadonlyMap<string, string> = new Map([
  ['s', 'second'],
  ['m', 'minute'],
  ['h', 'hour'],
  ['d', 'day'],
  ['w', 'week'],
  ['mo', 'month'],
  ['y', 'year'],
]);

// Names and label keys come from instrument descriptors and attribute keys, a
// bounded set in any sane program; the cap only stops a pathological one
// (attribute keys built from user input) from growing the caches forever.
const CACHE_LIMIT = 10_000;
const metricNameCache = new Map<string, string>();
const labelNameCache = new Map<string, string>();

function remember(cache: Map<string, string>, key: string, value: string): string {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

const INVALID_METRIC_CHARS = /[^a-zA-Z0-9:]+/;
const INVALID_METRIC_CHAR_RUN = /[^a-zA-Z0-9:]+/g;
const INVALID_LABEL_CHAR_RUN = /[^a-zA-Z0-9]+/g;
const VALID_LABEL_FAST = /^[a-zA-Z][a-zA-Z0-9]*(?:_[a-zA-Z0-9]+)*$/;

function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Name tokens: maximal runs of `[a-zA-Z0-9:]` (so `_` runs collapse and edge underscores vanish). */
function tokens(name: string): string[] {
  const parts = name.split(INVALID_METRIC_CHARS);
  return parts.filter((p) => p !== '');
}

/** otlptranslator `cleanUpUnit`: invalid → `_`, collapse runs, drop one leading `_`. */
function cleanUpUnit(unit: string): string {
  const cleaned = unit.replace(INVALID_METRIC_CHAR_RUN, '_');
  return cleaned.startsWith('_') ? cleaned.slice(1) : cleaned;
}

/** otlptranslator `buildUnitSuffixes`: `[main, per]`, `per` already prefixed with `per_`. */
function unitSuffixes(unit: string): [string, string] {
  const slash = unit.indexOf('/');
  const mainOTel = (slash === -1 ? unit : unit.slice(0, slash)).trim();
  let main = '';
  // An annotation anywhere (`{token}`, `By{cached}`) drops that whole side of the unit.
  if (mainOTel !== '' && !/[{}]/.test(mainOTel)) main = UNIT_MAP.get(mainOTel) ?? mainOTel;
  let per = '';
  if (slash !== -1) {
    const perOTel = unit.slice(slash + 1).trim();
    if (perOTel !== '' && !/[{}]/.test(perOTel)) per = `per_${PER_UNIT_MAP.get(perOTel) ?? perOTel}`;
  }
  return [cleanUpUnit(main), cleanUpUnit(per)];
}

/**
 * The unit part that `'otel'` naming appends for `unit`, without the leading
 * underscore and before the "already in the name" check: `s` → `seconds`,
 * `By/s` → `bytes_per_second`, `{token}` → `''`, `1` → `ratio` on a gauge and
 * `''` otherwise. `_total` is not part of it.
 */
export function prometheusUnitSuffix(unit: string, kind: PrometheusMetricKind): string {
  if (unit === '1') return kind === 'gauge' ? 'ratio' : '';
  const [main, per] = unitSuffixes(unit);
  let suffix = main !== '' && per !== '' ? `${main}_${per}` : main || per;
  if (suffix.startsWith('_')) suffix = suffix.slice(1);
  if (suffix.endsWith('_')) suffix = suffix.slice(0, -1);
  return suffix;
}

function otelMetricName(name: string, unit: string, kind: PrometheusMetricKind, prefix: string): string {
  let parts = tokens(name);
  let [main, per] = unitSuffixes(unit);
  // otlptranslator `addUnitTokens`: a suffix already present as a whole token
  // anywhere in the name is not repeated (`cpu.seconds.used` + `s` stays as is).
  if (parts.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    if (per.endsWith('_')) per = per.slice(0, -1);
    if (parts.includes(per)) per = '';
  }
  if (per !== '' && main.endsWith('_')) main = main.slice(0, -1);
  if (main !== '') parts.push(main);
  if (per !== '') parts.push(per);
  // `_total` and `_ratio` go last, even when the name had them somewhere else.
  if (kind === 'counter') {
    parts = parts.filter((p) => p !== 'total');
    parts.push('total');
  }
  if (unit === '1' && kind === 'gauge') {
    parts = parts.filter((p) => p !== 'ratio');
    parts.push('ratio');
  }
  if (prefix !== '') {
    const prefixTokens = tokens(prefix);
    if (prefixTokens.length > 0) parts.unshift(prefixTokens.join('_'));
  }
  const joined = parts.join('_');
  return joined !== '' && isAsciiDigit(joined.charCodeAt(0)) ? `_${joined}` : joined;
}

function stockMetricName(name: string, kind: PrometheusMetricKind, prefix: string): string {
  // exporter-prometheus escapes before sanitising, so a newline becomes `_n`.
  const sanitise = (s: string): string =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/[^a-z0-9_]/gi, '_')
      .replace(/_{2,}/g, '_');
  let result = sanitise(name);
  if (prefix !== '') result = `${sanitise(prefix)}_${result}`;
  if (result === '' || result === '_') return '';
  if (isAsciiDigit(result.charCodeAt(0))) result = `_${result}`;
  if (kind === 'counter' && !result.endsWith('_total')) result += '_total';
  return result;
}

/**
 * The Prometheus metric family name for an OTel metric: for counters the
 * `_total` name used in `# TYPE` and on samples, for histograms the base name
 * (samples add `_bucket`, `_sum`, `_count`).
 *
 * Returns `''` when nothing valid is left (a name made only of characters
 * Prometheus does not allow); callers drop such metrics.
 *
 * @example prometheusMetricName('gen_ai.client.operation.duration', 's', 'histogram')
 *   // 'gen_ai_client_operation_duration_seconds'
 */
export function prometheusMetricName(
  name: string,
  unit: string,
  kind: PrometheusMetricKind,
  options: PrometheusNameOptions = {},
): string {
  const naming = options.naming ?? 'otel';
  const prefix = options.prefix ?? '';
  const key = `${naming}\u0000${kind}\u0000${prefix}\u0000${unit}\u0000${name}`;
  const cached = metricNameCache.get(key);
  if (cached !== undefined) return cached;
  const result =
    naming === 'stock' ? stockMetricName(name, kind, prefix) : otelMetricName(name, unit, kind, prefix);
  return remember(metricNameCache, key, result);
}

/**
 * The Prometheus label name for an OTel attribute key (both naming modes):
 * runs of characters outside `[a-zA-Z0-9]` (`_` included) become one `_`; a
 * leading digit gets `key_`. Two deviations from otlptranslator, both to keep
 * the scrape valid: a result that would start with `__` (reserved for
 * Prometheus, e.g. `__name__`) gets a `key` prefix, and a key that would be
 * empty or only underscores becomes `key_` instead of an error.
 *
 * Distinct keys can map to the same label (`a.b`, `a_b`); the serializer
 * merges those, see NAMING.md.
 */
export function prometheusLabelName(key: string): string {
  if (VALID_LABEL_FAST.test(key)) return key;
  const cached = labelNameCache.get(key);
  if (cached !== undefined) return cached;
  // otlptranslator keeps `__x__` reserved-looking keys wrapped in `__`.
  const reserved = key.length >= 4 && key.startsWith('__') && key.endsWith('__');
  const inner = reserved ? key.slice(2, -2) : key;
  let label = inner.replace(INVALID_LABEL_CHAR_RUN, '_');
  if (reserved) label = `__${label}__`;
  if (label !== '' && isAsciiDigit(label.charCodeAt(0))) label = `key_${label}`;
  else if (label.startsWith('__') || /^_*$/.test(label))
    label = `key${label.startsWith('_') ? '' : '_'}${label}`;
  return remember(labelNameCache, key, label);
}
