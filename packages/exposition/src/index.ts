/**
 * @tokenmeter/exposition — the Prometheus text format and OpenMetrics pieces
 * that every tokenmeter writer shares, so they escape, encode and format
 * numbers the same way.
 */
export { ByteWriter, DEFAULT_CHUNK_BYTES } from './byte-writer.js';
export { escapeHelp, escapeLabelValue, wellFormed } from './escape.js';
export { formatValue } from './format-value.js';
