/**
 * The live status of a recording on stderr: rewritten in place on a terminal,
 * one line per round otherwise (so logs and tests can follow it).
 */
export class StatusLine {
  private readonly tty: boolean;
  private lastLength = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(text: string): void {
    if (this.quiet) return;
    if (this.tty) {
      const pad = Math.max(0, this.lastLength - text.length);
      this.stream.write(`\r${text}${' '.repeat(pad)}`);
      this.lastLength = text.length;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the in-place line so later messages start on their own line. */
  done(): void {
    if (this.tty && this.lastLength > 0 && !this.quiet) this.stream.write('\n');
    this.lastLength = 0;
  }
}
