import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import { formatValue } from '../src/format-value.js';

type Op =
  | { kind: 'ascii'; s: string }
  | { kind: 'utf8'; s: string }
  | { kind: 'bytes'; s: string }
  | { kind: 'byte'; c: number }
  | { kind: 'value'; v: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) })
    .map((s) => ({ kind: 'ascii' as const, s })),
  fc.string({ unit: 'grapheme' }).map((s) => ({ kind: 'utf8' as const, s })),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => ({ kind: 'bytes' as const, s })),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => ({ kind: 'byte' as const, c })),
  fc
    .oneof(
      fc.double(),
      fc.nat(),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(0, -0, 1e15 - 1, 1e15, 1e21, Number.NaN, Infinity, -Infinity),
    )
    .map((v) => ({ kind: 'value' as const, v })),
);

/** What each op must produce, written with plain string operations. */
function expected(o: Op): string {
  switch (o.kind) {
    case 'ascii':
    case 'utf8':
    case 'bytes':
      return o.s;
    case 'byte':
      return String.fromCharCode(o.c);
    case 'value':
      return formatValue(o.v);
  }
}

function apply(w: ByteWriter, o: Op): void {
  switch (o.kind) {
    case 'ascii':
      w.ascii(o.s);
      return;
    case 'utf8':
      w.utf8(o.s);
      return;
    case 'bytes':
      w.bytes(Buffer.from(o.s));
      return;
    case 'byte':
      w.byte(o.c);
      return;
    case 'value':
      w.value(o.v);
      return;
  }
}

describe('ByteWriter', () => {
  it('produces exactly the UTF-8 of the same pieces concatenated, across any chunk size', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (ops, chunkBytes) => {
        const w = new ByteWriter(chunkBytes);
        for (const o of ops) apply(w, o);
        const text = ops.map(expected).join('');
        expect(w.length).toBe(Buffer.byteLength(text));
        const chunks = w.take();
        for (const c of chunks) expect(c.length).toBeGreaterThan(0);
        expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('hands each chunk to onChunk once, in order, as take() returns them, `last` only on the final one', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (ops, chunkBytes) => {
        const seen: { chunk: Buffer; last: boolean }[] = [];
        const w = new ByteWriter(chunkBytes, undefined, (chunk, last) => seen.push({ chunk, last }));
        for (const o of ops) apply(w, o);
        const chunks = w.take();
        expect(seen.map((s) => s.chunk)).toEqual(chunks);
        // An empty body has no chunk, so no last one; otherwise exactly the final chunk is last.
        expect(seen.map((s) => s.last)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
      }),
      { numRuns: 500 },
    );
  });

  it('writes integer values digit by digit exactly as formatValue would', () => {
    const w = new ByteWriter(8);
    const values = [0, 7, 10, 99, 100, 123456789, 999_999_999_999_999, 1e15, 2 ** 53, 0.5, -3];
    for (const v of values) {
      w.value(v);
      w.byte(0x20);
    }
    expect(Buffer.concat(w.take()).toString()).toBe(`${values.map(formatValue).join(' ')} `);
  });

  it('starts afresh after take()', () => {
    const w = new ByteWriter(4);
    w.ascii('hello');
    expect(Buffer.concat(w.take()).toString()).toBe('hello');
    expect(w.length).toBe(0);
    expect(w.take()).toEqual([]);
    w.ascii('x');
    expect(Buffer.concat(w.take()).toString()).toBe('x');
  });
});
