/**
 * Hands the bound-series data to one reader. Each reader gets its own
 * producer because temporality is per reader: a Prometheus reader wants
 * cumulative points, an OTLP reader may want deltas since its own last
 * collection.
 */

import { emptyResource } from '@opentelemetry/resources';
import type { CollectionResult, MetricProducer } from '@opentelemetry/sdk-metrics';
import { runYielding } from '../yielding.js';
import type { BoundRegistry } from './bound-registry.js';
import type { ReaderPreferences } from './eligibility.js';

// The reader uses the provider's resource and discards a producer's.
const RESOURCE = emptyResource();

export class BoundProducer implements MetricProducer {
  constructor(
    private readonly registry: BoundRegistry,
    private readonly index: number,
  ) {}

  /** Links the producer to the reader it was given to, so instruments learn that reader's temporality and limits. */
  attach(reader: ReaderPreferences): void {
    this.registry.attach(this.index, reader);
  }

  async collect(): Promise<CollectionResult> {
    // A turn of the app's event loop every few hundred series: at 50k series
    // one synchronous walk held the loop for tens of milliseconds.
    const scopeMetrics = await runYielding(this.registry.collect(this.index));
    return { resourceMetrics: { resource: RESOURCE, scopeMetrics }, errors: [] };
  }
}
