/**
 * snapshot(): totals, recent rates and latency percentiles read from the
 * SDK's own aggregation (a cumulative collection), never from a second
 * bookkeeping path. Rates and percentile windows over a recent window come
 * from a small ring of earlier collections kept per source; percentiles are
 * interpolated in the histogram buckets.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { SemconvShape } from '../instruments.js';
import type { CollectionLike, SnapshotSource } from './collection.js';
import type { LatencyTarget } from './histogram.js';
import type { LlmSnapshot } from './llm-snapshot.js';
import { applyRates, rateTargets } from './rates.js';
import { SampleRing } from './ring.js';
import { summarize } from './summarize.js';

/** Keeps recent totals per source and turns a collection into an LlmSnapshot. */
export class Snapshotter {
  private readonly rings = new WeakMap<object, SampleRing>();

  constructor(
    private readonly shape: SemconvShape,
    private readonly diagnostics: Diagnostics,
    private readonly now: () => number,
    /** Rate window in seconds. */
    private readonly windowS: number,
    /** Clock reading when the LlmMetrics instance was created: the zero baseline. */
    private readonly createdAt: number,
  ) {}

  async snapshot(source: SnapshotSource | undefined): Promise<LlmSnapshot> {
    const time = Date.now();
    if (!source)
      return this.empty(time, 'no source: pass createLlmMetrics({ collect }) or snapshot({ from })');
    let collection: CollectionLike;
    try {
      collection =
        typeof source === 'function'
          ? await source()
          : await (source as { collect(): Promise<CollectionLike> | CollectionLike }).collect();
    } catch (err) {
      this.diagnostics.warn('snapshot', `collect() failed: ${String(err)}`);
      return this.empty(time, `collect() failed: ${String(err)}`);
    }
    try {
      if (!collection || typeof collection !== 'object' || !('resourceMetrics' in collection)) {
        return this.empty(time, 'collect() returned no resourceMetrics');
      }
      const now = this.now();
      const latencies: LatencyTarget[] = [];
      const summaries = summarize(collection, this.shape, this.diagnostics, latencies);
      const rates = rateTargets(summaries);
      const ring = this.ring(source);
      const base = ring.baseline(now);
      let windowS: number | undefined;
      if (base && now > base.at) {
        windowS = (now - base.at) / 1000;
        applyRates(rates, base.totals, windowS);
        for (const latency of latencies) {
          const recent = latency.histogram.since(base.histograms.get(latency.key));
          if (recent) latency.out.recent = recent;
        }
      }
      ring.push(now, rates, latencies);
      const out: LlmSnapshot = { ok: true, time, semconv: this.shape, ...summaries };
      if (windowS !== undefined) out.windowS = windowS;
      return out;
    } catch (err) {
      this.diagnostics.warn('internal-error', `snapshot(): ${String(err)}`);
      return this.empty(time, `snapshot failed: ${String(err)}`);
    }
  }

  private ring(source: object): SampleRing {
    let ring = this.rings.get(source);
    if (!ring) {
      ring = new SampleRing(this.createdAt, this.windowS);
      this.rings.set(source, ring);
    }
    return ring;
  }

  private empty(time: number, error: string): LlmSnapshot {
    const summaries = summarize({ resourceMetrics: [] }, this.shape, this.diagnostics);
    return { ok: false, error, time, semconv: this.shape, ...summaries };
  }
}
