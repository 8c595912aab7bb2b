import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertGap,
  assertWithin,
  createTestMeterProvider,
  DURATION,
  MISSING,
  type OllamaSimulator,
  startOllamaSimulator,
  type TestMeterProvider,
  TIMING,
  TOKENS,
  TPOC,
  TTFC,
} from '@tokenmeter/testkit';
import { Ollama } from 'ollama';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentOllama } from '../src/index.js';

const LOAD = 'tokenmeter.gen_ai.model.load.duration';

/**
 * Server-reported durations are the simulator's own measurements of its
 * schedule (setTimeout, never early): within [S - 1 ms, S + SERVER_SLACK_MS].
 */
const SERVER_SLACK_MS = 30;
// Names from the semantic-convention-style table of @tokenmeter/llm (written out, not imported).
const SERVER_REQUEST_DURATION = 'tokenmeter.gen_ai.client.reported.server.duration';
const SERVER_PROMPT_EVAL_DURATION = 'tokenmeter.gen_ai.client.reported.prefill.duration';
const SERVER_EVAL_DURATION = 'tokenmeter.gen_ai.client.reported.decode.duration';
function expectServer(seconds: number | undefined, scriptedMs: number, earlyMs = 1) {
  expect(seconds).toBeDefined();
  const ms = seconds! * 1000;
  expect(ms).toBeGreaterThanOrEqual(scriptedMs - earlyMs);
  expect(ms).toBeLessThanOrEqual(scriptedMs + SERVER_SLACK_MS);
}

let sim: OllamaSimulator;
let t: TestMeterProvider;
let llm: LlmMetrics;
let client: Ollama;

beforeAll(async () => {
  sim = await startOllamaSimulator();
  // Warm-up on a throwaway meter: the first calls open the connection and
  // compile both paths; that one-time cost would land in the first test's timings.
  const warm = instrumentOllama(new Ollama({ host: sim.url }), {
    llm: createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider }),
  });
  const messages = [{ role: 'user', content: 'warm-up' }];
  await warm.chat({ model: 'warm?chunks=1', messages });
  for await (const _ of await warm.chat({ model: 'warm?chunks=1', messages, stream: true })) {
  }
});
afterAll(() => sim.close());

beforeEach(() => {
  t = createTestMeterProvider();
  llm = createLlmMetrics({ meterProvider: t.meterProvider });
  client = instrumentOllama(new Ollama({ host: sim.url }), { llm, meterProvider: t.meterProvider });
});
afterEach(() => t.shutdown());

const tokens = async (type: 'input' | 'output', match: Record<string, unknown> = {}) =>
  (await t.histogramTotal(TOKENS, { 'gen_ai.token.type': type, ...match })).sum;
