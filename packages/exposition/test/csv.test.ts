import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvNumber, parseCsv } from '../src/csv.js';

describe('CSV', () => {
  it('quotes a field only when RFC 4180 requires it', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('{"a":"x,y"}')).toBe('"{""a"":""x,y""}"');
  });

  it('writes numbers as the text formats do and leaves non-numbers empty', () => {
    expect([1.5, 0, Number.NaN, Infinity, -Infinity, 1e21].map(csvNumber)).toEqual([
      '1.5',
      '0',
      'NaN',
      '+Inf',
      '-Inf',
      '1e+21',
    ]);
    expect(csvNumber(undefined)).toBe('');
    expect(csvNumber('3')).toBe('');
  });

  it('reads back any table of fields it wrote, with \\n or \\r\\n line ends', () => {
    const table = fc.array(
      fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { minLength: 2, maxLength: 5 }),
      {
        minLength: 1,
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(table, fc.constantFrom('\n', '\r\n'), (rows, eol) => {
        const text = rows.map((r) => r.map(csvField).join(',')).join(eol) + eol;
        expect(parseCsv(text)).toEqual(rows);
      }),
    );
  });

  it('reads a last row without a line end', () => {
    expect(parseCsv('a,b\n1,"x,y"')).toEqual([
      ['a', 'b'],
      ['1', 'x,y'],
    ]);
  });
});
