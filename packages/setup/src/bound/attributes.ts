/**
 * Attribute sets as the bound-series storage keys them.
 *
 * The OTel SDK hashes every attributes object on every record (sorted keys
 * plus `JSON.stringify`) and throws on values it cannot stringify (BigInt) or
 * loops on (cycles). Here a set is checked and hashed once, when its series is
 * created; later records with the same frozen object find the series by
 * identity, without hashing.
 */
import type { Attributes } from '@opentelemetry/api';

/** The set every record without attributes goes to. */
export const NO_ATTRIBUTES: Readonly<Attributes> = Object.freeze({});

/** The set that records go to once an instrument has as many series as its cardinality limit allows. */
export const OVERFLOW_ATTRIBUTES: Readonly<Attributes> = Object.freeze({ 'otel.metric.overflow': true });

function primitive(v: unknown): boolean {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/** An array the spec allows: primitives of one type, with `null`/`undefined` holes. */
function homogeneousArray(v: readonly unknown[]): boolean {
  let type: string | undefined;
  for (const item of v) {
    if (item === null || item === undefined) continue;
    if (!primitive(item)) return false;
    const t = typeof item;
    if (type === undefined) type = t;
    else if (t !== type) return false;
  }
  return true;
}

/**
 * True when `attrs` is frozen and holds only valid values (arrays frozen too):
 * such an object can never come to stand for another set, so a series may be
 * found by its identity alone.
 */
export function isCleanAndFrozen(attrs: object): boolean {
  if (!Object.isFrozen(attrs)) return false;
  const source = attrs as Record<string, unknown>;
  for (const key in source) {
    const v = source[key];
    if (!primitive(v) && !(Array.isArray(v) && homogeneousArray(v) && Object.isFrozen(v))) return false;
  }
  return true;
}

/**
 * `attrs` reduced to values the OpenTelemetry spec allows, frozen; `attrs`
 * itself when it already is frozen and fully valid (the usual case for sets
 * cached by the caller). Keys with `undefined`/`null` values are left out
 * (no exporter can write them, so they must not split a series); keys with
 * other invalid values (objects, functions, BigInt, symbols, mixed arrays) are
 * left out and named to `onDrop`, so a bad attribute can never crash the app.
 */
export function cleanAttributes(attrs: unknown, onDrop: (keys: string[]) => void): Readonly<Attributes> {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    if (attrs !== undefined && attrs !== null) onDrop(['(attributes are not an object)']);
    return NO_ATTRIBUTES;
  }
  if (isCleanAndFrozen(attrs)) return attrs as Readonly<Attributes>;
  const source = attrs as Record<string, unknown>;
  const copy: Attributes = {};
  const dropped: string[] = [];
  for (const key in source) {
    const v = source[key];
    if (v === undefined || v === null) continue;
    if (primitive(v)) copy[key] = v as string | number | boolean;
    else if (Array.isArray(v) && homogeneousArray(v)) copy[key] = Object.freeze(v.slice()) as string[];
    else dropped.push(key);
  }
  if (dropped.length > 0) onDrop(dropped);
  return Object.freeze(copy);
}

function valueKey(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return `n${v};`;
    case 'boolean':
      return v ? 'T' : 'F';
    default: {
      let key = `a${(v as readonly unknown[]).length}[`;
      for (const x of v as readonly unknown[]) key += x === undefined || x === null ? 'z' : valueKey(x);
      return `${key}]`;
    }
  }
}

/**
 * The key of a set holding arrays or non-finite numbers: length-prefixed
 * strings and `;`-terminated numbers, injective without escaping, keeping NaN
 * and ±Infinity apart (JSON would turn all three into `null`). It starts with
 * a byte no JSON text starts with, so it never equals a common key.
 */
function rareKey(keys: readonly string[], source: Record<string, unknown>): string {
  let key = '\u0001';
  for (const k of keys) {
    const v = source[k];
    if (!primitive(v) && !(Array.isArray(v) && homogeneousArray(v))) continue;
    key += `${k.length}:${k}${valueKey(v)}`;
  }
  return key;
}

/**
 * A string that is equal for two attribute sets exactly when their clean
 * forms (see {@link cleanAttributes}) have the same keys and values. It skips
 * what cleaning drops, so it can be computed on the caller's object without
 * cleaning (or allocating a copy) first: only a new series needs the clean copy.
 * The common case (strings, booleans, finite numbers) is one native
 * `JSON.stringify` of a flat array: the SDK's own hash costs as much.
 */
export function attributesKey(attrs: unknown): string {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) return '';
  const source = attrs as Record<string, unknown>;
  const keys = Object.keys(source);
  if (keys.length === 0) return '';
  if (keys.length > 1) keys.sort();
  const flat: unknown[] = [];
  for (const k of keys) {
    const v = source[k];
    const t = typeof v;
    if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v))) flat.push(k, v);
    // A valid array or a non-finite number needs the other format; invalid values are skipped, as cleaning drops them.
    else if (t === 'number' || (Array.isArray(v) && homogeneousArray(v))) return rareKey(keys, source);
  }
  return flat.length === 0 ? '' : JSON.stringify(flat);
}
