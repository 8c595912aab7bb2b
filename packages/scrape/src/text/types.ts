/**
 * The data model shared by the parser, the scraper, the sinks and the OTel bridge.
 * It mirrors the exposition formats closely so nothing is lost between parsing
 * and recording; interpretation (OTel types, deltas) happens downstream.
 */

/**
 * A metric family type. Prometheus' `untyped` and OpenMetrics' `unknown` are
 * both reported as `unknown`.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'unknown'
  | 'gaugehistogram'
  | 'info'
  | 'stateset';

/** Label name → value. Plain object; insertion order is the exposition's order. */
export type Labels = Record<string, string>;

/** An OpenMetrics exemplar attached to a sample. */
export interface Exemplar {
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch, when the exemplar carried a timestamp. */
  timestampMs?: number;
}

/** One line of exposition: a sample of a family. */
export interface Sample {
  /** The full sample name (`x_bucket`, `x_total`, ...), not the family name. */
  name: string;
  labels: Labels;
  /** May be NaN or ±Infinity. */
  value: number;
  /** Milliseconds since the epoch, when the line carried a timestamp. */
  timestampMs?: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  /** As declared by `# TYPE` (Prometheus counters usually include `_total`, OpenMetrics ones do not). */
  name: string;
  type: MetricType;
  help?: string;
  /** OpenMetrics `# UNIT` (e.g. `seconds`). */
  unit?: string;
  samples: Sample[];
}

/** Which text format a body was parsed as. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Why a line was skipped. */
export interface ParseDiagnostic {
  /** 1-based line number. */
  line: number;
  message: string;
  /** The offending line, truncated to 200 characters. */
  text: string;
}

export interface ParseResult {
  families: MetricFamily[];
  format: ExpositionFormat;
  /** Lines that could not be parsed and were skipped. */
  malformed: number;
  /** Details of the first `maxDiagnostics` problems (lines skipped, missing `# EOF`, ...). */
  diagnostics: ParseDiagnostic[];
  /** OpenMetrics only: whether `# EOF` was seen (a missing one means a truncated body). */
  eof: boolean;
}
