/**
 * One series of a Counter or UpDownCounter: a running sum, plus one interval
 * sum per delta reader (so delta exports add up exactly, never a difference
 * of two large floats).
 */
import type { Attributes } from '@opentelemetry/api';
import { type InstrumentCore, Rejection } from './instrument-core.js';

const NO_SLOTS = new Float64Array(0);

export class SumCell {
  value = 0;
  /** Records so far; a reader that saw the same count has nothing new to export. */
  seq = 0;
  /** Per delta reader: the sum since that reader's last collection. */
  readonly interval: Float64Array;
  /** Per delta reader: `seq` at its last collection. */
  readonly reportedSeq: number[];
  private readonly lowest: number;
  protected readonly int: boolean;

  constructor(
    readonly attributes: Readonly<Attributes>,
    readonly startMs: number,
    private readonly core: InstrumentCore,
    monotonic: boolean,
  ) {
    this.lowest = monotonic ? 0 : -Number.MAX_VALUE;
    this.int = core.int;
    this.interval = core.slots === 0 ? NO_SLOTS : new Float64Array(core.slots);
    this.reportedSeq = core.slots === 0 ? [] : new Array<number>(core.slots).fill(0);
  }

  /** Counter/UpDownCounter `add()` for this series. Never throws. */
  add(value: number): void {
    // NaN fails both comparisons; ±Infinity fails one. Either would stick in the sum for good.
    if (typeof value === 'number' && value >= this.lowest && value <= Number.MAX_VALUE) {
      let v = value;
      if (this.int && !Number.isInteger(v)) {
        this.core.reject(Rejection.Fraction, v);
        v = Math.trunc(v);
      }
      this.value += v;
      this.seq++;
      const interval = this.interval;
      for (let i = 0; i < interval.length; i++) interval[i] = (interval[i] as number) + v;
      return;
    }
    this.core.reject(
      typeof value !== 'number'
        ? Rejection.NotANumber
        : value < 0 && value > -Infinity
          ? Rejection.Negative
          : Rejection.NotFinite,
      value,
    );
  }
}
