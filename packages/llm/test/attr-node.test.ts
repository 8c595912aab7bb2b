import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import { AttrBudget, AttrNode } from '../src/attributes.js';
import { Diagnostics } from '../src/diagnostics.js';

function root(left = 1000): AttrNode {
  return AttrNode.root(new AttrBudget(left, new Diagnostics()));
}

describe('AttrNode.with', () => {
  it('returns one frozen node per key and value, for few children (array) and many (Map) alike', () => {
    const r = root();
    const values = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `model-${i}` : i));
    const first = values.map((v) => r.with('k', v));
    // Built from fresh strings, so a hit cannot rest on string identity.
    const again = values.map((v) => r.with('k', typeof v === 'string' ? `model-${v.slice(6)}` : v));
    for (let i = 0; i < values.length; i++) {
      expect(again[i]).toBe(first[i]);
      expect(first[i]?.attrs).toEqual({ k: values[i] });
      expect(Object.isFrozen(first[i]?.attrs)).toBe(true);
    }
    expect(new Set(first).size).toBe(values.length);
    // Same value under another key, and the numeric 1 against the string '1', are other sets.
    expect(r.with('other', 'model-0')).not.toBe(first[0]);
    expect(r.with('k', '1')).not.toBe(r.with('k', 1));
    expect(r.with('k', undefined)).toBe(r);
  });

  it('derives sets key by key and keeps the parent unchanged', () => {
    const base = root().with('a', 'x').with('b', 2);
    const child = base.with('c', 'y');
    expect(child.attrs).toEqual({ a: 'x', b: 2, c: 'y' });
    expect(base.attrs).toEqual({ a: 'x', b: 2 });
    expect(base.with('c', 'y')).toBe(child);
  });

  it('past its budget still returns correct sets, fresh ones that are not kept', () => {
    const r = root(2);
    const a = r.with('k', 'a');
    const b = r.with('k', 'b');
    const c = r.with('k', 'c');
    expect(r.with('k', 'a')).toBe(a);
    expect(r.with('k', 'b')).toBe(b);
    expect(c.attrs).toEqual({ k: 'c' });
    expect(r.with('k', 'c')).not.toBe(c);
  });
});

describe('AttrNode.add / record', () => {
  it('on a stock SDK provider, records into the series of its attributes', async () => {
    const reader = new TestMetricReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('t');
    const counter = meter.createCounter('c');
    const histogram = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
    const r = root();
    for (let i = 0; i < 12; i++) {
      const n = r.with('model', `m${i % 3}`);
      n.add(counter, 2);
      n.record(histogram, i);
    }
    const { resourceMetrics } = await reader.collect();
    const [c, h] = resourceMetrics.scopeMetrics[0]?.metrics ?? [];
    expect(c?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ model: 'm0' }, 8],
      [{ model: 'm1' }, 8],
      [{ model: 'm2' }, 8],
    ]);
    expect(h?.dataPoints.map((p) => [p.attributes, (p.value as { sum: number }).sum])).toEqual([
      [{ model: 'm0' }, 0 + 3 + 6 + 9],
      [{ model: 'm1' }, 1 + 4 + 7 + 10],
      [{ model: 'm2' }, 2 + 5 + 8 + 11],
    ]);
  });

  // A stand-in instrument (no real one lets a test see bind() calls); the
  // bound provider itself is raced against the SDK in test/record-paths.
  it('binds an instrument that offers bind() once per set, and falls back when bind() gives nothing usable', () => {
    const binds: Attributes[] = [];
    const adds: [Attributes, number][] = [];
    const bindable = {
      add: (v: number, a?: Attributes) => adds.push([a ?? {}, -v]),
      bind(a: Attributes) {
        binds.push(a);
        return { add: (v: number) => adds.push([a, v]) };
      },
    } as unknown as Counter;
    const broken = {
      record: (v: number, a?: Attributes) => adds.push([a ?? {}, v * 100]),
      bind: () => ({}),
    } as unknown as Histogram;
    const r = root();
    const x = r.with('m', 'x');
    const y = r.with('m', 'y');
    x.add(bindable, 1);
    x.add(bindable, 2);
    y.add(bindable, 3);
    x.record(broken, 4);
    x.record(broken, 5);
    expect(binds).toEqual([{ m: 'x' }, { m: 'y' }]);
    expect(adds).toEqual([
      [{ m: 'x' }, 1],
      [{ m: 'x' }, 2],
      [{ m: 'y' }, 3],
      [{ m: 'x' }, 400],
      [{ m: 'x' }, 500],
    ]);
  });
});
