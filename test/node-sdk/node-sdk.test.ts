// The bound-series path under the OpenTelemetry NodeSDK, which builds the
// MeterProvider itself (from its options or from OTEL_* variables), so no
// factory of ours can build its readers. Real parts: @opentelemetry/sdk-node,
// the OTLP/HTTP protobuf exporter it configures with a local receiver
// decoding the bodies, the Prometheus exporter it configures scraped over
// HTTP, and the real `openai` package talking HTTP to testkit's
// OpenAI-compatible simulator.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { instrumentOpenAI } from '@tokenmeter/openai';
import { bindMeterProvider, PrometheusReader, prometheusHandler } from '@tokenmeter/setup';
import { type OpenAiSimulator, startOpenAiSimulator } from '@tokenmeter/testkit';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attributesOf,
  type ExportRequest,
  findMetric,
  OTLP_TEMPORALITY,
  type OtlpReceiver,
  startOtlpReceiver,
} from '../../packages/setup/test/helpers/otlp-receiver.js';
import { closedPort as freePort } from '../../packages/setup/test/helpers/ports.js';
import { startPrometheus, waitFor } from '../../packages/setup/test/helpers/prometheus-server.js';

let sim: OpenAiSimulator;
let otlp: OtlpReceiver;
beforeAll(async () => {
  sim = await startOpenAiSimulator();
  otlp = await startOtlpReceiver();
});
afterAll(async () => {
  await sim.close();
  await otlp.close();
});

const ENV = [
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_METRIC_EXPORT_INTERVAL',
] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  otlp.requests.length = 0;
  metrics.disable();
  trace.disable();
  context.disable();
  propagation.disable();
});

type Producer = {
  collect(): Promise<{
    resourceMetrics: { scopeMetrics: { metrics: { descriptor: { name: string } }[] }[] };
  }>;
};
/** The SDK reader's fields this feature relies on, read to show which path carried each series. */
interface ReaderInternals {
  _sdkMetricProducer: Producer;
  _metricProducers: Producer[];
}

async function namesFrom(producer: Producer | undefined): Promise<string[]> {
  const { resourceMetrics } = (await producer?.collect()) ?? { resourceMetrics: { scopeMetrics: [] } };
  return resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name));
}

async function chat(client: OpenAI): Promise<{ input: number; output: number }> {
  const r = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  return { input: r.usage?.prompt_tokens ?? Number.NaN, output: r.usage?.completion_tokens ?? Number.NaN };
}

/** Count and sum of a histogram's points whose attributes include `match`. */
function histogram(body: ExportRequest, name: string, match: Record<string, string>) {
  const points = (findMetric(body, name)?.histogram?.dataPoints ?? []).filter((p) => {
    const a = attributesOf(p.attributes);
    return Object.entries(match).every(([k, v]) => a[k] === v);
  });
  return {
    temporality: findMetric(body, name)?.histogram?.aggregationTemporality,
    count: points.reduce((n, p) => n + Number(p.count), 0),
    sum: points.reduce((n, p) => n + (p.sum ?? 0), 0),
  };
}

