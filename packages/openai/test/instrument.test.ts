import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertGap,
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
import OpenAI, { APIUserAbortError, InternalServerError, RateLimitError } from 'openai';
import { APIPromise } from 'openai/core/api-promise';
import { Stream } from 'openai/core/streaming';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../src/index.js';

let sim: OpenAiSimulator;
let t: TestMeterProvider;
let client: OpenAI;

beforeAll(async () => {
  sim = await startOpenAiSimulator();
  // Warm-up on a throwaway meter: the first calls load the SDK's lazy modules,
  // open the connection and compile both paths; that one-time cost would land
  // in the first test's timings (seen at +67 ms on a saturated 2-core machine).
  const warm = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }), {
    llm: createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider }),
  });
  const messages = [{ role: 'user' as const, content: 'warm-up' }];
  await warm.chat.completions.create({ model: 'warm?chunks=1', messages });
  for await (const _ of await warm.chat.completions.create({
    model: 'warm?chunks=1',
    messages,
    stream: true,
  })) {
  }
});
afterAll(() => sim.close());

beforeEach(() => {
  t = createTestMeterProvider();
  const llm = createLlmMetrics({ meterProvider: t.meterProvider });
  client = instrumentOpenAI(new OpenAI({ apiKey: 'test-key', baseURL: sim.baseURL, maxRetries: 0 }), {
    llm,
    meterProvider: t.meterProvider,
  });
});
afterEach(() => t.shutdown());

const tokens = async (type: 'input' | 'output', match: Record<string, unknown> = {}) =>
  (await t.histogramTotal(TOKENS, { 'gen_ai.token.type': type, ...match })).sum;
const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);
const user = [{ role: 'user' as const, content: 'Say hello' }];

describe('service tier and cost (the response reports service_tier; @tokenmeter/llm prices the usage)', () => {
  const COST = 'tokenmeter.gen_ai.client.cost';
  const PER_REQUEST = 'tokenmeter.gen_ai.client.operation.cost';

  it('a non-streaming chat call at the priority tier: the tier on the spec metrics, priority prices', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o?prompt=1000&completion=100&cached=200&tier=priority&responseModel=gpt-4o-2024-08-06',
      messages: user,
    });
    const d = await t.histogram(DURATION);
    expect(d[0]?.attributes['openai.response.service_tier']).toBe('priority');
    const tok = await t.histogram(TOKENS, { 'gen_ai.token.type': 'input' });
    expect(tok[0]?.attributes['openai.response.service_tier']).toBe('priority');
    // Bundled gpt-4o priority rates: 800 × $4.25/M + 200 × $2.125/M + 100 × $17/M = $0.005525.
    expect((await t.histogramTotal(PER_REQUEST, { 'tokenmeter.service_tier': 'priority' })).sum).toBeCloseTo(
      0.005525,
      12,
    );
    expect(await t.sum(COST, { 'tokenmeter.cost.token_type': 'cache_read' })).toBeCloseTo(0.000425, 12);
  });

  it('a streamed chat call reads the tier from its chunks and the usage chunk; no tier reported: the default one', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini?chunks=3&prompt=1000&completion=200&tier=default',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
    }
    await client.chat.completions.create({ model: 'gpt-4o-mini?prompt=1000&completion=200', messages: user });
    // 1000 × $0.15/M + 200 × $0.60/M = $0.00027 each, both at the default tier.
    const per = await t.histogramTotal(PER_REQUEST, { 'tokenmeter.service_tier': 'default' });
    expect(per.count).toBe(2);
    expect(per.sum).toBeCloseTo(0.00054, 12);
    const tiers = (await t.histogram(DURATION)).map((p) => p.attributes['openai.response.service_tier']);
    expect(tiers.sort()).toEqual(['default', undefined]);
  });

  it('a streamed Responses call reads the tier from response.completed', async () => {
    const stream = await client.responses.create({
      model: 'gpt-4o-mini?chunks=2&prompt=100&completion=10&tier=flex',
      input: 'hi',
      stream: true,
    });
    for await (const _ of stream) {
    }
    expect((await t.histogram(DURATION))[0]?.attributes['openai.response.service_tier']).toBe('flex');
    // The bundled table has no flex rates for gpt-4o-mini: unpriced, not guessed.
    expect(
      await t.sum('tokenmeter.gen_ai.client.usage.unpriced', { 'tokenmeter.cost.unpriced_reason': 'tier' }),
    ).toBe(1);
    expect(await t.names()).not.toContain(COST);
  });
});

