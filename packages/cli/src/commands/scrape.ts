import {
  type LabelMatcher,
  PRESETS,
  PushgatewaySink,
  parseLabelMatcher,
  presetTransform,
  Recorder,
  type RecordSink,
  ScrapeMetricProducer,
  type ScrapeResult,
  Scraper,
  type ServerPreset,
} from '@tokenmeter/scrape';
import { type MetricsHandle, registerMetrics } from '@tokenmeter/setup';
import { checkUrl, list, parse, parseDuration, parseIntFlag, parseSize } from '../args.js';
import { CliError, EXIT, usage } from '../exit-codes.js';
import { openSink } from '../sinks.js';
import { StatusLine } from '../status-line.js';

export const SCRAPE_HELP = `Usage: tokenmeter scrape URL... [options]

Record an inference server's Prometheus/OpenMetrics endpoint (vLLM, SGLang,
TGI, llama.cpp, anything) to files, an OpenTelemetry Collector or a Pushgateway.

Options:
  --out PATH           Record to PATH; the extension picks the format:
                       .sqlite/.db (SQLite), .csv, .jsonl/.ndjson (JSON lines),
                       .prom (latest scrape as Prometheus text). Repeatable.
  --otlp URL           Also push to an OTLP/HTTP endpoint (a Collector), e.g.
                       http://localhost:4318 (/v1/metrics is appended if no path).
                       OTEL_EXPORTER_OTLP_PROTOCOL/_HEADERS/_COMPRESSION apply;
                       protocol defaults to http/protobuf.
  --pushgateway URL    Also push each scrape to a Pushgateway (group job/instance).
  --job NAME           Pushgateway job label.                    [tokenmeter]
  --interval DUR       Time between scrapes (500ms, 5s, 1m).     [5s]
  --timeout DUR        Deadline of one scrape attempt.           [min(10s, interval)]
  --duration DUR       Stop after DUR (default: until Ctrl-C / SIGTERM).
  --metrics GLOB       Keep only families matching GLOB (e.g. 'vllm:*');
                       repeatable or comma-separated.            [all]
  --exclude GLOB       Drop families matching GLOB.
  --label MATCHER      Keep series whose labels match (model_name=x,
                       finished_reason!=abort, model_name=~'llama.*'). Repeatable.
  --preset NAME        auto | vllm | sglang | tgi | llamacpp | none. Renames
                       old vLLM names; adds gen_ai.* copies on --otlp.   [auto]
  --retries N          Extra attempts after a failed scrape.     [2]
  --max-bytes SIZE     Largest response accepted (e.g. 16MiB).   [16MiB]
  --quiet              No status line.
  -h, --help           Show this help.

Writes are appended after every scrape; Ctrl-C or SIGTERM finishes the scrape
in flight, flushes and closes the files (a crash loses at most one interval).

Examples:
  tokenmeter scrape http://localhost:8000/metrics --interval 5s --out run.sqlite
  tokenmeter scrape http://gpu1:8000/metrics http://gpu2:8000/metrics \\
      --metrics 'vllm:*' --duration 10m --out run.csv --otlp http://localhost:4318

Exit status: 0 done, 2 usage, 3 file error, 4 no scrape succeeded.
`;

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export async function scrapeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('scrape', argv, {
    out: { type: 'string', multiple: true },
    otlp: { type: 'string' },
    pushgateway: { type: 'string' },
    job: { type: 'string' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
    duration: { type: 'string' },
    metrics: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    preset: { type: 'string' },
    retries: { type: 'string' },
    'max-bytes': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SCRAPE_HELP);
    return EXIT.OK;
  }
  if (positionals.length === 0)
    throw usage(
      "missing URL: tokenmeter scrape http://localhost:8000/metrics --out run.sqlite\nRun 'tokenmeter scrape --help' for usage.",
    );
  const urls = positionals.map((u) => checkUrl(u, 'URL'));
  const outs = values.out ?? [];
  if (outs.length === 0 && !values.otlp && !values.pushgateway) {
    throw usage(
      'nothing to record to: give --out FILE (.sqlite, .csv, .jsonl, .prom), --otlp URL or --pushgateway URL',
    );
  }
  const intervalMillis = parseDuration(values.interval ?? '5s', '--interval');
  const timeoutMillis = values.timeout
    ? parseDuration(values.timeout, '--timeout')
    : Math.min(10_000, intervalMillis);
  const durationMillis = values.duration ? parseDuration(values.duration, '--duration') : undefined;
  let labels: LabelMatcher[];
  try {
    labels = (values.label ?? []).map(parseLabelMatcher);
  } catch (error) {
    throw usage(`--label: ${(error as Error).message}`);
  }
  const presetName = values.preset ?? 'auto';
  let preset: ServerPreset | 'auto' | undefined;
  if (presetName === 'auto') preset = 'auto';
  else if (presetName === 'none') preset = undefined;
  else if (presetName in PRESETS) preset = PRESETS[presetName as ServerPreset['name']];
  else throw usage(`--preset: unknown preset '${presetName}' (auto, vllm, sglang, tgi, llamacpp, none)`);

  const sinks: RecordSink[] = [];
  const closeAll = async () => {
    for (const s of sinks) await Promise.resolve(s.close()).catch(() => {});
  };
  try {
    for (const out of outs) sinks.push(await openSink(out));
    if (values.pushgateway) {
      sinks.push(
        new PushgatewaySink({
          url: checkUrl(values.pushgateway, '--pushgateway'),
          job: values.job ?? 'tokenmeter',
        }),
      );
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const scraper = new Scraper({
    targets: urls,
    intervalMillis,
    timeoutMillis,
    retries: values.retries ? parseIntFlag(values.retries, '--retries', 0, 100) : 2,
    maxResponseBytes: values['max-bytes'] ? parseSize(values['max-bytes'], '--max-bytes') : 16 * 1024 * 1024,
    selection: {
      ...(values.metrics ? { include: list(values.metrics) } : {}),
      ...(values.exclude ? { exclude: list(values.exclude) } : {}),
      labels,
    },
    ...(preset ? { transform: presetTransform(preset) } : {}),
  });

  let telemetry: MetricsHandle | undefined;
  if (values.otlp) {
    const producer = new ScrapeMetricProducer(scraper, {
      ...(preset ? { transform: presetTransform(preset, { semconv: true }) } : {}),
    });
    const url = new URL(checkUrl(values.otlp, '--otlp'));
    // Same OTLP stack as applications use: OTEL_EXPORTER_OTLP_HEADERS, _PROTOCOL,
    // _COMPRESSION etc. apply; a bare host:port gets /v1/metrics appended.
    telemetry = registerMetrics({
      serviceName: 'tokenmeter',
      exporters: ['otlp'],
      otlp: {
        endpoint: url.toString(),
        endpointIsFull: url.pathname !== '/' && url.pathname !== '',
        intervalMillis,
        exportTimeoutMillis: Math.min(intervalMillis, 30_000),
      },
      metricProducers: [producer],
      setGlobal: false,
      shutdownOnSignals: false,
    });
  }

  const status = new StatusLine(process.stderr, values.quiet === true);
  let samples = 0;
  let errors = 0;
  let succeeded = 0;
  let fatal: CliError | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const recorder = new Recorder({
    scraper,
    sinks,
    onRound: (results: ScrapeResult[], sinkErrors) => {
      for (const r of results) {
        if (r.up) {
          succeeded++;
          samples += r.samples;
        } else errors++;
      }
      const down = results.filter((r) => !r.up).map((r) => `${r.target}: ${r.error}`);
      status.update(
        `[${clock(results[0]?.timestampMs ?? Date.now())}] scrapes ${scraper.rounds}  samples ${samples}  errors ${errors}` +
          (down.length ? `  (${down.join('; ')})` : ''),
      );
      const fileError = sinkErrors.find((e) => e.sink !== 'pushgateway');
      if (fileError && !fatal) {
        fatal = new CliError(
          `writing ${fileError.sink} output failed: ${(fileError.error as Error).message}`,
          EXIT.IO,
        );
        finish();
      }
    },
  });

  const onSignal = (signal: NodeJS.Signals) => {
    status.done();
    process.stderr.write(`tokenmeter: ${signal}: finishing the scrape in flight and closing files\n`);
    // A second signal means "now": skip the flush.
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer = durationMillis === undefined ? undefined : setTimeout(finish, durationMillis);

  recorder.start();
  await finished;
  clearTimeout(timer);
  await recorder.stop();
  if (telemetry) {
    const { error } = await telemetry.shutdown({ timeoutMillis: 5000 });
    if (error) process.stderr.write(`tokenmeter: final OTLP export failed: ${String(error)}\n`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  status.done();
  if (fatal) throw fatal;
  const where = [
    ...outs,
    ...(values.otlp ? [values.otlp] : []),
    ...(values.pushgateway ? [values.pushgateway] : []),
  ];
  process.stderr.write(
    `tokenmeter: recorded ${scraper.rounds} scrape round(s), ${samples} samples, ${errors} failed scrape(s) → ${where.join(', ')}\n`,
  );
  if (succeeded === 0) {
    throw new CliError(
      `no scrape succeeded (${errors} failed). Check that the server is up and the URL is its metrics endpoint (e.g. http://localhost:8000/metrics).`,
      EXIT.NO_DATA,
    );
  }
  return EXIT.OK;
}
