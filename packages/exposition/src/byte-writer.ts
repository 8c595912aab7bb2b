/**
 * Builds a large body as a list of `Buffer` chunks, byte by byte.
 *
 * A 10k-series histogram scrape is ~40 MB of text. Built as JS strings, every
 * line is a template literal whose pieces are copied again when the chunk is
 * joined and a third time when the socket encodes it to UTF-8, and the
 * intermediate strings keep the garbage collector busy. Here each piece is
 * copied once, into memory outside the V8 heap, and the chunks go to the
 * socket (or gzip) as they are. Cached pieces (label sets, metric names) are
 * kept as `Buffer`s so the hot loop is a handful of memcpy calls per line.
 */
import { DEFAULT_CHUNK_BYTES } from './byte-writer-defaults.js';
import type { ChunkPool } from './chunk-pool.js';
import { formatValue } from './format-value.js';
import { anchorShape } from './shape-anchor.js';

export { DEFAULT_CHUNK_BYTES };

const EMPTY = Buffer.alloc(0);

/** Integers below this are written digit by digit; larger ones through `formatValue`. */
const DIGITS_LIMIT = 1e15;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  private chunks: Buffer[] = [];
  private total = 0;

  /**
   * `pool`: where chunks come from (and go back to, once written: see {@link ChunkPool}).
   * `onChunk`: called with each chunk as soon as it is full (and with the last
   * one by {@link take}, `last` true), so a consumer can send the body while
   * the rest is still being written; the chunk is never written to again.
   * `last` lets a consumer mark the body complete in the same synchronous step
   * as its last chunk, so a reader woken by that chunk already knows the whole
   * length.
   */
  constructor(
    private readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    private readonly pool?: ChunkPool,
    private readonly onChunk?: (chunk: Buffer, last: boolean) => void,
  ) {
    // Allocated on the first write, so a writer never holds a chunk it does not fill.
    this.buf = EMPTY;
  }

  /** Bytes written so far, including the unfinished chunk. */
  get length(): number {
    return this.total + this.pos;
  }

  /** Copies `bytes` in. */
  bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  /** Writes a string that is known to be ASCII (names, numbers, syntax): one byte per UTF-16 unit. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    this.pos += this.buf.write(s, this.pos, n, 'latin1');
  }

  /** Writes any well-formed string as UTF-8. */
  utf8(s: string): void {
    const max = s.length * 3;
    if (this.pos + max > this.buf.length) this.grow(max);
    this.pos += this.buf.write(s, this.pos, max, 'utf8');
  }

  /** Writes one byte (an ASCII character code). */
  byte(code: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = code;
  }

  /** Writes a sample value as {@link formatValue} does, without a string for small integers. */
  value(v: number): void {
    if (v >= 0 && v < DIGITS_LIMIT && Number.isInteger(v)) this.uint(v);
    else this.ascii(formatValue(v));
  }

  /** Hands over the finished chunks (none empty) and starts afresh. */
  take(): Buffer[] {
    if (this.pos > 0) this.close(true);
    else if (this.buf !== EMPTY) this.pool?.give([this.buf]);
    const out = this.chunks;
    this.chunks = [];
    this.total = 0;
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  private uint(v: number): void {
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    if (this.pos + digits > this.buf.length) this.grow(digits);
    const buf = this.buf;
    let x = v;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      buf[i] = 48 + (x % 10);
      x = Math.floor(x / 10);
    }
    this.pos += digits;
  }

  /** Closes the current chunk and opens one with room for at least `need` bytes. */
  private grow(need: number): void {
    if (this.pos > 0) this.close();
    this.buf = this.allocate(need);
    this.pos = 0;
  }

  /** Ends the current chunk at `pos`. */
  private close(last = false): void {
    const chunk = this.buf.subarray(0, this.pos);
    this.chunks.push(chunk);
    this.total += this.pos;
    this.onChunk?.(chunk, last);
  }

  private allocate(need: number): Buffer {
    // `need` can exceed a chunk (one very long label set): such a chunk is a one-off.
    if (this.pool !== undefined) return this.pool.take(need);
    return Buffer.allocUnsafe(Math.max(this.chunkBytes, need));
  }
}

// A scrape's writer dies with it; its shape must not (see shape-anchor.ts).
anchorShape(new ByteWriter());