describe('chat.completions.create', () => {
  it('includeUsage adds stream_options.include_usage without mutating the caller body', async () => {
    const c = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }), {
      llm: createLlmMetrics({ meterProvider: t.meterProvider }),
      meterProvider: t.meterProvider,
      includeUsage: true,
    });
    const body = { model: 'm?chunks=2&prompt=3', messages: user, stream: true as const };
    const stream = await c.chat.completions.create(body);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(body).not.toHaveProperty('stream_options');
    expect(sim.requests.at(-1)!.body?.stream_options).toEqual({ include_usage: true });
    expect(chunks.at(-1)!.choices).toEqual([]); // the usage chunk the option adds
    expect(await tokens('input')).toBe(3);
    expect(await tokens('output')).toBe(2);
    // an explicit include_usage: false is respected
    const s2 = await c.chat.completions.create({ ...body, stream_options: { include_usage: false } });
    for await (const _ of s2) {
      // drain
    }
    expect(sim.requests.at(-1)!.body?.stream_options).toEqual({ include_usage: false });
  });

  it('finalises once on an early break', async () => {
    const stream = await client.chat.completions.create({
      model: 'm?ttft=20&gap=20&chunks=10',
      messages: user,
      stream: true,
    });
    let n = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) n++;
      if (n === 2) break;
    }
    expect(stream.controller.signal.aborted).toBe(true); // the SDK's own behaviour is intact
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 20 + 20);
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(1);
    expect(d.count).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await durations()).count).toBe(1);
  });

  it('finalises once on controller.abort() mid-stream', async () => {
    const stream = await client.chat.completions.create({
      model: 'm?ttft=10&gap=30&chunks=10',
      messages: user,
      stream: true,
    });
    let n = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) n++;
      if (n === 3) stream.controller.abort();
    }
    expect(n).toBe(3); // the SDK ends an aborted stream quietly
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    expect((await durations()).count).toBe(1);
    expect(d.sum * 1000).toBeLessThan(10 + 9 * 30);
    expect(await t.sum(MISSING)).toBe(0); // an aborted stream is not "missing usage"
  });

  it('finalises once when an AbortSignal fires mid-stream and before the response', async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm?ttft=10&gap=30&chunks=10', messages: user, stream: true },
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 60);
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBeLessThan(10);
    expect((await durations()).count).toBe(1);

    const ac2 = new AbortController();
    const p = client.chat.completions.create({ model: 'm?ttft=500', messages: user }, { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 30);
    await expect(p).rejects.toBeInstanceOf(APIUserAbortError);
    // before the response or mid-stream, a user abort is error.type=aborted
    expect((await durations({ 'error.type': 'aborted' })).count).toBe(2);
    expect((await durations()).count).toBe(2);
  });

  it('records HTTP errors with the status code as error.type', async () => {
    await expect(
      client.chat.completions.create({ model: 'm?status=429', messages: user }),
    ).rejects.toBeInstanceOf(RateLimitError);
    await expect(
      client.chat.completions.create({ model: 'm?status=500&errorDelay=40', messages: user, stream: true }),
    ).rejects.toBeInstanceOf(InternalServerError);
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
    const e500 = await durations({ 'error.type': '500' });
    expect(e500.count).toBe(1);
    assertWithin(e500.sum, 40);
    expect((await durations()).count).toBe(2);
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
  });

  it('keeps the APIPromise: withResponse() and asResponse()', async () => {
    const p = client.chat.completions.create({ model: 'm?prompt=4&completion=6', messages: user });
    expect(p).toBeInstanceOf(APIPromise);
    const { data, response, request_id } = await p.withResponse();
    expect(data.usage?.completion_tokens).toBe(6);
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_/);
    expect((data as { _request_id?: string | null })._request_id).toBe(request_id);
    expect(await tokens('output')).toBe(6);
    expect((await durations()).count).toBe(1);

    const raw = await client.chat.completions.create({ model: 'm?ttft=20', messages: user }).asResponse();
    expect(raw.status).toBe(200);
    expect(((await raw.json()) as { object: string }).object).toBe('chat.completion'); // the body is still the caller's to read
    await new Promise((r) => setTimeout(r, 20));
    expect((await durations()).count).toBe(2);
    expect(await tokens('output')).toBe(6); // a raw response's usage is not read
  });

  it('observes tee() once: both branches get every chunk, chunks are counted once', async () => {
    const stream = await client.chat.completions.create({
      model: 'm?ttft=30&gap=10&chunks=4',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream).toBeInstanceOf(Stream); // the SDK's own Stream, observed in place
    const [a, b] = stream.tee();
    const read = async (s: typeof a) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
      return text;
    };
    const [ta, tb] = await Promise.all([read(a), read(b)]);
    expect(ta).toBe(tb);
    expect(ta.length).toBeGreaterThan(0);
    expect((await durations()).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(3);
    assertWithin((await t.histogramTotal(TTFC)).sum, 30);
    expect(await tokens('output')).toBe(4);
  });

  it('observes toReadableStream()', async () => {
    const stream = await client.chat.completions.create({
      model: 'm?chunks=3',
      messages: user,
      stream: true,
      stream_options: { include_usage: true },
    });
    const reader = stream.toReadableStream().getReader();
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lines += new TextDecoder().decode(value).split('\n').filter(Boolean).length;
    }
    expect(lines).toBeGreaterThan(3);
    expect((await durations()).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('output')).toBe(3);
  });
});

