import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { humanSpan, SUBSECOND_SPAN_S, TICK_STEPS, tickLabel, timeTicks } from '../page/time-axis.js';

// 2026-03-14 12:00:00 UTC, seconds.
const NOON = Date.UTC(2026, 2, 14, 12, 0, 0) / 1000;

describe('timeTicks', () => {
  it('ticks a late-opened page (10 min) every 2 min, and 80 s every 15 s, as wall-clock labels', () => {
    const ten = timeTicks(NOON - 600 + 7.3, NOON + 7.3, 6);
    expect(ten.step).toBe(120);
    expect(ten.ticks.map((t) => tickLabel(t, ten.step))).toEqual([
      '11:52',
      '11:54',
      '11:56',
      '11:58',
      '12:00',
    ]);
    const eighty = timeTicks(NOON - 80, NOON, 6);
    expect(eighty.step).toBe(15);
    expect(eighty.ticks.map((t) => tickLabel(t, eighty.step))).toEqual([
      '11:58:45',
      '11:59:00',
      '11:59:15',
      '11:59:30',
      '11:59:45',
      '12:00:00',
    ]);
  });

  it('aligns to local time: 30-minute steps at UTC+5:45 fall on :00 and :30 there', () => {
    const offset = 5 * 3600 + 45 * 60;
    const t = timeTicks(NOON, NOON + 3 * 3600, 8, offset);
    expect(t.step).toBe(1800);
    expect(t.ticks.map((x) => tickLabel(x, t.step, offset))).toEqual([
      '18:00',
      '18:30',
      '19:00',
      '19:30',
      '20:00',
      '20:30',
    ]);
  });

  it('has sub-second steps only for a span of a few seconds', () => {
    const t = timeTicks(NOON, NOON + 1.2, 6);
    expect(t.step).toBe(0.5);
    expect(t.ticks.map((x) => tickLabel(x, t.step))).toEqual(['12:00:00.0', '12:00:00.5', '12:00:01.0']);
    expect(timeTicks(NOON, NOON + 6, 20).step).toBe(1);
  });

  it('says days for spans of days, and copes with an empty or single-point span', () => {
    const week = timeTicks(NOON, NOON + 7 * 86400, 5);
    expect(week.step).toBe(172800);
    // Two-day steps from the epoch: 2026-03-14 is day 20526 (even), so the first tick after its noon is the 16th.
    expect(week.ticks.map((x) => tickLabel(x, week.step))).toEqual(['03-16', '03-18', '03-20']);
    expect(timeTicks(NOON, NOON, 5)).toEqual({ step: 1, ticks: [NOON] });
    expect(timeTicks(Number.NaN, NOON, 5).ticks).toEqual([]);
  });

  const span = fc.record({
    min: fc.double({ min: 1.5e9, max: 2.5e9, noNaN: true }),
    span: fc.oneof(
      fc.double({ min: 0.05, max: 30, noNaN: true }),
      fc.double({ min: 30, max: 14 * 86400, noNaN: true }),
    ),
    maxTicks: fc.integer({ min: 2, max: 20 }),
    offset: fc.integer({ min: -12 * 4, max: 14 * 4 }).map((q) => q * 900),
  });

  it('property: ticks lie inside the span, increase by one ladder step, and are at most maxTicks', () => {
    fc.assert(
      fc.property(span, ({ min, span: s, maxTicks, offset }) => {
        const max = min + s;
        const { step, ticks } = timeTicks(min, max, maxTicks, offset);
        expect(TICK_STEPS).toContain(step);
        expect(ticks.length).toBeLessThanOrEqual(maxTicks);
        for (const t of ticks) {
          expect(t).toBeGreaterThanOrEqual(min);
          expect(t).toBeLessThanOrEqual(max);
        }
        for (let i = 1; i < ticks.length; i++) {
          expect((ticks[i] as number) - (ticks[i - 1] as number)).toBeCloseTo(step, 6);
        }
        // The ladder's neighbours are at most 2.5 apart, so a span is never left with one tick.
        if (
          maxTicks >= 5 &&
          s >= TICK_STEPS[0]! * maxTicks &&
          s <= TICK_STEPS[TICK_STEPS.length - 1]! * maxTicks
        ) {
          expect(ticks.length).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: spans over a few seconds get whole-second steps and labels without fractions', () => {
    fc.assert(
      fc.property(span, ({ min, span: s, maxTicks, offset }) => {
        fc.pre(s > SUBSECOND_SPAN_S);
        const { step, ticks } = timeTicks(min, min + s, maxTicks, offset);
        expect(step).toBeGreaterThanOrEqual(1);
        for (const t of ticks) expect(tickLabel(t, step, offset)).toMatch(/^\d\d[:-]\d\d(:\d\d)?$/);
        // Ticks are whole steps of local time, so labels of one span are all different.
        if (s < 86400) expect(new Set(ticks.map((t) => tickLabel(t, step, offset))).size).toBe(ticks.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('humanSpan', () => {
  it('says seconds, minutes and hours', () => {
    expect(humanSpan(0)).toBe('0 s');
    expect(humanSpan(45.4)).toBe('45 s');
    expect(humanSpan(60)).toBe('1 min');
    expect(humanSpan(250)).toBe('4 min 10 s');
    expect(humanSpan(600)).toBe('10 min');
    expect(humanSpan(3600)).toBe('1 h');
    expect(humanSpan(7500)).toBe('2 h 5 min');
    expect(humanSpan(Number.NaN)).toBe('–');
  });
});
