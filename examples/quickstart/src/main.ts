/**
 * tokenmeter quickstart: a local OpenAI-compatible simulator, an instrumented
 * `openai` client sending a realistic mix of traffic, a small simulated
 * training loop, a Prometheus endpoint, and a one-screen live summary.
 *
 *   pnpm demo                      # until Ctrl-C
 *   pnpm demo -- --duration 10     # 10 seconds
 *   node examples/quickstart/dist/main.js --port 0 --duration 4
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mountDashboard } from '@tokenmeter/dashboard';
import { registerHostMetrics } from '@tokenmeter/host';
import { createLlmMetrics, type LatencySummary, type LlmSnapshot, type WindowLatency } from '@tokenmeter/llm';
import { instrumentOpenAI } from '@tokenmeter/openai';
import { registerMetrics } from '@tokenmeter/setup';
import {
  type SimRequest,
  type SimScript,
  startOllamaSimulator,
  startOpenAiSimulator,
} from '@tokenmeter/testkit';
import OpenAI from 'openai';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    port: { type: 'string' },
    concurrency: { type: 'string' },
  },
  allowPositionals: false,
});
const durationS = values.duration !== undefined ? Number(values.duration) : undefined;
const port = Number(values.port ?? process.env.PORT ?? 9464);
const concurrency = Math.max(1, Number(values.concurrency ?? 4));
if ((durationS !== undefined && !(durationS > 0)) || !Number.isInteger(port) || port < 0) {
  console.error('usage: main.js [--duration <seconds>] [--port <port>] [--concurrency <n>]');
  process.exit(2);
}

// Deterministic pseudo-random traffic (mulberry32).
let seed = 0x7e57;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));

/** Per-model speed of the simulated backends. */
const MODELS: Record<string, () => SimScript> = {
  'gpt-4o': () => ({
    ttftMs: between(250, 600),
    gapMs: between(18, 30),
    chunks: between(20, 60),
    cachedTokens: 64,
  }),
  'gpt-4o-mini': () => ({ ttftMs: between(100, 250), gapMs: between(8, 15), chunks: between(15, 50) }),
  'o4-mini': () => ({
    ttftMs: between(700, 1500),
    gapMs: between(10, 20),
    chunks: between(10, 30),
    reasoningTokens: 128,
  }),
  'text-embedding-3-small': () => ({ ttftMs: between(20, 60), chunks: 1 }),
  'llama3.2:3b': () => ({ ttftMs: between(60, 150), gapMs: between(20, 35), chunks: between(20, 40) }),
};

/** The scenario rides in a request header so model names stay clean in the metrics. */
function script(req: SimRequest): SimScript {
  const s = MODELS[req.model ?? '']?.() ?? {};
  const scenario = req.headers['x-demo-scenario'];
  if (scenario === '429') return { ...s, status: 429, errorDelayMs: between(5, 30) };
  if (scenario === '500') return { ...s, status: 500, errorDelayMs: between(50, 200) };
  if (scenario === 'cut') return { ...s, cutAfterChunks: between(2, 6) };
  return { ...s, promptTokens: between(40, 900), completionTokens: undefined };
}

const openaiSim = await startOpenAiSimulator({ script });
const ollamaSim = await startOllamaSimulator({ script });

const metrics = registerMetrics({
  serviceName: 'tokenmeter-quickstart',
  prometheus: { port },
  // The demo stops itself on SIGINT/SIGTERM (finishing requests, then metrics.shutdown()).
  shutdownOnSignals: false,
  // The live summary reads snapshot() even when OTEL_METRICS_EXPORTER=otlp leaves no Prometheus reader.
  snapshot: true,
});
try {
  await metrics.ready;
} catch (error) {
  console.error(`metrics endpoint failed: ${String(error)}`);
}

// Host, process, Node runtime (and GPU, where there is one) metrics on the same provider.
const host = registerHostMetrics({ meterProvider: metrics.meterProvider });

const llm = createLlmMetrics({ meterProvider: metrics.meterProvider, collect: () => metrics.collect() });
// The live dashboard at / and its JSON at /dashboard.json, with the same bind address and auth as /metrics.
const dashboard = mountDashboard(metrics, { llm });
const openai = instrumentOpenAI(
  new OpenAI({ apiKey: 'sk-demo', baseURL: openaiSim.baseURL, maxRetries: 0 }),
  {
    llm,
    meterProvider: metrics.meterProvider,
    includeUsage: true,
  },
);
const ollama = instrumentOpenAI(new OpenAI({ apiKey: 'ollama', baseURL: ollamaSim.baseURL, maxRetries: 0 }), {
  llm,
  meterProvider: metrics.meterProvider,
  providerName: 'ollama',
  includeUsage: true,
});

const controller = new AbortController();
const { signal } = controller;
const user = (n: number) => [
  { role: 'user' as const, content: `Question #${n}: explain token metering briefly.` },
];

