/** Process exit statuses of `tokenmeter` (documented in the README). */
export const EXIT = {
  /** Success; also a recording stopped by SIGINT/SIGTERM or `--duration` after its data was flushed. */
  OK: 0,
  /** An unexpected internal error (a bug: please report it with the message). */
  INTERNAL: 1,
  /** Bad command line: unknown command or flag, missing or invalid value. */
  USAGE: 2,
  /** A file could not be read or written (output path, recording to report on). */
  IO: 3,
  /** No data: every scrape of the recording failed, or the recording holds no scrapes. */
  NO_DATA: 4,
  /** `serve` could not listen on its address (port in use, permission). */
  LISTEN: 5,
} as const;

/** An error that ends the command with a specific exit status and a message for humans. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError(message, EXIT.USAGE);
