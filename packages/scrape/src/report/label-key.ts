import type { Labels } from '../text/types.js';

/** A label set's identity, whatever the order its labels were recorded in. */
export function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