async function drain(stream: AsyncIterable<unknown>, stopAfter?: number) {
  let n = 0;
  for await (const _ of stream) {
    if (stopAfter !== undefined && ++n >= stopAfter) break;
  }
}

/** One request of a randomly chosen kind. */
/** The first requests walk through every kind once, so a short run shows them all. */
const FIRST_KINDS = [0.1, 0.9, 0.5, 0.65, 0.75, 0.8, 0.86, 0.96, 0.99];
async function oneRequest(n: number): Promise<void> {
  const r = FIRST_KINDS[n] ?? random();
  const headers = (scenario: string) => ({ headers: { 'x-demo-scenario': scenario }, signal });
  const chatModel = random() < 0.6 ? 'gpt-4o-mini' : random() < 0.8 ? 'gpt-4o' : 'o4-mini';
  try {
    if (r < 0.45) {
      await drain(
        await openai.chat.completions.create(
          { model: chatModel, messages: user(n), stream: true },
          { signal },
        ),
      );
    } else if (r < 0.6) {
      await openai.chat.completions.create({ model: chatModel, messages: user(n) }, { signal });
    } else if (r < 0.7) {
      await drain(
        await openai.responses.create(
          { model: 'gpt-4o-mini', input: `Question #${n}`, stream: true },
          { signal },
        ),
      );
    } else if (r < 0.78) {
      await drain(
        await ollama.chat.completions.create(
          { model: 'llama3.2:3b', messages: user(n), stream: true },
          { signal },
        ),
      );
    } else if (r < 0.84) {
      await openai.embeddings.create(
        { model: 'text-embedding-3-small', input: [`doc ${n}`, `doc ${n + 1}`] },
        { signal },
      );
    } else if (r < 0.9) {
      // the user stops reading after a few chunks
      await drain(
        await openai.chat.completions.create(
          { model: chatModel, messages: user(n), stream: true },
          { signal },
        ),
        5,
      );
    } else if (r < 0.95) {
      await openai.chat.completions.create({ model: chatModel, messages: user(n) }, headers('429'));
    } else if (r < 0.98) {
      await drain(
        await openai.chat.completions.create(
          { model: chatModel, messages: user(n), stream: true },
          headers('500'),
        ),
      );
    } else {
      await drain(
        await openai.chat.completions.create(
          { model: chatModel, messages: user(n), stream: true },
          headers('cut'),
        ),
      );
    }
  } catch {
    // failures are part of the demo: they are recorded with error.type
  }
}

let requestCounter = 0;
async function worker(): Promise<void> {
  while (!signal.aborted) {
    await oneRequest(requestCounter++);
    await new Promise((r) => setTimeout(r, between(20, 200)));
  }
}

/** A small simulated fine-tuning loop: one optimiser step every ~200 ms. */
async function trainingLoop(): Promise<void> {
  const run = llm.training({ runName: 'demo-finetune', model: 'llama3.2:3b' });
  let loss = 2.5;
  let epoch = 0;
  while (!signal.aborted) {
    const started = performance.now();
    const dataS = between(5, 20) / 1000;
    const forwardS = between(60, 90) / 1000;
    const backwardS = between(90, 140) / 1000;
    await new Promise((r) => setTimeout(r, (dataS + forwardS + backwardS) * 1000));
    loss = Math.max(0.2, loss * (0.985 + random() * 0.01));
    epoch += 1 / 500;
    run.step({
      durationS: (performance.now() - started) / 1000,
      dataS,
      forwardS,
      backwardS,
      tokens: 16 * 512,
      samples: 16,
      batchSize: 16,
      loss,
      learningRate: 2e-4,
      gradNorm: 0.5 + random(),
      epoch,
    });
  }
  run.end();
}

/**
 * A toy inference server inside the demo, instrumented with the server-side
 * API the way a Node gateway or engine would be: requests queue, get
 * scheduled in batches, stream tokens, finish. Nothing here is measured
 * against a real model; it exists so the server panels have data.
 */
