import Anthropic from '@anthropic-ai/sdk';
import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  CACHE_WRITE,
  CACHED,
  createTestMeterProvider,
  DURATION,
  ERRORS,
  MISSING,
  REASONING,
  REQUESTS,
  TOKENS,
  TPOC,
  TTFC,
} from '@tokenmeter/testkit';
import { expectStreamTimings, useAnthropicSimulator } from '@tokenmeter/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { anthropicErrorType, endpointFromBaseURL, instrumentAnthropic } from '../src/index.js';

/** Written out as llm's README spells it, so a renamed instrument fails here. */
const COST = 'tokenmeter.gen_ai.client.cost';

const env = useAnthropicSimulator();
const { tokens } = env;
const messages = [{ role: 'user' as const, content: 'Say hello' }];

const client = (meterProvider = env.t.meterProvider) =>
  instrumentAnthropic(new Anthropic({ apiKey: 'k', baseURL: env.sim.baseURL, maxRetries: 0 }), {
    llm: createLlmMetrics({ meterProvider }),
  });
const durations = (match: Record<string, unknown> = {}) => env.t.histogramTotal(DURATION, match);

// Warm-up on a throwaway meter: the SDK's first calls load its lazy modules and
// open the connection; that one-time cost would land in the first test's timings.
beforeAll(async () => {
  const warm = client(createTestMeterProvider().meterProvider);
  await warm.messages.create({ model: 'warm?chunks=1', max_tokens: 8, messages });
  for await (const _ of warm.messages.stream({ model: 'warm?chunks=1', max_tokens: 8, messages })) {
  }
});

describe('usage', () => {
  it('adds cache reads and writes to the input tokens, and records them and the thinking tokens apart', async () => {
    const message = await client().messages.create({
      model: 'claude?prompt=100&cached=60&cachewrite=30&completion=20&reasoning=8&thinking=1&chunks=3',
      max_tokens: 256,
      messages,
    });
    // What Anthropic reports: input_tokens without the cached ones.
    expect(message.usage).toMatchObject({
      input_tokens: 10,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 30,
      output_tokens: 20,
    });
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(await tokens('input')).toBe(100);
    expect(await tokens('output')).toBe(20);
    expect(await env.t.sum(CACHED)).toBe(60);
    expect(await env.t.sum(CACHE_WRITE)).toBe(30);
    expect(await env.t.sum(REASONING)).toBe(8);
    expect(await env.t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'end_turn' })).toBe(1);
  });

  it('reads the input usage from message_start and the output usage from message_delta', async () => {
    const stream = await client().messages.create({
      model: 'claude?prompt=40&cached=15&completion=6&chunks=3&finish=length',
      max_tokens: 6,
      messages,
      stream: true,
    });
    const usage: Record<string, unknown>[] = [];
    for await (const event of stream) {
      if (event.type === 'message_start') usage.push({ ...event.message.usage });
      if (event.type === 'message_delta') usage.push({ ...event.usage });
    }
    // message_start counts one output token; message_delta the final count.
    expect(usage.map((u) => u.output_tokens)).toEqual([1, 6]);
    expect(await tokens('input')).toBe(40);
    expect(await tokens('output')).toBe(6);
    expect(await env.t.sum(CACHED)).toBe(15);
    expect(await env.t.sum(CACHE_WRITE)).toBe(0);
    expect(await env.t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'max_tokens' })).toBe(1);
  });
});

describe('cost', () => {
  it('prices fresh input, cache reads, cache writes and output apart, at the reported service tier', async () => {
    await client().messages.create({
      model: 'claude-sonnet-4-20250514?prompt=1000&cached=600&cachewrite=300&completion=100',
      max_tokens: 256,
      messages,
    });
    // The bundled table's claude-sonnet-4 standard prices, per million tokens: 3, 0.3, 3.75, 15.
    const cost = (type: string) =>
      env.t.sum(COST, { 'tokenmeter.cost.token_type': type, 'tokenmeter.service_tier': 'standard' });
    expect(await cost('input')).toBeCloseTo((100 * 3) / 1e6, 12);
    expect(await cost('cache_read')).toBeCloseTo((600 * 0.3) / 1e6, 12);
    expect(await cost('cache_write')).toBeCloseTo((300 * 3.75) / 1e6, 12);
    expect(await cost('output')).toBeCloseTo((100 * 15) / 1e6, 12);
  });

  it('a tier the table has no price for leaves the request unpriced, by tier', async () => {
    await client().messages.create({
      model: 'claude-sonnet-4-20250514?tier=priority',
      max_tokens: 8,
      messages,
    });
    expect(await env.t.sum(COST)).toBe(0);
    expect(
      await env.t.sum('tokenmeter.gen_ai.client.usage.unpriced', {
        'tokenmeter.service_tier': 'priority',
        'tokenmeter.cost.unpriced_reason': 'tier',
      }),
    ).toBe(1);
  });
});