const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);
const messages = [{ role: 'user', content: 'Say hello' }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chat', () => {
  it('non-streaming: one duration, reported tokens, attributes, server timings, no chunk metrics', async () => {
    const model = 'llama3?ttft=80&gap=10&chunks=3&prompt=12&completion=9&load=50';
    const res = await client.chat({ model, messages });
    expect(res.message.content).toBe('Hello from the');
    const points = await t.histogram(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]!.count).toBe(1);
    expect(points[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'ollama',
      'gen_ai.request.model': model,
      'gen_ai.response.model': 'llama3',
      'server.address': '127.0.0.1',
      'server.port': sim.port,
    });
    assertWithin(points[0]!.sum, 80 + 2 * 10);
    expect(await tokens('input')).toBe(12);
    expect(await tokens('output')).toBe(9);
    expect(await t.sum('tokenmeter.gen_ai.client.requests', { 'tokenmeter.finish_reason': 'stop' })).toBe(1);
    expect(await t.sum(MISSING)).toBe(0);
    expect(await t.histogram(TTFC)).toEqual([]);
    expect(await t.histogram(TPOC)).toEqual([]);

    // Ollama's own durations, separate from the client-side ones
    const load = await t.histogramTotal(LOAD, { 'gen_ai.provider.name': 'ollama' });
    expect(load.count).toBe(1);
    expect(load.sum).toBeCloseTo(0.05, 9); // load_duration as reported: 50 ms exactly
    const prefill = await t.histogram(SERVER_PROMPT_EVAL_DURATION);
    expect(prefill).toHaveLength(1);
    expect(prefill[0]!.attributes).toEqual(points[0]!.attributes);
    expectServer(prefill[0]!.sum, 80 - 50); // ttft − load, as the simulator measured it
    const decode = await t.histogramTotal(SERVER_EVAL_DURATION);
    expect(decode.count).toBe(1);
    // Decode spans first to last chunk: a late first chunk shortens it, as it does a client gap.
    expectServer(decode.sum, 2 * 10, TIMING.gapEarlyMs);
    const total = await t.histogramTotal(SERVER_REQUEST_DURATION);
    expect(total.count).toBe(1);
    expectServer(total.sum, 80 + 2 * 10);
    // the client saw at least what the server measured (plus network and parsing)
    expect(points[0]!.sum).toBeGreaterThanOrEqual(total.sum - 0.001);
  });

  it('streaming: TTFT and per-chunk gaps from the call, tokens from the final object', async () => {
    const stream = await client.chat({
      model: 'llama3?ttft=120&gap=30&chunks=6&prompt=7&completion=6',
      messages,
      stream: true,
    });
    expect(stream.constructor.name).toBe('AbortableAsyncIterator');
    expect(typeof stream.abort).toBe('function');
    let text = '';
    let last: { done?: boolean } | undefined;
    for await (const part of stream) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe('Hello from the tokenmeter simulator.');
    expect(last?.done).toBe(true);
    const ttft = await t.histogramTotal(TTFC);
    expect(ttft.count).toBe(1);
    assertWithin(ttft.sum, 120);
    const gaps = await t.histogramTotal(TPOC);
    expect(gaps.count).toBe(5); // 6 content objects → 5 gaps; the final done object is not a chunk
    assertGap(gaps.min, 30);
    assertGap(gaps.max, 30);
    const d = await durations();
    expect(d.count).toBe(1);
    assertWithin(d.sum, 120 + 5 * 30);
    expect(await tokens('input')).toBe(7);
    expect(await tokens('output')).toBe(6);
    expectServer((await t.histogramTotal(SERVER_PROMPT_EVAL_DURATION)).sum, 120);
    expectServer((await t.histogramTotal(SERVER_EVAL_DURATION)).sum, 5 * 30, TIMING.gapEarlyMs);
    expect((await t.histogramTotal(LOAD)).count).toBe(0); // load_duration 0: nothing to record
  });

  it('a consumer that breaks on the final object records a success', async () => {
    const stream = await client.chat({ model: 'llama3?chunks=2&completion=2', messages, stream: true });
    for await (const part of stream) if (part.done) break;
    expect((await durations({ 'error.type': null })).count).toBe(1);
    expect((await durations()).count).toBe(1);
    expect(await tokens('output')).toBe(2);
  });

  it('finalises once on abort() mid-stream; the client still throws its AbortError', async () => {
    const stream = await client.chat({ model: 'llama3?ttft=10&gap=30&chunks=10', messages, stream: true });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of stream) if (++n === 2) stream.abort();
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 10 + 30);
    expect((await durations()).count).toBe(1);
  });

  it('records abort() at the moment it is called, even if the consumer never reads again', async () => {
    const stream = await client.chat({ model: 'llama3?ttft=10&gap=40&chunks=10', messages, stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await sleep(60);
    stream.abort();
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 10 + 60);
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect((await durations()).count).toBe(1);
  });

  it('client.abort() finalises every stream in flight once', async () => {
    const a = await client.chat({ model: 'a?gap=30&chunks=10', messages, stream: true });
    const b = await client.generate({ model: 'b?gap=30&chunks=10', prompt: 'x', stream: true });
    await a[Symbol.asyncIterator]().next();
    client.abort();
    expect((await durations({ 'error.type': 'aborted' })).count).toBe(2);
    await expect(b[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: 'AbortError' });
    expect((await durations()).count).toBe(2);
  });

  it('records an HTTP error with its status, streaming and not', async () => {
    await expect(client.chat({ model: 'llama3?status=500&errorDelay=40', messages })).rejects.toMatchObject({
      name: 'ResponseError',
      status_code: 500,
    });
    await expect(client.chat({ model: 'llama3?status=404', messages, stream: true })).rejects.toMatchObject({
      status_code: 404,
    });
    const e500 = await durations({ 'error.type': '500' });
    expect(e500.count).toBe(1);
    assertWithin(e500.sum, 40);
    expect((await durations({ 'error.type': '404' })).count).toBe(1);
    expect((await durations()).count).toBe(2);
    expect(await t.sum('tokenmeter.gen_ai.client.errors')).toBe(2);
    expect((await t.histogramTotal(SERVER_REQUEST_DURATION)).count).toBe(0);
  });

  it('records a connection cut before a non-streaming answer', async () => {
    await expect(client.chat({ model: 'llama3?ttft=30&chunks=2&cut=0', messages })).rejects.toBeInstanceOf(
      TypeError,
    );
    const points = await t.histogram(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]!.attributes['error.type']).toBe('UND_ERR_SOCKET');
    assertWithin(points[0]!.sum, 30);
  });
});

