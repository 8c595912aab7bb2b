import type { Labels } from '../text/types.js';
import type { Analysis, SeriesSummary } from './analysis.js';
import { labelKey } from './label-key.js';

/** The statistic compared per kind: what a benchmark reader looks at first. */
const COMPARED: Record<SeriesSummary['kind'], (keyof SeriesSummary)[]> = {
  counter: ['rate'],
  gauge: ['mean', 'max'],
  histogram: ['increase', 'mean', 'p50', 'p90', 'p99'],
};

export interface ComparisonRow {
  name: string;
  labels: Labels;
  kind: SeriesSummary['kind'];
  stat: string;
  a: number | undefined;
  b: number | undefined;
  /** (b − a) / a, as a fraction; undefined when a is 0 or missing. */
  change: number | undefined;
}

/**
 * Joins two runs series by series. Targets are ignored in the join when each
 * run has one target (two benchmark runs usually hit different ports).
 */
export function compareAnalyses(a: Analysis, b: Analysis): ComparisonRow[] {
  const single = a.targets.length <= 1 && b.targets.length <= 1;
  const key = (s: SeriesSummary) => `${single ? '' : s.target}\u0000${s.name}\u0000${labelKey(s.labels)}`;
  const bByKey = new Map(b.series.map((s) => [key(s), s]));
  const rows: ComparisonRow[] = [];
  const seen = new Set<string>();
  const push = (sa: SeriesSummary | undefined, sb: SeriesSummary | undefined) => {
    const s = (sa ?? sb) as SeriesSummary;
    for (const stat of COMPARED[s.kind]) {
      const va = sa?.[stat] as number | undefined;
      const vb = sb?.[stat] as number | undefined;
      const change =
        va !== undefined && vb !== undefined && Number.isFinite(va) && Number.isFinite(vb) && va !== 0
          ? (vb - va) / Math.abs(va)
          : undefined;
      rows.push({ name: s.name, labels: s.labels, kind: s.kind, stat, a: va, b: vb, change });
    }
  };
  for (const sa of a.series) {
    const k = key(sa);
    seen.add(k);
    push(sa, bByKey.get(k));
  }
  for (const sb of b.series) if (!seen.has(key(sb))) push(undefined, sb);
  return rows;
}
