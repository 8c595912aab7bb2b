import { ApiError, type CallableTool, GoogleGenAI } from '@google/genai';
import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  CACHED,
  createTestMeterProvider,
  DURATION,
  REASONING,
  REQUESTS,
  startGoogleSimulator,
  TPOC,
  TTFC,
} from '@tokenmeter/testkit';
import { expectStreamTimings, useGoogleSimulator } from '@tokenmeter/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { googleGenAIErrorType, instrumentGoogleGenAI } from '../src/index.js';

/** Written out as llm's README spells it, so a renamed instrument fails here. */
const COST = 'tokenmeter.gen_ai.client.cost';

const env = useGoogleSimulator();
const { tokens } = env;

const client = (meterProvider = env.t.meterProvider, options: object = {}) =>
  instrumentGoogleGenAI(
    new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: env.sim.baseURL }, ...options }),
    {
      llm: createLlmMetrics({ meterProvider }),
    },
  );
const durations = (match: Record<string, unknown> = {}) => env.t.histogramTotal(DURATION, match);

// Warm-up on a throwaway meter: the SDK's first calls load its lazy modules and
// open the connection; that one-time cost would land in the first test's timings.
beforeAll(async () => {
  const warm = client(createTestMeterProvider().meterProvider);
  await warm.models.generateContent({ model: 'warm;chunks=1', contents: 'x' });
  for await (const _ of await warm.models.generateContentStream({ model: 'warm;chunks=1', contents: 'x' })) {
  }
});

describe('usageMetadata', () => {
  it('input = prompt + tool-use prompt tokens, output = candidates + thoughts; cached and thoughts apart', async () => {
    const response = await client().models.generateContent({
      model: 'gemini;prompt=100;cached=40;tooluse=7;completion=30;reasoning=10;responseModel=gemini-x-001',
      contents: 'Say hello',
    });
    // What Gemini reports: candidates without the thoughts, prompt with the cached tokens.
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 100,
      cachedContentTokenCount: 40,
      toolUsePromptTokenCount: 7,
      candidatesTokenCount: 20,
      thoughtsTokenCount: 10,
      totalTokenCount: 137,
    });
    expect(await tokens('input')).toBe(107);
    expect(await tokens('output')).toBe(30);
    expect(await env.t.sum(CACHED)).toBe(40);
    expect(await env.t.sum(REASONING)).toBe(10);
    const points = await env.t.histogram(DURATION);
    expect(points[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model':
        'gemini;prompt=100;cached=40;tooluse=7;completion=30;reasoning=10;responseModel=gemini-x-001',
      'gen_ai.response.model': 'gemini-x-001',
      'server.address': '127.0.0.1',
      'server.port': env.sim.port,
    });
    expect(await env.t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'STOP' })).toBe(1);
  });
});

describe('cost', () => {
  it('prices input, output and thinking tokens (thoughts at the output rate)', async () => {
    await client().models.generateContent({
      model: 'gemini-2.5-flash;prompt=1000;completion=300;reasoning=100',
      contents: 'Say hello',
    });
    // The bundled table's gemini-2.5-flash prices, per million tokens: 0.30 in, 2.50 out and thinking.
    const cost = (type: string) => env.t.sum(COST, { 'tokenmeter.cost.token_type': type });
    expect(await cost('input')).toBeCloseTo((1000 * 0.3) / 1e6, 12);
    expect(await cost('output')).toBeCloseTo((200 * 2.5) / 1e6, 12);
    expect(await cost('reasoning')).toBeCloseTo((100 * 2.5) / 1e6, 12);
  });
});

describe('thinking', () => {
  it('thought parts are output chunks: TTFT at the first thought', async () => {
    const stream = await client().models.generateContentStream({
      model: 'gemini;ttft=40;gap=15;chunks=5;thinking=2;completion=20;reasoning=9',
      contents: 'Say hello',
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const thoughts: boolean[] = [];
    for await (const chunk of stream)
      thoughts.push(chunk.candidates?.[0]?.content?.parts?.[0]?.thought === true);
    expect(thoughts).toEqual([true, true, false, false, false]);
    await expectStreamTimings(env.t, { ttftMs: 40, gapMs: 15, chunks: 5 });
    expect(await tokens('output')).toBe(20);
    expect(await env.t.sum(REASONING)).toBe(9);
  });
});

describe('chats (they call models.generateContent / generateContentStream)', () => {
  it('records sendMessage() and sendMessageStream()', async () => {
    const chat = client().chats.create({ model: 'gemini;ttft=30;gap=10;chunks=3;prompt=6' });
    const reply = await chat.sendMessage({ message: 'Hello' });
    expect(reply.text).toBe('Hello from the');
    for await (const _ of await chat.sendMessageStream({ message: 'Again' })) {
    }
    expect(chat.getHistory().filter((c) => c.role === 'user')).toHaveLength(2);
    expect((await durations({ 'error.type': null })).count).toBe(2);
    const ttft = await env.t.histogramTotal(TTFC);
    expect(ttft.count).toBe(1);
    assertWithin(ttft.sum, 30);
    expect((await env.t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('input')).toBe(12);
  });
});

describe('automatic function calling', () => {
  it('each request of the loop is one call with its own usage; the tool runs between them, unmeasured', async () => {
    // Answers with a call of `lookup` until the contents carry its result.
    const sim = await startGoogleSimulator({
      script: (r) =>
        JSON.stringify(r.body?.contents).includes('functionResponse')
          ? { promptTokens: 20, completionTokens: 3, chunks: 2 }
          : { toolCall: 'lookup', promptTokens: 10, completionTokens: 2, chunks: 2 },
    });
    try {
      const lookup: CallableTool = {
        tool: async () => ({
          functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object' } }],
        }),
        callTool: async (calls) => {
          await new Promise((r) => setTimeout(r, 60));
          return calls.map((c) => ({ functionResponse: { name: c.name, response: { found: true } } }));
        },
      };
      const ai = instrumentGoogleGenAI(
        new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sim.baseURL } }),
        {
          llm: createLlmMetrics({ meterProvider: env.t.meterProvider }),
        },
      );
      const response = await ai.models.generateContent({
        model: 'gemini',
        contents: 'Look it up',
        config: { tools: [lookup] },
      });
      expect(response.text).toBe('Hello from');
      expect(sim.requests).toHaveLength(2);
      const d = await durations({ 'error.type': null });
      expect(d.count).toBe(2);
      // Two quick requests: the tool's 60 ms are not in either.
      expect((d.max ?? 1) * 1000).toBeLessThan(60);
      expect(await tokens('input')).toBe(30);
      expect(await tokens('output')).toBe(5);
    } finally {
      await sim.close();
    }
  });
});

