/**
 * The series of one instrument, found by attributes object.
 *
 * A frozen attributes object (what `@tokenmeter/llm` and any caller that
 * builds its sets once passes) is looked up by identity in a `WeakMap`: no
 * hashing, no allocation. Other objects may be mutated between calls, so they
 * are cleaned and hashed on every call, as the SDK does on every call for all
 * of them. New series stop at the cardinality limit: N − 1 real series plus
 * one `otel.metric.overflow=true` series, for the life of the instrument, so
 * memory stays bounded for cumulative readers too (the SDK bounds only each
 * collection interval and keeps every set it ever saw).
 */
import { type Attributes, diag } from '@opentelemetry/api';
import {
  attributesKey,
  cleanAttributes,
  isCleanAndFrozen,
  NO_ATTRIBUTES,
  OVERFLOW_ATTRIBUTES,
} from './attributes.js';

/** A JSON text in which some value is `null`: NaN, ±Infinity and null all print so, and must not share a key. */
const NULL_VALUE = /[:,[]null[,\]}]/;

export class SeriesTable<Cell> {
  private readonly byIdentity = new WeakMap<object, Cell>();
  /** By canonical key (sorted, see attributesKey): one entry per series. */
  private readonly byKey = new Map<string, Cell>();
  /**
   * By the caller's own `JSON.stringify` text (keys in the caller's order):
   * one native call finds the series without sorting keys. Bounded: a caller
   * that varies its key order endlessly falls back to the canonical key.
   */
  private readonly byText = new Map<string, Cell>();
  /** Every series, in creation order (the overflow series last when it exists). */
  readonly cells: Cell[] = [];
  private overflow: Cell | undefined;
  private none: Cell | undefined;
  private warnedDrop = false;

  constructor(
    private readonly name: string,
    private readonly limit: number,
    private readonly create: (attributes: Readonly<Attributes>) => Cell,
  ) {}

  /** The series for `attributes`, created when new. Never throws. */
  get(attributes: Attributes | undefined): Cell {
    if (attributes === undefined) return this.none ?? this.slow(NO_ATTRIBUTES);
    // Only frozen objects are ever in the identity map: others skip the lookup.
    if (Object.isFrozen(attributes)) return this.byIdentity.get(attributes) ?? this.slow(attributes);
    return this.slow(attributes);
  }

  private slow(attributes: unknown): Cell {
    let text: string | undefined;
    // An object with its own toJSON could print like another set: canonical key only.
    if (typeof attributes === 'object' && attributes !== null && !('toJSON' in attributes)) {
      try {
        text = JSON.stringify(attributes);
      } catch {
        // BigInt or a cycle: the canonical key copes, and cleaning drops the value.
      }
      if (text !== undefined) {
        // Only texts without a null value are ever stored, so a hit needs no check.
        const hit = this.byText.get(text);
        if (hit !== undefined) return hit;
        if (NULL_VALUE.test(text)) text = undefined;
      }
    }
    const key = attributesKey(attributes);
    let cell = this.byKey.get(key);
    if (cell === undefined) {
      if (this.byKey.size >= this.limit - 1) {
        cell = this.overflow ??= this.add(OVERFLOW_ATTRIBUTES);
      } else {
        cell = this.add(cleanAttributes(attributes, this.onDrop));
        this.byKey.set(key, cell);
      }
    }
    if (text !== undefined && this.byText.size < 2 * this.limit) this.byText.set(text, cell);
    // Only a frozen object that is its own clean form (frozen all the way down,
    // nothing to drop) can never stand for another set later. Checked once per
    // object: from then on the identity lookup finds it.
    if (typeof attributes === 'object' && attributes !== null && isCleanAndFrozen(attributes)) {
      if (attributes === NO_ATTRIBUTES) this.none = cell;
      else this.byIdentity.set(attributes, cell);
    }
    return cell;
  }

  private readonly onDrop = (keys: string[]): void => {
    if (this.warnedDrop) return;
    this.warnedDrop = true;
    diag.warn(
      `tokenmeter: ${this.name}: attribute(s) ${keys.join(', ')} dropped: values must be strings, numbers, booleans or arrays of one of those (said once per instrument)`,
    );
  };

  private add(attributes: Readonly<Attributes>): Cell {
    const cell = this.create(attributes);
    this.cells.push(cell);
    return cell;
  }
}
