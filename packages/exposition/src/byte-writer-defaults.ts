/** Default size of each `ByteWriter` chunk. @default 256 KiB */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
