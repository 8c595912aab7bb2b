/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`),
 * encode side only: what Bedrock's `ConverseStream` answers with. Each
 * message is
 *
 *   total length (u32 BE) · headers length (u32 BE) · prelude CRC32 (u32 BE)
 *   · headers · payload · message CRC32 (u32 BE)
 *
 * where the prelude CRC covers the first 8 bytes and the message CRC every
 * byte before it (prelude and its CRC included). A header is its name's
 * length (u8), the name (UTF-8), a value type (u8) and the value; only
 * strings (type 7: length u16 BE, then UTF-8) are needed here.
 */
import { crc32 } from 'node:zlib';

const STRING_TYPE = 7;
const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;

/** The encoded headers: name length, name, type 7 (string), value length, value. */
function encodeHeaders(headers: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length > 255) throw new RangeError(`event-stream header name too long: ${name}`);
    if (v.length > 0xffff) throw new RangeError(`event-stream header value too long: ${name}`);
    const head = Buffer.alloc(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(STRING_TYPE, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

/** One event-stream message with string `headers` and `payload`. */
export function encodeEventStreamMessage(
  headers: Readonly<Record<string, string>>,
  payload: Uint8Array,
): Buffer {
  const h = encodeHeaders(headers);
  const total = PRELUDE_BYTES + h.length + payload.length + CRC_BYTES;
  const out = Buffer.alloc(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(h.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  h.copy(out, PRELUDE_BYTES);
  out.set(payload, PRELUDE_BYTES + h.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - CRC_BYTES)), total - CRC_BYTES);
  return out;
}

/** An `event` message of type `eventType` with a JSON payload (how AWS JSON services frame events). */
export function encodeJsonEvent(eventType: string, payload: unknown): Buffer {
  return encodeEventStreamMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(payload), 'utf8'),
  );
}

/** A modelled `exception` message (`throttlingException`, `modelStreamErrorException`, …) with a JSON payload. */
export function encodeJsonException(exceptionType: string, payload: unknown): Buffer {
  return encodeEventStreamMessage(
    { ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' },
    Buffer.from(JSON.stringify(payload), 'utf8'),
  );
}
