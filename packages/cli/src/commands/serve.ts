import { registerHostMetrics } from '@tokenmeter/host';
import { presetTransform, ScrapeMetricProducer, Scraper } from '@tokenmeter/scrape';
import { type MetricsHandle, registerMetrics } from '@tokenmeter/setup';
import { checkUrl, parse, parseDuration, parseIntFlag } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';

export const SERVE_HELP = `Usage: tokenmeter serve [options]

A standalone Prometheus exporter for this host (CPU, memory, network, GPU via
NVML) that can also bridge inference-server endpoints into the same /metrics.

Options:
  --host ADDR          Listen address (0.0.0.0 to expose it).    [127.0.0.1]
  --port N             Listen port (0 = any free port).          [9464]
  --no-gpu             Do not load NVML / collect GPU metrics.
  --scrape URL         Bridge this endpoint's metrics (repeatable); they keep
                       their names, types and buckets, plus gen_ai.* copies.
  --scrape-interval D  How often bridged endpoints are scraped.   [15s]
  -h, --help           Show this help.

Then point Prometheus at http://ADDR:PORT/metrics. Health: /healthz.
Exit status: 0 stopped by SIGINT/SIGTERM, 2 usage, 5 cannot listen.
`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse('serve', argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'no-gpu': { type: 'boolean' },
    scrape: { type: 'string', multiple: true },
    'scrape-interval': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.OK;
  }
  const host = values.host ?? '127.0.0.1';
  const port = values.port === undefined ? 9464 : parseIntFlag(values.port, '--port');
  const urls = (values.scrape ?? []).map((u) => checkUrl(u, '--scrape'));
  const intervalMillis = parseDuration(values['scrape-interval'] ?? '15s', '--scrape-interval');

  let scraper: Scraper | undefined;
  const producers: ScrapeMetricProducer[] = [];
  if (urls.length > 0) {
    scraper = new Scraper({ targets: urls, intervalMillis, transform: presetTransform('auto') });
    producers.push(
      new ScrapeMetricProducer(scraper, { transform: presetTransform('auto', { semconv: true }) }),
    );
  }

  const handle: MetricsHandle = registerMetrics({
    serviceName: 'tokenmeter',
    exporters: ['prometheus'],
    // We own the signals: stop scraping first, then shut the provider down.
    shutdownOnSignals: false,
    prometheus: { host, port, metricProducers: producers },
  });
  try {
    await handle.ready;
  } catch (error) {
    await handle.shutdown();
    throw new CliError(
      `cannot listen on ${host}:${port}: ${(error as Error).message}. Pick another --port (or stop the process using it).`,
      EXIT.LISTEN,
    );
  }

  // GPU problems (no driver, no permission) are reported once through diag and
  // never stop the exporter: the host gauges are still worth serving.
  const hostMetrics = registerHostMetrics({
    meterProvider: handle.meterProvider,
    gpu: values['no-gpu'] !== true,
  });
  scraper?.start();
  process.stderr.write(
    `tokenmeter serve: metrics at ${handle.prometheus?.url}${urls.length ? `, bridging ${urls.join(', ')}` : ''}\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`tokenmeter serve: ${signal}, shutting down\n`);
      process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await scraper?.close();
  await hostMetrics.shutdown();
  await handle.shutdown({ timeoutMillis: 5000 });
  return EXIT.OK;
}
