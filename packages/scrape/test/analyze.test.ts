import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  analyze,
  compareAnalyses,
  parseExposition,
  type RecordedSample,
  renderComparisonMarkdown,
  renderCsv,
  renderJson,
  renderMarkdown,
} from '../src/index.js';
import { resultRows } from '../src/sinks/recorded-sample.js';

const T0 = 1_700_000_000_000;
function up(ts: number, target = 't', value = 1): RecordedSample {
  return {
    ts,
    target,
    family: 'tokenmeter_scrape_up',
    type: 'gauge',
    name: 'tokenmeter_scrape_up',
    labels: {},
    value,
  };
}
function counter(ts: number, value: number, labels = {}, target = 't'): RecordedSample {
  return { ts, target, family: 'req_total', type: 'counter', name: 'req_total', labels, value };
}
function hist(ts: number, buckets: [string, number][], sum: number, target = 't'): RecordedSample[] {
  const base = { ts, target, family: 'lat_seconds', type: 'histogram' as const };
  const count = buckets.at(-1)?.[1] ?? 0;
  return [
    ...buckets.map(([le, v]) => ({ ...base, name: 'lat_seconds_bucket', labels: { le }, value: v })),
    { ...base, name: 'lat_seconds_sum', labels: {}, value: sum },
    { ...base, name: 'lat_seconds_count', labels: {}, value: count },
  ];
}

