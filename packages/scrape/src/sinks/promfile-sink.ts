import { renameSync, writeFileSync } from 'node:fs';
import type { ScrapeResult } from '../scrape/scraper.js';
import { selfMetricFamilies } from '../scrape/self-metrics.js';
import type { MetricFamily } from '../text/types.js';
import { writeExposition } from '../text/writer.js';
import type { RecordSink } from './sink.js';

export interface PromFileSinkOptions {
  path: string;
  /** Label carrying the target name on every sample. @default 'scrape_target' */
  targetLabel?: string;
}

/** Merges same-named families of several targets (one TYPE/HELP block per name, as the format requires). */
export function mergeTargets(results: readonly ScrapeResult[], targetLabel: string | false): MetricFamily[] {
  const merged = new Map<string, MetricFamily>();
  for (const r of results) {
    for (const f of [...selfMetricFamilies(r), ...r.families]) {
      let m = merged.get(f.name);
      if (!m) {
        m = { ...f, samples: [] };
        merged.set(f.name, m);
      }
      for (const s of f.samples) {
        m.samples.push(targetLabel ? { ...s, labels: { [targetLabel]: r.target, ...s.labels } } : s);
      }
    }
  }
  return [...merged.values()];
}

/**
 * The latest round as a Prometheus text file (node_exporter textfile-collector
 * style), replaced atomically (write + rename) so a reader never sees half a
 * file. This sink is a snapshot, not a history: pair it with a history sink.
 */
export class PromFileSink implements RecordSink {
  readonly name = 'promfile';
  constructor(private readonly options: PromFileSinkOptions) {}

  write(results: readonly ScrapeResult[]): void {
    const text = writeExposition(mergeTargets(results, this.options.targetLabel ?? 'scrape_target'));
    const tmp = `${this.options.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.options.path);
  }

  close(): void {}
}