describe('responses.create', () => {
  it('records a streamed response: TTFT from output_text.delta events, usage from response.completed', async () => {
    const stream = await client.responses.create({
      model: 'gpt-4.1?ttft=80&gap=25&chunks=4&prompt=20&cached=8&reasoning=3&completion=11',
      input: 'hello',
      stream: true,
    });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types.at(-1)).toBe('response.completed');
    assertWithin((await t.histogramTotal(TTFC)).sum, 80);
    const gaps = await t.histogramTotal(TPOC);
    expect(gaps.count).toBe(3);
    assertGap(gaps.min, 25);
    assertGap(gaps.max, 25);
    expect(await tokens('input', { 'gen_ai.operation.name': 'chat' })).toBe(20);
    expect(await tokens('output')).toBe(11);
    expect(await t.sum(CACHED)).toBe(8);
    expect(await t.sum(REASONING)).toBe(3);
    expect((await durations({ 'gen_ai.response.model': 'gpt-4.1' })).count).toBe(1);
  });

  it('records a non-streaming response and keeps withResponse()', async () => {
    const p = client.responses.create({ model: 'gpt-4.1?prompt=5&completion=2', input: 'x' });
    expect(p).toBeInstanceOf(APIPromise);
    const { data } = await p.withResponse();
    expect(data.output_text).toBeTruthy(); // the SDK's own _thenUnwrap still ran
    expect(await tokens('input')).toBe(5);
    expect(await tokens('output')).toBe(2);
    expect((await durations()).count).toBe(1);
    expect(await t.sum(MISSING)).toBe(0);
  });

  it('records a failed responses call', async () => {
    await expect(client.responses.create({ model: 'm?status=503', input: 'x' })).rejects.toThrow();
    expect((await durations({ 'error.type': '503', 'gen_ai.operation.name': 'chat' })).count).toBe(1);
  });

  it('records a response that fails with HTTP 200 (a response.failed event, or a failed result) as an error with its code', async () => {
    const stream = await client.responses.create({
      model: 'm?ttft=20&chunks=2&fail=server_error',
      input: 'x',
      stream: true,
    });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types.at(-1)).toBe('response.failed');
    expect(types.filter((type) => type === 'response.output_text.delta')).toHaveLength(2);
    expect((await durations({ 'error.type': 'server_error' })).count).toBe(1);
    expect((await t.histogramTotal(TTFC)).count).toBe(1); // output arrived before the failure
    expect(await t.sum('tokenmeter.gen_ai.client.errors', { 'error.type': 'server_error' })).toBe(1);

    const res = await client.responses.create({ model: 'm?fail=rate_limit_exceeded', input: 'x' });
    expect(res.status).toBe('failed');
    expect((await durations({ 'error.type': 'rate_limit_exceeded' })).count).toBe(1);
    expect((await durations()).count).toBe(2);
    // Neither was a success.
    expect(await t.sum('tokenmeter.gen_ai.client.requests')).toBe(0);
  });
});

