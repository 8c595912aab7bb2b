/**
 * Every exposition writer's rendered label set of a series, cached per
 * attributes object: for cumulative temporality the SDK (and the bound
 * series, and the cluster merge) hand back the same attributes object for a
 * series at every collection, so a steady-state scrape renders no labels.
 *
 * Attributes objects are assumed immutable (the SDK assumes the same: it keys
 * its own state by them), but an entry is still checked against the object's
 * current keys and values (`===`), so mutating a recorded attributes object
 * cannot serve stale labels. Arrays as attribute values are compared by
 * reference: mutating one in place is not detected. A frozen attributes
 * object (llm's sets, every bound series') cannot change, so its entry is
 * not checked. The caches are `WeakMap`s and die with the series.
 */
import type { Attributes } from '@opentelemetry/api';
import { attributePairs } from './prometheus-families.js';
import type { SeriesByteSlots } from './series-byte-slots.js';

const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const NONE: readonly never[] = Object.freeze([]);

interface Entry<Scope> {
  /**
   * The attributes object was frozen when rendered, so it still holds what
   * the bytes were rendered from (every bound series' attributes are): a hit
   * skips the comparison, and `keys`/`values` are not kept.
   */
  readonly frozen: boolean;
  /** The keys and values the bytes were rendered from, in iteration order. */
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
  /** The scope the bytes were rendered with. */
  scope: Scope;
  bytes: Buffer;
}

/** True while `attrs` still has exactly the keys and values `entry` was rendered from. */
function stillMatches(entry: Entry<unknown>, attrs: Attributes): boolean {
  const { keys, values } = entry;
  let i = 0;
  for (const key in attrs) {
    if (keys[i] !== key || attrs[key] !== values[i]) return false;
    i++;
  }
  return i === keys.length;
}

/**
 * Label sets in one writer's encoding. `Scope` is whatever that writer renders
 * the scope labels from (compared with `===`): an entry rendered under another
 * scope is rendered again.
 */
export class SeriesLabelCache<Scope> {
  private readonly plain = new WeakMap<Attributes, Entry<Scope>>();
  /** Histograms drop an `le` attribute, so the same object renders differently for them. */
  private readonly histograms = new WeakMap<Attributes, Entry<Scope>>();

  constructor(
    /** Whether the scope labels are written (attributes that map to them are then dropped). */
    private readonly scopeInfo: boolean,
    /** The encoded labels: the attribute pairs, then the scope's. */
    private readonly renderPairs: (pairs: readonly (readonly [string, string])[], scope: Scope) => Buffer,
  ) {}

  /** The encoded label set of a series with `attributes` under `scope`. */
  get(attributes: Attributes | undefined, scope: Scope, histogram: boolean): Buffer {
    const attrs = attributes ?? EMPTY_ATTRIBUTES;
    const cache = histogram ? this.histograms : this.plain;
    const entry = cache.get(attrs);
    if (entry === undefined || (!entry.frozen && !stillMatches(entry, attrs))) {
      const { keys, values, pairs } = attributePairs(attrs, histogram, this.scopeInfo, undefined);
      const bytes = this.renderPairs(pairs, scope);
      // A frozen object cannot change (an array value mutated in place is not detected either way).
      const frozen = Object.isFrozen(attrs);
      cache.set(
        attrs,
        frozen ? { frozen, keys: NONE, values: NONE, scope, bytes } : { frozen, keys, values, scope, bytes },
      );
      return bytes;
    }
    if (entry.scope !== scope) {
      // The same attributes object under another scope (rare): only the latest
      // rendering is kept, to hold the cache at one copy of each label set.
      entry.scope = scope;
      entry.bytes = this.render(attrs, scope, histogram);
    }
    return entry.bytes;
  }

  /**
   * {@link get} for a point that may carry its series' index (see
   * series-index.ts): found in `slots` by that index, without a hash lookup,
   * and kept there rather than here. `wrap`, when given, turns the labels
   * into what is returned and kept (a whole line prefix).
   */
  getAt(
    slots: SeriesByteSlots<unknown> | undefined,
    index: number | undefined,
    attributes: Attributes | undefined,
    scope: Scope,
    histogram: boolean,
    wrap?: (labels: Buffer) => Buffer,
  ): Buffer {
    if (slots === undefined || index === undefined || attributes === undefined) {
      const labels = this.get(attributes, scope, histogram);
      return wrap === undefined ? labels : wrap(labels);
    }
    let bytes = slots.get(index, attributes);
    if (bytes === undefined) {
      const labels = this.render(attributes, scope, histogram);
      bytes = wrap === undefined ? labels : wrap(labels);
      slots.set(index, attributes, bytes);
    }
    return bytes;
  }

  /** The encoded label set of `attributes` under `scope`, rendered anew and not cached here. */
  render(attributes: Attributes, scope: Scope, histogram: boolean): Buffer {
    return this.renderPairs(attributePairs(attributes, histogram, this.scopeInfo, undefined).pairs, scope);
  }
}
