import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import { ChunkPool } from '../src/chunk-pool.js';

describe('ChunkPool', () => {
  it('hands a given-back chunk out again, whole', () => {
    const pool = new ChunkPool(64, 1024);
    const a = pool.take(10);
    expect(a.length).toBe(64);
    pool.give([a.subarray(0, 10)]);
    expect(pool.size).toBe(64);
    const b = pool.take(10);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(64);
    expect(pool.size).toBe(0);
  });

  it('keeps a chunk given back twice only once, ignores foreign and one-off chunks, and stops at its cap', () => {
    const pool = new ChunkPool(64, 128);
    const a = pool.take(1);
    pool.give([a, a.subarray(5, 9)]);
    expect(pool.size).toBe(64);
    pool.give([Buffer.alloc(10), pool.take(1000)]);
    expect(pool.size).toBe(64);
    pool.give([pool.take(1), Buffer.allocUnsafeSlow(64), Buffer.allocUnsafeSlow(64)]);
    // The first take() reused `a`; then 64 + 64 fill the cap of 128.
    expect(pool.size).toBe(128);
    // Two takes must never return one store twice.
    expect(pool.take(1).buffer).not.toBe(pool.take(1).buffer);
  });

  it('a writer on a pool writes the same bytes as one without, scrape after scrape', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 40 }), { maxLength: 6 }),
        (bodies) => {
          const pool = new ChunkPool(32, 4096);
          for (const pieces of bodies) {
            const pooled = new ByteWriter(32, pool);
            for (const p of pieces) pooled.utf8(p);
            const chunks = pooled.take();
            expect(Buffer.concat(chunks).toString()).toBe(pieces.join(''));
            pool.give(chunks);
          }
        },
      ),
    );
  });

  it('a writer that wrote nothing gives its chunk straight back', () => {
    const pool = new ChunkPool(32, 4096);
    const w = new ByteWriter(32, pool);
    w.ascii('x');
    pool.give(w.take());
    expect(pool.size).toBe(32);
    expect(w.take()).toEqual([]);
    expect(pool.size).toBe(32);
  });
});
