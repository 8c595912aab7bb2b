/**
 * @tokenmeter/exposition — the Prometheus text format and OpenMetrics pieces
 * that every tokenmeter writer shares, so they escape, encode and format
 * numbers the same way; the CSV dialect of every tokenmeter CSV; and PromQL's
 * `histogram_quantile` for every reader of explicit-bucket histograms.
 */
export { ByteWriter, DEFAULT_CHUNK_BYTES } from './byte-writer.js';
export { ChunkPool, DEFAULT_POOL_BYTES } from './chunk-pool.js';
export { csvField, csvNumber, parseCsv } from './csv.js';
export { escapeHelp, escapeLabelValue, wellFormed } from './escape.js';
export { formatCanonical, formatValue } from './format-value.js';
export {
  type CumulativeBucket,
  cumulativeBuckets,
  histogramQuantile,
  type ObservedRange,
} from './histogram-quantile.js';
export { anchorShape } from './shape-anchor.js';
