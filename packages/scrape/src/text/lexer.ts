import type { Exemplar, Labels } from './types.js';

/**
 * A hand-written scanner for one sample line. Regular expressions over a whole
 * line cannot express the escaping rules of label values (and backtrack badly
 * on hostile input); a single left-to-right pass is linear in the line length.
 */

/** A sample line, before it is attached to a family. */
export interface RawSample {
  name: string;
  labels: Labels;
  value: number;
  /** The timestamp exactly as written (units depend on the format). */
  timestamp?: number;
  exemplar?: { labels: Labels; value: number; timestamp?: number };
}

/** Thrown for a malformed line; the parser turns it into a diagnostic. */
export class LexError extends Error {
  override readonly name = 'LexError';
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a float as Prometheus does: decimals, exponents, NaN and (±)Inf in any case. */
export function parseFloatValue(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  switch (token.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

export function isValidMetricName(name: string): boolean {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name);
}

export function isValidLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s.charAt(this.pos);
  }
  skipBlanks(): number {
    const start = this.pos;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    return this.pos - start;
  }
  expect(ch: string): void {
    if (this.peek() !== ch) throw new LexError(`expected '${ch}' at column ${this.pos + 1}`);
    this.pos++;
  }
  read(start: RegExp, rest: RegExp, what: string): string {
    const begin = this.pos;
    if (!start.test(this.peek())) throw new LexError(`expected ${what} at column ${this.pos + 1}`);
    this.pos++;
    while (!this.done && rest.test(this.peek())) this.pos++;
    return this.s.slice(begin, this.pos);
  }
  /** A double-quoted string with `\\`, `\"` and `\n` escapes; other escapes are kept as written. */
  quoted(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.done) throw new LexError('unterminated quoted string');
      const ch = this.s.charAt(this.pos++);
      if (ch === '"') return out;
      if (ch === '\\') {
        if (this.done) throw new LexError('unterminated escape');
        const next = this.s.charAt(this.pos++);
        if (next === 'n') out += '\n';
        else if (next === '\\' || next === '"') out += next;
        else out += `\\${next}`;
      } else {
        out += ch;
      }
    }
  }
  token(): string {
    const begin = this.pos;
    while (!this.done && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.s.slice(begin, this.pos);
  }
}

/**
 * `{a="1",b="2"}` starting at the cursor. With `allowName`, a leading bare
 * quoted string is the metric name (Prometheus 3 UTF-8 names: `{"my.metric",a="1"}`).
 */
function readLabels(c: Cursor, allowName: boolean): { labels: Labels; name?: string } {
  c.expect('{');
  const labels: Labels = {};
  let name: string | undefined;
  let first = true;
  for (;;) {
    c.skipBlanks();
    if (c.peek() === '}') {
      c.pos++;
      return name === undefined ? { labels } : { labels, name };
    }
    let key: string;
    if (c.peek() === '"') {
      key = c.quoted();
      c.skipBlanks();
      if (allowName && first && (c.peek() === ',' || c.peek() === '}')) {
        name = key;
        first = false;
        if (c.peek() === ',') c.pos++;
        continue;
      }
    } else {
      key = c.read(LABEL_START, LABEL_CHAR, 'a label name');
    }
    first = false;
    c.skipBlanks();
    c.expect('=');
    c.skipBlanks();
    const value = c.quoted();
    if (Object.hasOwn(labels, key)) throw new LexError(`duplicate label '${key}'`);
    labels[key] = value;
    c.skipBlanks();
    if (c.peek() === ',') {
      c.pos++;
      continue;
    }
    if (c.peek() !== '}') throw new LexError(`expected ',' or '}' at column ${c.pos + 1}`);
  }
}

function number(token: string, what: string): number {
  const v = parseFloatValue(token);
  if (v === undefined) throw new LexError(`invalid ${what} '${token.slice(0, 40)}'`);
  return v;
}

function timestamp(token: string, integerOnly: boolean): number {
  const v = number(token, 'timestamp');
  if (!Number.isFinite(v) || (integerOnly && !Number.isInteger(v))) {
    throw new LexError(`invalid timestamp '${token.slice(0, 40)}'`);
  }
  return v;
}

/**
 * Lexes one sample line. `integerTimestamps`: Prometheus text (milliseconds,
 * integers) vs OpenMetrics (seconds, floats). Throws `LexError`.
 */
export function lexSample(line: string, integerTimestamps: boolean): RawSample {
  const c = new Cursor(line);
  let name: string | undefined;
  let labels: Labels = {};
  if (c.peek() === '{') {
    const r = readLabels(c, true);
    if (r.name === undefined) throw new LexError('missing metric name');
    name = r.name;
    labels = r.labels;
  } else {
    name = c.read(NAME_START, NAME_CHAR, 'a metric name');
    if (c.peek() === '{') labels = readLabels(c, true).labels;
  }
  if (c.skipBlanks() === 0) throw new LexError(`expected a space before the value at column ${c.pos + 1}`);
  const value = number(c.token(), 'value');
  const sample: RawSample = { name, labels, value };
  c.skipBlanks();
  if (!c.done && c.peek() !== '#') sample.timestamp = timestamp(c.token(), integerTimestamps);
  c.skipBlanks();
  if (!c.done && c.peek() === '#') {
    c.pos++;
    if (c.skipBlanks() === 0) throw new LexError('expected a space after the exemplar marker');
    const ex = readLabels(c, false).labels;
    if (c.skipBlanks() === 0) throw new LexError('expected a space before the exemplar value');
    const exemplar: RawSample['exemplar'] = { labels: ex, value: number(c.token(), 'exemplar value') };
    c.skipBlanks();
    if (!c.done) exemplar.timestamp = timestamp(c.token(), false);
    sample.exemplar = exemplar;
    c.skipBlanks();
  }
  if (!c.done) throw new LexError(`unexpected text at column ${c.pos + 1}`);
  return sample;
}

/** Undoes HELP escaping (`\\`, `\n`, and OpenMetrics' `\"`). */
export function unescapeHelp(text: string): string {
  return text.replace(/\\([\\n"])/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

export type { Exemplar };
