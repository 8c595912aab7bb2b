/**
 * A MeterProvider someone else built, seen through the bound-series path: its
 * meters' synchronous instruments are bound ones, everything else is the
 * provider's own. The provider keeps its readers, views, resource, flush and
 * shutdown; this object only hands out meters and passes the rest on.
 */
import type { Meter, MeterOptions, MeterProvider } from '@opentelemetry/api';
import type { BoundRegistry } from './bound-registry.js';

/** What an SDK provider offers besides `getMeter()`, where it does. */
interface Lifecycle {
  forceFlush?(options?: { timeoutMillis?: number }): Promise<void>;
  shutdown?(options?: { timeoutMillis?: number }): Promise<void>;
}

export class AdoptedMeterProvider implements MeterProvider {
  constructor(
    private readonly provider: MeterProvider & Lifecycle,
    private readonly registry: BoundRegistry,
    /** True once the provider is shut down (it then hands out no-op meters, and so do we). */
    private readonly isShutdown: () => boolean,
  ) {}

  getMeter(name: string, version = '', options: MeterOptions = {}): Meter {
    const sdk = this.provider.getMeter(name, version, options);
    if (this.isShutdown()) return sdk;
    return this.registry.meter(sdk, name, version, options.schemaUrl);
  }

  /** The provider's own `forceFlush()`: every reader collects, the bound series included. */
  async forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    await this.provider.forceFlush?.(options);
  }

  /** The provider's own `shutdown()`: readers' final collect, the bound series included. */
  async shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    await this.provider.shutdown?.(options);
  }
}
