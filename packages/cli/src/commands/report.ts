import { existsSync } from 'node:fs';
import {
  analyze,
  compareAnalyses,
  type Recording,
  readRecording,
  recordingFormat,
  renderComparisonCsv,
  renderComparisonMarkdown,
  renderCsv,
  renderIntervalsCsv,
  renderJson,
  renderMarkdown,
} from '@tokenmeter/scrape';
import { parse } from '../args.js';
import { CliError, EXIT, usage } from '../exit-codes.js';

export const REPORT_HELP = `Usage: tokenmeter report RECORDING [options]

Summarise a recording made by 'tokenmeter scrape' (.sqlite, .csv or .jsonl):
counters as increase and rate (reset-aware), histograms as count, mean and
p50/p90/p99 of what was observed during the recording, gauges as min/mean/max.

Options:
  --compare OTHER      Compare with a second recording, side by side.
  --format FMT         md | csv | json.                          [md]
  --intervals          Per-interval rows (deltas, rates, per-interval
                       percentiles) instead of the summary (csv or json).
  --metrics GLOB       Only series whose name starts with / matches GLOB.
  --self               Include tokenmeter_scrape_* health series.
  -h, --help           Show this help.

Examples:
  tokenmeter report run.sqlite
  tokenmeter report baseline.sqlite --compare tuned.sqlite
  tokenmeter report run.csv --format csv --intervals > intervals.csv

Exit status: 0 done, 2 usage, 3 cannot read the recording, 4 recording is empty.
`;

async function load(path: string): Promise<Recording> {
  if (!recordingFormat(path))
    throw usage(`${path}: unknown extension; reports read .sqlite, .csv or .jsonl recordings`);
  if (!existsSync(path)) throw new CliError(`${path}: no such file`, EXIT.IO);
  try {
    const rec = await readRecording(path);
    if (rec.skipped > 0)
      process.stderr.write(`tokenmeter: ${path}: skipped ${rec.skipped} unreadable line(s)\n`);
    return rec;
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, EXIT.IO);
  }
}

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('report', argv, {
    compare: { type: 'string' },
    format: { type: 'string' },
    intervals: { type: 'boolean' },
    metrics: { type: 'string', multiple: true },
    self: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) {
    throw usage(
      `expected exactly one recording, got ${positionals.length}\nRun 'tokenmeter report --help' for usage.`,
    );
  }
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'csv' && format !== 'json')
    throw usage(`--format: expected md, csv or json, got '${format}'`);
  if (values.intervals && format === 'md') throw usage('--intervals needs --format csv or --format json');
  if (values.intervals && values.compare) throw usage('--intervals cannot be combined with --compare');

  const path = positionals[0] as string;
  const globs = (values.metrics ?? []).map(
    (g) =>
      new RegExp(
        `^${g
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}`,
      ),
  );
  const run = async (p: string) => {
    const rec = await load(p);
    const rows = globs.length
      ? rec.rows.filter((r) => r.family.startsWith('tokenmeter_scrape_') || globs.some((g) => g.test(r.name)))
      : rec.rows;
    const a = analyze(rows, { intervals: values.intervals === true, selfMetrics: values.self === true });
    if (a.targets.length === 0)
      throw new CliError(
        `${p} holds no scrapes (was the recording stopped before its first scrape?)`,
        EXIT.NO_DATA,
      );
    return a;
  };
  const a = await run(path);
  if (values.compare) {
    const b = await run(values.compare);
    if (format === 'md') process.stdout.write(renderComparisonMarkdown(a, b, path, values.compare));
    else if (format === 'csv') process.stdout.write(renderComparisonCsv(compareAnalyses(a, b)));
    else process.stdout.write(renderJson({ a: path, b: values.compare, rows: compareAnalyses(a, b) }));
    return EXIT.OK;
  }
  if (values.intervals) {
    process.stdout.write(
      format === 'csv' ? renderIntervalsCsv(a.intervals ?? []) : renderJson(a.intervals ?? []),
    );
    return EXIT.OK;
  }
  if (format === 'md') process.stdout.write(renderMarkdown(a, `tokenmeter report: ${path}`));
  else if (format === 'csv') process.stdout.write(renderCsv(a));
  else process.stdout.write(renderJson(a));
  return EXIT.OK;
}
