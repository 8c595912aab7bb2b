import { csvField, csvNumber } from '@tokenmeter/exposition';
import type { Analysis, IntervalRow, SeriesSummary } from './analysis.js';
import type { ComparisonRow } from './compare.js';

const SUMMARY_COLUMNS = [
  'target',
  'name',
  'family',
  'kind',
  'labels',
  'points',
  'seconds',
  'increase',
  'rate',
  'resets',
  'min',
  'mean',
  'max',
  'last',
  'sum',
  'p50',
  'p90',
  'p99',
] as const satisfies readonly (keyof SeriesSummary)[];

const INTERVAL_COLUMNS = [
  'ts',
  'seconds',
  'target',
  'name',
  'kind',
  'labels',
  'value',
  'rate',
  'sum',
  'mean',
  'p50',
  'p90',
  'p99',
] as const satisfies readonly (keyof IntervalRow)[];

const COMPARISON_COLUMNS = [
  'name',
  'labels',
  'kind',
  'stat',
  'a',
  'b',
  'change',
] as const satisfies readonly (keyof ComparisonRow)[];

/**
 * A header of `columns`, then one line per row in tokenmeter's CSV dialect
 * (`@tokenmeter/exposition`): `labels` as a JSON object, an empty field where
 * a statistic does not apply.
 */
function csvTable<R extends object>(columns: readonly (keyof R & string)[], rows: readonly R[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) {
    lines.push(
      columns
        .map((c) => {
          const v: unknown = r[c];
          if (c === 'labels') return csvField(JSON.stringify(v));
          return typeof v === 'string' ? csvField(v) : csvNumber(v);
        })
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** One row per series. */
export function renderCsv(a: Analysis): string {
  return csvTable(SUMMARY_COLUMNS, a.series);
}

/** Per-interval rows as CSV. */
export function renderIntervalsCsv(rows: readonly IntervalRow[]): string {
  return csvTable(INTERVAL_COLUMNS, rows);
}

/** Comparison rows as CSV (`change` is a fraction). */
export function renderComparisonCsv(rows: readonly ComparisonRow[]): string {
  return csvTable(COMPARISON_COLUMNS, rows);
}