describe('NodeSDK and bindMeterProvider()', () => {
  it("records an instrumented OpenAI client on the bound path through NodeSDK's metricReaders", async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${otlp.url}/v1/metrics` }),
      exportIntervalMillis: 60_000,
    });
    const sdk = new NodeSDK({
      serviceName: 'chat-api',
      metricReaders: [reader],
      // A view on one llm histogram: that instrument stays the SDK's, with the view applied.
      views: [
        {
          instrumentName: 'gen_ai.client.token.usage',
          attributesProcessors: [],
          name: 'gen_ai.client.token.usage.viewed',
        },
      ],
      traceExporter: undefined,
      spanProcessors: [],
    });
    sdk.start();
    const meterProvider = bindMeterProvider(metrics.getMeterProvider());
    const client = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }), {
      meterProvider,
    });
    const usage = [await chat(client), await chat(client)];
    // The reader got one producer from bindMeterProvider(), which carries llm's bound series;
    // the SDK's own storage holds only the instrument the view selected.
    const internals = reader as unknown as ReaderInternals;
    expect(internals._metricProducers).toHaveLength(1);
    const viaProducer = await namesFrom(internals._metricProducers[0]);
    const viaSdk = await namesFrom(internals._sdkMetricProducer);
    expect(viaProducer).toContain('gen_ai.client.operation.duration');
    expect(viaProducer).not.toContain('gen_ai.client.token.usage.viewed');
    expect(viaSdk).toContain('gen_ai.client.token.usage.viewed');
    expect(viaSdk).not.toContain('gen_ai.client.operation.duration');
    await sdk.shutdown();

    const last = otlp.requests.at(-1)?.body;
    if (!last) throw new Error('NodeSDK exported nothing at shutdown');
    const chatAttrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' };
    const duration = histogram(last, 'gen_ai.client.operation.duration', chatAttrs);
    expect(duration.count).toBe(2);
    expect(duration.temporality).toBe(OTLP_TEMPORALITY.CUMULATIVE);
    expect(findMetric(last, 'gen_ai.client.token.usage')).toBeUndefined();
    const input = histogram(last, 'gen_ai.client.token.usage.viewed', { 'gen_ai.token.type': 'input' });
    expect(input.count).toBe(2);
    expect(input.sum).toBe(usage.reduce((n, u) => n + u.input, 0));
  });

  it('binds both readers NodeSDK builds from OTEL_METRICS_EXPORTER, set as the global provider', async () => {
    const port = await freePort();
    Object.assign(process.env, {
      OTEL_METRICS_EXPORTER: 'otlp,prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${otlp.url}/v1/metrics`,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
    });
    const sdk = new NodeSDK({ serviceName: 'chat-api' });
    sdk.start();
    // Integrations that take no meterProvider record through the global one: make it the bound view.
    const built = metrics.getMeterProvider();
    const bound = bindMeterProvider(built);
    expect(bound).not.toBe(built); // given back unchanged only when it could not be bound
    metrics.disable();
    metrics.setGlobalMeterProvider(bound);
    const client = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }));
    const usage = [await chat(client), await chat(client)];
    const outputTokens = usage.reduce((n, u) => n + u.output, 0);
    // NodeSDK's own Prometheus exporter (the stock one) serves the bound series, cumulative.
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await scrape.text();
    expect(text).toMatch(
      new RegExp(
        `^gen_ai_client_token_usage_sum\\{[^}]*gen_ai_token_type="output"[^}]*\\} ${outputTokens}$`,
        'm',
      ),
    );
    await sdk.shutdown();

    const last = otlp.requests.at(-1)?.body;
    if (!last) throw new Error('NodeSDK exported nothing at shutdown');
    const output = histogram(last, 'gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' });
    expect(output.temporality).toBe(OTLP_TEMPORALITY.DELTA);
    expect(output.count).toBe(2);
    expect(output.sum).toBe(outputTokens);
    expect(histogram(last, 'gen_ai.client.operation.duration', {}).count).toBe(2);
  });

  it("serves setup's endpoint from a PrometheusReader in NodeSDK's metricReaders, scraped by a real Prometheus", async () => {
    const prometheus = new PrometheusReader();
    const sdk = new NodeSDK({ serviceName: 'chat-api', metricReaders: [prometheus] });
    sdk.start();
    const server = createServer(prometheusHandler(prometheus));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const prom = await startPrometheus(target, []);
    try {
      const meterProvider = bindMeterProvider(metrics.getMeterProvider());
      const client = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }), {
        meterProvider,
      });
      const usage = [await chat(client), await chat(client), await chat(client)];
      const input = usage.reduce((n, u) => n + u.input, 0);
      // Prometheus stored what the endpoint served: three requests and the input tokens the server reported.
      const stored = await waitFor(
        'the token sum in Prometheus',
        async () => {
          const [row] = await prom.query<{ value: [number, string] }>(
            'sum(gen_ai_client_token_usage_sum{gen_ai_token_type="input"})',
          );
          return row && Number(row.value[1]) === input ? row : undefined;
        },
        30_000,
      );
      expect(Number(stored.value[1])).toBe(input);
      const [count] = await prom.query<{ value: [number, string] }>(
        'sum(gen_ai_client_operation_duration_seconds_count{gen_ai_request_model="gpt-4o"})',
      );
      expect(Number(count?.value[1])).toBe(3);
      // NodeSDK's resource (service.name from its options) is the scrape's target_info.
      expect(await prom.query('target_info{service_name="chat-api"}')).toHaveLength(1);
    } finally {
      await prom.stop();
      await new Promise((resolve) => server.close(resolve));
      await sdk.shutdown();
    }
  }, 60_000);
});
