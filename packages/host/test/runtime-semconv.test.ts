import { afterEach, describe, expect, it } from 'vitest';
import { type HostMetricsHandle, registerHostMetrics } from '../src/index.js';
import { collectAll, testProvider } from './helpers.js';

// The Node.js and V8 runtime metrics of core semantic-conventions v1.44.0
// (model/nodejs/metrics.yaml, model/v8js/metrics.yaml, docs/runtime/v8js-metrics.md
// for the bucket advice), written out by hand so a drift in runtime-group.ts
// fails here. v1.42.0 renamed `v8js.memory.heap.limit` to
// `v8js.memory.heap.space.size` and changed the GC buckets.
const GC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

interface Row {
  name: string;
  /** The SDK's instrument type as the reader sees it. */
  type: 'OBSERVABLE_GAUGE' | 'OBSERVABLE_COUNTER' | 'OBSERVABLE_UP_DOWN_COUNTER' | 'HISTOGRAM';
  unit: string;
  /** The Required attribute, and the values it may take (undefined: any). */
  attribute?: [string, readonly string[] | undefined];
  buckets?: number[];
}

const SPACE: Row['attribute'] = ['v8js.heap.space.name', undefined];
const TABLE: Row[] = [
  ...['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map(
    (s): Row => ({ name: `nodejs.eventloop.delay.${s}`, type: 'OBSERVABLE_GAUGE', unit: 's' }),
  ),
  { name: 'nodejs.eventloop.utilization', type: 'OBSERVABLE_GAUGE', unit: '1' },
  {
    name: 'nodejs.eventloop.time',
    type: 'OBSERVABLE_COUNTER',
    unit: 's',
    attribute: ['nodejs.eventloop.state', ['active', 'idle']],
  },
  {
    name: 'v8js.gc.duration',
    type: 'HISTOGRAM',
    unit: 's',
    attribute: ['v8js.gc.type', ['major', 'minor', 'incremental', 'weakcb']],
    buckets: GC_BUCKETS,
  },
  { name: 'v8js.memory.heap.used', type: 'OBSERVABLE_UP_DOWN_COUNTER', unit: 'By', attribute: SPACE },
  { name: 'v8js.memory.heap.space.size', type: 'OBSERVABLE_UP_DOWN_COUNTER', unit: 'By', attribute: SPACE },
  {
    name: 'v8js.memory.heap.space.available_size',
    type: 'OBSERVABLE_UP_DOWN_COUNTER',
    unit: 'By',
    attribute: SPACE,
  },
  {
    name: 'v8js.memory.heap.space.physical_size',
    type: 'OBSERVABLE_UP_DOWN_COUNTER',
    unit: 'By',
    attribute: SPACE,
  },
  {
    name: 'v8js.resource.active',
    type: 'OBSERVABLE_GAUGE',
    unit: '{resource}',
    attribute: ['v8js.resource.type', undefined],
  },
];
/** Deprecated in core (renamed): must not be emitted. */
const DEPRECATED = [
  'v8js.memory.heap.limit',
  'v8js.heap.space.available_size',
  'v8js.heap.space.physical_size',
];

let handle: HostMetricsHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

describe('runtime metrics follow the current runtime semantic conventions', () => {
  it('names, kinds, units, required attributes and GC buckets; no deprecated names', async () => {
    const { provider, reader } = testProvider();
    handle = registerHostMetrics({ meterProvider: provider, host: false, process: false, gpu: false });
    await handle.ready;
    // Enough event-loop delay samples (10 ms resolution) for the delay stats, and some garbage to collect.
    const keep: unknown[] = [];
    const until = performance.now() + 150;
    while (performance.now() < until) {
      for (let i = 0; i < 100_000; i++) keep.push({ i });
      keep.length = 0;
      await new Promise((r) => setTimeout(r, 15));
    }
    await handle.sampleNow();
    // A timer that is surely active while collecting, for the resource gauge.
    const hold = setInterval(() => {}, 60_000);
    const m = await collectAll(reader);
    clearInterval(hold);
    const runtime = [...m.keys()].filter((n) => n.startsWith('nodejs.') || n.startsWith('v8js.')).sort();
    expect(runtime).toEqual(TABLE.map((r) => r.name).sort());
    for (const name of DEPRECATED) expect(m.has(name), name).toBe(false);
    for (const row of TABLE) {
      const found = m.get(row.name);
      expect(found, row.name).toBeDefined();
      if (!found) continue;
      expect([found.type, found.unit], row.name).toEqual([row.type, row.unit]);
      expect(found.points.length, `${row.name} has no points`).toBeGreaterThan(0);
      for (const p of found.points) {
        const keys = Object.keys(p.attributes);
        if (!row.attribute) {
          expect(keys, row.name).toEqual([]);
          continue;
        }
        const [key, values] = row.attribute;
        expect(keys, row.name).toEqual([key]);
        if (values) expect(values, `${row.name} ${key}`).toContain(p.attributes[key]);
        if (row.buckets)
          expect((p.value as unknown as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual(
            row.buckets,
          );
      }
    }
    // The heap figures are V8's own: for every space, used ≤ size and the spaces V8 lists are there.
    const by = (name: string) =>
      new Map(m.get(name)?.points.map((p) => [p.attributes['v8js.heap.space.name'], p.value]));
    const used = by('v8js.memory.heap.used');
    const size = by('v8js.memory.heap.space.size');
    expect([...used.keys()]).toEqual(expect.arrayContaining(['new_space', 'old_space', 'code_space']));
    for (const [space, u] of used) expect(u, String(space)).toBeLessThanOrEqual(size.get(space) ?? -1);
    // The interval held during the collection is counted as an active Timeout.
    const timers = m
      .get('v8js.resource.active')
      ?.points.find((p) => p.attributes['v8js.resource.type'] === 'Timeout');
    expect(timers?.value).toBeGreaterThanOrEqual(1);
  });
});
