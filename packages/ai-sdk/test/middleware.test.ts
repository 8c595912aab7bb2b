import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  CACHED,
  createTestMeterProvider,
  DURATION,
  MISSING,
  type OpenAiSimulator,
  REASONING,
  startOpenAiSimulator,
  type TestMeterProvider,
  TOKENS,
  TPOC,
  TTFC,
} from '@tokenmeter/testkit';
import { expectStreamTimings } from '@tokenmeter/testkit/vitest';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenmeterMiddleware } from '../src/index.js';
import { readText } from './helpers.js';

let sim: OpenAiSimulator;
let t: TestMeterProvider;
let llm: LlmMetrics;

beforeAll(async () => {
  sim = await startOpenAiSimulator();
  // Warm-up on a throwaway meter: the AI SDK compiles its response schemas
  // (zod) on first use and the first connection is set up; that one-time cost
  // (~100 ms) would land in the first test's timings.
  llm = createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider });
  await generateText({ model: model('warm?chunks=1'), prompt: 'x', maxRetries: 0 });
  await streamText({ model: model('warm?chunks=1'), prompt: 'x', maxRetries: 0 }).consumeStream();
});
afterAll(() => sim.close());
beforeEach(() => {
  t = createTestMeterProvider();
  llm = createLlmMetrics({ meterProvider: t.meterProvider });
});
afterEach(() => t.shutdown());

function model(id: string, opts: { includeUsage?: boolean; baseURL?: string } = {}) {
  const provider = createOpenAICompatible({
    baseURL: opts.baseURL ?? sim.baseURL,
    name: 'vllm',
    includeUsage: opts.includeUsage ?? true,
  });
  return wrapLanguageModel({
    model: provider.chatModel(id),
    middleware: tokenmeterMiddleware({ llm, serverAddress: '127.0.0.1', serverPort: sim.port }),
  });
}

const tokens = async (type: 'input' | 'output') =>
  (await t.histogramTotal(TOKENS, { 'gen_ai.token.type': type })).sum;
const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);

