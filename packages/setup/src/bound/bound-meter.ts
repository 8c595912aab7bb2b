/**
 * A `Meter` whose synchronous instruments take the bound-series path when
 * they may, and whose observable instruments (and the rest) are the SDK's.
 */
import type {
  BatchObservableCallback,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MetricOptions,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';
import type { BoundRegistry, Scope } from './bound-registry.js';

export class BoundMeter implements Meter {
  constructor(
    private readonly sdk: Meter,
    private readonly registry: BoundRegistry,
    private readonly scope: Scope,
  ) {}

  createCounter(name: string, options?: MetricOptions): Counter {
    return this.registry.sum(this.scope, name, options, true) ?? this.sdk.createCounter(name, options);
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return this.registry.sum(this.scope, name, options, false) ?? this.sdk.createUpDownCounter(name, options);
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return this.registry.histogram(this.scope, name, options) ?? this.sdk.createHistogram(name, options);
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return this.registry.gauge(this.scope, name, options) ?? this.sdk.createGauge(name, options);
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return this.sdk.createObservableGauge(name, options);
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return this.sdk.createObservableCounter(name, options);
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return this.sdk.createObservableUpDownCounter(name, options);
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.sdk.addBatchObservableCallback(callback, observables);
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.sdk.removeBatchObservableCallback(callback, observables);
  }
}
