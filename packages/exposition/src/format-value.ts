/**
 * A sample value as Go's `strconv.ParseFloat` (Prometheus) reads it. JS
 * number formatting is already Go-compatible (`1e+21`, `1e-7`, `NaN`,
 * shortest round-trip digits) except for the infinities.
 */
export function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}
