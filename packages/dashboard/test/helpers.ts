import { performance } from 'node:perf_hooks';
import { createLlmMetrics, type LlmMetrics, type LlmMetricsOptions, type PriceTable } from '@tokenmeter/llm';
import { type MetricsAuth, type MetricsHandle, registerMetrics } from '@tokenmeter/setup';
import { afterEach } from 'vitest';
import { createDashboard, type Dashboard, type DashboardOptions } from '../src/index.js';

export interface App {
  handle: MetricsHandle;
  llm: LlmMetrics;
  dashboard: Dashboard;
  /** Origin of the metrics server, with a trailing `/`. */
  base: string;
  stop(): Promise<void>;
}

export interface AppOptions {
  gpu?: boolean;
  auth?: MetricsAuth;
  dashboard?: Partial<DashboardOptions>;
  serviceName?: string;
  /** Prices of the app's LlmMetrics. @default false: no cost until a test records some */
  prices?: LlmMetricsOptions['prices'];
}

/** setup + llm + dashboard on a loopback port chosen by the OS, like an application would wire them. */
export async function startApp(options: AppOptions = {}): Promise<App> {
  let llm: LlmMetrics | undefined;
  const dashboard = createDashboard({
    llm: () => llm,
    collect: () => handle.collect(),
    ...options.dashboard,
  });
  const handle = registerMetrics({
    serviceName: options.serviceName ?? 'dashboard-test',
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
    exporters: ['prometheus'],
    env: {},
    prometheus: {
      host: '127.0.0.1',
      port: 0,
      routes: dashboard.routes,
      ...(options.auth ? { auth: options.auth } : {}),
    },
  });
  await handle.ready;
  llm = createLlmMetrics({
    meterProvider: handle.meterProvider,
    collect: () => handle.collect(),
    env: {},
    prices: options.prices ?? false,
  });
  if (options.gpu) fakeGpus(handle);
  const url = handle.prometheus?.url;
  if (!url) throw new Error('no metrics url');
  return {
    handle,
    llm,
    dashboard,
    base: new URL('/', url).href,
    stop: () => {
      dashboard.close();
      return handle.shutdown().then(() => {});
    },
  };
}

/** `startApp()` for a test file: every app it started is stopped after each test. */
export function appsStoppedAfterEach(): (options?: AppOptions) => Promise<App> {
  const apps: App[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });
  return async (options = {}) => {
    const a = await startApp(options);
    apps.push(a);
    return a;
  };
}

/** What @tokenmeter/host records for two GPUs (its instrument names, units and attributes). */
export function fakeGpus(handle: MetricsHandle, t = () => performance.now() / 1000): void {
  const meter = handle.meterProvider.getMeter('@tokenmeter/host');
  const gpus = [0, 1].map((i) => ({ 'hw.id': `GPU-0000-${i}`, 'hw.name': `gpu${i}`, 'hw.type': 'gpu' }));
  meter.createObservableGauge('hw.gpu.utilization', { unit: '1' }).addCallback((r) => {
    gpus.forEach((g, i) => {
      r.observe(0.5 + 0.3 * Math.sin(t() + i), { ...g, 'hw.gpu.task': 'general' });
      r.observe(0.01, { ...g, 'hw.gpu.task': 'encoder' });
    });
  });
  meter.createObservableUpDownCounter('hw.gpu.memory.usage', { unit: 'By' }).addCallback((r) => {
    gpus.forEach((g, i) => {
      r.observe((20 + 4 * i) * 2 ** 30, g);
    });
  });
  meter.createObservableUpDownCounter('hw.gpu.memory.limit', { unit: 'By' }).addCallback((r) => {
    for (const g of gpus) r.observe(80 * 2 ** 30, g);
  });
}

/** The cost counter as the cost panels expect it (name and unit), on a real meter of the handle. */
export function costCounter(handle: MetricsHandle): (usd: number, model: string) => void {
  const counter = handle.meterProvider
    .getMeter('@tokenmeter/llm')
    .createCounter('tokenmeter.gen_ai.client.cost', { unit: '{USD}' });
  return (usd, model) =>
    counter.add(usd, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
    });
}

/** Round test prices (USD per 1M tokens) for the two models `recordTraffic()` uses. */
export const TEST_PRICES: PriceTable = {
  date: '2026-12-01',
  currency: 'USD',
  models: [
    {
      provider: 'openai',
      model: 'gpt-4o',
      defaultTier: 'default',
      tiers: { default: { input: 2, output: 8 } },
    },
    {
      provider: 'openai',
      model: 'gpt-4o-mini',
      defaultTier: 'default',
      tiers: { default: { input: 0.5, output: 2 } },
    },
  ],
};

/**
 * Priced client calls recorded by @tokenmeter/llm itself (a second LlmMetrics
 * with TEST_PRICES on the app's provider): the real cost counter and
 * per-request histogram, not a stand-in.
 */
export function pricedRequests(
  handle: MetricsHandle,
): (model: string, inputTokens: number, outputTokens: number) => void {
  const llm = createLlmMetrics({
    meterProvider: handle.meterProvider,
    env: {},
    prices: { bundled: false, table: TEST_PRICES },
  });
  return (model, inputTokens, outputTokens) =>
    llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: model })
      .end({ inputTokens, outputTokens });
}

/**
 * Records a little of everything through the public API: streamed client calls on
 * two models (with TTFT), a failure, a server request and training steps.
 */
export function recordTraffic(llm: LlmMetrics, round = 0): void {
  const now = performance.now();
  for (const [i, model] of ['gpt-4o', 'gpt-4o-mini', 'gpt-4o-mini'].entries()) {
    const req = llm.startRequest({
      operation: 'chat',
      provider: 'openai',
      requestModel: model,
      stream: true,
      startTime: now - 400 - 100 * i,
    });
    req.chunk();
    req.chunk();
    req.end({ inputTokens: 100 + i, outputTokens: 20 + i, finishReason: 'stop' });
  }
  llm
    .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', startTime: now - 50 })
    .fail(Object.assign(new Error('rate limited'), { status: 429 }));
  const srv = llm.startServerRequest({ operation: 'chat', provider: 'vllm', requestModel: 'llama-3-8b' });
  srv.scheduled();
  srv.token();
  srv.token();
  srv.end({ inputTokens: 512, outputTokens: 2, finishReason: 'stop' });
  const run = llm.training({ runName: 'sft-1', model: 'llama-3-8b' });
  run.step({ loss: 2 / (round + 1), durationS: 0.2 + 0.01 * round, tokens: 4096, samples: 8 });
}
