/**
 * Time-axis ticks in human steps: 1-2-5-10-15-30 seconds, 1-2-5-10-15-30
 * minutes, 1-2-3-6-12 hours, days; labelled as wall-clock times at the
 * precision of the step (`14:05`, `14:05:30`). Sub-second steps exist only
 * for spans of a few seconds, so a chart never counts tenths of a second
 * over minutes of history. Pure: the time-zone offset is a parameter.
 */

/** Tick steps, seconds. */
export const TICK_STEPS: readonly number[] = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
  172800, 432000, 864000,
];

/** Spans up to this many seconds may have sub-second ticks; longer ones tick at 1 s or more. */
export const SUBSECOND_SPAN_S = 5;

export interface TimeTicks {
  /** Seconds between ticks (one of TICK_STEPS). */
  step: number;
  /** Tick positions, seconds since the epoch, increasing, all within [min, max]. */
  ticks: number[];
}

/**
 * Ticks for the span [minS, maxS] (seconds since the epoch): the smallest step
 * of the ladder giving at most `maxTicks` ticks, aligned to whole steps of local
 * time (`offsetS`: local time minus UTC, seconds, e.g. 3600 for UTC+1).
 */
export function timeTicks(minS: number, maxS: number, maxTicks: number, offsetS = 0): TimeTicks {
  const span = maxS - minS;
  const most = Math.max(1, Math.floor(maxTicks));
  if (!(span > 0) || !Number.isFinite(span)) return { step: 1, ticks: Number.isFinite(minS) ? [minS] : [] };
  const floor = span > SUBSECOND_SPAN_S ? 1 : 0;
  // span / step < most guarantees at most `most` ticks whatever the alignment.
  const step =
    TICK_STEPS.find((s) => s >= floor && span / s < most) ?? (TICK_STEPS[TICK_STEPS.length - 1] as number);
  // Work in tenths of a second (integers), so 0.1-steps do not drift.
  const tenths = Math.round(step * 10);
  const off = Math.round(offsetS * 10);
  const first = Math.ceil((minS * 10 + off) / tenths) * tenths - off;
  const ticks: number[] = [];
  for (let t = first; t <= maxS * 10 + 1e-6 && ticks.length < most; t += tenths) {
    const s = t / 10;
    if (s >= minS && s <= maxS) ticks.push(s);
  }
  return { step, ticks };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A tick's label at the precision of its step: `14:05`, `14:05:30`, `14:05:30.5`, `03-14` (days). */
export function tickLabel(tS: number, step: number, offsetS = 0): string {
  const local = new Date(Math.round((tS + offsetS) * 1000));
  if (step >= 86400) return `${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const hm = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  if (step >= 60) return hm;
  const sec = `${hm}:${pad(local.getUTCSeconds())}`;
  if (step >= 1) return sec;
  return `${sec}.${Math.floor(local.getUTCMilliseconds() / 100)}`;
}

/** A duration in words at a precision that suits it: `45 s`, `4 min 10 s`, `12 min`, `2 h 5 min`. */
export function humanSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
