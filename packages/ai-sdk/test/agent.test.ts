import * as compat3 from '@ai-sdk/openai-compatible';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  createTestMeterProvider,
  DURATION,
  EXECUTE_TOOL,
  hasToolResult,
  INFERENCE_CALLS,
  INVOKE_AGENT,
  type OpenAiSimulator,
  type SimRequest,
  startOpenAiSimulator,
  type TestMeterProvider,
  TOOL_CALLS,
} from '@tokenmeter/testkit';
import * as ai7 from 'ai';
import * as ai5 from 'ai-v5';
import * as ai6 from 'ai-v6';
import * as compat1 from 'openai-compatible-v1';
import * as compat2 from 'openai-compatible-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentTools, tokenmeterMiddleware, trackAgent } from '../src/index.js';
import type { AiSdk, OpenAiCompatible } from './adapter.js';

// biome-ignore lint/suspicious/noExplicitAny: each major has its own types
type Any = any;
type Sdk = AiSdk & { tool: Any; stepCountIs: Any };

const TOOL_MS = 40;

/** A model that calls `lookup` (50 in, 7 out), then, given its result, replies (80 in, 3 out). */
function agentModel(r: SimRequest) {
  if (hasToolResult(r)) return { chunks: 3, promptTokens: 80, completionTokens: 3, ttftMs: 20 };
  return { toolCall: 'lookup', chunks: 2, promptTokens: 50, completionTokens: 7, ttftMs: 30 };
}

// The tool loop of every major the peer range admits, against the simulator over HTTP.
const majors: [string, Sdk, OpenAiCompatible][] = [
  ['ai 5', ai5 as unknown as Sdk, compat1 as OpenAiCompatible],
  ['ai 6', ai6 as unknown as Sdk, compat2 as OpenAiCompatible],
  ['ai 7', ai7 as unknown as Sdk, compat3 as OpenAiCompatible],
];

