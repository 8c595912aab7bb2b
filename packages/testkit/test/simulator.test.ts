import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnthropicSimulator,
  chunkText,
  createTestMeterProvider,
  type GoogleSimulator,
  hasToolResult,
  type OllamaSimulator,
  type OpenAiSimulator,
  parseModelName,
  semicolonModelName,
  startAnthropicSimulator,
  startGoogleSimulator,
  startOllamaSimulator,
  startOpenAiSimulator,
  TIMING,
} from '../src/index.js';

// Timing tolerance for the simulator itself: an event scripted at T ms must
// arrive in [T - 2, T + SLACK] ms after the request was sent (timers fire at
// or after their deadline; 2 ms covers clock granularity between the sender's
// and the client's performance.now() readings).
const SLACK = 60;

/** Reads a response body incrementally, calling `onText` with each decoded piece and its arrival time. */
async function readTimed(res: Response, onText: (text: string, at: number) => void): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(decoder.decode(value, { stream: true }), performance.now());
  }
}

/** Splits an SSE byte stream into events with the time their last byte arrived. */
async function readSse(res: Response) {
  const events: { event?: string; data: string; at: number }[] = [];
  let buffer = '';
  await readTimed(res, (text, at) => {
    buffer += text;
    let idx = buffer.indexOf('\n\n');
    while (idx >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      events.push({ ...(event ? { event } : {}), data: data.join('\n'), at });
      idx = buffer.indexOf('\n\n');
    }
  });
  return events;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
// biome-ignore lint/suspicious/noExplicitAny: JSON payloads are asserted structurally
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

describe('OpenAI simulator', () => {
  let sim: OpenAiSimulator;
  beforeAll(async () => {
    sim = await startOpenAiSimulator({ models: { slow: { ttftMs: 120, gapMs: 30, chunks: 5 } } });
  });
  afterAll(() => sim.close());

  it('listens on loopback and exposes baseURL', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.baseURL).toBe(`${sim.url}/v1`);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('streams chat chunks on the scripted schedule, with include_usage', async () => {
    const t0 = performance.now();
    const res = await post(`${sim.baseURL}/chat/completions`, {
      model: 'slow',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => ({ ...JSON.parse(e.data), at: e.at }));
    const content = chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(content.map((c) => c.choices[0].delta.content)).toEqual([0, 1, 2, 3, 4].map(chunkText));
    content.forEach((c, i) => {
      const scripted = 120 + i * 30;
      expect(c.at - t0).toBeGreaterThanOrEqual(scripted - 2);
      expect(c.at - t0).toBeLessThanOrEqual(scripted + SLACK);
    });
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 5 });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(sim.requests.at(-1)!.path).toBe('/v1/chat/completions');
  });

  it('omits the usage chunk without include_usage, forces it with usage=1', async () => {
    const a = await readSse(await post(`${sim.baseURL}/chat/completions`, { model: 'm', stream: true }));
    expect(a.some((e) => e.data !== '[DONE]' && JSON.parse(e.data).usage)).toBe(false);
    const b = await readSse(
      await post(`${sim.baseURL}/chat/completions`, { model: 'm?usage=1', stream: true }),
    );
    expect(b.some((e) => e.data !== '[DONE]' && JSON.parse(e.data).usage)).toBe(true);
  });

  it('answers non-streaming chat after the whole generation time, with token details', async () => {
    const t0 = performance.now();
    const res = await post(`${sim.baseURL}/chat/completions`, {
      model:
        'gpt-4o?ttft=50&gap=10&chunks=3&prompt=11&completion=7&cached=4&reasoning=2&responseModel=gpt-4o-2024',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const body = await json(res);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(70 - 2);
    expect(elapsed).toBeLessThanOrEqual(70 + SLACK);
    expect(body.model).toBe('gpt-4o-2024');
    expect(body.choices[0].message.content).toBe([0, 1, 2].map(chunkText).join(''));
    expect(body.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 7,
      total_tokens: 18,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });

  it('returns OpenAI-shaped errors', async () => {
    const res = await post(`${sim.baseURL}/chat/completions`, { model: 'x?status=429' });
    expect(res.status).toBe(429);
    expect((await json(res)).error).toMatchObject({
      code: 'rate_limit_exceeded',
      message: expect.any(String),
    });
  });

  it('cuts the connection mid-stream', async () => {
    const res = await post(`${sim.baseURL}/chat/completions`, {
      model: 'x?chunks=6&gap=5&cut=2&cutdelay=250',
      stream: true,
    });
    let text = '';
    await expect(
      readTimed(res, (t) => {
        text += t;
      }),
    ).rejects.toThrow();
    expect(text).toContain(chunkText(1));
    expect(text).not.toContain('[DONE]');
  });

  it('streams Responses API events with usage in response.completed', async () => {
    const t0 = performance.now();
    const res = await post(`${sim.baseURL}/responses`, {
      model: 'gpt-4.1?ttft=60&gap=20&chunks=3&cached=5&reasoning=3',
      input: 'hello',
      stream: true,
    });
    const events = await readSse(res);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const deltas = events.filter((e) => e.event === 'response.output_text.delta');
    expect(deltas).toHaveLength(3);
    expect(deltas[0]!.at - t0).toBeGreaterThanOrEqual(58);
    expect(deltas[0]!.at - t0).toBeLessThanOrEqual(60 + SLACK);
    const done = JSON.parse(events.at(-1)!.data);
    expect(done.response.usage).toMatchObject({
      input_tokens_details: { cached_tokens: 5 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 3 },
    });
    expect(done.response.output[0].content[0].text).toBe([0, 1, 2].map(chunkText).join(''));
  });

  it('answers a Responses API tool call with a function_call item, streamed as argument deltas', async () => {
    const res = await post(`${sim.baseURL}/responses`, {
      model: 'm?chunks=2&tool=lookup',
      input: 'x',
      stream: true,
    });
    const events = (await readSse(res)).map((e) => JSON.parse(e.data));
    const added = events.find((e) => e.type === 'response.output_item.added');
    expect(added.item).toMatchObject({
      type: 'function_call',
      name: 'lookup',
      arguments: '',
      status: 'in_progress',
    });
    const deltas = events
      .filter((e) => e.type === 'response.function_call_arguments.delta')
      .map((e) => e.delta);
    expect(deltas).toHaveLength(2);
    expect(JSON.parse(deltas.join(''))).toEqual({ text: chunkText(0) + chunkText(1) });
    expect(events.some((e) => e.type === 'response.output_text.delta')).toBe(false);
    const done = events.at(-1);
    expect(done.type).toBe('response.completed');
    expect(done.response.output).toEqual([
      {
        type: 'function_call',
        id: added.item.id,
        call_id: added.item.call_id,
        name: 'lookup',
        arguments: deltas.join(''),
        status: 'completed',
      },
    ]);
    const whole = await json(
      post(`${sim.baseURL}/responses`, { model: 'm?chunks=2&tool=lookup', input: 'x' }),
    );
    expect(whole.output[0]).toMatchObject({
      type: 'function_call',
      name: 'lookup',
      arguments: deltas.join(''),
    });
  });

  it("hasToolResult: a request that carries a tool result, in each API's shape", () => {
    const req = (body: Record<string, unknown>) =>
      ({ method: 'POST', path: '/', headers: {}, body, model: 'm', receivedAt: 0 }) as const;
    expect(hasToolResult(req({ messages: [{ role: 'user', content: 'x' }] }))).toBe(false);
    expect(hasToolResult(req({ messages: [{ role: 'tool', content: '1', tool_call_id: 'c' }] }))).toBe(true);
    expect(hasToolResult(req({ input: [{ type: 'function_call_output', call_id: 'c', output: '1' }] }))).toBe(
      true,
    );
    expect(hasToolResult(req({ input: 'x' }))).toBe(false);
    expect(
      hasToolResult(
        req({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] }] }),
      ),
    ).toBe(true);
    expect(hasToolResult(req({ contents: [{ parts: [{ functionResponse: { name: 'f' } }] }] }))).toBe(true);
  });

  it('serves non-streaming responses, embeddings (float and base64) and legacy completions', async () => {
    const r = await json(post(`${sim.baseURL}/responses`, { model: 'm', input: 'x' }));
    expect(r.object).toBe('response');
    expect(r.usage.input_tokens).toBeGreaterThan(0);

    const e = await json(post(`${sim.baseURL}/embeddings`, { model: 'e?dimensions=4', input: ['a', 'b'] }));
    expect(e.data).toHaveLength(2);
    expect(e.data[0].embedding).toHaveLength(4);
    const b = await json(
      post(`${sim.baseURL}/embeddings`, { model: 'e', input: 'a', encoding_format: 'base64' }),
    );
    expect(Buffer.from(b.data[0].embedding, 'base64').length).toBe(8 * 4);

    const c = await json(post(`${sim.baseURL}/completions`, { model: 'davinci?chunks=2', prompt: 'x' }));
    expect(c.choices[0].text).toBe(chunkText(0) + chunkText(1));
    const cs = await readSse(
      await post(`${sim.baseURL}/completions`, {
        model: 'davinci?chunks=2',
        prompt: 'x',
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(cs.at(-1)!.data).toBe('[DONE]');
    expect(JSON.parse(cs.at(-2)!.data).usage.completion_tokens).toBe(2);
  });

  it('parses scripts from model names', () => {
    expect(parseModelName('gpt-4o?ttft=10&gap=2&usage=0&finish=length')).toEqual({
      base: 'gpt-4o',
      script: { ttftMs: 10, gapMs: 2, usage: false, finishReason: 'length' },
    });
    expect(parseModelName('plain')).toEqual({ base: 'plain', script: {} });
    expect(parseModelName('gemini;ttft=10;cachewrite=3;thinking=2;tooluse=4')).toEqual({
      base: 'gemini',
      script: { ttftMs: 10, cacheWriteTokens: 3, thinkingChunks: 2, toolUsePromptTokens: 4 },
    });
    expect(semicolonModelName('m?ttft=10&gap=2')).toBe('m;ttft=10;gap=2');
    expect(semicolonModelName('m')).toBe('m');
  });

  it('uses the script function over model scripts', async () => {
    const s = await startOpenAiSimulator({
      models: { a: { chunks: 2 } },
      script: (req) => (req.path.endsWith('/chat/completions') ? { chunks: ['x', 'y', 'z'] } : undefined),
    });
    try {
      const body = await json(post(`${s.baseURL}/chat/completions`, { model: 'a' }));
      expect(body.choices[0].message.content).toBe('xyz');
    } finally {
      await s.close();
    }
  });
});

describe('Ollama simulator', () => {
  let sim: OllamaSimulator;
  beforeAll(async () => {
    sim = await startOllamaSimulator({ defaults: { ttftMs: 40, gapMs: 10, chunks: 4 } });
  });
  afterAll(() => sim.close());

  it('streams /api/chat as NDJSON with a final done object in nanoseconds', async () => {
    const t0 = performance.now();
    const res = await post(`${sim.url}/api/chat`, {
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    let buffer = '';
    const lines: { obj: Record<string, unknown>; at: number }[] = [];
    await readTimed(res, (t, at) => {
      buffer += t;
      let i = buffer.indexOf('\n');
      while (i >= 0) {
        lines.push({ obj: JSON.parse(buffer.slice(0, i)), at });
        buffer = buffer.slice(i + 1);
        i = buffer.indexOf('\n');
      }
    });
    expect(lines).toHaveLength(5);
    expect(lines[0]!.at - t0).toBeGreaterThanOrEqual(38);
    expect(lines[0]!.at - t0).toBeLessThanOrEqual(40 + SLACK);
    const last = lines.at(-1)!.obj;
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 4, model: 'llama3.2' });
    expect(last.prompt_eval_count).toBeGreaterThan(0);
    // eval_duration ≈ 3 gaps of 10 ms, in ns; first to last chunk, so a late first chunk shortens it
    expect(last.eval_duration as number).toBeGreaterThanOrEqual((30 - TIMING.gapEarlyMs) * 1e6);
    expect(last.eval_duration as number).toBeLessThanOrEqual((30 + SLACK) * 1e6);
    expect(last.total_duration as number).toBeGreaterThanOrEqual(last.eval_duration as number);
  });

  it('answers /api/generate without streaming, /api/embed, errors and /v1', async () => {
    const g = await json(post(`${sim.url}/api/generate`, { model: 'm', prompt: 'x', stream: false }));
    expect(g).toMatchObject({ done: true, response: [0, 1, 2, 3].map(chunkText).join(''), eval_count: 4 });
    const e = await json(post(`${sim.url}/api/embed`, { model: 'm', input: ['a', 'b'] }));
    expect(e.embeddings).toHaveLength(2);
    const err = await post(`${sim.url}/api/chat`, { model: 'm?status=404' });
    expect(err.status).toBe(404);
    expect(typeof (await json(err)).error).toBe('string');
    const v1 = await json(post(`${sim.baseURL}/chat/completions`, { model: 'm' }));
    expect(v1.object).toBe('chat.completion');
  });
});

describe('createTestMeterProvider', () => {
  it('reads histogram points and counters by name and attributes', async () => {
    const t = createTestMeterProvider();
    const meter = t.meterProvider.getMeter('test');
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
    h.record(0.5, { a: 'x' });
    h.record(5, { a: 'x' });
    h.record(50, { a: 'y' });
    meter.createCounter('c').add(3, { k: 'v' });
    expect(await t.histogram('h', { a: 'x' })).toEqual([
      expect.objectContaining({
        count: 2,
        sum: 5.5,
        min: 0.5,
        max: 5,
        boundaries: [1, 10],
        counts: [1, 1, 0],
      }),
    ]);
    expect(await t.histogramTotal('h')).toMatchObject({ count: 3, min: 0.5, max: 50, counts: [1, 1, 1] });
    expect(await t.histogram('h', { a: null })).toEqual([]);
    expect(await t.sum('c', { k: 'v' })).toBe(3);
    expect(await t.names()).toEqual(expect.arrayContaining(['h', 'c']));
    expect(await t.find('nope')).toBeUndefined();
    await t.shutdown();
  });
});

describe('Anthropic simulator', () => {
  let sim: AnthropicSimulator;
  beforeAll(async () => {
    sim = await startAnthropicSimulator();
  });
  afterAll(() => sim.close());

  it('streams the Messages API events in order, deltas on the schedule, usage split like Anthropic', async () => {
    const t0 = performance.now();
    const res = await post(`${sim.baseURL}/v1/messages`, {
      model: 'claude?ttft=60&gap=20&chunks=3&prompt=50&cached=20&cachewrite=10&completion=7',
      stream: true,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = events.map((e) => ({ ...JSON.parse(e.data), at: e.at }));
    expect(data.map((d) => d.type)).toEqual(events.map((e) => e.event));
    expect(data[0].message.usage).toEqual({
      input_tokens: 20,
      cache_creation_input_tokens: 10,
      cache_read_input_tokens: 20,
      output_tokens: 1,
      service_tier: 'standard',
    });
    const deltas = data.filter((d) => d.type === 'content_block_delta');
    expect(deltas.map((d) => d.delta.text)).toEqual([0, 1, 2].map(chunkText));
    deltas.forEach((d, i) => {
      expect(d.at - t0).toBeGreaterThanOrEqual(60 + i * 20 - 2);
      expect(d.at - t0).toBeLessThanOrEqual(60 + i * 20 + SLACK);
    });
    expect(data[7]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } });
  });

  it('streams thinking, then a tool call; answers errors with Anthropic-shaped bodies', async () => {
    const events = await readSse(
      await post(`${sim.baseURL}/v1/messages`, { model: 'c?chunks=3&thinking=1&tool=lookup', stream: true }),
    );
    const deltas = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => JSON.parse(e.data).delta);
    expect(deltas.map((d) => d.type)).toEqual([
      'thinking_delta',
      'signature_delta',
      'input_json_delta',
      'input_json_delta',
    ]);
    expect(
      deltas
        .slice(2)
        .map((d) => d.partial_json)
        .join(''),
    ).toBe('{"text":" from the"}');
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => JSON.parse(e.data));
    expect(starts.map((s) => [s.index, s.content_block.type])).toEqual([
      [0, 'thinking'],
      [1, 'tool_use'],
    ]);
    expect(JSON.parse(events.find((e) => e.event === 'message_delta')!.data).delta.stop_reason).toBe(
      'tool_use',
    );
    const res = await post(`${sim.baseURL}/v1/messages`, { model: 'c?status=529' });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const failed = await readSse(
      await post(`${sim.baseURL}/v1/messages`, { model: 'c?chunks=1&fail=api_error', stream: true }),
    );
    expect(failed.at(-1)).toMatchObject({ event: 'error' });
    expect(JSON.parse(failed.at(-1)!.data)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });
});

describe('Google Gen AI simulator', () => {
  let sim: GoogleSimulator;
  beforeAll(async () => {
    sim = await startGoogleSimulator();
  });
  afterAll(() => sim.close());

  it('reads the model from the URL path and streams GenerateContentResponse chunks, usage on the last', async () => {
    const model = 'gemini;ttft=30;gap=10;chunks=3;prompt=9;cached=4;completion=5;reasoning=2;thinking=1';
    const res = await post(`${sim.baseURL}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
      contents: [],
    });
    const text = await res.text();
    const chunks = text
      .split('\r\n\r\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(sim.requests.at(-1)).toMatchObject({
      model,
      path: `/v1beta/models/${model}:streamGenerateContent`,
    });
    expect(chunks.map((c) => c.candidates[0].content.parts[0])).toEqual([
      { text: chunkText(0), thought: true },
      { text: chunkText(1) },
      { text: chunkText(2) },
    ]);
    expect(chunks.map((c) => c.candidates[0].finishReason)).toEqual([undefined, undefined, 'STOP']);
    expect(chunks.map((c) => c.usageMetadata?.promptTokenCount)).toEqual([undefined, undefined, 9]);
    expect(chunks[2].usageMetadata).toMatchObject({
      candidatesTokenCount: 3,
      thoughtsTokenCount: 2,
      cachedContentTokenCount: 4,
      totalTokenCount: 14,
    });
    expect(chunks[2].modelVersion).toBe('gemini');
  });

  it('answers whole, on the Vertex AI path too, and errors with Google-shaped bodies', async () => {
    const body = await json(
      post(`${sim.baseURL}/v1beta1/publishers/google/models/gemini;chunks=2;tool=lookup:generateContent`, {}),
    );
    expect(body.candidates[0]).toMatchObject({
      content: { parts: [{ functionCall: { name: 'lookup', args: { text: 'Hello from' } } }], role: 'model' },
      finishReason: 'STOP',
    });
    const res = await post(`${sim.baseURL}/v1beta/models/gemini;status=429:generateContent`, {});
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      error: { code: 429, message: 'Simulated error 429.', status: 'RESOURCE_EXHAUSTED' },
    });
  });
});
