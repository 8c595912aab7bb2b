import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCanonical } from '../src/format-value.js';

describe('formatCanonical (OpenMetrics canonical numbers for le/quantile)', () => {
  it('renders the examples the OpenMetrics 1.0 spec lists ("Considerations: Canonical Numbers")', () => {
    // The spec's own lists, value by value.
    const steps = [0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1, 1.7, 10];
    expect(steps.map(formatCanonical)).toEqual(
      '0.0 0.001 0.002 0.01 0.1 0.9 0.95 0.99 0.999 1.0 1.7 10.0'.split(' '),
    );
    const powers = [1e-10, 1e-9, 1e-5, 1e-4, 0.1, 1, 1e5, 1e6, 1e10];
    expect(powers.map(formatCanonical)).toEqual(
      '1e-10 1e-09 1e-05 0.0001 0.1 1.0 100000.0 1e+06 1e+10'.split(' '),
    );
  });

  it('prints infinities and NaN as Prometheus reads them', () => {
    expect(formatCanonical(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatCanonical(Number.NEGATIVE_INFINITY)).toBe('-Inf');
    expect(formatCanonical(Number.NaN)).toBe('NaN');
  });

  it('keeps the shortest digits in exponent form, as Go does (1.234567e+06, -2.5e-07)', () => {
    expect(formatCanonical(1234567)).toBe('1.234567e+06');
    expect(formatCanonical(-2.5e-7)).toBe('-2.5e-07');
    expect(formatCanonical(1.5e300)).toBe('1.5e+300');
    expect(formatCanonical(123456)).toBe('123456.0');
    expect(formatCanonical(-3)).toBe('-3.0');
  });

  it('always reads back as the same number and always has a point or an exponent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatCanonical(x);
        expect(Object.is(Number(s), x)).toBe(true);
        expect(s).toMatch(/[.e]/);
      }),
    );
  });
});
