import { createLlmMetrics } from '@tokenmeter/llm';
import { createTestMeterProvider } from '@tokenmeter/testkit';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { expectStreamTimings, useGoogleSimulator } from '@tokenmeter/testkit/vitest';
import { GoogleGenAI as GoogleGenAI1 } from 'google-genai-v1';
import { GoogleGenAI as GoogleGenAI2 } from 'google-genai-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentGoogleGenAI } from '../src/index.js';
import { type GoogleGenAIConstructor, googleGenAIAdapter } from './adapter.js';

// The instrumentation wraps the per-request methods every public one goes
// through (`models.generateContentInternal` and `generateContentStreamInternal`),
// which are internals: every major the peer range admits runs the whole
// integration contract over real HTTP against the simulator, plus a chat
// session and Vertex AI mode. instrument.test.ts covers the current major in depth.

const majors: [string, GoogleGenAIConstructor][] = [
  ['@google/genai 1', GoogleGenAI1 as unknown as GoogleGenAIConstructor],
  ['@google/genai 2', GoogleGenAI2 as unknown as GoogleGenAIConstructor],
];

for (const [name, GoogleGenAI] of majors) runIntegrationContract(googleGenAIAdapter(name, GoogleGenAI));

const env = useGoogleSimulator();

describe.each(majors)('%s: chats and Vertex AI mode', (_name, GoogleGenAI) => {
  const client = (meterProvider = env.t.meterProvider, options: object = {}) =>
    instrumentGoogleGenAI(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: env.sim.baseURL }, ...options }),
      {
        llm: createLlmMetrics({ meterProvider }),
      },
    );

  beforeAll(async () => {
    await client(createTestMeterProvider().meterProvider).models.generateContent({
      model: 'warm',
      contents: 'x',
    });
  });

  it('a streamed chat message is recorded once, with its chunks', async () => {
    const chat = client().chats.create({ model: 'gemini;ttft=40;gap=15;chunks=3;prompt=8' });
    for await (const _ of await chat.sendMessageStream({ message: 'Hello' })) {
    }
    await expectStreamTimings(env.t, { ttftMs: 40, gapMs: 15, chunks: 3 });
    expect(await env.tokens('input')).toBe(8);
  });

  it('vertexai: true records gcp.vertex_ai', async () => {
    await client(env.t.meterProvider, { vertexai: true }).models.generateContent({
      model: 'gemini',
      contents: 'x',
    });
    expect(env.sim.requests.at(-1)?.path).toMatch(
      /^\/v1beta1\/publishers\/google\/models\/gemini:generateContent$/,
    );
    const points = await env.t.histogram('gen_ai.client.operation.duration');
    expect(points.map((p) => p.attributes['gen_ai.provider.name'])).toEqual(['gcp.vertex_ai']);
  });
});
