import { escapeHelp, escapeLabelValue, formatValue, wellFormed } from '@tokenmeter/exposition';
import { isValidLabelName, isValidMetricName } from './lexer.js';
import type { ExpositionFormat, Labels, MetricFamily, Sample } from './types.js';

export interface WriteOptions {
  /** @default 'prometheus' (text 0.0.4) */
  format?: ExpositionFormat;
  /**
   * Keep sample timestamps. Off by default because the consumers we write for
   * (node_exporter's textfile collector, the Pushgateway) reject them.
   * @default false
   */
  timestamps?: boolean;
  /** Keep exemplars (OpenMetrics only). @default true */
  exemplars?: boolean;
  /** Labels added to every sample (existing labels with the same name win). */
  extraLabels?: Labels;
}

function quoteName(name: string): string {
  return isValidMetricName(name) ? name : `"${escapeLabelValue(name)}"`;
}

function labelText(labels: Labels, metricName?: string): string {
  const parts: string[] = [];
  if (metricName !== undefined) parts.push(`"${escapeLabelValue(metricName)}"`);
  for (const [k, v] of Object.entries(labels)) {
    const key = isValidLabelName(k) ? k : `"${escapeLabelValue(k)}"`;
    parts.push(`${key}="${escapeLabelValue(v)}"`);
  }
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function sampleLine(s: Sample, labels: Labels, om: boolean, opts: WriteOptions): string {
  // Names outside the legacy charset use the Prometheus 3 quoted form inside the braces.
  const valid = isValidMetricName(s.name);
  let line = valid ? `${s.name}${labelText(labels)}` : labelText(labels, s.name);
  line += ` ${formatValue(s.value)}`;
  if (opts.timestamps && s.timestampMs !== undefined) {
    line += om ? ` ${s.timestampMs / 1000}` : ` ${Math.round(s.timestampMs)}`;
  }
  if (om && s.exemplar && opts.exemplars !== false) {
    line += ` # ${labelText(s.exemplar.labels)} ${formatValue(s.exemplar.value)}`;
    if (s.exemplar.timestampMs !== undefined) line += ` ${s.exemplar.timestampMs / 1000}`;
  }
  return line;
}

/**
 * Renders families as Prometheus text or OpenMetrics text, escaped and
 * formatted by `@tokenmeter/exposition` like `@tokenmeter/setup`'s serializer
 * (lone surrogates become U+FFFD: Prometheus rejects a scrape with invalid
 * UTF-8). The output parses back to the same families (the fuzz tests check
 * this) and passes `promtool check metrics` for valid names.
 */
export function writeExposition(families: readonly MetricFamily[], options: WriteOptions = {}): string {
  const om = options.format === 'openmetrics';
  const out: string[] = [];
  for (const f of families) {
    let type: string = f.type;
    if (!om && (type === 'unknown' || type === 'info' || type === 'stateset')) type = 'untyped';
    if (!om && type === 'gaugehistogram') type = 'histogram';
    if (f.help !== undefined) out.push(`# HELP ${quoteName(f.name)} ${escapeHelp(f.help, om)}`);
    out.push(`# TYPE ${quoteName(f.name)} ${type}`);
    if (om && f.unit) out.push(`# UNIT ${quoteName(f.name)} ${wellFormed(f.unit)}`);
    for (const s of f.samples) {
      const labels = options.extraLabels ? { ...options.extraLabels, ...s.labels } : s.labels;
      out.push(sampleLine(s, labels, om, options));
    }
  }
  if (om) out.push('# EOF');
  return `${out.join('\n')}\n`;
}
