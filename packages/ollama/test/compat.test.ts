import { createLlmMetrics } from '@tokenmeter/llm';
import { assertWithin, createTestMeterProvider, DURATION, TTFC } from '@tokenmeter/testkit';
import { expectStreamTimings, useOllamaSimulator } from '@tokenmeter/testkit/vitest';
import { Ollama as Ollama05 } from 'ollama-v05';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentOllama } from '../src/index.js';

const env = useOllamaSimulator();
const { tokens } = env;

// The oldest minor the peer range admits (ollama 0.5), over real HTTP against
// the simulator: the instrumentation wraps the client's methods and its
// AbortableAsyncIterator, whose internals changed between minors.
// instrument.test.ts covers the current release in depth.

const messages = [{ role: 'user', content: 'Say hello' }];

describe('ollama 0.5', () => {
  const client = (meterProvider = env.t.meterProvider) =>
    instrumentOllama(new Ollama05({ host: env.sim.url }), { llm: createLlmMetrics({ meterProvider }) });

  // Warm-up on a throwaway meter: the first calls open the connection and
  // compile both paths, which would land in the first test's timings.
  beforeAll(async () => {
    const warm = client(createTestMeterProvider().meterProvider);
    await warm.chat({ model: 'warm?chunks=1', messages });
    for await (const _ of await warm.chat({ model: 'warm?chunks=1', messages, stream: true })) {
    }
  });

  it('chat, not streamed: one duration and the reported tokens', async () => {
    const res = await client().chat({ model: 'llama3?ttft=30&chunks=3&prompt=12&completion=9', messages });
    expect(res.message.content).toBe('Hello from the');
    const d = await env.t.histogramTotal(DURATION);
    expect(d.count).toBe(1);
    assertWithin(d.sum, 30);
    expect(await tokens('input')).toBe(12);
    expect(await tokens('output')).toBe(9);
    expect(await env.t.histogram(TTFC)).toEqual([]);
  });

  it('chat, streamed: TTFT, per-chunk gaps, tokens from the final object', async () => {
    const stream = await client().chat({
      model: 'llama3?ttft=60&gap=20&chunks=4&prompt=7',
      messages,
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.message.content;
    expect(text).toBe('Hello from the tokenmeter');
    await expectStreamTimings(env.t, { ttftMs: 60, gapMs: 20, chunks: 4 });
    expect(await tokens('input')).toBe(7);
    expect(await tokens('output')).toBe(4);
  });

  it('abort() mid-stream records one aborted call', async () => {
    const stream = await client().chat({ model: 'llama3?ttft=10&gap=20&chunks=10', messages, stream: true });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of stream) if (++n === 2) stream.abort();
      })(),
    ).rejects.toBeDefined();
    expect((await env.t.histogramTotal(DURATION, { 'error.type': 'aborted' })).count).toBe(1);
    expect((await env.t.histogramTotal(DURATION)).count).toBe(1);
  });

  it('an HTTP error: rejected as before, recorded with its status', async () => {
    await expect(client().chat({ model: 'llama3?status=500', messages })).rejects.toBeDefined();
    expect((await env.t.histogramTotal(DURATION, { 'error.type': '500' })).count).toBe(1);
  });
});
