/**
 * Cached, frozen attribute sets. The SDK hashes the attributes object on
 * every record and keeps the first object of a series by reference, so we
 * build each distinct set once (the pino `child()` model: bind once, reuse on
 * the hot path) and never mutate it. Sets form a tree: each node is its
 * parent plus one key, so deriving `+ error.type` or `+ gen_ai.token.type`
 * on a hot path is two Map lookups and no allocation.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Diagnostics } from './diagnostics.js';

/** Shared limit on cached nodes: guards bound each dimension, this bounds their product. */
export class AttrBudget {
  constructor(
    public left: number,
    readonly diagnostics: Diagnostics,
  ) {}
}

export class AttrNode {
  private children: Map<string, Map<string | number, AttrNode>> | undefined;

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
    let byValue = this.children?.get(key);
    const hit = byValue?.get(value);
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
    if (!this.children) this.children = new Map();
    if (!byValue) {
      byValue = new Map();
      this.children.set(key, byValue);
    }
    byValue.set(value, node);
    return node;
  }
}
