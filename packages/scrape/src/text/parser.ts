import { LexError, lexSample, unescapeHelp } from './lexer.js';
import type {
  ExpositionFormat,
  MetricFamily,
  MetricType,
  ParseDiagnostic,
  ParseResult,
  Sample,
} from './types.js';

export interface ParseOptions {
  /**
   * `'auto'` treats a body whose last line is `# EOF` as OpenMetrics. Pass the
   * format from the response's Content-Type when you have it.
   * @default 'auto'
   */
  format?: ExpositionFormat | 'auto';
  /** How many diagnostics to keep (all malformed lines are still counted). @default 20 */
  maxDiagnostics?: number;
}

const TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
  unknown: 'unknown',
  gaugehistogram: 'gaugehistogram',
  info: 'info',
  stateset: 'stateset',
};

// Sample-name suffixes each family type owns (besides the bare family name).
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  unknown: [],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  info: ['_info'],
  stateset: [],
};

// Every suffix any type owns: used to look a sample's family up by stripping one.
const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())];

function owns(family: MetricFamily, sampleName: string): boolean {
  if (sampleName === family.name) return true;
  if (!sampleName.startsWith(family.name)) return false;
  return SUFFIXES[family.type].includes(sampleName.slice(family.name.length));
}

/** Detects the exposition format from a Content-Type header. */
export function formatFromContentType(contentType: string | null | undefined): ExpositionFormat | 'auto' {
  if (!contentType) return 'auto';
  if (/application\/openmetrics-text/i.test(contentType)) return 'openmetrics';
  if (/text\/plain/i.test(contentType)) return 'prometheus';
  return 'auto';
}

/**
 * Parses Prometheus text (0.0.4) or OpenMetrics 1.0 text. Never throws: a line
 * that cannot be parsed is counted in `malformed`, described in `diagnostics`,
 * and skipped, so one bad line costs one sample, not the scrape.
 */
export function parseExposition(text: string, options: ParseOptions = {}): ParseResult {
  const maxDiagnostics = options.maxDiagnostics ?? 20;
  let format = options.format ?? 'auto';
  if (format === 'auto') format = /(?:^|\n)# EOF\r?\n?$/.test(text) ? 'openmetrics' : 'prometheus';
  const om = format === 'openmetrics';

  const families = new Map<string, MetricFamily>();
  const diagnostics: ParseDiagnostic[] = [];
  let malformed = 0;
  let eof = false;
  let current: MetricFamily | undefined;
  let afterEof = false;

  const problem = (line: number, message: string, lineText: string, counts = true) => {
    if (counts) malformed++;
    if (diagnostics.length < maxDiagnostics)
      diagnostics.push({ line, message, text: lineText.slice(0, 200) });
  };
  const familyFor = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'unknown', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lookup = (sampleName: string): MetricFamily => {
    if (current && owns(current, sampleName)) return current;
    const exact = families.get(sampleName);
    if (exact) return exact;
    for (const suffix of ALL_SUFFIXES) {
      if (!sampleName.endsWith(suffix)) continue;
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && owns(f, sampleName)) return f;
    }
    return familyFor(sampleName);
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const lineNo = i + 1;
    if (line.trim() === '') continue;
    if (afterEof) {
      problem(lineNo, 'content after # EOF', line);
      continue;
    }
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE|UNIT)[ \t]+(\S+)(?:[ \t]([\s\S]*))?$/.exec(line);
      if (!m) {
        if (/^#[ \t]*EOF[ \t]*$/.test(line)) {
          eof = true;
          afterEof = true;
        }
        continue; // other comments are allowed in Prometheus text and harmless in OpenMetrics
      }
      const keyword = m[1] as string;
      let name = m[2] as string;
      if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1);
      const rest = m[3] ?? '';
      const family = familyFor(name);
      if (keyword === 'HELP') {
        family.help = unescapeHelp(rest);
      } else if (keyword === 'UNIT') {
        family.unit = rest.trim();
      } else {
        const type = TYPES[rest.trim().toLowerCase()];
        if (!type) {
          problem(lineNo, `unknown metric type '${rest.trim().slice(0, 40)}'`, line);
          continue;
        }
        if (family.samples.length > 0 && family.type !== type) {
          problem(lineNo, `TYPE for '${name}' after its samples`, line);
          continue;
        }
        family.type = type;
      }
      current = family;
      continue;
    }
    try {
      const raw = lexSample(line, !om);
      const sample: Sample = { name: raw.name, labels: raw.labels, value: raw.value };
      if (raw.timestamp !== undefined) sample.timestampMs = om ? raw.timestamp * 1000 : raw.timestamp;
      if (raw.exemplar) {
        sample.exemplar = { labels: raw.exemplar.labels, value: raw.exemplar.value };
        if (raw.exemplar.timestamp !== undefined) sample.exemplar.timestampMs = raw.exemplar.timestamp * 1000;
      }
      const family = lookup(raw.name);
      family.samples.push(sample);
      current = family;
    } catch (error) {
      // Anything else would be a bug in the lexer: still one skipped line, never a failed scrape.
      problem(lineNo, error instanceof LexError ? error.message : `parser error: ${String(error)}`, line);
    }
  }
  if (om && !eof) problem(lines.length, 'missing # EOF (truncated body?)', '', false);
  foldCreated(families);
  // A family announced by HELP/TYPE without samples carries no data.
  const out = [...families.values()].filter((f) => f.samples.length > 0);
  return { families: out, format, malformed, diagnostics, eof };
}

const CREATED = '_created';

/**
 * The Python client (vLLM, SGLang, TGI's Python parts) writes a counter's or
 * histogram's creation time in the text format as a gauge family of its own
 * (`# TYPE x_created gauge`, value in Unix seconds), where OpenMetrics keeps
 * it inside the family. Read either way, it is the start time of that series,
 * not a metric: move its samples into the family they belong to, named
 * `x_created` as in OpenMetrics, so every consumer sees one shape.
 */
function foldCreated(families: Map<string, MetricFamily>): void {
  for (const [name, f] of families) {
    if ((f.type !== 'gauge' && f.type !== 'unknown') || !name.endsWith(CREATED)) continue;
    const base = name.slice(0, -CREATED.length);
    const owner =
      [families.get(`${base}_total`), families.get(base)].find(
        (o) => o !== undefined && (o.type === 'counter' || o.type === 'histogram' || o.type === 'summary'),
      ) ?? undefined;
    if (owner === undefined) continue;
    for (const sample of f.samples) owner.samples.push({ ...sample, name });
    families.delete(name);
  }
}
