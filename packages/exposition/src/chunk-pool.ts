/**
 * Reusable `ByteWriter` chunks.
 *
 * A large scrape is tens of megabytes of `Buffer`s, allocated outside the V8
 * heap. V8 counts such allocations and, past a threshold, runs full
 * mark-compact collections to find the owners: a 150 MB body set off about
 * eight of them per scrape on the benchmark machine, each pausing the
 * application. Handing the chunks back once the response is written and
 * reusing them for the next scrape keeps that memory steady instead.
 */
import { DEFAULT_CHUNK_BYTES } from './byte-writer-defaults.js';

/** Default cap on the bytes kept between uses. @default 64 MiB */
export const DEFAULT_POOL_BYTES = 64 * 1024 * 1024;

export class ChunkPool {
  private readonly free: Buffer[] = [];
  /** Backing stores now in `free`, so a chunk handed back twice is kept once. */
  private readonly pooled = new WeakSet<ArrayBufferLike>();

  constructor(
    /** Size of every pooled chunk. @default 256 KiB */
    readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    /** Bytes kept between uses at most; the rest is left to the garbage collector. @default 64 MiB */
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
   * Takes `chunks` back for reuse. Call it only once nothing reads them any
   * more (the response is written). Chunks this pool did not make are ignored.
   */
  give(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      const store = chunk.buffer;
      if (store.byteLength !== this.chunkBytes || this.pooled.has(store)) continue;
      if (this.size + this.chunkBytes > this.maxBytes) return;
      this.pooled.add(store);
      this.free.push(Buffer.from(store, 0, this.chunkBytes));
    }
  }
}
