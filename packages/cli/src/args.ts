import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usage } from './exit-codes.js';

/** `parseArgs` with strict flags, turning its errors into usage errors with a hint. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage(
      `${(error as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun 'tokenmeter ${command} --help' for usage.`,
    );
  }
}

/** Parses `500ms`, `5s`, `10m`, `1h`, `1h30m` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    matched = re.lastIndex;
    const n = Number(m[1]);
    const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd';
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
  }
  if (matched !== t.length || t.length === 0 || !(total > 0)) {
    throw usage(`${flag}: invalid duration '${text}' (use e.g. 500ms, 5s, 10m, 1h30m)`);
  }
  return total;
}

export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(text.trim());
  if (!m) throw usage(`${flag}: invalid size '${text}' (use e.g. 16MiB, 500kB, 1048576)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = {
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
  };
  return Math.floor(Number(m[1]) * (mult[unit] as number));
}

export function parseIntFlag(text: string, flag: string, min = 0, max = 65535): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usage(`${flag}: expected an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

/** Flags given several times or comma-separated: `--metrics a,b --metrics c`. */
export function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function checkUrl(text: string, flag: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    return text;
  } catch {
    throw usage(`${flag}: invalid URL '${text}' (expected e.g. http://localhost:8000/metrics)`);
  }
}
