/**
 * Which MeterProvider llm records into, when the caller did not pass one.
 *
 * The OTel API has no proxy for the global MeterProvider (traces have one):
 * `metrics.getMeterProvider()` returns a no-op until someone registers a
 * provider, and instruments created from it record into nothing, for good.
 * Integrations are often set up at import time, before `registerMetrics()`
 * runs, so llm created against the no-op provider keeps looking for the
 * global one at each entry point (a pointer comparison while none is set),
 * and moves its instruments there once it appears. Records made before that
 * are lost, and said so once.
 */
import { createNoopMeter, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import type { Diagnostics } from './diagnostics.js';
import { METER_NAME } from './semconv.js';
import { VERSION } from './version.js';

const NOOP_METER = createNoopMeter().constructor;

function isNoop(meter: Meter): boolean {
  return meter instanceof NOOP_METER;
}

export class ProviderBinding {
  /** The meter instruments are created from now. */
  meter: Meter;
  /** True while llm follows the global provider and it is still the no-op one. */
  private pending: boolean;
  private seen: MeterProvider;

  constructor(
    given: MeterProvider | undefined,
    private readonly diagnostics: Diagnostics,
    private readonly onBind: (meter: Meter) => void,
  ) {
    const provider = given ?? metrics.getMeterProvider();
    this.seen = provider;
    this.meter = provider.getMeter(METER_NAME, VERSION);
    this.pending = given === undefined && isNoop(this.meter);
  }

  /** Called at every entry point: cheap unless no provider was there yet. */
  check(): void {
    if (!this.pending) return;
    const provider = metrics.getMeterProvider();
    if (provider === this.seen) {
      // Diagnostics says it once.
      this.diagnostics.warn(
        'no-provider',
        'no global MeterProvider is registered yet: measurements are dropped until one is (call registerMetrics() from @tokenmeter/setup, or pass meterProvider)',
      );
      return;
    }
    this.seen = provider;
    const meter = provider.getMeter(METER_NAME, VERSION);
    if (isNoop(meter)) return;
    this.meter = meter;
    this.pending = false;
    this.onBind(meter);
  }
}
