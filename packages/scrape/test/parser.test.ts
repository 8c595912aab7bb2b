import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MetricFamily, parseExposition, writeExposition } from '../src/index.js';
import { promtoolErrors } from './helpers/tools.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe('parseExposition on server fixtures', () => {
  it('parses vLLM text with types, counters, histograms and _created', () => {
    const r = parseExposition(fixture('vllm.prom'));
    expect(r.malformed).toBe(0);
    expect(r.format).toBe('prometheus');
    const byName = new Map(r.families.map((f) => [f.name, f]));
    expect(byName.get('vllm:num_requests_running')?.type).toBe('gauge');
    const prompt = byName.get('vllm:prompt_tokens_total') as MetricFamily;
    expect(prompt.type).toBe('counter');
    expect(prompt.samples[0]?.labels).toEqual({
      engine: '0',
      model_name: 'meta-llama/Llama-3.1-8B-Instruct',
    });
    expect(prompt.samples[0]?.value).toBe(15360);
    const ttft = byName.get('vllm:time_to_first_token_seconds') as MetricFamily;
    expect(ttft.type).toBe('histogram');
    expect(ttft.samples.filter((s) => s.name.endsWith('_bucket'))).toHaveLength(23);
    expect(ttft.samples.find((s) => s.labels.le === '+Inf')?.value).toBe(30);
    // A histogram whose name ends in _total is still a histogram.
    expect(byName.get('vllm:iteration_tokens_total')?.type).toBe('histogram');
    // The Python client's separate `_created` gauge families are folded into their
    // counter/histogram, as OpenMetrics carries them: start times, not metrics.
    expect([...byName.keys()].filter((n) => n.endsWith('_created'))).toEqual([]);
    expect(prompt.samples.map((s) => [s.name, s.value])).toEqual([
      ['vllm:prompt_tokens_total', 15360],
      ['vllm:prompt_tokens_created', 1700000000.5],
    ]);
  });

  it('folds a `_created` gauge family into the counter, histogram or summary it belongs to, and only then', () => {
    const text = [
      '# TYPE a_total counter',
      'a_total{k="1"} 5',
      '# TYPE a_created gauge',
      'a_created{k="1"} 1700000000',
      '# TYPE h histogram',
      'h_bucket{le="+Inf"} 2',
      'h_sum 3',
      'h_count 2',
      '# TYPE h_created gauge',
      'h_created 1700000001',
      '# TYPE s summary',
      's_sum 1',
      's_count 1',
      's_created 1700000002',
      '# TYPE lonely_created gauge',
      'lonely_created 1700000003',
      '# TYPE g gauge',
      'g 1',
      '# TYPE g_created gauge',
      'g_created 1700000004',
      '',
    ].join('\n');
    const r = parseExposition(text);
    const byName = new Map(r.families.map((f) => [f.name, f]));
    expect([...byName.keys()]).toEqual(['a_total', 'h', 's', 'lonely_created', 'g', 'g_created']);
    expect(byName.get('a_total')?.samples.at(-1)).toEqual({
      name: 'a_created',
      labels: { k: '1' },
      value: 1700000000,
    });
    expect(byName.get('h')?.samples.at(-1)).toEqual({ name: 'h_created', labels: {}, value: 1700000001 });
    expect(byName.get('s')?.samples.at(-1)).toEqual({ name: 's_created', labels: {}, value: 1700000002 });
    // No counter or histogram to belong to: a gauge like any other.
    expect(byName.get('lonely_created')?.type).toBe('gauge');
    expect(byName.get('g_created')?.type).toBe('gauge');
  });

  it('parses TGI text (counters without _total, no HELP)', () => {
    const r = parseExposition(fixture('tgi.prom'));
    expect(r.malformed).toBe(0);
    const f = r.families.find((x) => x.name === 'tgi_request_failure');
    expect(f).toMatchObject({ type: 'counter', samples: [{ labels: { err: 'validation' }, value: 3 }] });
    expect(r.families.find((x) => x.name === 'tgi_batch_inference_duration')?.samples).toHaveLength(19);
  });

  it('parses OpenMetrics: UNIT, _total/_created, exemplars, EOF', () => {
    const r = parseExposition(fixture('vllm-openmetrics.txt'));
    expect(r.format).toBe('openmetrics');
    expect(r.eof).toBe(true);
    expect(r.malformed).toBe(0);
    const counter = r.families.find((f) => f.name === 'vllm:prompt_tokens') as MetricFamily;
    expect(counter.type).toBe('counter');
    expect(counter.samples.map((s) => s.name)).toEqual([
      'vllm:prompt_tokens_total',
      'vllm:prompt_tokens_created',
    ]);
    expect(counter.samples[0]?.exemplar).toEqual({
      labels: { trace_id: 'abc123' },
      value: 512,
      timestampMs: 1700000000500,
    });
    const hist = r.families.find((f) => f.name === 'vllm:e2e_request_latency_seconds') as MetricFamily;
    expect(hist.unit).toBe('seconds');
    expect(hist.samples).toHaveLength(6);
    expect(hist.samples[1]?.exemplar?.value).toBe(2.25);
  });
});

