/**
 * Bounds user-controlled attribute values (model names above all). The SDK's
 * own cardinality limit never evicts under cumulative temporality, so a
 * stream of distinct model names from user input would grow memory forever;
 * folding values into `_OTHER` before recording is the real bound.
 */
import type { Diagnostics } from './diagnostics.js';
import { OTHER_VALUE } from './semconv.js';
import { describe } from './validate.js';

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
  private readonly allow: ((value: string) => boolean) | undefined;
  private readonly normalize: ((value: string) => string | undefined) | undefined;
  /** raw → bounded; itself bounded so random raw values cannot grow it. */
  private readonly memo = new Map<string, string | undefined>();
  private readonly memoLimit: number;
  private readonly kept = new Set<string>();

  constructor(
    private readonly what: string,
    options: ValueGuardOptions | undefined,
    defaultMaxDistinct: number,
    private readonly diagnostics: Diagnostics,
  ) {
    const given = options ?? {};
    this.maxLength = positiveInt(given.maxLength, 128, `${what}.maxLength`, diagnostics);
    this.maxDistinct = positiveInt(given.maxDistinct, defaultMaxDistinct, `${what}.maxDistinct`, diagnostics);
    this.memoLimit = Math.max(256, this.maxDistinct * 4);
    const allow = given.allow;
    if (Array.isArray(allow)) {
      const allowed = new Set<string>(allow.filter((x): x is string => typeof x === 'string'));
      this.allow = (value) => allowed.has(value);
    } else if (typeof allow === 'function') {
      this.allow = allow as (value: string) => boolean;
    }
    if (typeof given.normalize === 'function') this.normalize = given.normalize;
  }

  /** The value to record for `raw`, or undefined to omit the attribute. */
  bound(raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') {
      this.diagnostics.warn(
        'invalid-attribute',
        `${this.what} must be a string, got ${describe(raw)}; omitted`,
      );
      return undefined;
    }
    const memo = this.memo.get(raw);
    if (memo !== undefined || this.memo.has(raw)) return memo;
    const value = this.compute(raw);
    if (this.memo.size < this.memoLimit) this.memo.set(raw, value);
    return value;
  }

  private compute(raw: string): string | undefined {
    let value: string | undefined = raw;
    if (this.normalize) {
      try {
        const normalized: unknown = this.normalize(raw);
        value = typeof normalized === 'string' ? normalized : undefined;
      } catch (err) {
        this.diagnostics.warn(
          'normalizer-error',
          `${this.what} normaliser threw (${String(err)}); value folded into _OTHER`,
        );
        return OTHER_VALUE;
      }
    }
    if (value === undefined || value.length === 0) return undefined;
    if (value.length > this.maxLength) {
      this.diagnostics.warn(
        'value-truncated',
        `${this.what} longer than ${this.maxLength} characters; truncated`,
      );
      value = truncate(value, this.maxLength);
    }
    if (value === OTHER_VALUE) return value;
    if (this.allow) {
      let ok = false;
      try {
        ok = this.allow(value) === true;
      } catch {
        ok = false;
      }
      if (!ok) {
        this.diagnostics.warn('value-not-allowed', `${this.what} not in the allow-list; recorded as _OTHER`);
        return OTHER_VALUE;
      }
    }
    if (this.kept.has(value)) return value;
    if (this.kept.size >= this.maxDistinct) {
      this.diagnostics.warn(
        'cardinality-overflow',
        `more than ${this.maxDistinct} distinct ${this.what} values; the rest are recorded as _OTHER`,
      );
      return OTHER_VALUE;
    }
    this.kept.add(value);
    return value;
  }
}

function truncate(value: string, max: number): string {
  let out = value.slice(0, max);
  // Never leave half of a surrogate pair behind.
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  return out;
}

function positiveInt(given: unknown, dflt: number, what: string, diagnostics: Diagnostics): number {
  if (given === undefined) return dflt;
  if (typeof given === 'number' && Number.isInteger(given) && given >= 1) return given;
  diagnostics.warn('invalid-option', `${what} must be an integer >= 1; using ${dflt}`);
  return dflt;
}
