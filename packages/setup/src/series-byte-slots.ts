/**
 * What one writer rendered for each series of one bound instrument, by the
 * series' index in the instrument's table (see series-index.ts): found again
 * on the next scrape with two array reads instead of a hash lookup.
 *
 * An entry is used only while the point's attributes object is the one the
 * bytes were rendered from, and only frozen objects are kept (a bound
 * series' attributes always are), so a misaligned index or a mutated object
 * can never serve another series' bytes: it falls back to the caller's
 * lookup by attributes.
 */
import type { Attributes } from '@opentelemetry/api';

export class SeriesByteSlots<Key> {
  private readonly from: (Attributes | undefined)[] = [];
  private readonly bytes: (Buffer | undefined)[] = [];

  /** `key`: everything besides the attributes that the bytes depend on (compared with `===` by the owner). */
  constructor(readonly key: Key) {}

  /** The bytes rendered for series `index` from `attributes`, if still valid. */
  get(index: number, attributes: Attributes): Buffer | undefined {
    return this.from[index] === attributes ? this.bytes[index] : undefined;
  }

  /** Keeps `bytes` for series `index`; ignored unless `attributes` is frozen. */
  set(index: number, attributes: Attributes, bytes: Buffer): void {
    if (!Object.isFrozen(attributes)) return;
    this.from[index] = attributes;
    this.bytes[index] = bytes;
  }
}

/** Per bound instrument (its series table, held weakly): one writer's slots under one key. */
export class SlotsByTable<Key> {
  private readonly tables = new WeakMap<object, SeriesByteSlots<Key>>();

  /** The slots of `table` rendered under `key`; a different key starts them afresh (rare: a renamed family, a new scope). */
  of(table: object, key: Key): SeriesByteSlots<Key> {
    let slots = this.tables.get(table);
    if (slots === undefined || slots.key !== key) {
      slots = new SeriesByteSlots(key);
      this.tables.set(table, slots);
    }
    return slots;
  }
}