describe.each(majors)('%s: tool executions and the agent loop', (_name, sdk, compat) => {
  let sim: OpenAiSimulator;
  beforeAll(async () => {
    sim = await startOpenAiSimulator({ script: agentModel });
  });
  afterAll(() => sim.close());

  function setup(o: { semconv?: 'v1.41' | 'latest_experimental'; throwing?: boolean } = {}) {
    const t: TestMeterProvider = createTestMeterProvider();
    const llm: LlmMetrics = createLlmMetrics({
      meterProvider: t.meterProvider,
      semconv: o.semconv ?? 'latest_experimental',
    });
    const provider = compat.createOpenAICompatible({
      baseURL: sim.baseURL,
      name: 'vllm',
      includeUsage: true,
    });
    const model = sdk.wrapLanguageModel({
      model: provider.chatModel('qwen'),
      middleware: tokenmeterMiddleware({ llm }),
    });
    const tools = instrumentTools(
      {
        lookup: sdk.tool({
          description: 'Looks a word up',
          inputSchema: sdk.jsonSchema({
            type: 'object',
            properties: { text: { type: 'string' } },
            required: ['text'],
          }),
          execute: async ({ text }: { text: string }) => {
            await new Promise((r) => setTimeout(r, TOOL_MS));
            if (o.throwing) throw new RangeError('index out of range');
            return `found ${text}`;
          },
        }),
        // A tool the client runs: no execute, nothing to measure.
        ask: sdk.tool({ description: 'Asks the user', inputSchema: sdk.jsonSchema({ type: 'object' }) }),
      },
      { llm },
    );
    const args = { model, tools, stopWhen: sdk.stepCountIs(5), prompt: 'What is OTel?', maxRetries: 0 };
    return { t, llm, args };
  }

  it('generateText: model → tool → model, as one invoke_agent with 2 inference calls and 1 tool call', async () => {
    const { t, llm, args } = setup();
    const before = performance.now();
    const result = await trackAgent({ agentName: 'researcher', llm }, () => sdk.generateText(args));
    const elapsed = (performance.now() - before) / 1000;
    expect(result.text).toBe('Hello from the');
    expect(result.steps).toHaveLength(2);

    const [agent] = await t.histogram(INVOKE_AGENT);
    expect(agent?.attributes).toEqual({ 'gen_ai.agent.name': 'researcher', 'gen_ai.request.model': 'qwen' });
    expect(agent?.sum).toBeGreaterThanOrEqual((30 + 20 + TOOL_MS) / 1000);
    expect(agent?.sum).toBeLessThanOrEqual(elapsed);
    expect((await t.histogramTotal(INFERENCE_CALLS)).sum).toBe(2);
    expect((await t.histogramTotal(TOOL_CALLS)).sum).toBe(1);

    const [tool] = await t.histogram(EXECUTE_TOOL);
    expect(tool?.attributes).toEqual({
      'gen_ai.tool.name': 'lookup',
      'gen_ai.tool.type': 'function',
      'gen_ai.agent.name': 'researcher',
    });
    assertWithin(tool?.sum, TOOL_MS);
  });

  it('streamText: the run ends when its stream has been read', async () => {
    const { t, llm, args } = setup();
    const result = trackAgent({ agentName: 'streamer', llm }, () => sdk.streamText(args));
    expect(await t.names()).not.toContain(INVOKE_AGENT);
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Hello from the');
    await expect.poll(async () => (await t.histogramTotal(INVOKE_AGENT)).count).toBe(1);
    expect((await t.histogramTotal(INFERENCE_CALLS, { 'gen_ai.agent.name': 'streamer' })).sum).toBe(2);
    expect((await t.histogramTotal(TOOL_CALLS)).sum).toBe(1);
    expect((await t.histogramTotal(EXECUTE_TOOL, { 'gen_ai.agent.name': 'streamer' })).count).toBe(1);
  });

  it('a tool that throws: execute_tool fails with its class; the loop goes on', async () => {
    const { t, llm, args } = setup({ throwing: true });
    await trackAgent({ agentName: 'researcher', llm }, () => sdk.generateText(args));
    const [tool] = await t.histogram(EXECUTE_TOOL);
    expect(tool?.attributes['error.type']).toBe('RangeError');
    expect((await t.histogramTotal(TOOL_CALLS)).sum).toBe(1);
  });

  it('the default v1.41 shape: invoke_agent and execute_tool with the model calls’ provider', async () => {
    const { t, llm, args } = setup({ semconv: 'v1.41' });
    await trackAgent({ agentName: 'researcher', llm }, () => sdk.generateText(args));
    const byOp = Object.fromEntries(
      (await t.histogram(DURATION)).map((p) => [String(p.attributes['gen_ai.operation.name']), p]),
    );
    expect(byOp.invoke_agent?.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'qwen',
    });
    expect(byOp.execute_tool?.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.provider.name': 'vllm',
    });
    expect(byOp.chat?.count).toBe(2);
  });

  it('tools outside a run: execute_tool still recorded, provider _OTHER unless given', async () => {
    const { t, args } = setup({ semconv: 'v1.41' });
    await sdk.generateText(args);
    const [tool] = await t.histogram(DURATION, { 'gen_ai.operation.name': 'execute_tool' });
    expect(tool?.attributes['gen_ai.provider.name']).toBe('_OTHER');
    expect(await t.names()).not.toContain(INVOKE_AGENT);
  });
});

describe('trackAgent', () => {
  it('a run that fails: invoke_agent with the error, its calls counted', async () => {
    const sim = await startOpenAiSimulator({
      defaults: { status: 500, headers: { 'retry-after-ms': '10' } },
    });
    try {
      const t = createTestMeterProvider();
      const llm = createLlmMetrics({ meterProvider: t.meterProvider, semconv: 'latest_experimental' });
      const provider = compat3.createOpenAICompatible({ baseURL: sim.baseURL, name: 'vllm' });
      const model = ai7.wrapLanguageModel({
        model: provider.chatModel('m'),
        middleware: tokenmeterMiddleware({ llm }),
      });
      await expect(
        trackAgent({ agentName: 'a', llm }, () => ai7.generateText({ model, prompt: 'x', maxRetries: 1 })),
      ).rejects.toThrow();
      const [agent] = await t.histogram(INVOKE_AGENT);
      expect(agent?.attributes['error.type']).toBe('500');
      // The AI SDK's retry is a second inference call of the agent.
      expect((await t.histogramTotal(INFERENCE_CALLS)).sum).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it('returns what the run returns, synchronous throws included', () => {
    const t = createTestMeterProvider();
    const llm = createLlmMetrics({ meterProvider: t.meterProvider });
    expect(trackAgent({ llm }, () => 42)).toBe(42);
    expect(() =>
      trackAgent({ llm }, () => {
        throw new TypeError('bad');
      }),
    ).toThrow(TypeError);
  });
});
