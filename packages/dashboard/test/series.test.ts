import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RATE_MIN_S, rate, ratio, SeriesStore } from '../page/series.js';

describe('SeriesStore', () => {
  it('starts from the server history, appends polls, back-fills new series and trims by time', () => {
    const store = SeriesStore.fromHistory({
      intervalMillis: 5000,
      spanS: 600,
      times: [1000_000, 1005_000],
      columns: { 'c|requests': [1, 2], 'c|requests|a': [null, 2] },
    });
    expect(store.times).toEqual([1000, 1005]);
    expect(store.push(1007, { 'c|requests': 3, 'g|utilization|gpu0': 0.5 })).toBe(true);
    // The same snapshot twice (or an older one) adds nothing.
    expect(store.push(1007, { 'c|requests': 3 })).toBe(false);
    expect(store.push(1006, { 'c|requests': 3 })).toBe(false);
    expect(store.column('c|requests')).toEqual([1, 2, 3]);
    expect(store.column('c|requests|a')).toEqual([null, 2, null]);
    expect(store.column('g|utilization|gpu0')).toEqual([null, null, 0.5]);
    expect(store.column('nothing')).toEqual([null, null, null]);
    expect(store.names('c')).toEqual(['a']);
    expect(store.names('g')).toEqual(['gpu0']);
    expect(store.has('g')).toBe(true);
    expect(store.has('$')).toBe(false);
    store.trimBefore(1005);
    expect(store.times).toEqual([1005, 1007]);
    expect(store.column('c|requests')).toEqual([2, 3]);
    expect(SeriesStore.fromHistory(undefined).length).toBe(0);
  });
});

describe('rates over at least RATE_MIN_S seconds', () => {
  it('two polls milliseconds apart make no drop to 0: the rate reaches back to a point old enough', () => {
    // 20 requests/s; the last poll comes 10 ms after the one before, with no request in between.
    const times = [0, 2, 4, 6, 6.01];
    const requests = [0, 40, 80, 120, 120];
    const r = rate(times, requests);
    // Between consecutive polls the last point would be 0/0.01 = 0.
    expect(r[4]).toBeCloseTo(80 / 4.01, 9); // from t=2 (the newest point ≥ 4 s older)
    expect(r[3]).toBeCloseTo(80 / 4, 9); // from t=2
    expect(r[2]).toBeCloseTo(80 / 4, 9); // from t=0
    // No point is RATE_MIN_S older than these: no rate, rather than a made-up one.
    expect(r.slice(0, 2)).toEqual([null, null]);
    expect(RATE_MIN_S).toBe(4);
  });

  it('gives no rate across a reset, and skips points without a value', () => {
    expect(rate([0, 5, 10], [100, 5, 10])).toEqual([null, null, 1]);
    expect(rate([0, 5, 10, 15], [0, null, 50, 100])).toEqual([null, null, 5, 10]);
  });

  it('ratio: Δsum/Δcount and Δcost/Δrequests over the same kind of interval', () => {
    const times = [0, 5, 10, 10.5];
    expect(ratio(times, [0, 2, 6, 6], [0, 4, 8, 8])).toEqual([null, 0.5, 1, 1]);
    // Nothing counted in the interval: no mean.
    expect(ratio([0, 5], [3, 3], [2, 2])).toEqual([null, null]);
    expect(ratio([0, 30], [0, 6], [0, 4], 60)).toEqual([null, null]);
  });

  it('property: for a steady rate and any poll timing, every drawn point is that rate, over ≥ RATE_MIN_S', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        // Gaps between polls from 1 ms to 20 s, as a throttled tab or a fast-forwarded clock makes them.
        fc.array(fc.double({ min: 0.001, max: 20, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (perSecond, gaps) => {
          const times = [1e9];
          for (const g of gaps) times.push((times[times.length - 1] as number) + g);
          const r = rate(
            times,
            times.map((t) => (t - 1e9) * perSecond),
          );
          r.forEach((v, i) => {
            const t = times[i] as number;
            const hasOld = times.some((u) => t - u >= RATE_MIN_S);
            if (!hasOld) expect(v).toBeNull();
            else expect(v).toBeCloseTo(perSecond, 3);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
