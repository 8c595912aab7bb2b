/**
 * A small, strict reader for Prometheus text format 0.0.4, written
 * independently of the serializer so tests do not check it against itself.
 * It throws on anything Prometheus would reject: duplicate `# TYPE`, duplicate
 * label names, bad names, bad escapes, unparsable values.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  helps: Map<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  // Go's ParseFloat grammar, restricted to what a sane exporter writes.
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : `\\${c}`));
}

export function parseExposition(body: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  if (body !== '' && !body.endsWith('\n')) throw new Error('body does not end with a newline');
  for (const line of body.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue; // plain comment
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      const map = kind === 'TYPE' ? types : helps;
      if (map.has(name)) throw new Error(`second ${kind} for ${name}`);
      if (kind === 'TYPE' && !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
        throw new Error(`bad type in: ${line}`);
      }
      map.set(name, kind === 'TYPE' ? rest : unescapeHelp(rest));
      continue;
    }
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
    const name = line.slice(0, i);
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i);
        if (eq === -1) throw new Error(`bad labels in: ${line}`);
        const label = line.slice(i, eq);
        if (!LABEL_NAME.test(label)) throw new Error(`bad label name ${JSON.stringify(label)} in: ${line}`);
        if (Object.hasOwn(labels, label)) throw new Error(`duplicate label ${label} in: ${line}`);
        if (line[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
        let value = '';
        let j = eq + 2;
        for (;;) {
          const c = line[j];
          if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
          if (c === '"') break;
          if (c === '\\') {
            const next = line[j + 1];
            if (next === '\\') value += '\\';
            else if (next === '"') value += '"';
            else if (next === 'n') value += '\n';
            else throw new Error(`bad escape in: ${line}`);
            j += 2;
          } else {
            value += c;
            j++;
          }
        }
        labels[label] = value;
        i = j + 1;
        if (line[i] === ',') i++;
        else if (line[i] !== '}') throw new Error(`bad label separator in: ${line}`);
      }
      i++;
    }
    if (line[i] !== ' ') throw new Error(`missing value in: ${line}`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2) throw new Error(`trailing garbage in: ${line}`);
    samples.push({ name, labels, value: parseValue(parts[0] ?? '', line) });
  }
  return { samples, types, helps };
}

/** A stable identity for a sample: name plus sorted labels. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/** Sample values by {@link seriesKey}; throws on a duplicate series. */
export function sampleMap(samples: readonly Sample[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const s of samples) {
    const key = seriesKey(s.name, s.labels);
    if (map.has(key)) throw new Error(`duplicate series ${key}`);
    map.set(key, s.value);
  }
  return map;
}
