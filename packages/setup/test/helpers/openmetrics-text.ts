/**
 * A strict reader for the OpenMetrics 1.0 text format, written from the
 * specification (ABNF and the per-type rules) independently of the
 * serializer, so tests do not check it against itself. It throws on what the
 * spec forbids and Prometheus' OpenMetrics parser rejects: a missing or early
 * `# EOF`, metadata after samples, a family seen twice, a sample name that is
 * not the family name plus a suffix its type allows, a `# UNIT` that is not a
 * suffix of the name, unsorted or non-cumulative buckets, a histogram without
 * `+Inf`, an exemplar whose labels pass 128 characters.
 */

export interface OmExemplar {
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
}

export interface OmSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar: OmExemplar | undefined;
}

export interface OmFamily {
  name: string;
  type: string;
  unit: string | undefined;
  help: string | undefined;
  samples: OmSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown'];
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  info: ['_info'],
  unknown: [''],
};
const REAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function number(text: string, line: string): number {
  const t = text.toLowerCase();
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (t === 'nan') return Number.NaN;
  if (!REAL.test(text)) throw new Error(`bad number "${text}" in: ${line}`);
  return Number(text);
}

function unescapeText(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Reads `{a="b",…}` at `at`; returns the labels and the index after `}`. */
function labels(line: string, at: number): { labels: Record<string, string>; end: number; chars: number } {
  if (line[at] !== '{') throw new Error(`expected { in: ${line}`);
  const out: Record<string, string> = {};
  let i = at + 1;
  let chars = 0;
  if (line[i] === '}') return { labels: out, end: i + 1, chars };
  for (;;) {
    const eq = line.indexOf('="', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = line.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (name in out) throw new Error(`duplicate label ${name} in: ${line}`);
    let j = eq + 2;
    let raw = '';
    while (line[j] !== '"') {
      if (j >= line.length) throw new Error(`unterminated label value in: ${line}`);
      if (line[j] === '\\') {
        const next = line[j + 1];
        if (next !== 'n' && next !== '"' && next !== '\\') throw new Error(`bad escape in: ${line}`);
        raw += line.slice(j, j + 2);
        j += 2;
      } else {
        raw += line[j];
        j++;
      }
    }
    out[name] = unescapeText(raw);
    chars += [...name].length + [...out[name]].length;
    j++;
    if (line[j] === '}') return { labels: out, end: j + 1, chars };
    if (line[j] !== ',') throw new Error(`expected , or } in: ${line}`);
    i = j + 1;
  }
}

function sample(line: string): OmSample {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  let name: string;
  let rest: string;
  let lbls: Record<string, string> = {};
  if (brace >= 0 && (space < 0 || brace < space)) {
    name = line.slice(0, brace);
    const parsed = labels(line, brace);
    lbls = parsed.labels;
    if (line[parsed.end] !== ' ') throw new Error(`expected a space after labels in: ${line}`);
    rest = line.slice(parsed.end + 1);
  } else {
    name = line.slice(0, space);
    rest = line.slice(space + 1);
  }
  if (!NAME.test(name)) throw new Error(`bad metric name "${name}" in: ${line}`);
  let exemplar: OmExemplar | undefined;
  const hash = rest.indexOf(' # ');
  if (hash >= 0) {
    const ex = rest.slice(hash + 3);
    const parsed = labels(ex, 0);
    if (parsed.chars > 128) throw new Error(`exemplar labels over 128 characters in: ${line}`);
    const parts = ex.slice(parsed.end).trim().split(' ');
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad exemplar in: ${line}`);
    exemplar = {
      labels: parsed.labels,
      value: number(parts[0] ?? '', line),
      timestamp: parts[1] === undefined ? undefined : number(parts[1], line),
    };
    rest = rest.slice(0, hash);
  }
  const parts = rest.split(' ');
  if (parts.length < 1 || parts.length > 2) throw new Error(`bad sample in: ${line}`);
  return { name, labels: lbls, value: number(parts[0] ?? '', line), exemplar };
}

function checkHistogram(family: OmFamily): void {
  const series = new Map<string, OmSample[]>();
  for (const s of family.samples) {
    if (s.name !== `${family.name}_bucket`) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${family.name}: bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const buckets of series.values()) {
    let lastLe = Number.NEGATIVE_INFINITY;
    let lastCount = 0;
    for (const b of buckets) {
      const le = number(b.labels.le ?? '', b.name);
      if (!(le > lastLe)) throw new Error(`${family.name}: buckets not sorted by le`);
      if (b.value < lastCount) throw new Error(`${family.name}: buckets not cumulative`);
      if (b.exemplar !== undefined && b.exemplar.value > le) {
        throw new Error(`${family.name}: exemplar ${b.exemplar.value} above its bucket ${le}`);
      }
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}: no +Inf bucket`);
  }
}

export function parseOpenMetrics(body: string): Map<string, OmFamily> {
  if (!body.endsWith('# EOF\n') && !body.endsWith('# EOF')) throw new Error('no # EOF at the end');
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.pop() !== '# EOF') throw new Error('# EOF is not the last line');
  const families = new Map<string, OmFamily>();
  let current: OmFamily | undefined;
  const closed = new Set<string>();
  const open = (name: string): OmFamily => {
    if (current?.name === name) return current;
    if (current) closed.add(current.name);
    if (closed.has(name) || families.has(name)) throw new Error(`family ${name} appears twice`);
    current = { name, type: 'unknown', unit: undefined, help: undefined, samples: [] };
    families.set(name, current);
    return current;
  };
  for (const line of lines) {
    if (line.includes('\r')) throw new Error('carriage return');
    if (line === '# EOF') throw new Error('# EOF before the end');
    if (line.startsWith('#')) {
      const m = /^# (TYPE|UNIT|HELP) ([^ ]+) (.*)$/.exec(line);
      if (m === null) throw new Error(`bad metadata line: ${line}`);
      const [, kind, name = '', value = ''] = m;
      if (!NAME.test(name)) throw new Error(`bad family name in: ${line}`);
      const family = open(name);
      if (family.samples.length > 0) throw new Error(`metadata after samples in: ${line}`);
      if (kind === 'TYPE') {
        if (!TYPES.includes(value)) throw new Error(`bad type in: ${line}`);
        family.type = value;
      } else if (kind === 'UNIT') {
        if (value !== '' && !name.endsWith(`_${value}`)) throw new Error(`unit not a suffix of ${name}`);
        family.unit = value;
      } else {
        if (family.help !== undefined) throw new Error(`second HELP for ${name}`);
        family.help = unescapeText(value);
      }
      continue;
    }
    const s = sample(line);
    const family = current;
    const suffixes = family ? (SUFFIXES[family.type] ?? ['']) : [''];
    const ok = family !== undefined && suffixes.some((suffix) => s.name === family.name + suffix);
    const target = ok ? (family as OmFamily) : open(s.name);
    if (!ok && target.type !== 'unknown') throw new Error(`sample ${s.name} outside its family`);
    if (s.exemplar !== undefined && !(target.type === 'counter' || target.type === 'histogram')) {
      throw new Error(`exemplar on a ${target.type}: ${line}`);
    }
    target.samples.push(s);
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}
