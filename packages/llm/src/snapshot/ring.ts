/**
 * The recent collections of one snapshot source: enough of each (totals and
 * latency histograms, by series key) to compute rates and windowed
 * percentiles over the last `windowS` seconds.
 */
import type { HistogramState, LatencyTarget } from './histogram.js';
import type { RateTarget } from './rates.js';

/** What the ring keeps of one collection. */
export interface Sample {
  /** Clock reading of the collection, ms. */
  readonly at: number;
  /** Totals by rate-target key. */
  readonly totals: ReadonlyMap<string, number>;
  /** Latency histograms with data, by key: the baselines of the windowed percentiles. */
  readonly histograms: ReadonlyMap<string, HistogramState>;
}

// Each sample holds every latency histogram's buckets (~16 numbers per model
// and histogram), so the ring is short: the window then starts up to
// windowS / MAX_SAMPLES earlier than asked, and `windowS` says by how much.
export const MAX_SAMPLES = 16;

export class SampleRing {
  /** Oldest first; never empty. */
  private readonly samples: Sample[];

  constructor(
    /** Clock reading when the LlmMetrics instance was created: the zero baseline. */
    createdAt: number,
    private readonly windowS: number,
  ) {
    this.samples = [{ at: createdAt, totals: new Map(), histograms: new Map() }];
  }

  /** The newest sample at or before the window start, else the oldest one (a shorter window). */
  baseline(now: number): Sample | undefined {
    const from = now - this.windowS * 1000;
    let base = this.samples[0];
    for (const sample of this.samples) {
      if (sample.at > from) break;
      base = sample;
    }
    return base;
  }

  /** Keeps what `now`'s collection has (unless the last sample is too recent), and drops what is no longer needed. */
  push(now: number, rates: readonly RateTarget[], latencies: readonly LatencyTarget[]): void {
    const ring = this.samples;
    const last = ring[ring.length - 1];
    // Frequent snapshots would fill the ring with near-duplicates.
    if (last && now - last.at < (this.windowS * 1000) / MAX_SAMPLES) return;
    const totals = new Map<string, number>();
    for (const rate of rates) totals.set(rate.key, rate.total());
    // Each collection's histogram arrays are fresh, so they are kept without a copy.
    const histograms = new Map<string, HistogramState>();
    for (const latency of latencies) {
      const state = latency.histogram.state();
      if (state) histograms.set(latency.key, state);
    }
    ring.push({ at: now, totals, histograms });
    const from = now - this.windowS * 1000;
    // Keep one sample at or before the window start so the window stays full.
    while (ring.length > 1 && (ring[1] as Sample).at <= from) ring.shift();
    while (ring.length > MAX_SAMPLES) ring.shift();
  }
}
