/**
 * Bounds user-controlled attribute values (model names above all). The SDK's
 * own cardinality limit never evicts under cumulative temporality, so a
 * stream of distinct model names from user input would grow memory forever;
 * folding values into `_OTHER` before recording is the real bound.
 */
import type { Diagnostics } from './diagnostics.js';
import { describe } from './validate.js';

/** The value that distinct values beyond the cap (or not allowed) are folded into. */
export const OTHER_VALUE = '_OTHER';

export interface ValueGuardOptions {
  /** Longer values are truncated to this many UTF-16 code units. @default 128 */
  maxLength?: number;
  /** Distinct values kept before the rest fold into `_OTHER`. @default 100 for models, 50 otherwise */
  maxDistinct?: number;
  /**
   * Only these values (after normalisation) are kept; others become `_OTHER`.
   * An array or a predicate. @default every value is allowed
   */
  allow?: readonly string[] | ((value: string) => boolean);
  /**
   * Maps a raw value to the value to record, e.g. strip a date suffix
   * (`gpt-4o-2024-08-06` → `gpt-4o`). Return undefined to drop the attribute.
   * Called once per distinct raw value (results are cached, bounded).
   * @default identity
   */
  normalize?: (value: string) => string | undefined;
}

export class ValueGuard {
  private readonly maxLength: number;
  private readonly maxDistinct: number;
  private readonly allow: ((v: string) => boolean) | undefined;
  private readonly normalize: ((v: string) => string | undefined) | undefined;
  /** raw → bounded; itself bounded so random raw values cannot grow it. */
  private readonly memo = new Map<string, string | undefined>();
  private readonly memoLimit: number;
  private readonly kept = new Set<string>();

  constructor(
    private readonly what: string,
    options: ValueGuardOptions | undefined,
    defaultMaxDistinct: number,
    private readonly d: Diagnostics,
  ) {
    const o = options ?? {};
    this.maxLength = positiveInt(o.maxLength, 128, `${what}.maxLength`, d);
    this.maxDistinct = positiveInt(o.maxDistinct, defaultMaxDistinct, `${what}.maxDistinct`, d);
    this.memoLimit = Math.max(256, this.maxDistinct * 4);
    const allow = o.allow;
    if (Array.isArray(allow)) {
      const set = new Set<string>(allow.filter((x): x is string => typeof x === 'string'));
      this.allow = (v) => set.has(v);
    } else if (typeof allow === 'function') {
      this.allow = allow as (v: string) => boolean;
    }
    if (typeof o.normalize === 'function') this.normalize = o.normalize;
  }

  /** The value to record for `raw`, or undefined to omit the attribute. */
  bound(raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') {
      this.d.warn('invalid-attribute', `${this.what} must be a string, got ${describe(raw)}; omitted`);
      return undefined;
    }
    const memo = this.memo.get(raw);
    if (memo !== undefined || this.memo.has(raw)) return memo;
    const value = this.compute(raw);
    if (this.memo.size < this.memoLimit) this.memo.set(raw, value);
    return value;
  }

  private compute(raw: string): string | undefined {
    let v: string | undefined = raw;
    if (this.normalize) {
      try {
        const n: unknown = this.normalize(raw);
        v = typeof n === 'string' ? n : undefined;
      } catch (err) {
        this.d.warn(
          'normalizer-error',
          `${this.what} normaliser threw (${String(err)}); value folded into _OTHER`,
        );
        return OTHER_VALUE;
      }
    }
    if (v === undefined || v.length === 0) return undefined;
    if (v.length > this.maxLength) {
      this.d.warn('value-truncated', `${this.what} longer than ${this.maxLength} characters; truncated`);
      v = truncate(v, this.maxLength);
    }
    if (v === OTHER_VALUE) return v;
    if (this.allow) {
      let ok = false;
      try {
        ok = this.allow(v) === true;
      } catch {
        ok = false;
      }
      if (!ok) {
        this.d.warn('value-not-allowed', `${this.what} not in the allow-list; recorded as _OTHER`);
        return OTHER_VALUE;
      }
    }
    if (this.kept.has(v)) return v;
    if (this.kept.size >= this.maxDistinct) {
      this.d.warn(
        'cardinality-overflow',
        `more than ${this.maxDistinct} distinct ${this.what} values; the rest are recorded as _OTHER`,
      );
      return OTHER_VALUE;
    }
    this.kept.add(v);
    return v;
  }
}

function truncate(v: string, max: number): string {
  let out = v.slice(0, max);
  // Never leave half of a surrogate pair behind.
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  return out;
}

function positiveInt(v: unknown, dflt: number, what: string, d: Diagnostics): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  d.warn('invalid-option', `${what} must be an integer >= 1; using ${dflt}`);
  return dflt;
}
