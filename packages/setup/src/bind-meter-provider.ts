/**
 * The bound-series path for a MeterProvider that is already built: the
 * application's own `new MeterProvider({ readers })`, or the one `NodeSDK`
 * builds from its `metricReaders` or from `OTEL_METRICS_EXPORTER`.
 *
 * Why it reads SDK internals: a reader takes `MetricProducer`s only in its
 * constructor and a provider takes readers only in its own, and NodeSDK
 * builds both from environment variables where no factory of ours can reach
 * (`createBoundMeterProvider()` covers the providers an application builds
 * itself). So this reads what SDK 3.x keeps in `MeterProvider._sharedState`
 * (its readers, its views) and gives each reader one more producer through
 * `MetricReader._metricProducers`, which `collect()` reads every time. When
 * any of that is not as expected (another SDK major, a provider that is not
 * the SDK's, a reader that is not a `MetricReader`), the provider is returned
 * unchanged with a diag warning: the SDK's path is always correct, only slower.
 */
import { createNoopMeter, diag, type MeterProvider, ValueType } from '@opentelemetry/api';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { AdoptedMeterProvider } from './bound/adopted-meter-provider.js';
import { BoundMeterProvider } from './bound/bound-meter-provider.js';
import { BoundRegistry } from './bound/bound-registry.js';
import type { ReaderPreferences, ViewPredicate } from './bound/eligibility.js';
import { ConfigurationError } from './errors.js';
import { booleanOption, intOption, MAX_CARDINALITY_LIMIT, MIN_CARDINALITY_LIMIT } from './resolve-config.js';

export interface BindMeterProviderOptions {
  /**
   * Attribute sets per bound instrument, the overflow series included, for
   * the life of the instrument. An integer from 2 to 10,000,000.
   * @default each reader's own limit (its `cardinalityLimits`, else the SDK's 2000)
   */
  cardinalityLimit?: number;
  /** Keep exemplars from sampled spans, as `registerMetrics({ exemplars: true })`. @default false */
  exemplars?: boolean;
}

/** An SDK 3.x reader as far as binding needs it. */
interface SdkReader extends ReaderPreferences {
  _metricProducers: MetricProducer[];
}

interface Internals {
  readers: SdkReader[];
  selects: ViewPredicate;
  isShutdown: () => boolean;
}

type Loose = Partial<Record<string, unknown>> | null | undefined;

const NOOP_METER = createNoopMeter().constructor;

/** Providers bound already, so that a second call cannot add a second producer to each reader. */
const bound = new WeakMap<object, MeterProvider>();

function isFunction(v: unknown): v is (...args: never[]) => unknown {
  return typeof v === 'function';
}

/** The provider's readers, views and shutdown flag, or why they cannot be used. */
function internalsOf(provider: object): Internals | string {
  const p = provider as Loose;
  const shared = p?._sharedState as Loose;
  const collectors = shared?.metricCollectors;
  const views = shared?.viewRegistry as Loose;
  if (
    typeof p?._shutdown !== 'boolean' ||
    !Array.isArray(collectors) ||
    !views ||
    !isFunction(views.findViews)
  ) {
    return 'it is not an OpenTelemetry JS SDK 3.x MeterProvider';
  }
  const readers: SdkReader[] = [];
  for (const [i, collector] of collectors.entries()) {
    const r = (collector as Loose)?._metricReader as Loose;
    const ok =
      Array.isArray(r?._metricProducers) &&
      isFunction(r?.selectAggregation) &&
      isFunction(r?.selectAggregationTemporality) &&
      isFunction(r?.selectCardinalityLimit);
    // One reader without the producer would silently miss every bound series: all or none.
    if (!ok) return `its reader ${i} is not an SDK MetricReader (it takes no MetricProducer)`;
    readers.push(r as unknown as SdkReader);
  }
  const findViews = (views.findViews as (i: object, s: object) => unknown).bind(views);
  return {
    readers,
    selects: (i) => {
      const found = findViews(
        {
          name: i.name,
          type: i.type,
          unit: i.unit,
          description: '',
          valueType: ValueType.DOUBLE,
          advice: {},
        },
        { name: i.meterName, version: i.meterVersion, schemaUrl: i.meterSchemaUrl },
      );
      // Anything but an empty list (a view, or an answer we do not understand) keeps the SDK's path.
      return !Array.isArray(found) || found.length > 0;
    },
    isShutdown: () => p?._shutdown === true,
  };
}

function isNoop(provider: MeterProvider): boolean {
  try {
    return provider.getMeter('@tokenmeter/setup') instanceof NOOP_METER;
  } catch {
    return false;
  }
}

/**
 * `provider` with the bound-series path: the returned MeterProvider's meters
 * record `Counter`, `UpDownCounter`, `Histogram` and `Gauge` measurements
 * into bound series that every reader of `provider` collects through a
 * `MetricProducer` of its own. Instruments one of the provider's views
 * selects, observable instruments, and instruments a reader aggregates other
 * than by default stay `provider`'s. Flush and shutdown are `provider`'s.
 * Binding the same provider again returns the first result.
 *
 * A provider it cannot bind is returned unchanged with a diag warning: the
 * API's no-op provider (NodeSDK not started yet, or metrics turned off), or
 * one whose SDK internals are not as expected.
 *
 * @throws ConfigurationError for something that is not a MeterProvider, and
 *   for a `cardinalityLimit` or `exemplars` it cannot use.
 */
export function bindMeterProvider(
  provider: MeterProvider,
  options: BindMeterProviderOptions = {},
): MeterProvider {
  const limit =
    intOption('cardinalityLimit', options.cardinalityLimit, MIN_CARDINALITY_LIMIT, MAX_CARDINALITY_LIMIT) ??
    MAX_CARDINALITY_LIMIT;
  const exemplars = booleanOption('exemplars', options.exemplars) ?? false;
  if (typeof provider !== 'object' || provider === null || !isFunction(provider.getMeter)) {
    throw new ConfigurationError('provider', provider, 'a MeterProvider');
  }
  if (provider instanceof BoundMeterProvider || provider instanceof AdoptedMeterProvider) return provider;
  const known = bound.get(provider);
  if (known !== undefined) return known;
  const internals = internalsOf(provider);
  if (typeof internals === 'string') {
    // Not an error: OTEL_METRICS_EXPORTER=none leaves NodeSDK without a provider, and turning
    // metrics off must not stop the application. Binding before NodeSDK.start() is the mistake
    // this warning is for.
    const why = isNoop(provider)
      ? "it is the API's no-op MeterProvider (nothing is recorded): bind after NodeSDK.start(), which registers the SDK's; expected only when metrics are off (OTEL_METRICS_EXPORTER=none)"
      : `it left the provider on the SDK's record path: ${internals}`;
    diag.warn(`tokenmeter: bindMeterProvider(): ${why}`);
    return provider;
  }
  if (internals.isShutdown()) return provider;
  const registry = new BoundRegistry({
    cardinalityLimit: limit,
    exemplars,
    selectedByView: internals.selects,
  });
  for (const reader of internals.readers) {
    const own = registry.producer();
    // A new array: the old one may be the application's own `metricProducers` option.
    reader._metricProducers = [...reader._metricProducers, own];
    own.attach(reader);
  }
  const result = new AdoptedMeterProvider(provider, registry, internals.isShutdown);
  bound.set(provider, result);
  return result;
}
