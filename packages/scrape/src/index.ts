export { ScrapeMetricProducer, type ScrapeProducerOptions } from './otel/scrape-metric-producer.js';
export { ucumUnit } from './otel/ucum-unit.js';
export {
  type Analysis,
  type AnalyzeOptions,
  analyze,
  type IntervalRow,
  type SeriesKind,
  type SeriesSummary,
  type TargetHealth,
} from './report/analyze.js';
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
} from './report/render.js';
export { type BackoffOptions, backoffDelay } from './scrape/backoff.js';
export {
  type FetchExpositionOptions,
  type FetchedExposition,
  fetchExposition,
  ScrapeError,
} from './scrape/fetch-exposition.js';
export { globToRegExp, nameMatcher } from './scrape/glob.js';
export {
  type ApplyPresetOptions,
  applyPreset,
  detectPreset,
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
  targetName,
} from './scrape/scraper.js';
export {
  compileSelection,
  type LabelMatcher,
  type MetricSelection,
  parseLabelMatcher,
} from './scrape/select.js';
export { SELF_METRICS, selfMetricFamilies } from './scrape/self-metrics.js';
export { CSV_HEADER, CsvSink } from './sinks/csv-sink.js';
export { type FileSinkOptions, JsonlSink } from './sinks/jsonl-sink.js';
export { mergeTargets, PromFileSink, type PromFileSinkOptions } from './sinks/promfile-sink.js';
export { PushgatewaySink, type PushgatewaySinkOptions } from './sinks/pushgateway-sink.js';
export {
  type Recording,
  type RecordingFormat,
  readRecording,
  recordingFormat,
} from './sinks/read-recording.js';
export { jsonValue, type RecordedSample, resultRows } from './sinks/recorded-sample.js';
export { Recorder, type RecorderOptions } from './sinks/recorder.js';
export type { RecordSink } from './sinks/sink.js';
export { SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION, SqliteSink } from './sinks/sqlite-sink.js';
export { isValidLabelName, isValidMetricName, parseFloatValue } from './text/lexer.js';
export { formatFromContentType, type ParseOptions, parseExposition } from './text/parser.js';
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
