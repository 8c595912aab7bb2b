import { readFileSync } from 'node:fs';
import {
  DataPointType,
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  type MetricProducer,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { registerMetrics } from '@tokenmeter/setup';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS, parseExposition, presetTransform, ScrapeMetricProducer, Scraper } from '../src/index.js';
import { exposition, type FakeServer, startServer } from './helpers/fake-server.js';
import { vllmExposition } from './helpers/server-fixtures.js';

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function collect(producer: MetricProducer): Promise<Map<string, MetricData>> {
  const reader = new TestMetricReader({ metricProducers: [producer] });
  const provider = new MeterProvider({ readers: [reader] });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const out = new Map<string, MetricData>();
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
  return out;
}

describe('ScrapeMetricProducer', () => {
  it('maps counters, gauges and histograms with units and the server buckets', async () => {
    const step = 1;
    const srv = await startServer(exposition(() => vllmExposition(step)));
    servers.push(srv);
    const scraper = new Scraper({
      targets: [{ url: srv.url, name: 'vllm-0' }],
      selection: { include: ['vllm:*'] },
    });
    const producer = new ScrapeMetricProducer(scraper, { mode: 'on-collect' });
    const m = await collect(producer);

    const prompt = m.get('vllm:prompt_tokens') as SumMetricData;
    expect(prompt.dataPointType).toBe(DataPointType.SUM);
    expect(prompt.isMonotonic).toBe(true);
    expect(prompt.descriptor.unit).toBe('{token}');
    expect(prompt.dataPoints[0]?.value).toBe(5120);
    expect(prompt.dataPoints[0]?.attributes).toEqual({
      engine: '0',
      model_name: 'meta-llama/Llama-3.1-8B-Instruct',
      'scrape.target': 'vllm-0',
    });

    const ttft = m.get('vllm:time_to_first_token_seconds') as HistogramMetricData;
    expect(ttft.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(ttft.descriptor.unit).toBe('s');
    expect(ttft.descriptor.description).toBe('Histogram of time to first token in seconds.');
    const h = ttft.dataPoints[0]?.value;
    expect(h?.buckets.boundaries).toEqual([
      0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
      80.0, 160.0, 640.0, 2560.0,
    ]);
    expect(h?.count).toBe(10);
    expect(h?.buckets.counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect(h?.buckets.counts).toHaveLength(23);

    expect(m.get('vllm:num_requests_running')?.dataPointType).toBe(DataPointType.GAUGE);
    expect(m.get('tokenmeter.scrape.up')?.dataPoints[0]?.value).toBe(1);
    expect(m.get('tokenmeter.scrape.duration')?.descriptor.unit).toBe('s');

    // _created sets the start time of counters.
    expect(prompt.dataPoints[0]?.startTime[0]).toBe(1_700_000_000);
  });

  it('moves a counter start time forward on a reset when there is no _created', async () => {
    let value = 100;
    const srv = await startServer(exposition(() => `# TYPE c counter\nc_total ${value}\n`));
    servers.push(srv);
    const scraper = new Scraper({ targets: [srv.url] });
    const producer = new ScrapeMetricProducer(scraper, { mode: 'on-collect', targetAttribute: false });
    const first = (await collect(producer)).get('c') as SumMetricData;
    await new Promise((r) => setTimeout(r, 20));
    value = 5;
    const second = (await collect(producer)).get('c') as SumMetricData;
    expect(second.dataPoints[0]?.attributes).toEqual({});
    const t = (p: SumMetricData) =>
      (p.dataPoints[0]?.startTime[0] ?? 0) * 1e3 + (p.dataPoints[0]?.startTime[1] ?? 0) / 1e6;
    expect(t(second)).toBeGreaterThan(t(first));
  });

  it('serves only self-metrics (up = 0) for a target that is down', async () => {
    const scraper = new Scraper({ targets: ['http://127.0.0.1:1/metrics'], retries: 0 });
    await scraper.scrapeOnce();
    const m = await collect(new ScrapeMetricProducer(scraper));
    expect(m.get('tokenmeter.scrape.up')?.dataPoints[0]?.value).toBe(0);
    expect([...m.keys()].every((k) => k.startsWith('tokenmeter.scrape.'))).toBe(true);
  });

  it('is re-exposed on the @tokenmeter/setup Prometheus endpoint with buckets intact', async () => {
    const srv = await startServer(exposition(() => vllmExposition(3)));
    servers.push(srv);
    const scraper = new Scraper({
      targets: [srv.url],
      selection: { include: ['vllm:*'] },
      transform: presetTransform(PRESETS.vllm, { semconv: true }),
    });
    const producer = new ScrapeMetricProducer(scraper, { mode: 'on-collect' });
    const handle = registerMetrics({
      setGlobal: false,
      shutdownOnSignals: false,
      detectResources: false,
      exporters: ['prometheus'],
      prometheus: { server: false, metricProducers: [producer] },
    });
    try {
      const text = await handle.prometheus?.scrape();
      const parsed = parseExposition(text ?? '');
      const fam = (name: string) => parsed.families.find((f) => f.name === name);
      expect(parsed.malformed).toBe(0);
      const e2e = fam('vllm:e2e_request_latency_seconds');
      expect(e2e?.type).toBe('histogram');
      const les = e2e?.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le);
      expect(les).toContain('7680');
      expect(e2e?.samples.find((s) => s.labels.le === '+Inf')?.value).toBe(30);
      expect(fam('vllm:prompt_tokens_total')?.type).toBe('counter');
      const semconv = parsed.families.find((f) => f.name.startsWith('gen_ai_server_time_to_first_token'));
      expect(semconv?.type).toBe('histogram');
      expect(semconv?.samples[0]?.labels.gen_ai_provider_name).toBe('vllm');
      expect(semconv?.samples[0]?.labels.gen_ai_request_model).toBe('meta-llama/Llama-3.1-8B-Instruct');
    } finally {
      await handle.shutdown();
    }
  });

  it('reads the committed fixture identically to the generator', () => {
    const text = readFileSync(new URL('fixtures/vllm.prom', import.meta.url), 'utf8');
    expect(text).toBe(vllmExposition(3));
  });
});
