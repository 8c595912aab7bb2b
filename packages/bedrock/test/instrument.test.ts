/**
 * @tokenmeter/bedrock against the current @aws-sdk/client-bedrock-runtime
 * (HTTP/2 by default) and testkit's Bedrock simulator, over real HTTP: what
 * the integration contract (contract.test.ts) does not cover — Bedrock's own
 * usage, latency and trace fields, exception events, a stream ended quietly,
 * the plugin on one command, commands it leaves alone.
 */
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { createLlmMetrics, errorType, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  type BedrockSimulator,
  CACHE_WRITE,
  CACHED,
  createTestMeterProvider,
  DURATION,
  ERRORS,
  encodeJsonEvent,
  REQUESTS,
  startBedrockSimulator,
  type TestMeterProvider,
  TIMING,
  TOKENS,
  TPOC,
  TTFC,
} from '@tokenmeter/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bedrockErrorType,
  bedrockMetricsPlugin,
  instrumentBedrock,
  isInstrumented,
  uninstrumentBedrock,
} from '../src/index.js';

// Written out as @tokenmeter/llm's README spells it, so a renamed instrument fails here.
const REPORTED_SERVER = 'tokenmeter.gen_ai.client.reported.server.duration';

let sim: BedrockSimulator;
let t: TestMeterProvider;
let llm: LlmMetrics;

const plain = (endpoint = sim.baseURL) =>
  new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
const messages = [{ role: 'user' as const, content: [{ text: 'Say hello' }] }];
const tokens = async (type: 'input' | 'output') =>
  (await t.histogramTotal(TOKENS, { 'gen_ai.token.type': type })).sum;
const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);

beforeAll(async () => {
  sim = await startBedrockSimulator();
  // Warm-up on a throwaway meter: the SDK loads its modules and opens its first sessions.
  const warm = instrumentBedrock(plain(), {
    llm: createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider }),
  });
  await warm.send(new ConverseCommand({ modelId: 'warm?chunks=1', messages }));
  const s = await warm.send(new ConverseStreamCommand({ modelId: 'warm?chunks=1', messages }));
  for await (const _ of s.stream ?? []) {
  }
});
afterAll(() => sim.close());
beforeEach(() => {
  t = createTestMeterProvider();
  llm = createLlmMetrics({ meterProvider: t.meterProvider });
});
afterEach(() => t.shutdown());

describe('Converse', () => {
  it('input tokens add up the cache reads and writes Bedrock counts apart; the cache counters get each', async () => {
    const client = instrumentBedrock(plain(), { llm });
    const out = await client.send(
      new ConverseCommand({ modelId: 'm?chunks=2&prompt=40&cached=25&cachewrite=10&completion=6', messages }),
    );
    // What the simulator answered, as Bedrock counts it: 5 uncached + 25 read + 10 written.
    expect(out.usage).toMatchObject({ inputTokens: 5, cacheReadInputTokens: 25, cacheWriteInputTokens: 10 });
    expect(await tokens('input')).toBe(40);
    expect(await tokens('output')).toBe(6);
    expect(await t.sum(CACHED)).toBe(25);
    expect(await t.sum(CACHE_WRITE)).toBe(10);
    expect(await t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'end_turn' })).toBe(1);
  });

  it("Bedrock's own latency goes to the reported histogram, apart from the measured duration", async () => {
    const client = instrumentBedrock(plain(), { llm });
    const out = await client.send(new ConverseCommand({ modelId: 'm?ttft=80&chunks=1', messages }));
    const reported = await t.histogramTotal(REPORTED_SERVER);
    expect(reported.count).toBe(1);
    expect(reported.sum).toBe(out.metrics!.latencyMs! / 1000);
    // The client waited at least as long as the server says it worked.
    const d = await durations();
    expect(d.count).toBe(1);
    assertWithin(d.sum, 80);
    expect(d.sum).toBeGreaterThanOrEqual(reported.sum - TIMING.earlyMs / 1000);
  });

  it('serverTimings: false records no reported latency', async () => {
    const client = instrumentBedrock(plain(), { llm, serverTimings: false });
    await client.send(new ConverseCommand({ modelId: 'm?chunks=1', messages }));
    expect(await t.histogram(REPORTED_SERVER)).toEqual([]);
    expect((await durations()).count).toBe(1);
  });

  it('a routed request: the invoked model is the response model', async () => {
    const client = instrumentBedrock(plain(), { llm });
    const modelId = 'router?chunks=1&responseModel=anthropic.claude-3-haiku';
    const out = await client.send(new ConverseCommand({ modelId, messages }));
    expect(out.trace?.promptRouter?.invokedModelId).toBe('anthropic.claude-3-haiku');
    const d = await t.histogram(DURATION);
    expect(
      d.map((p) => [p.attributes['gen_ai.request.model'], p.attributes['gen_ai.response.model']]),
    ).toEqual([[modelId, 'anthropic.claude-3-haiku']]);
  });

  it('a tool call: stop reason tool_use', async () => {
    const client = instrumentBedrock(plain(), { llm });
    const out = await client.send(new ConverseCommand({ modelId: 'm?tool=lookup&chunks=3', messages }));
    expect(out.output?.message?.content?.[0]?.toolUse?.name).toBe('lookup');
    expect(await t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'tool_use' })).toBe(1);
  });

  it('AWS exceptions: error.type is the exception name; the caller gets the SDK error unchanged', async () => {
    const client = instrumentBedrock(plain(), { llm });
    const names: string[] = [];
    for (const status of [429, 400, 403, 404, 503]) {
      const error = await client.send(new ConverseCommand({ modelId: `m?status=${status}`, messages })).then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata: { httpStatusCode: number } },
      );
      expect(error?.$metadata.httpStatusCode).toBe(status);
      names.push(error!.name);
    }
    expect(names).toEqual([
      'ThrottlingException',
      'ValidationException',
      'AccessDeniedException',
      'ResourceNotFoundException',
      'ServiceUnavailableException',
    ]);
    for (const name of names) expect((await durations({ 'error.type': name })).count).toBe(1);
    expect(await t.sum(ERRORS)).toBe(5);
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
  });
});

