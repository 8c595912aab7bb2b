import type { MetricFamily } from '../text/types.js';
import type { ScrapeResult } from './scraper.js';

/**
 * Names of the per-target health series every recording and the bridge carry.
 * Not `up`/`scrape_duration_seconds`: Prometheus synthesises those itself for
 * whoever scrapes *us*, and a scraped series of the same name would collide.
 */
export const SELF_METRICS = {
  up: 'tokenmeter_scrape_up',
  duration: 'tokenmeter_scrape_duration_seconds',
  samples: 'tokenmeter_scrape_samples',
  malformed: 'tokenmeter_scrape_malformed_lines',
} as const;

/** The health series of one scrape, as gauges without labels (sinks add the target). */
export function selfMetricFamilies(result: ScrapeResult): MetricFamily[] {
  const gauge = (name: string, help: string, value: number, unit?: string): MetricFamily => ({
    name,
    type: 'gauge',
    help,
    ...(unit ? { unit } : {}),
    samples: [{ name, labels: {}, value }],
  });
  return [
    gauge(SELF_METRICS.up, '1 if the last scrape of the target succeeded, else 0', result.up ? 1 : 0),
    gauge(
      SELF_METRICS.duration,
      'Duration of the last scrape, retries included',
      result.durationSeconds,
      'seconds',
    ),
    gauge(SELF_METRICS.samples, 'Samples kept from the last scrape after selection', result.samples),
    gauge(SELF_METRICS.malformed, 'Lines skipped as malformed in the last scrape', result.malformed),
  ];
}
