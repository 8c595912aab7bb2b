import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '@tokenmeter/exposition';
import { readRecording } from '@tokenmeter/scrape';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposition, type FakeServer, startServer } from '../../scrape/test/helpers/fake-server.js';
import { vllmExposition } from '../../scrape/test/helpers/server-fixtures.js';
import { tempDir, waitFor } from '../../scrape/test/helpers/tools.js';
import { cli, runCli } from './helpers.js';

let server: FakeServer;
let served = 0;
beforeAll(async () => {
  server = await startServer(exposition(() => vllmExposition(++served)));
});
afterAll(() => server.close());

describe('tokenmeter CLI basics', () => {
  it('prints help and documents exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Commands:[\s\S]*serve[\s\S]*scrape[\s\S]*report/);
    for (const cmd of ['scrape', 'report', 'serve']) {
      const h = await runCli([cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: tokenmeter ${cmd}`));
      expect(h.stdout).toMatch(/Exit status:/);
    }
  });

  it('returns 2 with a helpful message for usage errors', async () => {
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const noOut = await runCli(['scrape', server.url]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/nothing to record to: give --out/);
    const badInterval = await runCli(['scrape', server.url, '--out', 'x.jsonl', '--interval', 'soon']);
    expect(badInterval.code).toBe(2);
    expect(badInterval.stderr).toMatch(/--interval: invalid duration 'soon'/);
    const badExt = await runCli(['scrape', server.url, '--out', 'x.txt']);
    expect(badExt.code).toBe(2);
    expect(badExt.stderr).toMatch(/unknown extension/);
  });

  it('returns 3 when the output cannot be written and 4 when nothing could be scraped', async () => {
    // A regular file used as a directory: the output cannot be created.
    const blocker = join(tempDir(), 'file');
    writeFileSync(blocker, '');
    const io = await runCli(['scrape', server.url, '--out', join(blocker, 'run.jsonl')]);
    expect(io.code).toBe(3);
    expect(io.stderr).toMatch(/cannot open .*file\/run\.jsonl for writing/);
    const out = join(tempDir(), 'down.jsonl');
    const down = await runCli([
      'scrape',
      'http://127.0.0.1:1/metrics',
      '--out',
      out,
      '--interval',
      '200ms',
      '--duration',
      '700ms',
      '--retries',
      '0',
      '--quiet',
    ]);
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/no scrape succeeded/);
    // The failures themselves were recorded (up = 0), so the run is still auditable.
    const rec = await readRecording(out);
    expect(rec.rows.filter((r) => r.family === 'tokenmeter_scrape_up').every((r) => r.value === 0)).toBe(
      true,
    );
  });
});

describe.each(['sqlite', 'jsonl', 'csv'])('tokenmeter scrape --out run.%s', (ext) => {
  it('loses nothing scraped before SIGTERM', async () => {
    const dir = tempDir();
    const out = join(dir, `run.${ext}`);
    const before = server.hits();
    const s = cli(['scrape', server.url, '--interval', '150ms', '--out', out, '--metrics', 'vllm:*']);
    await waitFor('5 scrapes', async () => (server.hits() - before >= 5 ? true : undefined));
    s.child.kill('SIGTERM');
    const { code } = await s.exit;
    expect(s.stderr()).toMatch(/SIGTERM: finishing the scrape in flight/);
    expect(code).toBe(0);
    const scraped = server.hits() - before;
    const rec = await readRecording(out);
    const ups = rec.rows.filter((r) => r.family === 'tokenmeter_scrape_up');
    // Every response the server sent is in the file, the one in flight at SIGTERM included.
    expect(ups).toHaveLength(scraped);
    expect(ups.every((r) => r.value === 1)).toBe(true);
    const ts = new Set(rec.rows.filter((r) => r.name === 'vllm:prompt_tokens_total').map((r) => r.ts));
    expect(ts.size).toBe(scraped);
    expect(rec.rows.some((r) => r.family === 'python_gc_objects_collected_total')).toBe(false);
    // Non-TTY status: one line per round with counts.
    expect(s.stderr()).toMatch(/scrapes \d+ {2}samples \d+ {2}errors 0/);
  });
});

describe('tokenmeter report', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    const dir = tempDir();
    a = join(dir, 'a.sqlite');
    b = join(dir, 'b.jsonl');
    for (const out of [a, b]) {
      const r = await runCli([
        'scrape',
        server.url,
        '--interval',
        '100ms',
        '--duration',
        '550ms',
        '--out',
        out,
        '--quiet',
      ]);
      expect(r.code).toBe(0);
    }
  });

  it('renders a Markdown summary with rates and percentiles', async () => {
    const r = await runCli(['report', a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# tokenmeter report: /);
    expect(r.stdout).toMatch(/## Counters/);
    expect(r.stdout).toMatch(
      /\| vllm:prompt_tokens_total \| engine="0", model_name="meta-llama\/Llama-3.1-8B-Instruct" \| \d+/,
    );
    expect(r.stdout).toMatch(/## Histograms[\s\S]*\| vllm:time_to_first_token_seconds \|/);
    expect(r.stdout).toMatch(/\| p50 \| p90 \| p99 \|/);
  });

  it('emits CSV, JSON and per-interval rows', async () => {
    const csv = await runCli(['report', a, '--format', 'csv', '--metrics', 'vllm:prompt*']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^target,name,family,kind,labels/);
    expect(lines.slice(1).every((l) => l.includes('vllm:prompt'))).toBe(true);
    const json = JSON.parse((await runCli(['report', b, '--format', 'json'])).stdout);
    const ttft = json.series.find((s: { name: string }) => s.name === 'vllm:time_to_first_token_seconds');
    expect(ttft.kind).toBe('histogram');
    expect(ttft.increase).toBeGreaterThan(0);
    expect(ttft.p99).toBeGreaterThan(0);
    const iv = JSON.parse((await runCli(['report', b, '--format', 'json', '--intervals'])).stdout);
    const prompt = iv.filter((r: { name: string }) => r.name === 'vllm:prompt_tokens_total');
    expect(prompt.length).toBeGreaterThanOrEqual(3);
    expect(prompt.every((r: { value: number }) => r.value === 5120)).toBe(true);
  });

  it('compares two runs', async () => {
    const r = await runCli(['report', a, '--compare', b]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/# tokenmeter comparison/);
    expect(r.stdout).toMatch(
      /\| vllm:prompt_tokens_total \| .* \| rate\/s \| [\d.]+ \| [\d.]+ \| [+-][\d.]+% \|/,
    );
  });

  it('emits per-interval rows and comparisons as CSV with the same content as JSON', async () => {
    const csvIv = await runCli(['report', b, '--format', 'csv', '--intervals']);
    expect(csvIv.code).toBe(0);
    const jsonIv = JSON.parse((await runCli(['report', b, '--format', 'json', '--intervals'])).stdout);
    const [header, ...rows] = parseCsv(csvIv.stdout);
    // The CSV's columns are exactly the JSON rows' fields.
    expect([...header!].sort()).toEqual([...new Set(jsonIv.flatMap((r: object) => Object.keys(r)))].sort());
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(jsonIv.length);
    rows.forEach((row, i) => {
      const j = jsonIv[i];
      const cell = (c: string) => row[header!.indexOf(c)];
      expect(cell('name')).toBe(j.name);
      expect(JSON.parse(cell('labels')!)).toEqual(j.labels);
      for (const c of ['value', 'rate', 'p50', 'p99'])
        expect(cell(c), `${j.name} ${c}`).toBe(j[c] === undefined || j[c] === null ? '' : String(j[c]));
    });

    const csvCmp = await runCli(['report', a, '--compare', b, '--format', 'csv']);
    expect(csvCmp.code).toBe(0);
    const jsonCmp = JSON.parse((await runCli(['report', a, '--compare', b, '--format', 'json'])).stdout).rows;
    const [cmpHeader, ...cmpRows] = parseCsv(csvCmp.stdout);
    expect(cmpHeader).toEqual(['name', 'labels', 'kind', 'stat', 'a', 'b', 'change']);
    expect(cmpRows).toHaveLength(jsonCmp.length);
    const prompt = cmpRows.find((r) => r[0] === 'vllm:prompt_tokens_total' && r[3] === 'rate');
    expect(prompt).toBeDefined();
    const fromJson = jsonCmp.find(
      (r: { name: string; stat: string }) => r.name === 'vllm:prompt_tokens_total' && r.stat === 'rate',
    );
    expect(Number(prompt![4])).toBe(fromJson.a);
    expect(Number(prompt![5])).toBe(fromJson.b);
  });

  it('exits 3 for a missing file, 4 for an empty recording, 2 for a bad flag', async () => {
    const missing = await runCli(['report', join(tempDir(), 'missing.sqlite')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no such file/);
    const empty = join(tempDir(), 'empty.jsonl');
    writeFileSync(empty, '');
    const e = await runCli(['report', empty]);
    expect(e.code).toBe(4);
    expect(e.stderr).toMatch(/holds no scrapes/);
    expect((await runCli(['report', a, '--format', 'xml'])).code).toBe(2);
  });
});