describe('ConverseStream', () => {
  it("Bedrock's latency and usage arrive in the metadata event, after messageStop", async () => {
    const client = instrumentBedrock(plain(), { llm });
    const out = await client.send(
      new ConverseStreamCommand({ modelId: 'm?ttft=40&gap=20&chunks=3&prompt=30&cached=20', messages }),
    );
    const kinds: string[] = [];
    let latencyMs = -1;
    for await (const event of out.stream!) {
      kinds.push(Object.keys(event).find((k) => k !== '$unknown')!);
      latencyMs = event.metadata?.metrics?.latencyMs ?? latencyMs;
    }
    expect(kinds).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect((await t.histogramTotal(TTFC)).count).toBe(1);
    expect((await t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('input')).toBe(30);
    expect(await t.sum(CACHED)).toBe(20);
    expect((await t.histogramTotal(REPORTED_SERVER)).sum).toBe(latencyMs / 1000);
  });

  it('an exception event ends the stream: the consumer gets the SDK exception, error.type its name', async () => {
    const client = instrumentBedrock(plain(), { llm });
    for (const event of ['throttlingException', 'modelStreamErrorException']) {
      const out = await client.send(
        new ConverseStreamCommand({ modelId: `m?ttft=10&gap=10&chunks=2&fail=${event}`, messages }),
      );
      let deltas = 0;
      const error = await (async () => {
        for await (const e of out.stream!) if (e.contentBlockDelta) deltas++;
      })().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(deltas).toBe(2);
      expect(error?.name).toBe(event[0]!.toUpperCase() + event.slice(1));
    }
    expect((await durations({ 'error.type': 'ThrottlingException' })).count).toBe(1);
    expect((await durations({ 'error.type': 'ModelStreamErrorException' })).count).toBe(1);
    expect((await t.histogramTotal(TTFC)).count).toBe(2);
    expect((await t.histogramTotal(TOKENS)).count).toBe(0);
  });

  it('a stream the SDK ends quietly before messageStop is a failure, error.type=incomplete_stream', async () => {
    // A server that answers two deltas, then closes its HTTP/2 session without
    // ending the stream: the SDK's HTTP/2 handler hands the consumer a normal end.
    let server: Http2Server | undefined;
    try {
      server = createHttp2Server((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
        res.write(encodeJsonEvent('messageStart', { role: 'assistant' }));
        res.write(encodeJsonEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }));
        res.write(encodeJsonEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }));
        setTimeout(() => res.stream.session?.destroy(), 30);
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const client = instrumentBedrock(plain(`http://127.0.0.1:${port}`), { llm });
      const out = await client.send(new ConverseStreamCommand({ modelId: 'm', messages }));
      const texts: string[] = [];
      for await (const e of out.stream!)
        if (e.contentBlockDelta?.delta?.text) texts.push(e.contentBlockDelta.delta.text);
      expect(texts).toEqual(['Hel', 'lo']);
      const d = await t.histogram(DURATION);
      expect(d.map((p) => [p.count, p.attributes['error.type'], p.attributes['server.port']])).toEqual([
        [1, 'incomplete_stream', port],
      ]);
      expect((await t.histogramTotal(TPOC)).count).toBe(1);
    } finally {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  });

  it("an abort with the call's AbortSignal is recorded when it fires, even if nobody reads again", async () => {
    const client = instrumentBedrock(plain(), { llm });
    const ac = new AbortController();
    const out = await client.send(
      new ConverseStreamCommand({ modelId: 'm?ttft=20&gap=40&chunks=10', messages }),
      {
        abortSignal: ac.signal,
      },
    );
    const it = out.stream![Symbol.asyncIterator]();
    let deltas = 0;
    while (deltas < 2) if ((await it.next()).value?.contentBlockDelta) deltas++;
    ac.abort();
    const d = await durations({ 'error.type': 'aborted' });
    expect(d.count).toBe(1);
    assertWithin(d.sum, 20 + 40);
  });
});