describe('parseExposition details', () => {
  it('handles escapes, NaN/Inf, timestamps and summaries', () => {
    const text = [
      '# HELP m A help with \\\\ backslash and \\n newline',
      '# TYPE m summary',
      'm{quantile="0.5",path="a\\"b\\\\c\\nd"} NaN 1700000000000',
      'm{quantile="0.99"} +Inf',
      'm_sum -Inf',
      'm_count 3',
      'untyped_one 1e3',
      'x{a="1",} 2',
    ].join('\n');
    const r = parseExposition(text);
    expect(r.malformed).toBe(0);
    const m = r.families[0] as MetricFamily;
    expect(m.help).toBe('A help with \\ backslash and \n newline');
    expect(m.type).toBe('summary');
    expect(m.samples[0]?.labels.path).toBe('a"b\\c\nd');
    expect(Number.isNaN(m.samples[0]?.value)).toBe(true);
    expect(m.samples[0]?.timestampMs).toBe(1700000000000);
    expect(m.samples[1]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(m.samples[2]).toMatchObject({ name: 'm_sum', value: Number.NEGATIVE_INFINITY });
    expect(r.families.find((f) => f.name === 'untyped_one')).toMatchObject({
      type: 'unknown',
      samples: [{ value: 1000 }],
    });
    expect(r.families.find((f) => f.name === 'x')?.samples[0]?.labels).toEqual({ a: '1' });
  });

  it('accepts Prometheus 3 quoted UTF-8 names', () => {
    const r = parseExposition('# TYPE "my.metric" gauge\n{"my.metric",a="1"} 5\n');
    expect(r.malformed).toBe(0);
    expect(r.families[0]).toMatchObject({
      name: 'my.metric',
      type: 'gauge',
      samples: [{ value: 5, labels: { a: '1' } }],
    });
  });

  it('counts and skips malformed lines with diagnostics, keeping the rest', () => {
    const text = [
      '# TYPE ok gauge',
      'ok 1',
      'bad{ 1',
      'bad2{a="unterminated} 1',
      'nospace{a="1"}1',
      'ok 2 notatimestamp',
      'bad3 one',
      'ok{a="x",a="y"} 3',
      '# TYPE t wibble',
      'ok{b="2"} 4',
    ].join('\n');
    const r = parseExposition(text, { format: 'prometheus' });
    expect(r.malformed).toBe(7);
    expect(r.diagnostics.map((d) => d.line)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(r.diagnostics[5]?.message).toMatch(/duplicate label/);
    expect(r.families[0]?.samples.map((s) => s.value)).toEqual([1, 4]);
  });

  it('flags a truncated OpenMetrics body (no # EOF) but keeps its samples', () => {
    const text = fixture('vllm-openmetrics.txt').replace('# EOF\n', '');
    const r = parseExposition(text, { format: 'openmetrics' });
    expect(r.eof).toBe(false);
    expect(r.diagnostics.at(-1)?.message).toMatch(/missing # EOF/);
    expect(r.families.length).toBe(3);
  });

  it('treats content after # EOF as malformed', () => {
    const r = parseExposition('a 1\n# EOF\nb 2\n', { format: 'openmetrics' });
    expect(r.malformed).toBe(1);
    expect(r.families.map((f) => f.name)).toEqual(['a']);
  });

  it('handles CRLF line endings', () => {
    const r = parseExposition('# TYPE a counter\r\na_total 1\r\n');
    expect(r.malformed).toBe(0);
    expect(r.families[0]?.samples[0]?.value).toBe(1);
  });
});

// ---------- fuzzing ----------

const nameArb = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const labelNameArb = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/)
  .filter((n) => n !== 'le' && n !== 'quantile' && !n.startsWith('__'));
const labelValueArb = fc.string({ unit: 'grapheme', maxLength: 12 });
const valueArb = fc.oneof(
  fc.double({ noNaN: false }),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0),
);
const labelsArb = fc.dictionary(labelNameArb, labelValueArb, { maxKeys: 4 });
const helpArb = fc.option(
  fc.string({ unit: 'grapheme', maxLength: 20 }).filter((h) => !h.endsWith('\r')),
  { nil: undefined },
);

/** Valid gauge/unknown/counter families with distinct names and no suffix ambiguity. */
const familiesArb = fc
  .uniqueArray(
    fc.record({
      name: nameArb.filter((n) => !/_(total|created|bucket|sum|count|gcount|gsum|info)$/.test(n)),
      type: fc.constantFrom('gauge' as const, 'unknown' as const, 'counter' as const),
      help: helpArb,
      samples: fc.uniqueArray(
        fc.record({
          labels: labelsArb,
          value: valueArb,
          ts: fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: undefined }),
        }),
        {
          minLength: 1,
          maxLength: 4,
          selector: (s) => JSON.stringify(Object.entries(s.labels).sort()),
        },
      ),
    }),
    { maxLength: 5, selector: (f) => f.name },
  )
  // Names must not be prefixes+suffix of one another (x and x_total would be one family).
  .map((fams) =>
    fams.map(
      (f): MetricFamily => ({
        name: f.type === 'counter' ? `${f.name}_total` : f.name,
        type: f.type,
        ...(f.help !== undefined ? { help: f.help } : {}),
        samples: f.samples.map((s) => ({
          name: f.type === 'counter' ? `${f.name}_total` : f.name,
          labels: s.labels,
          value: s.value,
          ...(s.ts !== undefined ? { timestampMs: s.ts } : {}),
        })),
      }),
    ),
  )
  .filter((fams) => {
    const names = fams.map((f) => f.name);
    return names.every((a) => names.every((b) => a === b || !b.startsWith(a)));
  });

