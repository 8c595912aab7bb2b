export { type BackoffOptions, backoffDelay } from './backoff.js';
export {
  type FetchExpositionOptions,
  type FetchedExposition,
  fetchExposition,
  ScrapeError,
} from './fetch-exposition.js';
export { globToRegExp, nameMatcher } from './glob.js';
export { isValidLabelName, isValidMetricName, parseFloatValue } from './lexer.js';
export { formatFromContentType, type ParseOptions, parseExposition } from './parser.js';
export {
  type Analysis,
  type AnalyzeOptions,
  analyze,
  type IntervalRow,
  type SeriesKind,
  type SeriesSummary,
  type TargetHealth,
} from './postprocess.js';
export {
  type ApplyPresetOptions,
  applyPreset,
  detectPreset,
  PRESETS,
  presetTransform,
  type SemconvMapping,
  type ServerPreset,
} from './presets.js';
export { ScrapeMetricProducer, type ScrapeProducerOptions } from './producer.js';
export {
  type Recording,
  type RecordingFormat,
  readRecording,
  recordingFormat,
} from './record-reader.js';
export {
  type ComparisonRow,
  compareAnalyses,
  formatNumber,
  type ReportFormat,
  renderComparisonCsv,
  renderComparisonMarkdown,
  renderCsv,
  renderIntervalsCsv,
  renderJson,
  renderMarkdown,
} from './report.js';
export { jsonValue, type RecordedSample, resultRows } from './rows.js';
export {
  type ScrapeListener,
  type ScrapeResult,
  Scraper,
  type ScraperOptions,
  type ScrapeTarget,
  targetName,
} from './scraper.js';
export { compileSelection, type LabelMatcher, type MetricSelection, parseLabelMatcher } from './select.js';
export { SELF_METRICS, selfMetricFamilies } from './self-metrics.js';
export { CSV_HEADER, CsvSink } from './sinks/csv-sink.js';
export { type FileSinkOptions, JsonlSink } from './sinks/jsonl-sink.js';
export { mergeTargets, PromFileSink, type PromFileSinkOptions } from './sinks/promfile-sink.js';
export { PushgatewaySink, type PushgatewaySinkOptions } from './sinks/pushgateway-sink.js';
export { Recorder, type RecorderOptions } from './sinks/recorder.js';
export type { RecordSink } from './sinks/sink.js';
export { SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION, SqliteSink } from './sinks/sqlite-sink.js';
export type {
  Exemplar,
  ExpositionFormat,
  Labels,
  MetricFamily,
  MetricType,
  ParseDiagnostic,
  ParseResult,
  Sample,
} from './types.js';
export { ucumUnit } from './units.js';
export { type WriteOptions, writeExposition } from './writer.js';
