import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * An append-only file written with one `write(2)` per round: once `append`
 * returns the data is in the kernel, so a crash of this process loses nothing
 * already appended (`fsync` also survives a machine crash).
 */
export class AppendFile {
  private fd: number | undefined;
  readonly wasEmpty: boolean;

  constructor(
    readonly path: string,
    private readonly fsync = false,
  ) {
    this.fd = openSync(path, 'a+');
    this.wasEmpty = fstatSync(this.fd).size === 0;
  }

  /** The first `bytes` of the file (to check an existing header). */
  head(bytes: number): string {
    const buf = Buffer.alloc(bytes);
    const n = readSync(this.fd as number, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  }

  append(text: string): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    if (text === '') return;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    if (this.fsync) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
