/**
 * Reading one data point: its attributes, its number, its histogram's count
 * and sum. A source may hand over anything, so each read checks its type.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_GEN_AI_REQUEST_MODEL, ATTR_GEN_AI_RESPONSE_MODEL } from '../semconv.js';
import { type DataPointLike, finiteOrUndefined } from './collection.js';
import { UNKNOWN_MODEL } from './llm-snapshot.js';

/** What a collection's point of one instrument does to the summaries. */
export type PointHandler = (point: DataPointLike) => void;

export function stringAttribute(attributes: Attributes, key: string): string | undefined {
  const value = attributes[key];
  return typeof value === 'string' ? value : undefined;
}

/** The `byModel` key of a point: its request model, else its response model, else UNKNOWN_MODEL. */
export function modelOf(attributes: Attributes): string {
  return (
    stringAttribute(attributes, ATTR_GEN_AI_REQUEST_MODEL) ??
    stringAttribute(attributes, ATTR_GEN_AI_RESPONSE_MODEL) ??
    UNKNOWN_MODEL
  );
}

/** A sum's or a gauge's value (0 when it is not a finite number). */
export function pointValue(point: DataPointLike): number {
  return finiteOrUndefined(point.value) ?? 0;
}

/** A histogram point's count of recorded values (0 when absent). */
export function histogramCount(point: DataPointLike): number {
  return finiteOrUndefined((point.value as { count?: unknown } | null)?.count) ?? 0;
}

/** A histogram point's sum of recorded values (0 when absent). */
export function histogramSum(point: DataPointLike): number {
  return finiteOrUndefined((point.value as { sum?: unknown } | null)?.sum) ?? 0;
}

export function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** Adds `by` to `record[key]`; nothing when there is no key. */
export function bump(record: Record<string, number>, key: string | undefined, by: number): void {
  if (key === undefined) return;
  record[key] = (record[key] ?? 0) + by;
}

/** The keys of `T` whose values are numbers. */
export type NumberField<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];
