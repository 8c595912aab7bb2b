import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CumulativeBucket, cumulativeBuckets, histogramQuantile } from '../src/histogram-quantile.js';

const PROMTOOL = '/usr/bin/promtool';
const INF = Number.POSITIVE_INFINITY;

/** `lower + (upper − lower) · 1` can land one rounding step above `upper`. */
function slack(x: number): number {
  return Math.abs(x) * 2 ** -50 + 2 ** -1000;
}

interface Case {
  buckets: CumulativeBucket[];
  q: number;
}

/** Distinct finite bounds (negative, zero and positive), per-bucket counts, a `+Inf` bucket. */
const histogramArb = fc
  .uniqueArray(
    fc.integer({ min: -50, max: 5000 }).map((n) => n / 10 + 0),
    { minLength: 1, maxLength: 8 },
  )
  .chain((bounds) =>
    fc.array(fc.nat(40), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }).map((counts) => {
      const sorted = [...bounds].sort((a, b) => a - b);
      return cumulativeBuckets(sorted, counts);
    }),
  )
  .filter((b) => (b.at(-1) as CumulativeBucket).count > 0);

const qArb = fc.oneof(fc.constantFrom(0, 0.5, 0.9, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true }));

/** PromQL answers NaN (0/0) at q = 0 with an empty lowest bucket; that case is checked on its own. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({ buckets: histogramArb, q: qArb })
  .filter(({ buckets, q }) => !(q === 0 && (buckets[0] as CumulativeBucket).count === 0));

/**
 * Evaluates `histogram_quantile(q, h_bucket) - ours` for every case in one
 * `promtool test rules` run, expecting 0 each time: Prometheus itself is the
 * oracle, and the answer must be the same double.
 */
function promtoolDisagreements(cases: readonly Case[]): string {
  if (!existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} is missing: install it with \`apt-get install prometheus\` to run this test`,
    );
  }
  const series: string[] = [];
  const exprs: string[] = [];
  cases.forEach(({ buckets, q }, n) => {
    for (const b of buckets) {
      const le = b.le === INF ? '+Inf' : `${b.le}`;
      series.push(`      - series: 'h${n}_bucket{le="${le}"}'\n        values: '${b.count}'`);
    }
    exprs.push(
      `      - expr: 'histogram_quantile(${q}, h${n}_bucket) - (${histogramQuantile(q, buckets)})'\n` +
        `        eval_time: 0\n        exp_samples: [{ labels: '{}', value: 0 }]`,
    );
  });
  const yaml = [
    'evaluation_interval: 1m',
    'tests:',
    '  - interval: 1m',
    '    input_series:',
    ...series,
    '    promql_expr_test:',
    ...exprs,
    '',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-quantile-'));
  try {
    const file = join(dir, 'quantile.test.yml');
    writeFileSync(file, yaml);
    try {
      execFileSync(PROMTOOL, ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
      return '';
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('histogramQuantile', () => {
  it('gives the same double as Prometheus for random histograms and quantiles', () => {
    const cases = fc.sample(caseArb, 300);
    expect(promtoolDisagreements(cases)).toBe('');
  });

  it('answers NaN and ±Inf where PromQL does', () => {
    const b = [
      { le: 1, count: 2 },
      { le: INF, count: 4 },
    ];
    expect(histogramQuantile(Number.NaN, b)).toBeNaN();
    expect(histogramQuantile(-0.1, b)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, b)).toBe(INF);
    expect(histogramQuantile(0.5, [{ le: 1, count: 2 }])).toBeNaN(); // no +Inf bucket
    expect(histogramQuantile(0.5, [{ le: INF, count: 4 }])).toBeNaN(); // no finite bound
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: INF, count: 0 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
  });

  it('at q = 0 with an empty lowest bucket, answers the lower edge of the first bucket with observations', () => {
    const b = [
      { le: 1, count: 0 },
      { le: 2, count: 0 },
      { le: 4, count: 3 },
      { le: INF, count: 3 },
    ];
    expect(histogramQuantile(0, b)).toBe(2);
  });

  it('reads buckets in any order and raises a count lower than the one before it', () => {
    const inOrder = [
      { le: 1, count: 5 },
      { le: 2, count: 5 },
      { le: INF, count: 10 },
    ];
    const shuffled = [inOrder[2], { le: 2, count: 4 }, inOrder[0]] as CumulativeBucket[];
    for (const q of [0.25, 0.5, 0.9])
      expect(histogramQuantile(q, shuffled)).toBe(histogramQuantile(q, inOrder));
  });

  describe('with the observed min and max of an OTel histogram', () => {
    const observationsArb = fc.array(
      fc.integer({ min: -20, max: 500 }).map((n) => n / 10 + 0),
      {
        minLength: 1,
        maxLength: 60,
      },
    );
    const boundsArb = fc
      .uniqueArray(
        fc.integer({ min: -10, max: 400 }).map((n) => n / 10 + 0),
        { maxLength: 6 },
      )
      .map((b) => b.sort((x, y) => x - y));

    it('stays inside [min, max] and inside the bucket that holds the true quantile', () => {
      fc.assert(
        fc.property(observationsArb, boundsArb, qArb, (values, bounds, q) => {
          const counts = new Array<number>(bounds.length + 1).fill(0);
          for (const v of values) {
            const i = bounds.findIndex((b) => v <= b);
            counts[i < 0 ? bounds.length : i] = (counts[i < 0 ? bounds.length : i] ?? 0) + 1;
          }
          const min = Math.min(...values);
          const max = Math.max(...values);
          const got = histogramQuantile(q, cumulativeBuckets(bounds, counts), { min, max });
          expect(got).toBeGreaterThanOrEqual(min);
          expect(got).toBeLessThanOrEqual(max + slack(max));
          // The observation of rank ⌈q·n⌉ lies in some bucket; the estimate lies within that bucket's edges.
          const sorted = [...values].sort((a, b) => a - b);
          const truth = sorted[Math.max(0, Math.ceil(q * values.length) - 1)] as number;
          const k = bounds.findIndex((b) => truth <= b);
          const upperEdge = k < 0 ? max : (bounds[k] as number);
          const lowerEdge = k > 0 ? (bounds[k - 1] as number) : min;
          expect(got).toBeLessThanOrEqual(upperEdge + slack(upperEdge));
          expect(got).toBeGreaterThanOrEqual(lowerEdge);
        }),
        { numRuns: 500 },
      );
    });

    it('is the min at q = 0, the max at q = 1, and interpolates up to the max in the +Inf bucket', () => {
      const b = cumulativeBuckets([1], [0, 4]);
      expect(histogramQuantile(0, b, { min: 2, max: 3 })).toBe(2);
      expect(histogramQuantile(1, b, { min: 2, max: 3 })).toBe(3);
      // All four observations lie in (1, +Inf), between 2 and 3: the median is their middle.
      expect(histogramQuantile(0.5, b, { min: 2, max: 3 })).toBe(2.5);
      expect(histogramQuantile(0.5, b)).toBe(1);
    });
  });
});

describe('cumulativeBuckets', () => {
  it('turns per-bucket counts into cumulative ones and ends with +Inf', () => {
    expect(cumulativeBuckets([0.1, 1], [2, 3, 4])).toEqual([
      { le: 0.1, count: 2 },
      { le: 1, count: 5 },
      { le: INF, count: 9 },
    ]);
    expect(cumulativeBuckets([], [7])).toEqual([{ le: INF, count: 7 }]);
  });
});
