/**
 * The serializers find what they rendered for a bound series by its index in
 * the instrument's table (series-index.ts) instead of by a hash lookup of its
 * attributes object. These tests hold that path to the output of the lookup
 * by attributes (the same collection with the indexes stripped), scrape after
 * scrape, and check that a misaligned index can never serve another series'
 * labels.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrometheusSerializer } from '../src/prometheus-serializer.js';
import { ProtobufSerializer } from '../src/protobuf-serializer.js';
import { SeriesByteSlots, SlotsByTable } from '../src/series-byte-slots.js';
import { indexSeries, seriesIndexesOf } from '../src/series-index.js';
import { boundReader } from './helpers/bound-reader.js';

/** A bound provider with one collecting reader and four instruments over two scopes. */
function boundStore() {
  const { provider, reader } = boundReader({ cardinalityLimit: 1000 });
  const app = provider.getMeter('app', '1.2.0');
  const lib = provider.getMeter('lib');
  const instruments = [
    app.createCounter('app.requests', { description: 'Requests.' }),
    app.createUpDownCounter('app.active', { unit: '{request}' }),
    lib.createGauge('lib.temperature', { unit: 'Cel' }),
    app.createHistogram('app.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } }),
  ];
  const record = (instrument: number, value: number, attributes: Attributes): void => {
    const i = instruments[instrument];
    if (i === undefined) return;
    if ('add' in i) i.add(value, attributes);
    else i.record(value, attributes);
  };
  return { reader, record };
}

/** The same collection with every metric copied: nothing in it carries series indexes. */
function withoutIndexes(rm: ResourceMetrics): ResourceMetrics {
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((s) => ({ scope: s.scope, metrics: s.metrics.map((m) => ({ ...m })) })),
  };
}

/** Every format's body of `rm` from the given serializers. */
async function bodies(rm: ResourceMetrics, text: PrometheusSerializer, protobuf: ProtobufSerializer) {
  return {
    text: await text.serialize(rm, 'text'),
    openmetrics: await text.serialize(rm, 'openmetrics'),
    protobuf: Buffer.concat(await protobuf.serializeChunks(rm)).toString('base64'),
  };
}

const attributeValue = fc.oneof(
  fc.constantFrom('a', 'b', 'x"y', 'ü', ''),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constant(['p', 'q']),
);
const attributes = fc.dictionary(
  fc.constantFrom('route', 'method', 'gen_ai.request.model', 'le', 'otel_scope_name'),
  attributeValue,
  {
    maxKeys: 3,
  },
);
const record = fc.record({
  instrument: fc.integer({ min: 0, max: 3 }),
  value: fc.integer({ min: 0, max: 50 }),
  attributes,
  frozen: fc.boolean(),
});

describe('series found by index', () => {
  it('render exactly what the lookup by attributes renders, in every format, scrape after scrape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(record, { maxLength: 25 }), { minLength: 1, maxLength: 4 }),
        // Without scope labels a series without attributes has no labels at all (`name value`).
        fc.record({ withoutScopeInfo: fc.boolean(), withoutCreated: fc.boolean() }),
        async (scrapes, options) => {
          const store = boundStore();
          const serializers = () => ({
            text: new PrometheusSerializer(options),
            protobuf: new ProtobufSerializer(options),
          });
          const indexed = serializers();
          const plain = serializers();
          for (const records of scrapes) {
            for (const r of records) {
              store.record(
                r.instrument,
                r.value,
                r.frozen ? Object.freeze({ ...r.attributes }) : r.attributes,
              );
            }
            const { resourceMetrics } = await store.reader.collect();
            // Every bound metric carries its indexes, so the path under test is the one taken.
            for (const s of resourceMetrics.scopeMetrics) {
              for (const m of s.metrics)
                expect(seriesIndexesOf(m)?.indexes).toHaveLength(m.dataPoints.length);
            }
            const viaIndex = await bodies(resourceMetrics, indexed.text, indexed.protobuf);
            const viaAttributes = await bodies(withoutIndexes(resourceMetrics), plain.text, plain.protobuf);
            expect(viaIndex).toEqual(viaAttributes);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never serve another series’ bytes when the indexes do not match the points', async () => {
    const store = boundStore();
    for (let i = 0; i < 5; i++) {
      const a = Object.freeze({ route: `/r/${i}` });
      store.record(0, i + 1, a);
      store.record(3, i, a);
    }
    const text = new PrometheusSerializer();
    const protobuf = new ProtobufSerializer();
    const { resourceMetrics } = await store.reader.collect();
    // Fills each series' slot by its real index.
    await bodies(resourceMetrics, text, protobuf);
    // The same metrics with their points reversed, handed over with the original order's indexes.
    const misaligned: ResourceMetrics = {
      resource: resourceMetrics.resource,
      scopeMetrics: resourceMetrics.scopeMetrics.map((s) => ({
        scope: s.scope,
        metrics: s.metrics.map((m) => {
          const copy = { ...m, dataPoints: [...m.dataPoints].reverse() } as MetricData;
          const original = seriesIndexesOf(m);
          if (original !== undefined) indexSeries(copy, original.table, original.indexes);
          return copy;
        }),
      })),
    };
    const got = await bodies(misaligned, text, protobuf);
    const want = await bodies(
      withoutIndexes(misaligned),
      new PrometheusSerializer(),
      new ProtobufSerializer(),
    );
    expect(got).toEqual(want);
    expect(got.text).toContain(
      'app_requests_total{route="/r/4",otel_scope_name="app",otel_scope_version="1.2.0"} 5\n',
    );
  });
});

describe('SeriesByteSlots', () => {
  it('keeps bytes only for a frozen attributes object, and only for that object', () => {
    const slots = new SeriesByteSlots('k');
    const frozen = Object.freeze({ a: 1 });
    const open = { a: 1 };
    slots.set(0, frozen, Buffer.from('x'));
    slots.set(1, open, Buffer.from('y'));
    expect(slots.get(0, frozen)?.toString()).toBe('x');
    expect(slots.get(0, Object.freeze({ a: 1 }))).toBeUndefined();
    expect(slots.get(1, open)).toBeUndefined();
  });

  it('start afresh for a table rendered under another key', () => {
    const byTable = new SlotsByTable<string>();
    const table = {};
    const attrs = Object.freeze({ a: 1 });
    byTable.of(table, 'scope-a').set(0, attrs, Buffer.from('x'));
    expect(byTable.of(table, 'scope-a').get(0, attrs)?.toString()).toBe('x');
    expect(byTable.of(table, 'scope-b').get(0, attrs)).toBeUndefined();
  });
});
