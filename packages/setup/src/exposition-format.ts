/**
 * Which exposition format a scrape gets, chosen from its `Accept` header.
 *
 * Prometheus says what it wants in every scrape: 2.x sends
 * `application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`,
 * and with `--enable-feature=native-histograms` puts the protobuf format
 * first (the only one that carries native histograms). The highest `q` wins;
 * among equals, the one listed first. Anything unreadable, or nothing we
 * serve, gets the text format 0.0.4, which every scraper reads: a bad header
 * never fails a scrape.
 */

/** The formats the endpoint serves. */
export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf';

/** A negotiated format and the `Content-Type` its response carries. */
export interface NegotiatedFormat {
  readonly format: ExpositionFormat;
  readonly contentType: string;
}

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROTOBUF_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

export const TEXT_FORMAT: NegotiatedFormat = { format: 'text', contentType: TEXT_CONTENT_TYPE };
const OPENMETRICS_1: NegotiatedFormat = { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE };
// 0.0.1 is the pre-1.0 name of the same format; answer with the version asked for, as client_golang does.
const OPENMETRICS_0: NegotiatedFormat = {
  format: 'openmetrics',
  contentType: 'application/openmetrics-text; version=0.0.1; charset=utf-8',
};
const PROTOBUF: NegotiatedFormat = { format: 'protobuf', contentType: PROTOBUF_CONTENT_TYPE };

/** Longer headers are not parsed: no scraper sends one, and parsing it would cost every scrape. */
const MAX_ACCEPT_LENGTH = 4096;

/** The format one media range of `Accept` stands for, or undefined when we serve nothing for it. */
function formatOf(type: string, params: ReadonlyMap<string, string>): NegotiatedFormat | undefined {
  const version = params.get('version');
  switch (type) {
    case 'application/openmetrics-text':
      if (version === undefined || version === '1.0.0') return OPENMETRICS_1;
      return version === '0.0.1' ? OPENMETRICS_0 : undefined;
    case 'application/vnd.google.protobuf':
      return params.get('proto') === 'io.prometheus.client.MetricFamily' &&
        params.get('encoding') === 'delimited'
        ? PROTOBUF
        : undefined;
    case 'text/plain':
      return version === undefined || version === '0.0.4' ? TEXT_FORMAT : undefined;
    case 'text/*':
    case '*/*':
      return TEXT_FORMAT;
    default:
      return undefined;
  }
}

/** `q` as RFC 9110 defines it (0 to 1, at most three decimals), or NaN when malformed. */
function quality(raw: string | undefined): number {
  if (raw === undefined) return 1;
  return /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(raw) ? Number(raw) : Number.NaN;
}

/** `name=value` parameters (names lower-cased, quotes removed), or undefined when one is malformed. */
function readParams(raw: readonly string[]): Map<string, string> | undefined {
  const params = new Map<string, string>();
  for (const p of raw) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq).trim().toLowerCase();
    if (eq < 0 || key === '') return undefined;
    let value = p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params.set(key, value);
  }
  return params;
}

/**
 * The format to serve for `accept` (a request's `Accept` header). Never
 * throws; falls back to the text format.
 */
export function negotiateFormat(accept: string | readonly string[] | undefined): NegotiatedFormat {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (typeof header !== 'string' || header === '' || header.length > MAX_ACCEPT_LENGTH) return TEXT_FORMAT;
  let best: NegotiatedFormat | undefined;
  let bestQ = 0;
  for (const range of header.split(',')) {
    const [rawType = '', ...rawParams] = range.split(';');
    const type = rawType.trim().toLowerCase();
    const params = readParams(rawParams);
    // A malformed parameter makes the whole range unreadable (RFC 9110: `name=value`).
    if (params === undefined) continue;
    const q = quality(params.get('q'));
    // A malformed q makes that range unreadable; q=0 means "not acceptable".
    if (!(q > bestQ)) continue;
    const format = formatOf(type, params);
    if (format === undefined) continue;
    best = format;
    bestQ = q;
  }
  return best ?? TEXT_FORMAT;
}
