/**
 * Reusable `ByteWriter` chunks.
 *
 * A large scrape is tens to hundreds of megabytes of `Buffer`s, allocated
 * outside the V8 heap. V8 counts such allocations and, past a threshold, runs
 * full mark-compact collections to find the owners: a 150 MB body set off
 * about eight of them per scrape on the benchmark machine, each pausing the
 * application (a 310 MB one, 50k series with 10 labels, two or three of
 * 10-60 ms). Handing the chunks back once the response is written and reusing
 * them for the next scrape keeps that memory steady instead.
 *
 * The pool keeps one body's worth: the larger of `maxBytes` and what the
 * latest `give()` handed back. A scrape allocates its whole body anyway, so
 * keeping it raises the memory held between scrapes to the peak every scrape
 * reaches, never above it; when bodies shrink, so does the pool.
 */
import { DEFAULT_CHUNK_BYTES } from './byte-writer-defaults.js';

/** Bytes always kept between uses, whatever the latest body's size. @default 64 MiB */
export const DEFAULT_POOL_BYTES = 64 * 1024 * 1024;

export class ChunkPool {
  private readonly free: Buffer[] = [];
  /** Backing stores now in `free`, so a chunk handed back twice is kept once. */
  private readonly pooled = new WeakSet<ArrayBufferLike>();

  constructor(
    /** Size of every pooled chunk. @default 256 KiB */
    readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    /** Bytes kept between uses at least (up to the latest body's size). @default 64 MiB */
    readonly maxBytes: number = DEFAULT_POOL_BYTES,
  ) {}

  /** Bytes held for reuse now. */
  get size(): number {
    return this.free.length * this.chunkBytes;
  }

  /** A chunk of `chunkBytes` (or a one-off one of at least `min` bytes), contents undefined. */
  take(min: number): Buffer {
    if (min <= this.chunkBytes) {
      const reused = this.free.pop();
      if (reused !== undefined) {
        this.pooled.delete(reused.buffer);
        return reused;
      }
      // Its own backing store, so give() can recognise it and hand it out whole again.
      return Buffer.allocUnsafeSlow(this.chunkBytes);
    }
    return Buffer.allocUnsafeSlow(min);
  }

  /**
   * Takes `chunks` (one body) back for reuse. Call it only once nothing reads
   * them any more (the response is written). Chunks this pool did not make are
   * ignored. Afterwards the pool holds at most the larger of `maxBytes` and
   * this body's pooled chunks.
   */
  give(chunks: readonly Uint8Array[]): void {
    let body = 0;
    for (const chunk of chunks) if (chunk.buffer.byteLength === this.chunkBytes) body += this.chunkBytes;
    const cap = Math.max(this.maxBytes, body);
    for (const chunk of chunks) {
      const store = chunk.buffer;
      if (store.byteLength !== this.chunkBytes || this.pooled.has(store)) continue;
      if (this.size + this.chunkBytes > cap) break;
      this.pooled.add(store);
      this.free.push(Buffer.from(store, 0, this.chunkBytes));
    }
    // A smaller body than before: let the rest of the larger one go.
    while (this.size > cap) {
      const dropped = this.free.pop() as Buffer;
      this.pooled.delete(dropped.buffer);
    }
  }
}