describe('instrumenting', () => {
  it('the plugin on one command measures that command only', async () => {
    const client = plain();
    const measured = new ConverseCommand({ modelId: 'one?chunks=1', messages });
    measured.middlewareStack.use(bedrockMetricsPlugin({ llm }));
    await client.send(measured);
    await client.send(new ConverseCommand({ modelId: 'other?chunks=1', messages }));
    const d = await t.histogram(DURATION);
    expect(d.map((p) => [p.attributes['gen_ai.request.model'], p.attributes['server.address']])).toEqual([
      ['one?chunks=1', '127.0.0.1'],
    ]);
  });

  it('other commands pass through unmeasured, their errors untouched', async () => {
    const client = instrumentBedrock(plain(), { llm });
    // The simulator has no InvokeModel route: the SDK reports its 404.
    const error = await client
      .send(new InvokeModelCommand({ modelId: 'm', body: new TextEncoder().encode('{}') }))
      .then(
        () => undefined,
        (e: unknown) => e as { $metadata?: { httpStatusCode?: number } },
      );
    expect(error?.$metadata?.httpStatusCode).toBe(404);
    expect(await t.names()).not.toContain(DURATION);
  });

  it('once per client; uninstrumenting takes the middleware and the send wrapper off', async () => {
    const client = plain();
    const send = client.send;
    expect(instrumentBedrock(client, { llm })).toBe(client);
    expect(instrumentBedrock(client, { llm })).toBe(client);
    expect(isInstrumented(client)).toBe(true);
    expect(isInstrumented(plain())).toBe(false);
    await client.send(new ConverseCommand({ modelId: 'x?chunks=1', messages }));
    expect(uninstrumentBedrock(client)).toBe(client);
    expect(isInstrumented(client)).toBe(false);
    expect(client.send).toBe(send);
    await client.send(new ConverseCommand({ modelId: 'x?chunks=1', messages }));
    expect((await durations()).count).toBe(1);
  });
});

describe('bedrockErrorType', () => {
  it('maps what the SDK throws', () => {
    const aws = (name: string, status: number) =>
      Object.assign(new Error('x'), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
    expect(bedrockErrorType(aws('ThrottlingException', 429))).toBe('ThrottlingException');
    // An exception the SDK could not name: its HTTP status.
    expect(bedrockErrorType(aws('UnknownError', 502))).toBe('502');
    expect(bedrockErrorType(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe('aborted');
    expect(bedrockErrorType(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe('timeout');
    const refused = Object.assign(new Error('The pending stream has been canceled'), {
      code: 'ERR_HTTP2_STREAM_CANCEL',
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(bedrockErrorType(refused)).toBe('ECONNREFUSED');
    // The rest: llm's generic mapping when given as the fallback, else _OTHER.
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    expect(bedrockErrorType(reset, errorType)).toBe('ECONNRESET');
    expect(bedrockErrorType(reset)).toBe('_OTHER');
  });
});