describe('generateText (wrapGenerate)', () => {
  it('records one duration, reported tokens and attributes; no chunk metrics', async () => {
    const id =
      'llama-3-8b?ttft=60&gap=10&chunks=3&prompt=12&completion=9&cached=5&reasoning=2&responseModel=llama-3-8b-instruct';
    const res = await generateText({ model: model(id), prompt: 'Say hello', maxRetries: 0 });
    expect(res.text).toBe('Hello from the');
    const points = await t.histogram(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]!.count).toBe(1);
    expect(points[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': id,
      'gen_ai.response.model': 'llama-3-8b-instruct',
      'server.address': '127.0.0.1',
      'server.port': sim.port,
    });
    assertWithin(points[0]!.sum, 60 + 2 * 10);
    expect(await tokens('input')).toBe(12);
    expect(await tokens('output')).toBe(9);
    expect(await t.sum(CACHED)).toBe(5);
    expect(await t.sum(REASONING)).toBe(2);
    expect(await t.sum('tokenmeter.gen_ai.client.requests', { 'tokenmeter.finish_reason': 'stop' })).toBe(1);
    expect(await t.histogram(TTFC)).toEqual([]);
    expect(await t.histogram(TPOC)).toEqual([]);
  });

  it('counts missing usage', async () => {
    await generateText({ model: model('m?chunks=2&usage=0'), prompt: 'x', maxRetries: 0 });
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
    expect(await t.sum(MISSING)).toBe(1);
  });

  it('records an HTTP error with its status, once per attempt', async () => {
    await expect(
      generateText({ model: model('m?status=500&errorDelay=30'), prompt: 'x', maxRetries: 0 }),
    ).rejects.toMatchObject({ statusCode: 500 });
    const d = await durations({ 'error.type': '500' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 30);
    // retry-after-ms keeps the AI SDK's backoff short (its default first delay is 2 s)
    const fast = await startOpenAiSimulator({ defaults: { headers: { 'retry-after-ms': '5' } } });
    try {
      await expect(
        generateText({ model: model('m?status=503', { baseURL: fast.baseURL }), prompt: 'x', maxRetries: 1 }),
      ).rejects.toBeDefined();
    } finally {
      await fast.close();
    }
    expect((await durations({ 'error.type': '503' })).count).toBe(2); // the AI SDK retried once: two model calls
  });

  it('records an abort via abortSignal as aborted, at the moment of the abort', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    let abortedAfterMs = 0;
    setTimeout(() => {
      ac.abort();
      abortedAfterMs = performance.now() - t0;
    }, 40);
    await expect(
      generateText({ model: model('m?ttft=300'), prompt: 'x', maxRetries: 0, abortSignal: ac.signal }),
    ).rejects.toBeDefined();
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    // Recorded by the signal's listener inside abort(): it ends no later than
    // abort() returned, measured from the model call, which starts at most
    // PREP_MS after generateText() was called (prompt preparation).
    const PREP_MS = 15;
    expect(d.sum * 1000).toBeLessThanOrEqual(abortedAfterMs);
    expect(d.sum * 1000).toBeGreaterThanOrEqual(abortedAfterMs - PREP_MS);
    await new Promise((r) => setTimeout(r, 50));
    expect((await durations()).count).toBe(1);
  });

  it('records a timeout signal as timeout', async () => {
    await expect(
      generateText({
        model: model('m?ttft=300'),
        prompt: 'x',
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(30),
      }),
    ).rejects.toBeDefined();
    expect((await durations({ 'error.type': 'timeout' })).count).toBe(1);
    expect((await durations()).count).toBe(1);
  });

  it('records connection refused with the socket code', async () => {
    const closed = await startOpenAiSimulator();
    const baseURL = closed.baseURL;
    await closed.close();
    await expect(
      generateText({ model: model('m', { baseURL }), prompt: 'x', maxRetries: 0 }),
    ).rejects.toBeDefined();
    expect((await durations({ 'error.type': 'ECONNREFUSED' })).count).toBe(1);
  });
});

describe('streamText (wrapStream)', () => {
  it('records TTFT, per-chunk gaps, duration and tokens from the finish part', async () => {
    const result = streamText({
      model: model('llama?ttft=120&gap=30&chunks=6&prompt=7'),
      prompt: 'x',
      maxRetries: 0,
    });
    expect(await readText(result)).toBe('Hello from the tokenmeter simulator.');
    await expectStreamTimings(t, { ttftMs: 120, gapMs: 30, chunks: 6 });
    expect(await tokens('input')).toBe(7);
    expect(await tokens('output')).toBe(6);
    expect(await t.sum(MISSING)).toBe(0);
    const p = await t.histogram(DURATION);
    expect(p[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'vllm',
      'gen_ai.response.model': 'llama',
    });
  });

  it('a stream without usage records no tokens and counts the missing usage', async () => {
    const result = streamText({
      model: model('m?chunks=3', { includeUsage: false }),
      prompt: 'x',
      maxRetries: 0,
    });
    await result.consumeStream();
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
    expect((await durations()).count).toBe(1);
    expect(await t.sum(MISSING)).toBe(1);
  });

  it('early stop via abortSignal finalises once as aborted', async () => {
    const ac = new AbortController();
    const result = streamText({
      model: model('m?ttft=20&gap=30&chunks=10'),
      prompt: 'x',
      maxRetries: 0,
      abortSignal: ac.signal,
    });
    let n = 0;
    try {
      for await (const _ of result.textStream) if (++n === 3) ac.abort();
    } catch {
      // the AI SDK may surface the abort
    }
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 20 + 2 * 30);
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect((await durations()).count).toBe(1);
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
  });

  it('a break out of textStream does not stop the model call: it is recorded when the provider finishes', async () => {
    const result = streamText({
      model: model('m?ttft=10&gap=20&chunks=8&prompt=3'),
      prompt: 'x',
      maxRetries: 0,
    });
    let n = 0;
    for await (const _ of result.textStream) if (++n === 2) break;
    // the AI SDK keeps reading the provider's stream; wait for the call to end
    for (let i = 0; i < 50 && (await durations()).count === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const d = await durations({ 'error.type': null });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 10 + 7 * 20);
    expect((await t.histogramTotal(TPOC)).count).toBe(7);
    expect(await tokens('output')).toBe(8);
  });

  it('records an HTTP error on the stream call', async () => {
    const errors: unknown[] = [];
    const result = streamText({
      model: model('m?status=429'),
      prompt: 'x',
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    await result.consumeStream();
    expect(errors).toHaveLength(1);
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
    expect((await durations()).count).toBe(1);
  });

  it('records a connection cut mid-stream once', async () => {
    const result = streamText({
      model: model('m?ttft=10&gap=10&chunks=8&cut=3&cutdelay=250'),
      prompt: 'x',
      maxRetries: 0,
      onError: () => {},
    });
    await result.consumeStream();
    const points = await t.histogram(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]!.count).toBe(1);
    expect(points[0]!.attributes['error.type']).toBe('UND_ERR_SOCKET');
    assertWithin(points[0]!.sum, 10 + 2 * 10 + 250);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
  });
});

