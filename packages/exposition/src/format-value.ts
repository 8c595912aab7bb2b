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

/**
 * A number as OpenMetrics' "canonical numbers" render it, for `le` and
 * `quantile` label values: Go's shortest `%g` (exponent form below 1e-4 and
 * from 1e+06 on, with at least two exponent digits) plus `.0` when neither a
 * point nor an exponent is left — `1.0`, `0.005`, `100000.0`, `1e+06`,
 * `1e-05`. Label values are opaque strings to Prometheus, so the same bound
 * must always print the same way; this is also how Prometheus itself prints
 * the bounds it reads from a protobuf scrape.
 */
export function formatCanonical(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() without digits gives the shortest round-trip digits.
  const sci = value.toExponential();
  const e = sci.indexOf('e');
  const exponent = Number(sci.slice(e + 1));
  if (exponent < -4 || exponent >= 6) {
    const digits = Math.abs(exponent) < 10 ? `0${Math.abs(exponent)}` : `${Math.abs(exponent)}`;
    return `${sci.slice(0, e)}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  const fixed = `${value}`;
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}