describe('extended thinking', () => {
  it('counts thinking deltas as output chunks (TTFT at the first), not the signature', async () => {
    const stream = await client().messages.create({
      model: 'claude?ttft=40&gap=15&chunks=5&thinking=2&completion=30&reasoning=12',
      max_tokens: 1024,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages,
      stream: true,
    });
    const deltas: string[] = [];
    for await (const event of stream) if (event.type === 'content_block_delta') deltas.push(event.delta.type);
    expect(deltas).toEqual([
      'thinking_delta',
      'thinking_delta',
      'signature_delta',
      'text_delta',
      'text_delta',
      'text_delta',
    ]);
    await expectStreamTimings(env.t, { ttftMs: 40, gapMs: 15, chunks: 5 });
    expect(await tokens('output')).toBe(30);
    expect(await env.t.sum(REASONING)).toBe(12);
  });
});

describe('tool use', () => {
  const tools = [
    {
      name: 'lookup',
      description: 'Looks a text up.',
      input_schema: { type: 'object' as const, properties: { text: { type: 'string' } } },
    },
  ];

  it('records a tool_use message with stop_reason tool_use', async () => {
    const message = await client().messages.create({
      model: 'claude?tool=lookup&chunks=2&prompt=9&completion=4',
      max_tokens: 256,
      messages,
      tools,
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'lookup',
      input: { text: 'Hello from' },
    });
    expect(await env.t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'tool_use' })).toBe(1);
    expect(await tokens('output')).toBe(4);
  });
});

describe('the APIPromise stays intact', () => {
  it('withResponse(): the data, the Response and the request id; the call recorded once', async () => {
    const { data, response, request_id } = await client()
      .messages.create({
        model: 'claude?ttft=20&prompt=12&completion=3&responseModel=claude-x-1',
        max_tokens: 8,
        messages,
      })
      .withResponse();
    expect(data.usage.output_tokens).toBe(3);
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_/);
    const points = await env.t.histogram(DURATION);
    expect(points.map((p) => [p.count, p.attributes['gen_ai.response.model']])).toEqual([[1, 'claude-x-1']]);
    assertWithin(points[0]!.sum, 20);
    expect(await tokens('input')).toBe(12);
  });

  it('asResponse(): the raw Response is the caller’s; the duration is recorded at its headers, without usage', async () => {
    const response = await client()
      .messages.create({ model: 'claude?ttft=30&chunks=2', max_tokens: 8, messages })
      .asResponse();
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe('message');
    for (let i = 0; i < 20 && (await durations()).count === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    const d = await durations({ 'error.type': null });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 30);
    expect((await env.t.histogramTotal(TOKENS)).count).toBe(0);
    expect(await env.t.sum(MISSING)).toBe(1);
  });
});

describe('messages.stream() (the SDK’s MessageStream, which calls create())', () => {
  it('records one streamed call: TTFT, gaps, usage and stop reason; finalMessage() intact', async () => {
    const stream = client().messages.stream({
      model: 'claude?ttft=50&gap=20&chunks=4&prompt=11&completion=4',
      max_tokens: 64,
      messages,
    });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('Hello from the tokenmeter');
    expect(final.usage.output_tokens).toBe(4);
    await expectStreamTimings(env.t, { ttftMs: 50, gapMs: 20, chunks: 4 });
    expect(await tokens('input')).toBe(11);
    expect(await env.t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'end_turn' })).toBe(1);
  });

  it('records a break out of a MessageStream, and its abort(), as aborted, once', async () => {
    const c = client();
    const stream = c.messages.stream({ model: 'claude?ttft=20&gap=20&chunks=10', max_tokens: 64, messages });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && ++deltas === 2) break;
    }
    const other = c.messages.stream({ model: 'claude?ttft=20&gap=20&chunks=10', max_tokens: 64, messages });
    other.on('text', () => other.abort());
    await expect(other.done()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect((await durations({ 'error.type': 'aborted' })).count).toBe(2);
    expect((await durations()).count).toBe(2);
  });
});

describe('stopping a stream', () => {
  it('an AbortSignal that fires mid-stream finalises the call at that moment', async () => {
    const ac = new AbortController();
    const stream = await client().messages.create(
      { model: 'claude?ttft=20&gap=30&chunks=10', max_tokens: 64, messages, stream: true },
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 50);
    let events = 0;
    await (async () => {
      for await (const _ of stream) events++;
    })().catch(() => undefined);
    expect(events).toBeGreaterThan(0);
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 50);
    expect((await durations()).count).toBe(1);
  });
});

