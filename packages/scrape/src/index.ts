/**
 * @tokenmeter/scrape: scrape Prometheus/OpenMetrics endpoints into
 * OpenTelemetry or into files, and summarise recorded runs. What users build
 * with, by role: reading and writing the text formats (`text/`), scraping
 * (`scrape/`), recording (`sinks/`), bridging into the SDK (`otel/`) and run
 * reports (`report/`).
 */

// Bridge into OpenTelemetry.
export { ScrapeMetricProducer, type ScrapeProducerOptions } from './otel/scrape-metric-producer.js';
// Run reports.
export type {
  Analysis,
  AnalyzeOptions,
  IntervalRow,
  SeriesKind,
  SeriesSummary,
  TargetHealth,
} from './report/analysis.js';
export { analyze } from './report/analyze.js';
export { type ComparisonRow, compareAnalyses } from './report/compare.js';
export { renderComparisonCsv, renderCsv, renderIntervalsCsv } from './report/render-csv.js';
export { renderJson } from './report/render-json.js';
export { renderComparisonMarkdown, renderMarkdown } from './report/render-markdown.js';
// Scraping.
export type { BackoffOptions } from './scrape/backoff.js';
export {
  type ApplyPresetOptions,
  PRESETS,
  presetTransform,
  type SemconvMapping,
  type ServerPreset,
} from './scrape/presets.js';
export {
  type ScrapeListener,
  type ScrapeResult,
  Scraper,
  type ScraperOptions,
  type ScrapeTarget,
} from './scrape/scraper.js';
export { type LabelMatcher, type MetricSelection, parseLabelMatcher } from './scrape/select.js';
// Recording.
export { CsvSink } from './sinks/csv-sink.js';
export { type FileSinkOptions, JsonlSink } from './sinks/jsonl-sink.js';
export { PromFileSink, type PromFileSinkOptions } from './sinks/promfile-sink.js';
export { PushgatewaySink, type PushgatewaySinkOptions } from './sinks/pushgateway-sink.js';
export {
  type Recording,
  type RecordingFormat,
  readRecording,
  recordingFormat,
} from './sinks/read-recording.js';
export type { RecordedSample } from './sinks/recorded-sample.js';
export { Recorder, type RecorderOptions } from './sinks/recorder.js';
export type { RecordSink } from './sinks/sink.js';
export { SqliteSink } from './sinks/sqlite-sink.js';
// The text formats.
export { type ParseOptions, parseExposition } from './text/parser.js';
export type {
  Exemplar,
  ExpositionFormat,
  Labels,
  MetricFamily,
  MetricType,
  ParseDiagnostic,
  ParseResult,
  Sample,
} from './text/types.js';
export { type WriteOptions, writeExposition } from './text/writer.js';
