// Instrumenting a client before registerMetrics() used to record into the
// no-op global provider for good (0 series). Both orders must work: the
// instrumentation follows the global provider once one is registered.
import { DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { instrumentOpenAI } from '@tokenmeter/openai';
import { registerMetrics } from '@tokenmeter/setup';
import { type OpenAiSimulator, startOpenAiSimulator } from '@tokenmeter/testkit';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let sim: OpenAiSimulator;
beforeAll(async () => {
  sim = await startOpenAiSimulator();
});
afterAll(() => sim.close());
afterEach(() => {
  metrics.disable();
  diag.disable();
});

async function chat(client: OpenAI): Promise<void> {
  await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
}

async function durationCount(collect: () => Promise<{ resourceMetrics: { scopeMetrics: unknown[] } }>) {
  const { resourceMetrics } = await collect();
  const metric = (
    resourceMetrics.scopeMetrics as {
      metrics: { descriptor: { name: string }; dataPoints: { value: { count: number } }[] }[];
    }[]
  )
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'gen_ai.client.operation.duration');
  return metric?.dataPoints.reduce((n, p) => n + p.value.count, 0) ?? 0;
}

describe('instrumentOpenAI() and registerMetrics(), in either order', () => {
  it('registerMetrics() first: every call is recorded', async () => {
    const handle = registerMetrics({ exporters: [], snapshot: true, shutdownOnSignals: false });
    try {
      const client = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }));
      await chat(client);
      await chat(client);
      expect(await durationCount(() => handle.collect())).toBe(2);
    } finally {
      await handle.shutdown();
    }
  });

  it('instrumentOpenAI() first: calls before registration are dropped with one warning, later ones recorded', async () => {
    const warnings: string[] = [];
    diag.setLogger(
      { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    const client = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }));
    await chat(client);
    await chat(client);
    expect(warnings.filter((w) => w.includes('no global MeterProvider is registered yet'))).toHaveLength(1);
    const handle = registerMetrics({ exporters: [], snapshot: true, shutdownOnSignals: false });
    try {
      await chat(client);
      await chat(client);
      await chat(client);
      expect(await durationCount(() => handle.collect())).toBe(3);
    } finally {
      await handle.shutdown();
    }
  });
});
