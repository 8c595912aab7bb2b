// One collecting reader on the bound-series path, as registerMetrics() wires
// it: a registry, that reader's own producer, and a provider over both.
import { TestMetricReader } from '@tokenmeter/testkit';
import { BoundMeterProvider } from '../../src/bound/bound-meter-provider.js';
import { BoundRegistry, type BoundSeriesOptions } from '../../src/bound/bound-registry.js';

export function boundReader(options: BoundSeriesOptions): {
  provider: BoundMeterProvider;
  reader: TestMetricReader;
} {
  const registry = new BoundRegistry(options);
  const producer = registry.producer();
  const reader = new TestMetricReader({ metricProducers: [producer] });
  producer.attach(reader);
  return { provider: new BoundMeterProvider({ readers: [reader] }, registry), reader };
}
