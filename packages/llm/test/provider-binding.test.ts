import { DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { MeterProvider, type MetricData } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createLlmMetrics } from '../src/index.js';

afterEach(() => {
  metrics.disable();
  diag.disable();
});

async function metric(reader: TestMetricReader, name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

const REQUEST = { operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' };

describe('the global MeterProvider, registered after createLlmMetrics()', () => {
  it('is followed: requests and server gauges registered before it land in it', async () => {
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    const llm = createLlmMetrics();
    llm.startRequest(REQUEST).end({ inputTokens: 1, outputTokens: 1 });
    llm.observeServer(() => ({ waiting: 3, running: 2 }), { provider: 'vllm' });

    const reader = new TestMetricReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    llm.startRequest(REQUEST).end({ inputTokens: 5, outputTokens: 7 });

    const duration = await metric(reader, 'gen_ai.client.operation.duration');
    expect(duration?.dataPoints.map((p) => (p.value as { count: number }).count)).toEqual([1]);
    const waiting = await metric(reader, 'tokenmeter.gen_ai.server.waiting_requests');
    expect(waiting?.dataPoints.map((p) => p.value)).toEqual([3]);
  });

  it('is not followed when a provider was given: that one stays', async () => {
    const given = new TestMetricReader();
    const llm = createLlmMetrics({ meterProvider: new MeterProvider({ readers: [given] }) });
    const global = new TestMetricReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [global] }));
    llm.startRequest(REQUEST).end();
    expect(await metric(given, 'gen_ai.client.operation.duration')).toBeDefined();
    expect(await metric(global, 'gen_ai.client.operation.duration')).toBeUndefined();
  });

  it('says once, loudly, that measurements are dropped until a provider is registered', () => {
    const warnings: string[] = [];
    diag.setLogger(
      { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    const llm = createLlmMetrics();
    for (let i = 0; i < 5; i++) llm.startRequest(REQUEST).end();
    expect(warnings.filter((w) => w.includes('[no-provider]'))).toHaveLength(1);
  });
});
