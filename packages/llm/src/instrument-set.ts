/**
 * Creates the API instruments from the definitions table. Instruments that do
 * not exist in the active semconv shape are backed by a no-op meter so the
 * recording code needs no shape branches for them and nothing is exported.
 */
import {
  type Counter,
  createNoopMeter,
  type Gauge,
  type Histogram,
  type Meter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
  ValueType,
} from '@opentelemetry/api';
import {
  INSTRUMENTS,
  type InstrumentDefinition,
  type InstrumentKeyOfKind,
  type SemconvShape,
} from './instruments.js';

export interface InstrumentSet {
  readonly histogram: Readonly<Record<InstrumentKeyOfKind<'histogram'>, Histogram>>;
  readonly counter: Readonly<Record<InstrumentKeyOfKind<'counter'>, Counter>>;
  readonly upDown: Readonly<Record<InstrumentKeyOfKind<'updowncounter'>, UpDownCounter>>;
  readonly gauge: Readonly<Record<InstrumentKeyOfKind<'gauge'>, Gauge>>;
  readonly observableGauge: Readonly<Record<InstrumentKeyOfKind<'observable_gauge'>, ObservableGauge>>;
  readonly observableUpDown: Readonly<
    Record<InstrumentKeyOfKind<'observable_updowncounter'>, ObservableUpDownCounter>
  >;
}

export function createInstrumentSet(meter: Meter, shape: SemconvShape): InstrumentSet {
  const noop = createNoopMeter();
  const histogram: Record<string, Histogram> = {};
  const counter: Record<string, Counter> = {};
  const upDown: Record<string, UpDownCounter> = {};
  const gauge: Record<string, Gauge> = {};
  const observableGauge: Record<string, ObservableGauge> = {};
  const observableUpDown: Record<string, ObservableUpDownCounter> = {};
  for (const def of INSTRUMENTS as readonly InstrumentDefinition[]) {
    const from = def.shapes.includes(shape) ? meter : noop;
    const opts = {
      description: def.description,
      unit: def.unit,
      valueType: def.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE,
    };
    switch (def.kind) {
      case 'histogram':
        histogram[def.key] = from.createHistogram(def.name, {
          ...opts,
          advice: { explicitBucketBoundaries: [...(def.buckets ?? [])] },
        });
        break;
      case 'counter':
        counter[def.key] = from.createCounter(def.name, opts);
        break;
      case 'updowncounter':
        upDown[def.key] = from.createUpDownCounter(def.name, opts);
        break;
      case 'gauge':
        gauge[def.key] = from.createGauge(def.name, opts);
        break;
      case 'observable_gauge':
        observableGauge[def.key] = from.createObservableGauge(def.name, opts);
        break;
      case 'observable_updowncounter':
        observableUpDown[def.key] = from.createObservableUpDownCounter(def.name, opts);
        break;
    }
  }
  // The loop filled every key of the closed unions above. Objects grown by
  // 20+ keyed stores are in V8's dictionary mode, which made every
  // `ctx.instruments.histogram.x` on the record path a hash lookup; a spread copy is a
  // fast-properties object.
  return {
    histogram: { ...histogram },
    counter: { ...counter },
    upDown: { ...upDown },
    gauge: { ...gauge },
    observableGauge: { ...observableGauge },
    observableUpDown: { ...observableUpDown },
  } as unknown as InstrumentSet;
}