describe('errors', () => {
  it('an error event inside the stream is recorded with its Anthropic error type', async () => {
    const stream = await client().messages.create({
      model: 'claude?chunks=2&fail=overloaded_error',
      max_tokens: 64,
      messages,
      stream: true,
    });
    const error = await (async () => {
      for await (const _ of stream) {
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((await durations({ 'error.type': 'overloaded_error' })).count).toBe(1);
    expect((await env.t.histogramTotal(TTFC)).count).toBe(1);
    expect((await env.t.histogramTotal(TPOC)).count).toBe(1);
  });

  it('HTTP 529 (overloaded) and 429 are recorded by status, with Anthropic-shaped bodies', async () => {
    const c = client();
    const e529 = await c.messages
      .create({ model: 'claude?status=529', max_tokens: 8, messages })
      .catch((e) => e);
    expect(e529).toBeInstanceOf(Anthropic.APIError);
    expect(e529.status).toBe(529);
    expect(e529.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const e429 = await c.messages
      .create({ model: 'claude?status=429', max_tokens: 8, messages, stream: true })
      .catch((e) => e);
    expect(e429).toBeInstanceOf(Anthropic.RateLimitError);
    expect((await durations({ 'error.type': '529' })).count).toBe(1);
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
    expect(await env.t.sum(ERRORS)).toBe(2);
  });

  it('anthropicErrorType maps the SDK’s errors', () => {
    const streamed = new Anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
    );
    expect(anthropicErrorType(streamed)).toBe('overloaded_error');
    const odd = new Anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'new_error' } },
      undefined,
      new Headers(),
    );
    expect(anthropicErrorType(odd)).toBe('APIError');
    expect(anthropicErrorType(new Anthropic.APIUserAbortError())).toBe('aborted');
    expect(anthropicErrorType(new Anthropic.APIConnectionTimeoutError())).toBe('timeout');
    expect(anthropicErrorType(new Anthropic.APIConnectionError({ message: 'x' }))).toBe('APIConnectionError');
    expect(anthropicErrorType({ weird: true })).toBe('_OTHER');
  });
});

describe('beta.messages.create', () => {
  it('is measured like messages.create', async () => {
    const stream = await client().beta.messages.create({
      model: 'claude?ttft=30&gap=10&chunks=3&prompt=5',
      max_tokens: 64,
      messages,
      stream: true,
    });
    for await (const _ of stream) {
    }
    await expectStreamTimings(env.t, { ttftMs: 30, gapMs: 10, chunks: 3 });
    expect(await tokens('input')).toBe(5);
  });
});

describe('endpointFromBaseURL', () => {
  it.each([
    ['https://api.anthropic.com', 'anthropic', 'api.anthropic.com', 443],
    [
      'https://us-east5-aiplatform.googleapis.com/v1',
      'gcp.vertex_ai',
      'us-east5-aiplatform.googleapis.com',
      443,
    ],
    ['https://aiplatform.googleapis.com/v1', 'gcp.vertex_ai', 'aiplatform.googleapis.com', 443],
    [
      'https://bedrock-runtime.us-east-1.amazonaws.com',
      'aws.bedrock',
      'bedrock-runtime.us-east-1.amazonaws.com',
      443,
    ],
    ['http://localhost:4000', 'anthropic', 'localhost', 4000],
  ])('%s → %s %s:%s', (url, provider, address, port) => {
    expect(endpointFromBaseURL(url)).toEqual({
      providerName: provider,
      serverAddress: address,
      serverPort: port,
    });
  });

  it('records the provider and server of the client’s base URL, or the options', async () => {
    await client().messages.create({ model: 'claude', max_tokens: 8, messages });
    const vllm = instrumentAnthropic(
      new Anthropic({ apiKey: 'k', baseURL: env.sim.baseURL, maxRetries: 0 }),
      {
        llm: createLlmMetrics({ meterProvider: env.t.meterProvider }),
        providerName: 'gateway',
        serverAddress: 'claude.internal',
        serverPort: 8443,
      },
    );
    await vllm.messages.create({ model: 'claude', max_tokens: 8, messages });
    const points = await env.t.histogram(DURATION);
    expect(
      points.map((p) => [
        p.attributes['gen_ai.provider.name'],
        p.attributes['server.address'],
        p.attributes['server.port'],
      ]),
    ).toEqual([
      ['anthropic', '127.0.0.1', env.sim.port],
      ['gateway', 'claude.internal', 8443],
    ]);
  });
});
