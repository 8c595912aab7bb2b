/**
 * The bound-series path: synchronous instruments whose series are found by
 * attributes identity (or bound once with `bind()`) and aggregated in place,
 * with no attribute hashing per record, handed to every reader of the
 * provider through one `MetricProducer` per reader.
 *
 * Why: the SDK hashes the attributes of every record, once per reader
 * (sorted keys + JSON.stringify, then a hash-map lookup): ~1 µs a record with
 * six attributes, most of a request's recording cost. Here a record with a
 * frozen attributes object is a WeakMap lookup and a few additions.
 *
 * What stays the SDK's: observable instruments, and every instrument that a
 * view selects or that a reader wants aggregated other than by default
 * (see eligibility.ts). Temporality, cardinality limits and the exported
 * `MetricData` follow the SDK's definitions, so OTLP, the Prometheus reader
 * and any other exporter see the same data either way.
 */
import { diag, type Meter, type MetricOptions, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, InstrumentType, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { Slices, sliceLength } from '../yielding.js';
import { BoundMeter } from './bound-meter.js';
import { BoundProducer } from './bound-producer.js';
import {
  type InstrumentIdentity,
  mayBind,
  type ReaderPreferences,
  type ViewPredicate,
} from './eligibility.js';
import { ExemplarHistogramCell } from './exemplar-histogram-cell.js';
import { ExemplarCounter, ExemplarHistogram } from './exemplar-instruments.js';
import { ExemplarHistogramStorage, ExemplarSumStorage } from './exemplar-storages.js';
import { ExemplarSumCell } from './exemplar-sum-cell.js';
import { HistogramCell } from './histogram-cell.js';
import { HistogramStorage } from './histogram-storage.js';
import { type BoundDescriptor, InstrumentCore } from './instrument-core.js';
import { BoundCounter, BoundGauge, BoundHistogram } from './instruments.js';
import { LastValueCell } from './last-value-cell.js';
import { LastValueStorage } from './last-value-storage.js';
import { SeriesTable } from './series-table.js';
import { SumCell } from './sum-cell.js';
import { SumStorage } from './sum-storage.js';

const NO_VIEW: ViewPredicate = () => false;

/** The SDK's default buckets for a histogram without advice. */
const SDK_DEFAULT_BOUNDARIES: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

export interface BoundSeriesOptions {
  /** Attribute sets per instrument, the overflow series included (N − 1 real + 1). */
  readonly cardinalityLimit: number;
  /**
   * True for an instrument one of the provider's views selects: it stays on
   * the SDK path. `selectedByAny(views)` for views we were given; the SDK's
   * own registry for a provider built elsewhere. @default no view selects any
   */
  readonly selectedByView?: ViewPredicate;
  /** Keep exemplars (the latest per histogram bucket / counter series, from sampled spans). @default false */
  readonly exemplars?: boolean;
  /** Samples collected between event-loop turns (see `yieldEvery` of the serializer); `0` collects in one pass. @default 8500 */
  readonly yieldEvery?: number;
}

type Instrument = BoundCounter | BoundHistogram | BoundGauge;
type AnyStorage = SumStorage | HistogramStorage | LastValueStorage;

interface Registered {
  readonly type: InstrumentType;
  readonly unit: string;
  readonly valueType: ValueType;
  readonly instrument: Instrument;
}

export interface Scope {
  readonly scope: ScopeMetrics['scope'];
  readonly storages: AnyStorage[];
  readonly byName: Map<string, Registered>;
  meter?: Meter;
}

/** Bucket boundaries as the SDK derives them from advice: sorted, without ±Infinity (or NaN). */
function boundariesOf(options: MetricOptions | undefined): readonly number[] {
  const advice = options?.advice?.explicitBucketBoundaries;
  if (!Array.isArray(advice)) return SDK_DEFAULT_BOUNDARIES;
  return Object.freeze(
    advice.filter((b) => typeof b === 'number' && Number.isFinite(b)).sort((a, b) => a - b),
  );
}

export class BoundRegistry {
  private readonly readers: (ReaderPreferences | undefined)[] = [];
  private readonly lastCollectMs: (number | undefined)[] = [];
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly options: BoundSeriesOptions) {}

  /** A producer for one more reader; `attach()` it to that reader before instruments are created. */
  producer(): BoundProducer {
    this.readers.push(undefined);
    this.lastCollectMs.push(undefined);
    return new BoundProducer(this, this.readers.length - 1);
  }

  /** @internal */
  attach(index: number, reader: ReaderPreferences): void {
    this.readers[index] = reader;
  }

  /**
   * The meter for a scope: bound sync instruments where eligible, `sdk`'s
   * otherwise. A name that is not a string is the empty one, as the SDK makes it.
   */
  meter(sdk: Meter, scopeName: unknown, version: string, schemaUrl: string | undefined): Meter {
    const name = typeof scopeName === 'string' ? scopeName : '';
    const key = `${name}\u0000${version}\u0000${schemaUrl ?? ''}`;
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      scope = {
        scope: schemaUrl === undefined ? { name, version } : { name, version, schemaUrl },
        storages: [],
        byName: new Map(),
      };
      this.scopes.set(key, scope);
    }
    scope.meter ??= new BoundMeter(sdk, this, scope);
    return scope.meter;
  }

  /** @internal A bound Counter or UpDownCounter, or undefined when the SDK must handle it. */
  sum(
    scope: Scope,
    name: string,
    options: MetricOptions | undefined,
    monotonic: boolean,
  ): BoundCounter | undefined {
    const type = monotonic ? InstrumentType.COUNTER : InstrumentType.UP_DOWN_COUNTER;
    // Exemplars on counters only: an up-down counter is a gauge to Prometheus, which has none.
    if (monotonic && this.options.exemplars) {
      return this.create(scope, name, options, type, (core, limit, slotOf) => {
        const table = new SeriesTable(
          name,
          limit,
          (attrs) => new ExemplarSumCell(attrs, Date.now(), core, true),
        );
        return [new ExemplarCounter(table), new ExemplarSumStorage(core, table, slotOf, true)];
      }) as BoundCounter | undefined;
    }
    return this.create(scope, name, options, type, (core, limit, slotOf) => {
      const table = new SeriesTable(name, limit, (attrs) => new SumCell(attrs, Date.now(), core, monotonic));
      return [new BoundCounter(table), new SumStorage(core, table, slotOf, monotonic)];
    }) as BoundCounter | undefined;
  }

  /** @internal */
  histogram(scope: Scope, name: string, options: MetricOptions | undefined): BoundHistogram | undefined {
    const boundaries = boundariesOf(options);
    if (this.options.exemplars) {
      return this.create(scope, name, options, InstrumentType.HISTOGRAM, (core, limit, slotOf) => {
        const table = new SeriesTable(
          name,
          limit,
          (attrs) => new ExemplarHistogramCell(attrs, Date.now(), core, boundaries),
        );
        return [new ExemplarHistogram(table), new ExemplarHistogramStorage(core, table, slotOf, boundaries)];
      }) as BoundHistogram | undefined;
    }
    return this.create(scope, name, options, InstrumentType.HISTOGRAM, (core, limit, slotOf) => {
      const table = new SeriesTable(
        name,
        limit,
        (attrs) => new HistogramCell(attrs, Date.now(), core, boundaries),
      );
      return [new BoundHistogram(table), new HistogramStorage(core, table, slotOf, boundaries)];
    }) as BoundHistogram | undefined;
  }

  /** @internal */
  gauge(scope: Scope, name: string, options: MetricOptions | undefined): BoundGauge | undefined {
    return this.create(scope, name, options, InstrumentType.GAUGE, (core, limit, slotOf) => {
      const table = new SeriesTable(name, limit, (attrs) => new LastValueCell(attrs, Date.now(), core));
      return [new BoundGauge(table), new LastValueStorage(core, table, slotOf)];
    }) as BoundGauge | undefined;
  }

  /**
   * @internal Every bound instrument's data for one reader, by scope, as a walk
   * that yields every `yieldEvery` samples (see `yielding.ts`).
   */
  *collect(reader: number): Generator<void, ScopeMetrics[], void> {
    const now = Date.now();
    const c = { reader, sinceMs: this.lastCollectMs[reader], endTime: millisToHrTime(now) };
    this.lastCollectMs[reader] = now;
    const slices = new Slices(sliceLength(this.options.yieldEvery));
    const out: ScopeMetrics[] = [];
    // Scopes and storages are only ever appended: iterating them across yields is safe.
    for (const scope of this.scopes.values()) {
      const metrics = [];
      for (let i = 0; i < scope.storages.length; i++) {
        const data = yield* (scope.storages[i] as AnyStorage).collect(c, slices);
        if (data !== undefined) metrics.push(data);
      }
      if (metrics.length > 0) out.push({ scope: scope.scope, metrics });
    }
    return out;
  }

  private create(
    scope: Scope,
    name: string,
    options: MetricOptions | undefined,
    type: InstrumentType,
    build: (core: InstrumentCore, limit: number, slotOf: number[]) => [Instrument, AnyStorage],
  ): Instrument | undefined {
    try {
      const unit = typeof options?.unit === 'string' ? options.unit : '';
      const valueType = options?.valueType === ValueType.INT ? ValueType.INT : ValueType.DOUBLE;
      const readers = this.readers.filter((r): r is ReaderPreferences => r !== undefined);
      const identity: InstrumentIdentity = {
        name,
        type,
        unit,
        meterName: scope.scope.name,
        meterVersion: scope.scope.version ?? '',
        meterSchemaUrl: scope.scope.schemaUrl,
      };
      if (typeof name !== 'string' || !mayBind(identity, this.options.selectedByView ?? NO_VIEW, readers)) {
        return undefined;
      }
      const key = name.toLowerCase();
      const existing = scope.byName.get(key);
      if (existing !== undefined) {
        // Same name, same kind: one stream, as the SDK merges identical registrations.
        if (existing.type === type && existing.unit === unit && existing.valueType === valueType) {
          return existing.instrument;
        }
        diag.warn(
          `tokenmeter: instrument "${name}" registered again with another kind, unit or value type; the second one is handled by the SDK as a conflicting registration`,
        );
        return undefined;
      }
      let limit = this.options.cardinalityLimit;
      const slotOf: number[] = [];
      let slots = 0;
      for (const r of this.readers) {
        if (r === undefined) {
          slotOf.push(-1);
          continue;
        }
        limit = Math.min(limit, r.selectCardinalityLimit(type));
        slotOf.push(r.selectAggregationTemporality(type) === AggregationTemporality.DELTA ? slots++ : -1);
      }
      const descriptor: BoundDescriptor = {
        name,
        description: typeof options?.description === 'string' ? options.description : '',
        unit,
        type,
        valueType,
        advice: options?.advice ?? {},
      };
      const [instrument, storage] = build(new InstrumentCore(descriptor, slots), Math.max(1, limit), slotOf);
      scope.byName.set(key, { type, unit, valueType, instrument });
      scope.storages.push(storage);
      return instrument;
    } catch (error) {
      diag.error(
        `tokenmeter: instrument "${String(name)}" could not take the bound-series path; using the SDK`,
        error,
      );
      return undefined;
    }
  }
}
