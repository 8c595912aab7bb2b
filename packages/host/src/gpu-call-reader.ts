import type { GpuDeviceProblem, GpuDeviceSample } from './gpu-types.js';

/** How one vendor library's return codes read. */
export interface ReturnCodes {
  readonly vendor: string;
  readonly success: number;
  /** "This query will never work on this device": skip the field, keep the device. */
  isUnsupported(code: number): boolean;
  /** Nothing else on the device can be read: the device is paused as a whole. */
  isGone(code: number): boolean;
  /** Symbolic name, code and meaning, for a diagnostic. */
  describe(code: number): string;
  /** The error thrown when a device-level call fails. */
  error(call: string, code: number): Error;
}

// biome-ignore lint/suspicious/noExplicitAny: koffi functions take any arguments.
type Fn = (...args: any[]) => unknown;

/** A NUL-terminated string out-parameter. */
export function cString(buf: Buffer, offset = 0, length = buf.length - offset): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** Bytes and millijoules stay far below 2^53; Number keeps the arithmetic simple. */
export function u64(buf: Buffer, offset: number): number {
  return Number(buf.readBigUInt64LE(offset));
}

/**
 * The three ways a vendor query can fail, as one object per sweep: `must`
 * (identity: the device is unreadable without it), `field` (the original
 * gauges: unsupported is skipped, anything else drops the device rather than
 * half-report it) and `optional` (the deeper metrics: unsupported or denied is
 * skipped, other codes are warned about, only a lost GPU drops the device).
 */
export class GpuCallReader<F extends Fn = Fn> {
  /** Metrics left out although the device reads; the sampler warns once per key. */
  readonly warnings: GpuDeviceProblem[] = [];

  constructor(
    private readonly invoke: (fn: F, ...args: unknown[]) => Promise<number>,
    readonly codes: ReturnCodes,
  ) {}

  call(fn: F, ...args: unknown[]): Promise<number> {
    return this.invoke(fn, ...args);
  }

  /** A call whose failure makes the whole device unreadable this sweep. */
  async must(name: string, fn: F | undefined, ...args: unknown[]): Promise<void> {
    if (!fn) throw new Error(`${name} is missing from the library`);
    const rc = await this.invoke(fn, ...args);
    if (rc !== this.codes.success) throw this.codes.error(name, rc);
  }

  /**
   * A per-field call: true on success, false when the field is unsupported
   * (recorded once on the sample); any other code (GPU lost, no permission)
   * throws so the device is dropped as a whole rather than half-reported.
   */
  async field(sample: GpuDeviceSample, field: string, fn: F | undefined, ...args: unknown[]) {
    if (!fn) {
      sample.unsupported.push(field);
      return false;
    }
    const rc = await this.invoke(fn, ...args);
    if (rc === this.codes.success) return true;
    if (this.codes.isUnsupported(rc)) {
      sample.unsupported.push(field);
      return false;
    }
    throw this.codes.error(`${field} query`, rc);
  }

  /**
   * A call for one of the deeper metrics: true on success. A missing symbol or
   * an unsupported field is recorded on the sample (info once); a denied
   * permission or an unexpected code leaves the metric out with a warning;
   * only a lost GPU throws, pausing the device.
   */
  async optional(sample: GpuDeviceSample, field: string, fn: F | undefined, ...args: unknown[]) {
    if (!fn) {
      sample.unsupported.push(field);
      return false;
    }
    return this.settle(sample, field, await this.invoke(fn, ...args));
  }

  /** Applies `optional`'s rules to a return code obtained elsewhere (e.g. one nvmlFieldValue_t). */
  settle(sample: GpuDeviceSample, field: string, rc: number): boolean {
    if (rc === this.codes.success) return true;
    if (this.codes.isUnsupported(rc)) {
      sample.unsupported.push(field);
      return false;
    }
    if (this.codes.isGone(rc)) throw this.codes.error(`${field} query`, rc);
    this.warnings.push({
      key: `${sample.uuid}:${field}`,
      message: `GPU ${sample.index} (${sample.uuid}) via ${this.codes.vendor}: ${field} not reported: ${this.codes.describe(rc)}`,
    });
    return false;
  }
}
