import { createLlmMetrics } from '@tokenmeter/llm';
import { assertWithin, createTestMeterProvider, DURATION, TPOC, TTFC } from '@tokenmeter/testkit';
import { expectStreamTimings, useOpenAiSimulator } from '@tokenmeter/testkit/vitest';
import OpenAI5 from 'openai-v5';
import OpenAI6 from 'openai-v6';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../src/index.js';

const env = useOpenAiSimulator();
const { tokens } = env;

// The instrumentation reaches into the SDK's APIPromise (responsePromise,
// parseResponse, _thenUnwrap, asResponse) and Stream (iterator), which are
// internals: every major the peer range admits is driven here over real HTTP
// against the simulator. instrument.test.ts covers the current major in depth.

// biome-ignore lint/suspicious/noExplicitAny: each major has its own client and option types
type AnyClient = any;
const majors: [string, new (o: object) => AnyClient][] = [
  ['openai 5', OpenAI5 as unknown as new (o: object) => AnyClient],
  ['openai 6', OpenAI6 as unknown as new (o: object) => AnyClient],
];

const user = [{ role: 'user', content: 'Say hello' }];

describe.each(majors)('%s', (_name, OpenAI) => {
  const client = (meterProvider = env.t.meterProvider) =>
    instrumentOpenAI(new OpenAI({ apiKey: 'k', baseURL: env.sim.baseURL, maxRetries: 0 }), {
      llm: createLlmMetrics({ meterProvider }),
      includeUsage: true,
    });

  // Warm-up on a throwaway meter: a major's first calls load its lazy modules
  // and compile both paths, which would land in the first test's timings.
  beforeAll(async () => {
    const warm = client(createTestMeterProvider().meterProvider);
    await warm.chat.completions.create({ model: 'warm?chunks=1', messages: user });
    const stream = await warm.chat.completions.create({
      model: 'warm?chunks=1',
      messages: user,
      stream: true,
    });
    for await (const _ of stream) {
    }
  });

  it('a non-streaming chat call: one duration, tokens, response model; withResponse() intact', async () => {
    const { data, response } = await client()
      .chat.completions.create({
        model: 'm?ttft=20&prompt=12&completion=9&responseModel=m-1',
        messages: user,
      })
      .withResponse();
    expect(data.usage.completion_tokens).toBe(9);
    expect(response.status).toBe(200);
    const points = await env.t.histogram(DURATION);
    expect(points.map((p) => [p.count, p.attributes['gen_ai.response.model']])).toEqual([[1, 'm-1']]);
    assertWithin(points[0]!.sum, 20);
    expect(await tokens('input')).toBe(12);
    expect(await tokens('output')).toBe(9);
    expect(await env.t.histogram(TTFC)).toEqual([]);
  });

  it('a streamed chat call: TTFT, per-chunk gaps, usage from the include_usage chunk', async () => {
    const stream = await client().chat.completions.create({
      model: 'm?ttft=60&gap=20&chunks=4&prompt=7',
      messages: user,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello from the tokenmeter');
    await expectStreamTimings(env.t, { ttftMs: 60, gapMs: 20, chunks: 4 });
    expect(await tokens('input')).toBe(7);
    expect(await tokens('output')).toBe(4);
  });

  it('an early break records one aborted call', async () => {
    const stream = await client().chat.completions.create({
      model: 'm?ttft=10&gap=10&chunks=10',
      messages: user,
      stream: true,
    });
    let n = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content && ++n === 2) break;
    expect((await env.t.histogramTotal(DURATION, { 'error.type': 'aborted' })).count).toBe(1);
    expect((await env.t.histogramTotal(DURATION)).count).toBe(1);
  });

  it('a streamed Responses call: TTFT from output_text.delta, usage from response.completed', async () => {
    const stream = await client().responses.create({
      model: 'gpt-4.1?ttft=40&gap=15&chunks=3&prompt=20&completion=11',
      input: 'hello',
      stream: true,
    });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types.at(-1)).toBe('response.completed');
    assertWithin((await env.t.histogramTotal(TTFC)).sum, 40);
    expect((await env.t.histogramTotal(TPOC)).count).toBe(2);
    expect(await tokens('input')).toBe(20);
    expect(await tokens('output')).toBe(11);
  });

  it('an HTTP error: the SDK rejects as before, the call is recorded with its status', async () => {
    await expect(
      client().chat.completions.create({ model: 'm?status=429', messages: user }),
    ).rejects.toMatchObject({ status: 429 });
    expect((await env.t.histogramTotal(DURATION, { 'error.type': '429' })).count).toBe(1);
  });
});
