/**
 * Reading a provider's usage object into llm's `TokenUsage` by a table of
 * field paths, so a provider's usage shape is data, not code.
 */
import type { TokenUsage } from '../index.js';
import { finiteNumber, isObject } from './type-guards.js';

/** A field name, or the names leading to a nested field (`['prompt_tokens_details', 'cached_tokens']`). */
export type FieldPath = string | readonly string[];

/** Where each count sits in a provider's usage object. */
export type UsageFields = { readonly [K in keyof TokenUsage]?: FieldPath };

/** The value at `path` in `x`, or undefined when any step is missing or not an object. */
export function valueAt(x: unknown, path: FieldPath): unknown {
  if (typeof path === 'string') return isObject(x) ? x[path] : undefined;
  let current = x;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * Copies the counts `fields` names from `usage` into `into`: a finite number
 * where the provider reported one, undefined where it did not (a later
 * usage report replaces an earlier one as a whole). Does nothing when
 * `usage` is not an object. Counts are never estimated.
 */
export function readTokenUsage(usage: unknown, fields: UsageFields, into: TokenUsage): void {
  if (!isObject(usage)) return;
  for (const key in fields) {
    const path = fields[key as keyof TokenUsage];
    if (path !== undefined) into[key as keyof TokenUsage] = finiteNumber(valueAt(usage, path));
  }
}
