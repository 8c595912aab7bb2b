import { createLlmMetrics } from '@tokenmeter/llm';
import { assertWithin, createTestMeterProvider, DURATION, TPOC, TTFC } from '@tokenmeter/testkit';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { useOpenAiSimulator } from '@tokenmeter/testkit/vitest';
import OpenAI5 from 'openai-v5';
import OpenAI6 from 'openai-v6';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentOpenAI } from '../src/index.js';
import { type OpenAIConstructor, openAiAdapter } from './adapter.js';

// The instrumentation reaches into the SDK's APIPromise (responsePromise,
// parseResponse, _thenUnwrap, asResponse) and Stream (iterator), which are
// internals: every major the peer range admits runs the whole integration
// contract over real HTTP against the simulator, plus the paths below.
// instrument.test.ts covers the current major in depth.

const majors: [string, OpenAIConstructor][] = [
  ['openai 5', OpenAI5 as unknown as OpenAIConstructor],
  ['openai 6', OpenAI6 as unknown as OpenAIConstructor],
];

for (const [name, OpenAI] of majors) runIntegrationContract(openAiAdapter(name, OpenAI));

const env = useOpenAiSimulator();
const { tokens } = env;
const user = [{ role: 'user', content: 'Say hello' }];

describe.each(majors)('%s: APIPromise and the Responses API', (_name, OpenAI) => {
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
    const stream = await warm.responses.create({ model: 'warm?chunks=1', input: 'x', stream: true });
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
});
