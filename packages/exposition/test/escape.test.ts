import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, wellFormed } from '../src/escape.js';
import { formatValue } from '../src/format-value.js';

/** The inverse of the escaping, as a Prometheus parser applies it. */
function unescapeValue(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

describe('escaping', () => {
  it('escapes label values as both formats require', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeLabelValue('tab\tstays')).toBe('tab\tstays');
  });

  it('escapes HELP: the text format leaves quotes alone, OpenMetrics escapes them', () => {
    expect(escapeHelp('say "hi"\\\n')).toBe('say "hi"\\\\\\n');
    expect(escapeHelp('say "hi"\\\n', true)).toBe('say \\"hi\\"\\\\\\n');
  });

  it('replaces lone surrogates, keeps pairs', () => {
    expect(wellFormed('a\uD800b')).toBe('a\uFFFDb');
    expect(wellFormed('a\uDC00')).toBe('a\uFFFD');
    expect(wellFormed('🚀')).toBe('🚀');
    expect(escapeLabelValue('x\uD83D"')).toBe('x\uFFFD\\"');
  });

  it('round-trips any well-formed value through a parser’s unescaping', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(unescapeValue(escapeLabelValue(s))).toBe(s);
        expect(escapeLabelValue(s)).not.toMatch(/\n/);
        expect(unescapeValue(escapeHelp(s, true))).toBe(s);
      }),
    );
  });

  it('formats values the way Go parses them', () => {
    expect([Infinity, -Infinity, Number.NaN, 1e21, 1e-7, 0.1, -0].map(formatValue)).toEqual([
      '+Inf',
      '-Inf',
      'NaN',
      '1e+21',
      '1e-7',
      '0.1',
      '0',
    ]);
  });
});
