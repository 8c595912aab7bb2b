import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { parseCsv } from '@tokenmeter/exposition';
import { describe, expect, it } from 'vitest';
import { FILE_EXPORTER_CSV_HEADER, FileMetricExporter } from '../src/file-metric-exporter.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'tokenmeter-file-'));

// The file exporter's CSV must read back with the reader of every tokenmeter
// CSV (`@tokenmeter/scrape` reads recordings with it): quoted JSON attributes
// with commas included.
describe('file exporter CSV', () => {
  it('writes CSV with a header and delta temporality when asked', async () => {
    const path = join(tempDir(), 'metrics.csv');
    const exporter = new FileMetricExporter({
      path,
      format: 'csv',
      temporality: AggregationTemporality.DELTA,
    });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const c = provider.getMeter('m').createCounter('c');
    c.add(2, { a: 'x,y' });
    await provider.forceFlush();
    c.add(5, { a: 'x,y' });
    await provider.shutdown();
    const rows = parseCsv(readFileSync(path, 'utf8')).filter((r) => r.length > 1);
    expect(rows[0]).toEqual([...FILE_EXPORTER_CSV_HEADER]);
    const data = rows.slice(1).filter((r) => r[4] === 'c');
    expect(data.map((r) => [r[6], r[7], r[8], r[9]])).toEqual([
      ['counter', 'delta', '{"a":"x,y"}', '2'],
      ['counter', 'delta', '{"a":"x,y"}', '5'],
    ]);
  });
});
