/** One series of a synchronous Gauge: the last value recorded. */
import type { Attributes } from '@opentelemetry/api';
import { type InstrumentCore, Rejection } from './instrument-core.js';

export class LastValueCell {
  value = 0;
  seq = 0;
  /** Per delta reader: `seq` at its last collection. */
  readonly reportedSeq: number[];
  private readonly int: boolean;

  constructor(
    readonly attributes: Readonly<Attributes>,
    readonly startMs: number,
    private readonly core: InstrumentCore,
  ) {
    this.int = core.int;
    this.reportedSeq = core.slots === 0 ? [] : new Array<number>(core.slots).fill(0);
  }

  /** Gauge `record()` for this series. Any number is a valid gauge value, as in the SDK. Never throws. */
  record(value: number): void {
    if (typeof value !== 'number') {
      this.core.reject(Rejection.NotANumber, value);
      return;
    }
    let v = value;
    if (this.int && !Number.isInteger(v)) {
      // As in the SDK, an INT instrument drops what has no integer part (NaN, ±Infinity).
      if (!Number.isFinite(v)) return;
      this.core.reject(Rejection.Fraction, v);
      v = Math.trunc(v);
    }
    this.value = v;
    this.seq++;
  }
}
