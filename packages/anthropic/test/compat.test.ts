import { createLlmMetrics } from '@tokenmeter/llm';
import { createTestMeterProvider } from '@tokenmeter/testkit';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { expectStreamTimings, useAnthropicSimulator } from '@tokenmeter/testkit/vitest';
import Anthropic050 from 'anthropic-sdk-v0.50';
import Anthropic0137 from 'anthropic-sdk-v0.137';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentAnthropic } from '../src/index.js';
import { type AnthropicConstructor, anthropicAdapter } from './adapter.js';

// The instrumentation reaches into the SDK's APIPromise (responsePromise,
// parseResponse, _thenUnwrap, asResponse) and Stream (iterator), which are
// internals: the oldest version the peer range admits (0.50, the first of the
// current client generation) and the last 0.x run the whole integration
// contract over real HTTP against the simulator, plus the paths below.
// instrument.test.ts covers the current major in depth.

const versions: [string, AnthropicConstructor][] = [
  ['@anthropic-ai/sdk 0.50', Anthropic050 as unknown as AnthropicConstructor],
  ['@anthropic-ai/sdk 0.137', Anthropic0137 as unknown as AnthropicConstructor],
];

for (const [name, Anthropic] of versions) runIntegrationContract(anthropicAdapter(name, Anthropic));

const env = useAnthropicSimulator();
const messages = [{ role: 'user', content: 'Say hello' }];

describe.each(versions)('%s: APIPromise and messages.stream()', (_name, Anthropic) => {
  const client = (meterProvider = env.t.meterProvider) =>
    instrumentAnthropic(new Anthropic({ apiKey: 'k', baseURL: env.sim.baseURL, maxRetries: 0 }), {
      llm: createLlmMetrics({ meterProvider }),
    });

  beforeAll(async () => {
    const warm = client(createTestMeterProvider().meterProvider);
    await warm.messages.stream({ model: 'warm?chunks=1', max_tokens: 8, messages }).done();
  });

  it('withResponse() keeps the data and the Response; cache tokens are input', async () => {
    const { data, response } = await client()
      .messages.create({ model: 'c?prompt=30&cached=20&cachewrite=4&completion=5', max_tokens: 8, messages })
      .withResponse();
    expect(data.usage.input_tokens).toBe(6);
    expect(response.status).toBe(200);
    expect(await env.tokens('input')).toBe(30);
    expect(await env.tokens('output')).toBe(5);
  });

  it('messages.stream() is recorded once, with its chunks', async () => {
    const final = await client()
      .messages.stream({ model: 'c?ttft=40&gap=15&chunks=3&prompt=8', max_tokens: 64, messages })
      .finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    await expectStreamTimings(env.t, { ttftMs: 40, gapMs: 15, chunks: 3 });
    expect(await env.tokens('input')).toBe(8);
  });
});