describe('Vertex AI mode', () => {
  it('a client with vertexai: true records gcp.vertex_ai, against the Vertex path', async () => {
    // Vertex AI express mode (an API key): a project and location need Google
    // credentials, which cannot be had without the network.
    const ai = client(env.t.meterProvider, { vertexai: true });
    const response = await ai.models.generateContent({ model: 'gemini;prompt=4', contents: 'Say hello' });
    expect(response.text).toBe('Hello from the tokenmeter');
    expect(env.sim.requests.at(-1)?.path).toBe(
      '/v1beta1/publishers/google/models/gemini;prompt=4:generateContent',
    );
    const points = await env.t.histogram(DURATION);
    expect(points[0]!.attributes['gen_ai.provider.name']).toBe('gcp.vertex_ai');
    expect(points[0]!.attributes['server.address']).toBe('127.0.0.1');
    expect(await tokens('input')).toBe(4);
  });
});

describe('endpoints', () => {
  it('a request’s own httpOptions.baseUrl is its server', async () => {
    const other = await startGoogleSimulator();
    try {
      const ai = client();
      await ai.models.generateContent({ model: 'gemini', contents: 'x' });
      await ai.models.generateContent({
        model: 'gemini',
        contents: 'x',
        config: { httpOptions: { baseUrl: other.baseURL } },
      });
      const ports = (await env.t.histogram(DURATION)).map((p) => p.attributes['server.port']);
      expect(ports.sort()).toEqual([env.sim.port, other.port].sort());
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('the Gemini API by default: generativelanguage.googleapis.com:443 (no request sent)', async () => {
    const ai = instrumentGoogleGenAI(new GoogleGenAI({ apiKey: 'k' }), {
      llm: createLlmMetrics({ meterProvider: env.t.meterProvider }),
    });
    const ac = new AbortController();
    ac.abort();
    await expect(
      ai.models.generateContent({ model: 'gemini', contents: 'x', config: { abortSignal: ac.signal } }),
    ).rejects.toThrow();
    const points = await env.t.histogram(DURATION);
    expect(points.map((p) => p.attributes)).toEqual([
      expect.objectContaining({
        'error.type': 'aborted',
        'gen_ai.provider.name': 'gcp.gemini',
        'server.address': 'generativelanguage.googleapis.com',
        'server.port': 443,
      }),
    ]);
  });
});

describe('errors', () => {
  it('an error object inside the stream is recorded with its code, after the chunks', async () => {
    const stream = await client().models.generateContentStream({
      model: 'gemini;chunks=2;fail=503',
      contents: 'x',
    });
    let chunks = 0;
    const error = await (async () => {
      for await (const _ of stream) chunks++;
    })().catch((e: unknown) => e);
    expect(chunks).toBe(2);
    expect(error).toBeInstanceOf(ApiError);
    expect((await durations({ 'error.type': '503' })).count).toBe(1);
    expect((await env.t.histogramTotal(TTFC)).count).toBe(1);
  });

  it('HTTP errors carry Google’s error body; the status is error.type', async () => {
    const error = await client()
      .models.generateContent({ model: 'gemini;status=429', contents: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect(JSON.parse((error as ApiError).message)).toMatchObject({
      error: { code: 429, status: 'RESOURCE_EXHAUSTED' },
    });
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
  });

  it('googleGenAIErrorType', () => {
    const aborted = new AbortController();
    aborted.abort();
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    expect(googleGenAIErrorType(new ApiError({ message: 'x', status: 503 }))).toBe('503');
    expect(googleGenAIErrorType(abortError, undefined, aborted.signal)).toBe('aborted');
    expect(googleGenAIErrorType(abortError)).toBe('timeout');
    expect(
      googleGenAIErrorType(
        new TypeError('fetch failed', { cause: Object.assign(new Error(), { code: 'ECONNREFUSED' }) }),
      ),
    ).toBe('ECONNREFUSED');
    expect(googleGenAIErrorType(42)).toBe('_OTHER');
  });
});