describe('generate and embed', () => {
  it('generate, streaming and not, is text_completion', async () => {
    const res = await client.generate({
      model: 'mistral?ttft=30&chunks=2&prompt=4&completion=2',
      prompt: 'hi',
    });
    expect(res.response).toBe('Hello from');
    const stream = await client.generate({
      model: 'mistral?ttft=50&gap=20&chunks=4&prompt=5&completion=4',
      prompt: 'hi',
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.response;
    expect(text).toBe('Hello from the tokenmeter');
    const d = await durations({ 'gen_ai.operation.name': 'text_completion' });
    expect(d.count).toBe(2);
    const ttft = await t.histogramTotal(TTFC, { 'gen_ai.operation.name': 'text_completion' });
    expect(ttft.count).toBe(1);
    assertWithin(ttft.sum, 50);
    const gaps = await t.histogramTotal(TPOC);
    expect(gaps.count).toBe(3);
    assertGap(gaps.min, 20);
    assertGap(gaps.max, 20);
    expect(await tokens('input')).toBe(9);
    expect(await tokens('output')).toBe(6);
  });

  it('embed records embeddings with input tokens only', async () => {
    const res = await client.embed({ model: 'nomic-embed?ttft=25&prompt=6&load=5', input: ['a', 'b'] });
    expect(res.embeddings).toHaveLength(2);
    const d = await t.histogram(DURATION);
    expect(d).toHaveLength(1);
    expect(d[0]!.attributes['gen_ai.operation.name']).toBe('embeddings');
    assertWithin(d[0]!.sum, 25);
    expect(await tokens('input')).toBe(6);
    expect((await t.histogramTotal(TOKENS, { 'gen_ai.token.type': 'output' })).count).toBe(0);
    expect(await t.sum(MISSING)).toBe(0);
    expect((await t.histogramTotal(TTFC)).count).toBe(0);
    expectServer((await t.histogramTotal(SERVER_REQUEST_DURATION)).sum, 25);
    expect((await t.histogramTotal(SERVER_EVAL_DURATION)).count).toBe(0);
    expect((await t.histogramTotal(LOAD)).sum).toBeCloseTo(0.005, 9);
  });
});

describe('in-stream failures (raw loopback server)', () => {
  let server: Server;
  let host: string;
  let lines: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const l of lines) res.write(`${l}\n`);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const part = (content: string) =>
    JSON.stringify({ model: 'm', message: { role: 'assistant', content }, done: false });

  it('an {"error"} object in the stream is error.type=stream_error', async () => {
    lines = [part('a'), JSON.stringify({ error: 'model runner crashed' })];
    const c = instrumentOllama(new Ollama({ host }), { llm, meterProvider: t.meterProvider });
    const stream = await c.chat({ model: 'm', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow('model runner crashed');
    expect((await durations({ 'error.type': 'stream_error' })).count).toBe(1);
    expect((await durations()).count).toBe(1);
  });

  it('a stream that ends without the final object is error.type=incomplete_stream', async () => {
    lines = [part('a'), part('b')];
    const c = instrumentOllama(new Ollama({ host }), { llm, meterProvider: t.meterProvider });
    const stream = await c.chat({ model: 'm', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow('Did not receive done');
    expect((await durations({ 'error.type': 'incomplete_stream' })).count).toBe(1);
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
  });
});

describe('instrumentation', () => {
  it('options override provider and server attributes; serverTimings: false turns Ollama timings off', async () => {
    const c = instrumentOllama(new Ollama({ host: sim.url }), {
      llm,
      meterProvider: t.meterProvider,
      providerName: 'ollama-gpu',
      serverAddress: 'gpu-1.internal',
      serverPort: 11434,
      serverTimings: false,
    });
    await c.chat({ model: 'x?chunks=1&load=10', messages });
    const p = await t.histogram(DURATION);
    expect(p[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'ollama-gpu',
      'server.address': 'gpu-1.internal',
      'server.port': 11434,
    });
    expect(await t.histogram(SERVER_REQUEST_DURATION)).toEqual([]);
    expect(await t.histogram(LOAD)).toEqual([]);
  });
});
