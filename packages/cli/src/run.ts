import { reportCommand } from './commands/report.js';
import { scrapeCommand } from './commands/scrape.js';
import { serveCommand } from './commands/serve.js';
import { CliError, EXIT } from './exit-codes.js';

export const VERSION = '0.1.0';

export const MAIN_HELP = `Usage: tokenmeter <command> [options]

OpenTelemetry-native metrics for LLM apps, inference servers and training jobs.

Commands:
  serve     Prometheus exporter for host + GPU metrics, optionally bridging
            inference-server endpoints (--scrape URL).
  scrape    Record an inference server's /metrics to .sqlite/.csv/.jsonl/.prom,
            an OTLP endpoint or a Pushgateway.
  report    Summarise a recording (rates, p50/p90/p99), or compare two.

Run 'tokenmeter <command> --help' for a command's options.

Exit status: 0 ok, 1 internal error, 2 usage error, 3 file error,
             4 no data, 5 cannot listen.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  scrape: scrapeCommand,
  report: reportCommand,
};

/** Runs the CLI; resolves with the exit status (messages already printed). */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    process.stderr.write(
      `tokenmeter: unknown command '${command}'. Commands: serve, scrape, report. Run 'tokenmeter --help'.\n`,
    );
    return EXIT.USAGE;
  }
  try {
    return await handler(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`tokenmeter ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `tokenmeter ${command}: internal error: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    return EXIT.INTERNAL;
  }
}
