/**
 * Per-second rates over the recent window: each counted total of a summary
 * (requests, input and output tokens, training steps, samples and tokens)
 * against its value in an earlier collection.
 */
import type { ClientSummary, ServerSummary, SnapshotSummaries } from './llm-snapshot.js';
import { modelKey, runKey, totalKey } from './series-keys.js';

/** A cumulative total of a summary, the key it is kept under, and where its rate goes. */
export interface RateTarget {
  readonly key: string;
  total(): number;
  setRate(perSecond: number): void;
}

export function rateTargets(summaries: SnapshotSummaries): RateTarget[] {
  const out: RateTarget[] = [];
  /** The per-second rate of the cumulative `total` field, written to `rateField`. */
  const rate = <T extends object>(key: string, summary: T, total: keyof T, rateField: keyof T) =>
    out.push({
      key,
      total: () => summary[total] as number,
      setRate: (perSecond) => {
        (summary as Record<keyof T, unknown>)[rateField] = perSecond;
      },
    });
  const requests = (prefix: string, summary: ClientSummary | ServerSummary) => {
    rate(`${prefix}req`, summary, 'requests', 'requestsPerSecond');
    rate(`${prefix}in`, summary, 'inputTokens', 'inputTokensPerSecond');
    rate(`${prefix}out`, summary, 'outputTokens', 'outputTokensPerSecond');
  };
  requests(totalKey('c'), summaries.client.total);
  for (const [model, summary] of Object.entries(summaries.client.byModel))
    requests(modelKey('c', model), summary);
  requests(totalKey('s'), summaries.server.total);
  for (const [model, summary] of Object.entries(summaries.server.byModel))
    requests(modelKey('s', model), summary);
  for (const training of summaries.training) {
    const prefix = runKey(training);
    rate(`${prefix}steps`, training, 'steps', 'stepsPerSecond');
    rate(`${prefix}samples`, training, 'samples', 'samplesPerSecond');
    rate(`${prefix}tokens`, training, 'tokens', 'tokensPerSecond');
  }
  return out;
}

/**
 * Sets each target's rate from its total at the window start (`baseline`,
 * 0 when absent) over `windowS` seconds. A total below its baseline means the
 * source was reset: that target gets no rate rather than a wrong one.
 */
export function applyRates(
  targets: readonly RateTarget[],
  baseline: ReadonlyMap<string, number>,
  windowS: number,
): void {
  for (const target of targets) {
    const delta = target.total() - (baseline.get(target.key) ?? 0);
    if (delta >= 0) target.setRate(delta / windowS);
  }
}
