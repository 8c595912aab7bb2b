/**
 * A minimal protocol-buffers encoder: just what the Prometheus protobuf
 * exposition (`io.prometheus.client.MetricFamily`, length-delimited) needs —
 * varints, zigzag, doubles, strings and nested messages. Hand-written rather
 * than a dependency: the message set is small and fixed, and the body is
 * built straight into byte chunks like the text formats.
 *
 * Nested messages are written in place: `begin()` reserves one byte for the
 * length, `end()` fills it in and, for the rare message of 128 bytes or more,
 * moves the message body right to make room for a longer varint.
 */

import { anchorShape } from '@tokenmeter/exposition';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

export class ProtobufWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly chunks: Buffer[] = [];
  /** Start of each open message's body; its reserved length byte is just before it. */
  private readonly open: number[] = [];

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes written and not yet handed over. */
  get pending(): number {
    return this.pos;
  }

  /** Opens a nested message as field `field` (or, with `field` undefined, a length-delimited top-level message). */
  begin(field: number | undefined): void {
    if (field !== undefined) this.tag(field, WIRE_LEN);
    this.ensure(1);
    this.pos++;
    this.open.push(this.pos);
  }

  /** Closes the innermost message opened by {@link begin}. */
  end(): void {
    const start = this.open.pop();
    if (start === undefined) throw new Error('ProtobufWriter.end() without begin()');
    const length = this.pos - start;
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    let p = start - 1;
    let v = length;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }

  /** A varint field (uint32/uint64/int64 for non-negative values, enums). */
  uint(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  /** A `sint32`/`sint64` field (zigzag). */
  sint(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(zigzag(value));
  }

  /** A `double` field. */
  double(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A `string` field, as UTF-8 (the caller passes well-formed strings). */
  string(field: number, value: string): void {
    this.tag(field, WIRE_LEN);
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  /** Bytes that are already an encoded field sequence (a cached label set). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A packed `repeated sint64` field. */
  packedSint(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    this.tag(field, WIRE_LEN);
    let length = 0;
    for (const v of values) length += varintSize(zigzag(v));
    this.varint(length);
    for (const v of values) this.varint(zigzag(v));
  }

  /**
   * Hands over the finished bytes as chunks. Only between top-level messages:
   * an open message cannot move to another chunk.
   */
  take(): Buffer[] {
    if (this.open.length > 0) throw new Error('ProtobufWriter.take() inside a message');
    this.flush();
    return this.chunks.splice(0);
  }

  /** Closes the current chunk (between top-level messages) so the next message starts a fresh one. */
  flush(): void {
    if (this.open.length > 0 || this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Room for `n` more bytes. While a message is open the whole buffer grows, so offsets stay valid. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** Zigzag encoding of an integer (exact up to 2^52 in magnitude). */
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varintSize(v: number): number {
  let size = 1;
  for (let x = v; x >= 0x80; x = Math.floor(x / 128)) size++;
  return size;
}

/** A `google.protobuf.Timestamp` message as field `field`, from milliseconds since the epoch. */
export function writeTimestamp(w: ProtobufWriter, field: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  w.begin(field);
  if (seconds !== 0) w.uint(1, seconds);
  if (nanos !== 0) w.uint(2, nanos);
  w.end();
}

// A scrape's writer dies with it; its shape must not (see anchorShape).
anchorShape(new ProtobufWriter(16));