async function inferenceServerLoop(): Promise<void> {
  const model = 'llama3.2:3b';
  let waiting = 0;
  let running = 0;
  let kvCache = 0.2;
  const unobserve = llm.observeServer(() => ({ waiting, running, kvCacheUsage: kvCache }), {
    provider: 'tokenmeter-demo-engine',
    requestModel: model,
    worker: 'worker-0',
  });
  const serve = async () => {
    const srv = llm.startServerRequest({
      operation: 'chat',
      provider: 'tokenmeter-demo-engine',
      requestModel: model,
      worker: 'worker-0',
    });
    waiting++;
    await srv.time('tokenize', () => new Promise((r) => setTimeout(r, between(1, 4))));
    await new Promise((r) => setTimeout(r, between(5, 60))); // queued
    waiting--;
    running++;
    srv.scheduled();
    await new Promise((r) => setTimeout(r, between(30, 90))); // prefill
    const tokens = between(8, 40);
    for (let i = 0; i < tokens && !signal.aborted; i++) {
      srv.token();
      await new Promise((r) => setTimeout(r, between(8, 20)));
    }
    running--;
    if (random() < 0.05) srv.fail(Object.assign(new Error('engine out of memory'), { name: 'EngineOOM' }));
    else
      srv.end({
        inputTokens: between(50, 400),
        outputTokens: tokens,
        finishReason: random() < 0.8 ? 'stop' : 'length',
      });
  };
  const inflight = new Set<Promise<void>>();
  while (!signal.aborted) {
    const size = between(1, 4);
    llm.batch({
      provider: 'tokenmeter-demo-engine',
      requestModel: model,
      worker: 'worker-0',
      size,
      paddingRatio: random() * 0.3,
    });
    for (let i = 0; i < size; i++) {
      const p = serve().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    kvCache = Math.min(0.95, 0.2 + inflight.size * 0.08);
    await new Promise((r) => setTimeout(r, between(150, 400)));
  }
  await Promise.allSettled([...inflight]);
  unobserve();
}

// --- live summary -----------------------------------------------------------
const tty = process.stdout.isTTY === true;
const ms = (s: number | undefined) => (s === undefined ? '    -' : `${(s * 1000).toFixed(0).padStart(5)}ms`);
const num = (x: number | undefined, digits = 0) => (x === undefined ? '-' : x.toFixed(digits));

function render(s: LlmSnapshot, final: boolean): string[] {
  const c = s.client.total;
  const t = s.training[0];
  // Live lines show the recent window's percentiles; the final summary, the whole run's.
  const lat = (l: LatencySummary): WindowLatency | undefined => (final ? l : l.recent);
  const span = final || s.windowS === undefined ? 'whole run' : `last ${Math.round(s.windowS)}s`;
  const errors = Object.entries(c.errorsByType)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const models = Object.entries(s.client.byModel)
    .map(([m, v]) => `${m}: ${v.requests} req, TTFT p50 ${ms(lat(v.timeToFirstChunk)?.p50).trim()}`)
    .slice(0, 5);
  return [
    `tokenmeter quickstart — metrics at ${metrics.prometheus?.url ?? '(no endpoint)'}`,
    `requests ${c.requests}  (${num(c.requestsPerSecond, 1)}/s)   in flight ${c.activeRequests}   errors ${c.errors}  ${errors}`,
    `tokens   in ${c.inputTokens}  out ${c.outputTokens}  (${num(c.outputTokensPerSecond)} out/s)   cached ${c.cachedInputTokens}  reasoning ${c.reasoningTokens}`,
    `TTFT     p50 ${ms(lat(c.timeToFirstChunk)?.p50)}  p95 ${ms(lat(c.timeToFirstChunk)?.p95)}   chunk gap p50 ${ms(lat(c.timePerOutputChunk)?.p50)}  p95 ${ms(lat(c.timePerOutputChunk)?.p95)}   duration p95 ${ms(lat(c.duration)?.p95)}   (${span})`,
    // Simulated traffic priced at the bundled list prices: what it would cost against the real APIs.
    `cost     $${c.costUsd.toFixed(4)} at list prices of ${llm.priceDates.join(', ') || '-'}   per request p50 $${num(lat(c.costPerRequest)?.p50, 6)}  p95 $${num(lat(c.costPerRequest)?.p95, 6)}`,
    ...models.map((m) => `  ${m}`),
    t
      ? `training ${t.run ?? ''} step ${t.steps}  ${num(t.tokensPerSecond)} tok/s  loss ${num(t.loss, 3)}  step p50 ${ms(lat(t.stepDuration)?.p50)}`
      : 'training -',
  ];
}

async function printSummary(final = false): Promise<void> {
  const s = await llm.snapshot();
  if (!s.ok) return;
  const lines = render(s, final);
  if (tty && !final) process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n\nCtrl-C to stop\n`);
  else console.log(lines.join('\n'));
}

console.log(`metrics endpoint: ${metrics.prometheus?.url ?? '(none)'}`);
if (metrics.prometheus?.url) console.log(`dashboard: ${new URL('/', metrics.prometheus.url)}`);
console.log(`OpenAI simulator: ${openaiSim.baseURL}   Ollama simulator: ${ollamaSim.url}`);

const workers = Array.from({ length: concurrency }, () => worker());
const training = trainingLoop();
const engine = inferenceServerLoop();
const ticker = setInterval(() => void printSummary(), 2000);

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    clearInterval(ticker);
    controller.abort();
    await Promise.allSettled([...workers, training, engine]);
    await printSummary(true);
    dashboard.close();
    await host.stop().catch(() => undefined);
    const { error } = await metrics.shutdown(); // a failed last export is also one diag line
    if (error) console.error(String(error));
    await Promise.all([openaiSim.close(), ollamaSim.close()]);
  })();
  return stopping;
}
// `main.js | head`: stop quietly when stdout goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') void stop().then(() => process.exit(0));
});
process.once('SIGINT', () => void stop().then(() => process.exit(0)));
process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
if (durationS !== undefined) setTimeout(() => void stop().then(() => process.exit(0)), durationS * 1000);
