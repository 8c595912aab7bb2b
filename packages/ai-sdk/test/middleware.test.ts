import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  createTestMeterProvider,
  DURATION,
  type OpenAiSimulator,
  startOpenAiSimulator,
  type TestMeterProvider,
  TTFC,
} from '@tokenmeter/testkit';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenmeterMiddleware } from '../src/index.js';

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

const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);

describe('generateText (wrapGenerate)', () => {
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

describe('the service tier from provider metadata', () => {
  it('@ai-sdk/openai (Responses API): providerMetadata.openai.serviceTier, streamed and not', async () => {
    const openai = createOpenAI({ apiKey: 'test', baseURL: sim.baseURL });
    const tiered = (id: string) =>
      wrapLanguageModel({ model: openai(id), middleware: tokenmeterMiddleware({ llm }) });
    const result = await generateText({
      model: tiered('gpt-4o?tier=flex&chunks=2'),
      prompt: 'x',
      maxRetries: 0,
    });
    expect(result.providerMetadata?.openai?.serviceTier).toBe('flex');
    await streamText({
      model: tiered('gpt-4o?tier=priority&chunks=2'),
      prompt: 'x',
      maxRetries: 0,
    }).consumeStream();
    expect(sim.requests.slice(-2).map((r) => r.path)).toEqual(['/v1/responses', '/v1/responses']);
    const tiers = (await t.histogram(DURATION, { 'gen_ai.provider.name': 'openai' })).map(
      (p) => p.attributes['openai.response.service_tier'],
    );
    expect(tiers.sort()).toEqual(['flex', 'priority']);
  });
});