describe('in-stream error parts (raw loopback SSE server)', () => {
  let server: Server;
  let baseURL: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'Hi' }));
        res.write(
          `data: ${JSON.stringify({ error: { message: 'engine died', type: 'server_error', code: null } })}\n\n`,
        );
        res.write('data: [DONE]\n\n');
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('an error part fails the call with the error code or type', async () => {
    const errors: unknown[] = [];
    const result = streamText({
      model: model('m', { baseURL }),
      prompt: 'x',
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    await result.consumeStream();
    expect(errors.length).toBeGreaterThan(0);
    const points = await t.histogram(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]!.count).toBe(1);
    expect(points[0]!.attributes['error.type']).toBe('server_error');
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
  });
});

describe('guarantees', () => {
  it('a throwing telemetry backend never breaks the call', async () => {
    const broken = {
      ...llm,
      startRequest() {
        throw new Error('telemetry bug');
      },
    } as LlmMetrics;
    const m = wrapLanguageModel({
      model: createOpenAICompatible({ baseURL: sim.baseURL, name: 'vllm' }).chatModel('m?chunks=2'),
      middleware: tokenmeterMiddleware({ llm: broken }),
    });
    expect((await generateText({ model: m, prompt: 'x', maxRetries: 0 })).text).toBe('Hello from');
    let text = '';
    for await (const d of streamText({ model: m, prompt: 'x', maxRetries: 0 }).textStream) text += d;
    expect(text).toBe('Hello from');
  });

  it('the provider id and model id stay the wrapped model’s', () => {
    const m = model('x');
    expect(m.provider).toBe('vllm.chat');
    expect(m.modelId).toBe('x');
    expect(tokenmeterMiddleware({ llm }).specificationVersion).toBe('v4');
  });

  it('providerName option overrides the mapping; server attributes are omitted unless given', async () => {
    const m = wrapLanguageModel({
      model: createOpenAICompatible({ baseURL: sim.baseURL, name: 'vllm' }).chatModel('m?chunks=1'),
      middleware: tokenmeterMiddleware({ llm, providerName: (id) => `custom-${id}` }),
    });
    await generateText({ model: m, prompt: 'x', maxRetries: 0 });
    const p = await t.histogram(DURATION);
    expect(p[0]!.attributes['gen_ai.provider.name']).toBe('custom-vllm.chat');
    expect(p[0]!.attributes['server.address']).toBeUndefined();
  });
});