describe('analyze', () => {
  it('turns counters into reset-aware increases and rates', () => {
    const rows = [
      up(T0),
      counter(T0, 100),
      up(T0 + 10_000),
      counter(T0 + 10_000, 150),
      up(T0 + 20_000),
      counter(T0 + 20_000, 20),
      up(T0 + 30_000),
      counter(T0 + 30_000, 50),
    ];
    const a = analyze(rows, { intervals: true });
    const s = a.series.find((x) => x.name === 'req_total');
    expect(s).toMatchObject({ kind: 'counter', increase: 50 + 20 + 30, resets: 1, points: 4, seconds: 30 });
    expect(s?.rate).toBeCloseTo(100 / 30);
    expect(a.intervals?.filter((i) => i.name === 'req_total').map((i) => i.value)).toEqual([50, 20, 30]);
    expect(a.intervals?.[0]?.rate).toBe(5);
    expect(a.targets).toEqual([{ target: 't', scrapes: 4, failed: 0, first: T0, last: T0 + 30_000 }]);
  });

  it('counts a series that appears mid-run from zero (lazily created labels)', () => {
    const rows = [up(T0), up(T0 + 1000), counter(T0 + 1000, 3, { reason: 'abort' })];
    expect(analyze(rows).series[0]).toMatchObject({ increase: 3, points: 1 });
  });

  it('does not count lifetime totals after a failed first scrape', () => {
    const rows = [
      up(T0, 't', 0),
      up(T0 + 1000),
      counter(T0 + 1000, 500),
      up(T0 + 2000),
      counter(T0 + 2000, 510),
    ];
    expect(analyze(rows).series[0]).toMatchObject({ increase: 10 });
  });

  it('summarises histograms over the recording (bucket increases) and per interval', () => {
    const rows = [
      up(T0),
      ...hist(
        T0,
        [
          ['0.1', 100],
          ['1', 200],
          ['+Inf', 200],
        ],
        50,
      ),
      up(T0 + 10_000),
      ...hist(
        T0 + 10_000,
        [
          ['0.1', 110],
          ['1', 120 + 100],
          ['+Inf', 220],
        ],
        50 + 5,
      ),
      up(T0 + 20_000),
      // server restarted: counts start over
      ...hist(
        T0 + 20_000,
        [
          ['0.1', 0],
          ['1', 10],
          ['+Inf', 10],
        ],
        6,
      ),
    ];
    const a = analyze(rows, { intervals: true });
    const h = a.series.find((s) => s.kind === 'histogram');
    // +10 in <=0.1, +10 in (0.1,1] in the first interval; +10 in (0.1,1] after the reset.
    expect(h).toMatchObject({ increase: 30, sum: 11, name: 'lat_seconds', labels: {} });
    expect(h?.mean).toBeCloseTo(11 / 30);
    expect(h?.p50).toBeCloseTo(0.1 + 0.9 * (5 / 20));
    const iv = a.intervals?.filter((i) => i.kind === 'histogram');
    expect(iv?.map((i) => i.value)).toEqual([20, 10]);
    expect(iv?.[0]?.p50).toBeCloseTo(0.1);
    expect(iv?.[1]?.mean).toBeCloseTo(0.6);
  });

  it('summarises gauges and renders md/csv/json', () => {
    const g = (ts: number, v: number): RecordedSample => ({
      ts,
      target: 't',
      family: 'q',
      type: 'gauge',
      name: 'q',
      labels: { m: 'x|y' },
      value: v,
    });
    const rows = [
      up(T0),
      g(T0, 1),
      counter(T0, 0),
      up(T0 + 60_000),
      g(T0 + 60_000, 3),
      counter(T0 + 60_000, 6),
    ];
    const a = analyze(rows);
    expect(a.series.find((s) => s.kind === 'gauge')).toMatchObject({ min: 1, max: 3, mean: 2, last: 3 });
    const md = renderMarkdown(a, 'run');
    expect(md).toContain('# run');
    expect(md).toContain('(1m 0s)');
    expect(md).toContain('| req_total |  | 6 | 0.1 | 0 |');
    expect(md).toContain('| q | m="x\\|y" | 1 | 2 | 3 | 3 |');
    const csv = renderCsv(a).split('\n');
    expect(csv[0]).toBe(
      'target,name,family,kind,labels,points,seconds,increase,rate,resets,min,mean,max,last,sum,p50,p90,p99',
    );
    expect(csv).toContain('t,q,q,gauge,"{""m"":""x|y""}",2,60,,,,1,2,3,3,,,,');
    const json = JSON.parse(renderJson(a));
    expect(json.series).toHaveLength(2);
  });

  it('compares two runs side by side', () => {
    const run = (rate: number, target: string) =>
      analyze([
        up(T0, target),
        counter(T0, 0, {}, target),
        up(T0 + 10_000, target),
        counter(T0 + 10_000, rate * 10, {}, target),
      ]);
    const a = run(5, 'a:1');
    const b = run(6, 'b:2');
    const rows = compareAnalyses(a, b);
    expect(rows).toEqual([
      { name: 'req_total', labels: {}, kind: 'counter', stat: 'rate', a: 5, b: 6, change: 0.2 },
    ]);
    expect(renderComparisonMarkdown(a, b, 'A.sqlite', 'B.sqlite')).toContain(
      '| req_total |  | rate/s | 5 | 6 | +20.0% |',
    );
  });
});

describe('analyze on a real exposition', () => {
  it('reports no `_created` series: the Python client’s creation times are start times, not gauges', () => {
    const text = readFileSync(new URL('fixtures/vllm.prom', import.meta.url), 'utf8');
    const rows = [0, 10_000].flatMap((dt) =>
      resultRows({
        target: 'vllm',
        url: 'http://vllm:8000/metrics',
        timestampMs: T0 + dt,
        durationSeconds: 0.01,
        up: true,
        families: parseExposition(text).families,
        samples: 0,
        malformed: 0,
        diagnostics: [],
        attempts: 1,
        bytes: text.length,
      }),
    );
    const a = analyze(rows);
    expect(a.series.length).toBeGreaterThan(0);
    expect(a.series.filter((s) => /_created/.test(JSON.stringify(s)))).toEqual([]);
    const md = renderMarkdown(a);
    expect(md).toContain('vllm:generation_tokens');
    expect(md).not.toContain('_created');
  });
});