function normalise(families: MetricFamily[]) {
  return families.map((f) => ({
    name: f.name,
    type: f.type,
    help: f.help,
    samples: f.samples.map((s) => ({
      name: s.name,
      labels: s.labels,
      value: Object.is(s.value, -0) ? 0 : s.value,
      timestampMs: s.timestampMs,
    })),
  }));
}

describe('parser fuzzing', () => {
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const r = parseExposition(text);
        expect(r.malformed).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real expositions', () => {
    const base = fixture('vllm.prom').slice(0, 4000) + fixture('vllm-openmetrics.txt');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length), fc.nat(5), fc.string({ maxLength: 4 })), { maxLength: 8 }),
        fc.constantFrom<'auto' | 'prometheus' | 'openmetrics'>('auto', 'prometheus', 'openmetrics'),
        (edits, format) => {
          let text = base;
          for (const [at, del, ins] of edits) text = text.slice(0, at) + ins + text.slice(at + del);
          const r = parseExposition(text, { format });
          for (const f of r.families) for (const s of f.samples) expect(typeof s.value).toBe('number');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips generated Prometheus text', () => {
    fc.assert(
      fc.property(familiesArb, (families) => {
        const text = writeExposition(families, { timestamps: true });
        const r = parseExposition(text, { format: 'prometheus' });
        expect(r.malformed).toBe(0);
        expect(normalise(r.families)).toEqual(normalise(families));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips generated OpenMetrics text (OM counters are declared without _total)', () => {
    fc.assert(
      fc.property(familiesArb, (families) => {
        const om = families.map((f) =>
          f.type === 'counter' ? { ...f, name: f.name.replace(/_total$/, '') } : f,
        );
        const text = writeExposition(om, { format: 'openmetrics' });
        const r = parseExposition(text);
        expect(r.format).toBe('openmetrics');
        expect(r.eof).toBe(true);
        expect(r.malformed).toBe(0);
        expect(normalise(r.families)).toEqual(
          normalise(om.map((f) => ({ ...f, samples: f.samples.map(({ timestampMs: _, ...s }) => s) }))),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('writes promtool-valid text for generated families and the fixtures', () => {
    const samples = fc.sample(familiesArb, { numRuns: 25, seed: 42 });
    const text = samples.map((fams, i) =>
      writeExposition(
        fams.map((f) => ({
          ...f,
          name: `g${i}_${f.name}`,
          samples: f.samples.map((s) => ({ ...s, name: `g${i}_${s.name}` })),
        })),
      ),
    );
    expect(promtoolErrors(text.join(''))).toEqual([]);
    expect(promtoolErrors(writeExposition(parseExposition(fixture('vllm.prom')).families))).toEqual([]);
    expect(
      promtoolErrors(writeExposition(parseExposition(fixture('vllm-openmetrics.txt')).families)),
    ).toEqual([]);
  });
});
