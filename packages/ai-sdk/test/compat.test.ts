import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  CACHED,
  createTestMeterProvider,
  DURATION,
  REASONING,
  TTFC,
} from '@tokenmeter/testkit';
import { expectStreamTimings, useOpenAiSimulator } from '@tokenmeter/testkit/vitest';
import * as ai5 from 'ai-v5';
import * as ai6 from 'ai-v6';
import * as compat1 from 'openai-compatible-v1';
import * as compat2 from 'openai-compatible-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenmeterMiddleware } from '../src/index.js';

import { readText } from './helpers.js';

const env = useOpenAiSimulator();
const { tokens } = env;

// The same middleware under the older majors the peer range admits: `ai` 5
// (LanguageModelV2: flat usage, string finish reasons) with
// @ai-sdk/openai-compatible 1, and `ai` 6 (LanguageModelV3) with
// @ai-sdk/openai-compatible 2, each over real HTTP against the simulator.
// middleware.test.ts covers `ai` 7 in depth; this checks what differs by shape.

type AnyFn = (...args: never[]) => unknown;
interface Sdk {
  generateText: AnyFn;
  streamText: AnyFn;
  wrapLanguageModel: AnyFn;
}
interface Compat {
  createOpenAICompatible: AnyFn;
}

const majors: [string, Sdk, Compat][] = [
  ['ai 5 (LanguageModelV2)', ai5 as unknown as Sdk, compat1 as unknown as Compat],
  ['ai 6 (LanguageModelV3)', ai6 as unknown as Sdk, compat2 as unknown as Compat],
];

describe.each(majors)('%s', (_name, sdk, compat) => {
  // biome-ignore lint/suspicious/noExplicitAny: each major has its own model and option types
  const run = sdk as unknown as Record<string, (o: any) => any>;
  const model = (id: string, meterProvider = env.t.meterProvider) => {
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const provider = (compat.createOpenAICompatible as (o: any) => any)({
      baseURL: env.sim.baseURL,
      name: 'vllm',
      includeUsage: true,
    });
    return run.wrapLanguageModel!({
      model: provider.chatModel(id),
      middleware: tokenmeterMiddleware({
        llm: createLlmMetrics({ meterProvider }),
        serverAddress: '127.0.0.1',
        serverPort: env.sim.port,
      }),
    });
  };

  // Warm-up on a throwaway meter: a major's first calls compile its response
  // schemas and open the connection, which would land in the first test's timings.
  beforeAll(async () => {
    const warm = createTestMeterProvider().meterProvider;
    await run.generateText!({ model: model('warm?chunks=1', warm), prompt: 'x', maxRetries: 0 });
    await readText(run.streamText!({ model: model('warm?chunks=1', warm), prompt: 'x', maxRetries: 0 }));
  });

  it('generateText: one duration, reported tokens with cache and reasoning, the finish reason', async () => {
    const id = 'llama?ttft=20&chunks=3&prompt=12&completion=9&cached=5&reasoning=2&responseModel=llama-3';
    const res = await run.generateText!({ model: model(id), prompt: 'x', maxRetries: 0 });
    expect(res.text).toBe('Hello from the');
    const points = await env.t.histogram(DURATION);
    expect(points.map((p) => [p.count, p.attributes['gen_ai.response.model']])).toEqual([[1, 'llama-3']]);
    assertWithin(points[0]!.sum, 20);
    expect(await tokens('input')).toBe(12);
    expect(await tokens('output')).toBe(9);
    expect(await env.t.sum(CACHED)).toBe(5);
    expect(await env.t.sum(REASONING)).toBe(2);
    expect(await env.t.sum('tokenmeter.gen_ai.client.requests', { 'tokenmeter.finish_reason': 'stop' })).toBe(
      1,
    );
    expect(await env.t.histogram(TTFC)).toEqual([]);
  });

  it('streamText: TTFT, per-chunk gaps, tokens and the finish reason from the finish part', async () => {
    const result = run.streamText!({
      model: model('llama?ttft=60&gap=20&chunks=4&prompt=7&finish=length'),
      prompt: 'x',
      maxRetries: 0,
    });
    expect(await readText(result)).toBe('Hello from the tokenmeter');
    await expectStreamTimings(env.t, { ttftMs: 60, gapMs: 20, chunks: 4 });
    expect(await tokens('input')).toBe(7);
    expect(await tokens('output')).toBe(4);
    expect(
      await env.t.sum('tokenmeter.gen_ai.client.requests', { 'tokenmeter.finish_reason': 'length' }),
    ).toBe(1);
  });

  it('records an HTTP error with its status', async () => {
    await expect(
      run.generateText!({ model: model('m?status=429'), prompt: 'x', maxRetries: 0 }),
    ).rejects.toBeDefined();
    expect((await env.t.histogramTotal(DURATION, { 'error.type': '429' })).count).toBe(1);
  });
});