describe("the SDK's own helpers (they call create() and _thenUnwrap())", () => {
  it('records chat.completions.parse()', async () => {
    const res = await client.chat.completions.parse({ model: 'm?prompt=3&completion=4', messages: user });
    expect(res.choices[0]!.message.content).toBeTruthy();
    expect((await durations()).count).toBe(1);
    expect(await tokens('output')).toBe(4);
    await expect(
      client.chat.completions.parse({ model: 'm?status=429', messages: user }),
    ).rejects.toBeInstanceOf(RateLimitError);
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
  });

  it('records chat.completions.stream() once, with chunks', async () => {
    const runner = client.chat.completions.stream({
      model: 'm?ttft=30&gap=10&chunks=4',
      messages: user,
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBeTruthy();
    expect((await durations()).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(3);
    assertWithin((await t.histogramTotal(TTFC)).sum, 30);
  });

  it('records responses.stream() once, with chunks, and its failures', async () => {
    const runner = client.responses.stream({ model: 'm?ttft=40&gap=10&chunks=3&completion=3', input: 'x' });
    const final = await runner.finalResponse();
    expect(final.status).toBe('completed');
    expect((await durations()).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('output')).toBe(3);
    await expect(
      client.responses.stream({ model: 'm?status=500', input: 'x' }).finalResponse(),
    ).rejects.toThrow();
    expect((await durations({ 'error.type': '500' })).count).toBe(1);
    expect((await durations()).count).toBe(2);
  });
});

describe('embeddings and legacy completions', () => {
  it('records embeddings with input tokens only', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small?prompt=6',
      input: ['a', 'b'],
    });
    expect(res.data).toHaveLength(2);
    expect((await durations({ 'gen_ai.operation.name': 'embeddings' })).count).toBe(1);
    expect(await tokens('input', { 'gen_ai.operation.name': 'embeddings' })).toBe(6);
    expect((await t.histogramTotal(TOKENS, { 'gen_ai.token.type': 'output' })).count).toBe(0);
  });

  it('records legacy completions, streamed and not', async () => {
    await client.completions.create({ model: 'davinci-002?prompt=2&completion=3', prompt: 'x' });
    const stream = await client.completions.create({
      model: 'davinci-002?ttft=40&gap=10&chunks=3',
      prompt: 'x',
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      // drain
    }
    const d = await durations({ 'gen_ai.operation.name': 'text_completion' });
    expect(d.count).toBe(2);
    assertWithin((await t.histogramTotal(TTFC, { 'gen_ai.operation.name': 'text_completion' })).sum, 40);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('output', { 'gen_ai.operation.name': 'text_completion' })).toBe(3 + 3);
  });
});

describe('instrumentation hygiene', () => {
  it('observes any conforming source iterator: forwards next() arguments, adopts plain results, rejects a synchronous throw', async () => {
    // A stand-in client, because the real SDK's Stream.iterator() is an async
    // generator: it always returns native promises and never throws
    // synchronously, so these branches of the wrapper cannot be reached through it.
    const calls: unknown[][] = [];
    const chunk = (content: string) => ({
      object: 'chat.completion.chunk',
      choices: [{ delta: { content } }],
    });
    const source = {
      n: 0,
      next(...args: unknown[]) {
        calls.push(args);
        this.n++;
        if (this.n === 1) return Promise.resolve({ done: false, value: chunk('a') });
        if (this.n === 2) return { done: false, value: chunk('b') }; // a plain result, not a promise
        throw new Error('source broke');
      },
    };
    const stream = {
      controller: new AbortController(),
      iterator: () => source,
      [Symbol.asyncIterator]() {
        return this.iterator();
      },
    };
    const apiPromise = {
      responsePromise: Promise.resolve({ ok: true }),
      parseResponse: async () => stream,
      asResponse() {
        return this.responsePromise;
      },
      // biome-ignore lint/suspicious/noThenProperty: the SDK's APIPromise is a thenable
      then(ok: (v: unknown) => unknown, ko: (e: unknown) => unknown) {
        return this.responsePromise.then(() => this.parseResponse()).then(ok, ko);
      },
    };
    const fake = {
      baseURL: 'http://127.0.0.1:1/v1',
      chat: { completions: { create: (_body: object) => apiPromise } },
    };
    const c = instrumentOpenAI(fake, { llm: createLlmMetrics({ meterProvider: t.meterProvider }) });
    const s = (await c.chat.completions.create({ model: 'm', stream: true })) as typeof stream;
    const it = s[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: chunk('a') });
    const second = it.next('sent');
    expect(second).toBeInstanceOf(Promise);
    expect(await second).toEqual({ done: false, value: chunk('b') });
    await expect(it.next()).rejects.toThrow('source broke');
    expect(calls).toEqual([[], ['sent'], []]);
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(1);
    const all = await t.histogram(DURATION);
    expect(all.map((p) => [p.count, p.attributes['error.type']])).toEqual([[1, 'Error']]);
  });

  it('uses the explicit provider name for self-hosted servers', async () => {
    const c = instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: sim.baseURL, maxRetries: 0 }), {
      llm: createLlmMetrics({ meterProvider: t.meterProvider }),
      providerName: 'vllm',
    });
    await c.chat.completions.create({ model: 'x', messages: user });
    expect((await durations({ 'gen_ai.provider.name': 'vllm' })).count).toBe(1);
  });
});
