/**
 * The SDK `MeterProvider`, with meters whose synchronous instruments take the
 * bound-series path (see bound-registry.ts). It is the SDK class: readers,
 * views, `forceFlush()` and `shutdown()` are unchanged, and it passes every
 * `instanceof MeterProvider` check.
 */
import type { Meter, MeterOptions } from '@opentelemetry/api';
import { MeterProvider, type MeterProviderOptions } from '@opentelemetry/sdk-metrics';
import type { BoundRegistry } from './bound-registry.js';

export class BoundMeterProvider extends MeterProvider {
  private closed = false;

  constructor(
    options: MeterProviderOptions,
    private readonly registry: BoundRegistry,
  ) {
    super(options);
  }

  override getMeter(name: string, version = '', options: MeterOptions = {}): Meter {
    const sdk = super.getMeter(name, version, options);
    // After shutdown the SDK hands out a no-op meter; so do we.
    if (this.closed) return sdk;
    return this.registry.meter(sdk, name, version, options.schemaUrl);
  }

  override async shutdown(options?: Parameters<MeterProvider['shutdown']>[0]): Promise<void> {
    this.closed = true;
    return super.shutdown(options);
  }
}
