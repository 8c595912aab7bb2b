import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrometheusSerializer } from '../src/prometheus-serializer.js';
import { ProtobufSerializer } from '../src/protobuf-serializer.js';
import { histogramSamples, runYielding, Slices, samplesOf, sliceLength } from '../src/yielding.js';
import { boundReader } from './helpers/bound-reader.js';

/** A walk of `units` units that asks `slices` before each one; returns the units done before each pause. */
function* walk(units: number, slices: Slices): Generator<void, number[], void> {
  const pausesAfter: number[] = [];
  for (let i = 0; i < units; i++) {
    if (slices.due()) {
      pausesAfter.push(i);
      yield;
    }
  }
  return pausesAfter;
}

/** Whether the event loop took a turn while `work` ran: a setImmediate queued first has run by its end. */
async function tookATurn(work: () => Promise<unknown>): Promise<boolean> {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  await work();
  return turned;
}

describe('Slices', () => {
  it('pauses after every full slice, never after the last unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), (units, length) => {
        const steps = walk(units, new Slices(length));
        let step = steps.next();
        while (step.done !== true) step = steps.next();
        const expected: number[] = [];
        for (let done = length; done < units; done += length) expected.push(done);
        expect(step.value).toEqual(expected);
      }),
    );
  });

  it('counts samples: pauses before the unit that comes after a full slice of samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 100 }),
        (weights, length) => {
          const slices = new Slices(length);
          const got = weights.flatMap((w, i) => (slices.due(w) ? [i] : []));
          const expected: number[] = [];
          let filled = 0;
          weights.forEach((w, i) => {
            if (filled >= length) {
              expected.push(i);
              filled = 0;
            }
            filled += w;
          });
          expect(got).toEqual(expected);
        },
      ),
    );
  });

  it('weighs a series by its samples in the text format', () => {
    expect(samplesOf(42)).toBe(1);
    // 14 boundaries: 15 buckets, `_sum`, `_count`.
    expect(samplesOf({ buckets: { boundaries: new Array(14).fill(1), counts: new Array(15).fill(0) } })).toBe(
      17,
    );
    expect(samplesOf({ counts: [0, 0, 0] })).toBe(5);
    expect(
      samplesOf({
        positive: { offset: 0, bucketCounts: [1, 2] },
        negative: { offset: 0, bucketCounts: [3] },
      }),
    ).toBe(6);
    expect(histogramSamples(15)).toBe(17);
  });

  it('never pauses when yieldEvery is 0', () => {
    const steps = walk(10_000, new Slices(sliceLength(0)));
    expect(steps.next()).toEqual({ done: true, value: [] });
  });

  it('gives the event loop a turn at each pause', async () => {
    expect(await tookATurn(() => runYielding(walk(10, new Slices(10))))).toBe(false);
    expect(await tookATurn(() => runYielding(walk(11, new Slices(10))))).toBe(true);
  });
});

describe('a scrape of exactly one slice', () => {
  async function rm(series: number) {
    const reader = new TestMetricReader();
    const counter = new MeterProvider({ readers: [reader] }).getMeter('m').createCounter('c');
    for (let i = 0; i < series; i++) counter.add(1, { i });
    return (await reader.collect()).resourceMetrics;
  }

  it('finishes without a turn of the event loop, in every format', async () => {
    const full = await rm(10);
    const text = new PrometheusSerializer({ yieldEvery: 10 });
    const protobuf = new ProtobufSerializer({ yieldEvery: 10 });
    expect(await tookATurn(() => text.serialize(full))).toBe(false);
    expect(await tookATurn(() => text.serialize(full, 'openmetrics'))).toBe(false);
    expect(await tookATurn(() => protobuf.serializeChunks(full))).toBe(false);
    // One series more and the walk pauses once, before that series.
    const over = await rm(11);
    expect(await tookATurn(() => text.serialize(over))).toBe(true);
    expect(await tookATurn(() => protobuf.serializeChunks(over))).toBe(true);
  });

  it('counts a histogram series as its samples, in collection and in every format', async () => {
    // Three boundaries: 4 buckets + `_sum` + `_count` = 6 samples a series; a slice of 12 holds two.
    const { provider, reader } = boundReader({ cardinalityLimit: 100, yieldEvery: 12 });
    const histogram = provider
      .getMeter('m')
      .createHistogram('h', { advice: { explicitBucketBoundaries: [1, 2, 3] } });
    histogram.record(1, Object.freeze({ i: 0 }));
    histogram.record(1, Object.freeze({ i: 1 }));
    const text = new PrometheusSerializer({ yieldEvery: 12 });
    const protobuf = new ProtobufSerializer({ yieldEvery: 12 });
    let collected = (await reader.collect()).resourceMetrics;
    expect(await tookATurn(() => reader.collect())).toBe(false);
    expect(await tookATurn(() => text.serialize(collected))).toBe(false);
    expect(await tookATurn(() => protobuf.serializeChunks(collected))).toBe(false);
    histogram.record(1, Object.freeze({ i: 2 }));
    collected = (await reader.collect()).resourceMetrics;
    expect(await tookATurn(() => reader.collect())).toBe(true);
    expect(await tookATurn(() => text.serialize(collected))).toBe(true);
    expect(await tookATurn(() => protobuf.serializeChunks(collected))).toBe(true);
  });

  it('collects bound series without a turn of the event loop, and pauses once for one series more', async () => {
    const { provider, reader } = boundReader({ cardinalityLimit: 100, yieldEvery: 10 });
    const counter = provider.getMeter('m').createCounter('c');
    for (let i = 0; i < 10; i++) counter.add(1, Object.freeze({ i }));
    expect(await tookATurn(() => reader.collect())).toBe(false);
    counter.add(1, Object.freeze({ i: 10 }));
    expect(await tookATurn(() => reader.collect())).toBe(true);
  });
});
