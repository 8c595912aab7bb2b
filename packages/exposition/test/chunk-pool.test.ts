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

  it('keeps a chunk given back twice only once and ignores foreign and one-off chunks', () => {
    const pool = new ChunkPool(64, 128);
    const a = pool.take(1);
    pool.give([a, a.subarray(5, 9)]);
    expect(pool.size).toBe(64);
    pool.give([Buffer.alloc(10), pool.take(1000)]);
    expect(pool.size).toBe(64);
    // Two takes must never return one store twice.
    pool.give([pool.take(1), Buffer.allocUnsafeSlow(64)]);
    expect(pool.take(1).buffer).not.toBe(pool.take(1).buffer);
  });

  it('holds one body: at least its floor, up to the latest body, shrinking with it', () => {
    const pool = new ChunkPool(64, 128);
    const body = (n: number) => Array.from({ length: n }, () => pool.take(1));
    // Under the floor: everything is kept.
    pool.give(body(1));
    expect(pool.size).toBe(64);
    // A body of 10 chunks (the first reused from the pool): all ten kept for the next scrape.
    const large = body(10);
    pool.give(large);
    expect(pool.size).toBe(640);
    // The next scrape of that shape allocates nothing: every chunk comes from the pool.
    const again = body(10);
    expect(new Set(again.map((c) => c.buffer))).toEqual(new Set(large.map((c) => c.buffer)));
    pool.give(again);
    // Bodies shrink to 3 chunks: the pool shrinks to the floor or that body, whichever is larger.
    pool.give(body(3));
    expect(pool.size).toBe(192);
    pool.give(body(1));
    expect(pool.size).toBe(128);
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
