/**
 * What every cell of one instrument shares: its descriptor, the readers that
 * want delta data (one slot each), and the diagnostics it has already given.
 */
import { diag, type MetricAdvice, ValueType } from '@opentelemetry/api';
import type { InstrumentType } from '@opentelemetry/sdk-metrics';

/** The descriptor as exporters read it from `MetricData`. */
export interface BoundDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly type: InstrumentType;
  readonly valueType: ValueType;
  readonly advice: MetricAdvice;
}

/** Why a value was not recorded; each is reported once per instrument. */
export enum Rejection {
  NotANumber = 1,
  Negative = 2,
  NotFinite = 4,
  Fraction = 8,
}

export class InstrumentCore {
  private warned = 0;

  constructor(
    readonly descriptor: BoundDescriptor,
    /** Number of delta readers: each cell keeps that many interval accumulators. */
    readonly slots: number,
  ) {}

  get int(): boolean {
    return this.descriptor.valueType === ValueType.INT;
  }

  /**
   * One diagnostic per instrument and reason. The SDK warns on every call,
   * which floods the log from a hot path; one line says the same.
   */
  reject(reason: Rejection, value: unknown): void {
    if ((this.warned & reason) !== 0) return;
    this.warned |= reason;
    const name = this.descriptor.name;
    const v = typeof value === 'number' ? `${value}` : typeof value;
    switch (reason) {
      case Rejection.NotANumber:
        diag.warn(`tokenmeter: ${name}: non-number value (${v}) dropped; further ones are dropped silently`);
        break;
      case Rejection.Negative:
        diag.warn(`tokenmeter: ${name}: negative value (${v}) dropped; further ones are dropped silently`);
        break;
      case Rejection.NotFinite:
        diag.warn(
          `tokenmeter: ${name}: ${v} dropped: it would stick in the sum for good; further ones are dropped silently`,
        );
        break;
      case Rejection.Fraction:
        diag.warn(
          `tokenmeter: ${name}: INT instrument given a fraction (${v}); fractional digits are dropped from now on`,
        );
        break;
    }
  }
}
