/**
 * Cached, frozen attribute sets. The SDK hashes the attributes object on
 * every record and keeps the first object of a series by reference, so we
 * build each distinct set once (the pino `child()` model: bind once, reuse on
 * the hot path) and never mutate it. Sets form a tree: each node is its
 * parent plus one key, so deriving `+ error.type` or `+ gen_ai.token.type`
 * on a hot path is two Map lookups and no allocation.
 */
import type { Attributes, Counter, Histogram, UpDownCounter } from '@opentelemetry/api';
import type { Diagnostics } from './diagnostics.js';

/** Shared limit on cached nodes: guards bound each dimension, this bounds their product. */
export class AttrBudget {
  constructor(
    public left: number,
    readonly diagnostics: Diagnostics,
  ) {}
}

/** A series with its attributes fixed: what `bind()` returns on the provider `@tokenmeter/setup` builds. */
interface BoundSeries {
  add?(value: number): void;
  record?(value: number): void;
}

type AddSeries = Required<Pick<BoundSeries, 'add'>>;
type RecordSeries = Required<Pick<BoundSeries, 'record'>>;
type Instrument = Histogram | Counter | UpDownCounter;

/**
 * Marks an instrument without `bind()` (any provider but the one
 * `@tokenmeter/setup` builds): its records are plain calls with the set's
 * attributes. Calling it from here rather than through a wrapper object keeps
 * the SDK's own record path as fast as a direct call (a wrapper shared by every
 * instrument made each SDK record ~60% slower).
 */
const UNBOUND: BoundSeries = Object.freeze({});

/**
 * Children kept in a flat array of `key, value, node` triples up to this many;
 * a Map past it. Most sets have one to five children (a token type, a finish
 * reason, a cost type): scanning a short array touches one cache line where
 * two Map lookups touch several, which at 10k request identities (every set
 * cold in the cache) was a quarter of a request's cost.
 */
const SMALL_CHILDREN = 8;

/** Instruments a set keeps its bound series for; past this (providers swapped many times), they are not kept. */
const MAX_BOUND = 16;

export class AttrNode {
  private small: (string | number | AttrNode)[] | undefined;
  private children: Map<string, Map<string | number, AttrNode>> | undefined;
  /** `instrument, series` pairs: each instrument's series for this set, bound at its first record. */
  private bound: (Instrument | BoundSeries)[] | undefined;

  constructor(
    /** Frozen; safe to hand to the SDK, which keeps it by reference. */
    readonly attrs: Readonly<Attributes>,
    private readonly budget: AttrBudget,
  ) {}

  static root(budget: AttrBudget): AttrNode {
    return new AttrNode(Object.freeze({}), budget);
  }

  /** This set plus `key=value`; `this` when value is undefined. */
  with(key: string, value: string | number | undefined): AttrNode {
    if (value === undefined) return this;
    const small = this.small;
    if (small !== undefined) {
      for (let i = 0; i < small.length; i += 3) {
        if (small[i + 1] === value && small[i] === key) return small[i + 2] as AttrNode;
      }
    }
    const hit = this.children?.get(key)?.get(value);
    if (hit) return hit;
    const node = new AttrNode(Object.freeze({ ...this.attrs, [key]: value }), this.budget);
    if (this.budget.left <= 0) {
      // Still correct (a fresh frozen object), just not cached: the SDK
      // dedupes series by hash, not by identity.
      this.budget.diagnostics.warn(
        'attribute-cache-full',
        'attribute-set cache is full; new sets are not cached',
      );
      return node;
    }
    this.budget.left--;
    if (small === undefined) {
      this.small = [key, value, node];
    } else if (small.length < 3 * SMALL_CHILDREN) {
      small.push(key, value, node);
    } else {
      this.children ??= new Map();
      let byValue = this.children.get(key);
      if (!byValue) {
        byValue = new Map();
        this.children.set(key, byValue);
      }
      byValue.set(value, node);
    }
    return node;
  }

  /** Adds `value` to `counter`'s series for this set. */
  add(counter: Counter | UpDownCounter, value: number): void {
    const s = this.series(counter, 'add');
    if (s === UNBOUND) counter.add(value, this.attrs);
    else (s as AddSeries).add(value);
  }

  /** Records `value` in `histogram`'s series for this set. */
  record(histogram: Histogram, value: number): void {
    const s = this.series(histogram, 'record');
    if (s === UNBOUND) histogram.record(value, this.attrs);
    else (s as RecordSeries).record(value);
  }

  /**
   * `instrument`'s series for this set, bound once (`bind()` on the provider
   * `@tokenmeter/setup` builds, so each later record skips the instrument's
   * lookup by attributes), or UNBOUND.
   */
  private series(instrument: Instrument, method: 'add' | 'record'): BoundSeries {
    const bound = this.bound;
    if (bound !== undefined) {
      for (let i = 0; i < bound.length; i += 2) {
        if (bound[i] === instrument) return bound[i + 1] as BoundSeries;
      }
    }
    let series: BoundSeries | undefined;
    const bind = (instrument as { bind?: unknown }).bind;
    if (typeof bind === 'function') series = bind.call(instrument, this.attrs) as BoundSeries | undefined;
    if (series === undefined || typeof series[method] !== 'function') series = UNBOUND;
    if (bound === undefined) this.bound = [instrument, series];
    else if (bound.length < 2 * MAX_BOUND) bound.push(instrument, series);
    return series;
  }
}
