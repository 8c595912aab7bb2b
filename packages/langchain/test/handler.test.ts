/**
 * @tokenmeter/langchain with real LangChain (@langchain/core 1, langchain 1,
 * @langchain/openai 1) against testkit's OpenAI simulator over HTTP: what
 * the integration contract (contract.test.ts) does not cover — tools, an
 * agent loop, chains, a stream left with `break`, providers.
 */
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  createTestMeterProvider,
  DURATION,
  ERRORS,
  type OpenAiSimulator,
  REQUESTS,
  startOpenAiSimulator,
  type TestMeterProvider,
  TOKENS,
  TTFC,
} from '@tokenmeter/testkit';
import { createAgent } from 'langchain';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chainName, chainOperation, providerOf, TokenmeterCallbackHandler } from '../src/index.js';

let sim: OpenAiSimulator;
let t: TestMeterProvider;
let llm: LlmMetrics;

/** Messages that already carry a tool's result get an answer; others a call of `lookup` (an agent loop of two model calls). */
const hasToolResult = (body: Record<string, unknown> | undefined) =>
  Array.isArray(body?.messages) && body.messages.some((m) => (m as { role?: string }).role === 'tool');

beforeAll(async () => {
  sim = await startOpenAiSimulator({
    script: (r) =>
      r.model?.startsWith('agent')
        ? hasToolResult(r.body)
          ? { chunks: 2 }
          : { toolCall: 'lookup' }
        : undefined,
  });
  // Warm-up on a throwaway meter: LangChain and the SDK load their modules, the connection opens.
  const warm = new TokenmeterCallbackHandler({
    llm: createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider }),
  });
  await model('warm?chunks=1').invoke('x', { callbacks: [warm] });
});
afterAll(() => sim.close());
beforeEach(() => {
  t = createTestMeterProvider();
  llm = createLlmMetrics({ meterProvider: t.meterProvider });
});
afterEach(() => t.shutdown());

const model = (name: string) =>
  new ChatOpenAI({ model: name, apiKey: 'k', configuration: { baseURL: sim.baseURL }, maxRetries: 0 });
const durations = (match: Record<string, unknown> = {}) => t.histogramTotal(DURATION, match);
const lookup = tool(async ({ text }: { text: string }) => `found ${text}`, {
  name: 'lookup',
  description: 'Looks a text up.',
  schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
});

describe('model runs', () => {
  it('a chat call: provider from ls_provider, the request and response models, usage details, finish reason', async () => {
    const handler = new TokenmeterCallbackHandler({ llm, serverAddress: 'api.example.com', serverPort: 443 });
    const name =
      'gpt-4o?ttft=50&chunks=2&prompt=30&cached=10&completion=8&reasoning=3&responseModel=gpt-4o-2024';
    const res = await model(name).invoke('Say hello', { callbacks: [handler] });
    expect(res.content).toBe('Hello from');
    const points = await t.histogram(DURATION);
    expect(points.map((p) => p.attributes)).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': name,
        'gen_ai.response.model': 'gpt-4o-2024',
        'server.address': 'api.example.com',
        'server.port': 443,
      },
    ]);
    assertWithin(points[0]!.sum, 50);
    expect((await t.histogramTotal(TOKENS, { 'gen_ai.token.type': 'input' })).sum).toBe(30);
    expect((await t.histogramTotal(TOKENS, { 'gen_ai.token.type': 'output' })).sum).toBe(8);
    expect(await t.sum('tokenmeter.gen_ai.client.usage.cache_read.input_tokens')).toBe(10);
    expect(await t.sum('tokenmeter.gen_ai.client.usage.reasoning.output_tokens')).toBe(3);
    expect(await t.sum(REQUESTS, { 'tokenmeter.finish_reason': 'stop' })).toBe(1);
    expect(handler.openRuns).toBe(0);
  });

  it('providerName overrides (or maps) the detected provider', async () => {
    const handler = new TokenmeterCallbackHandler({
      llm,
      providerName: (p) => (p === 'openai' ? 'vllm' : p),
    });
    await model('m?chunks=1').invoke('x', { callbacks: [handler] });
    expect((await durations({ 'gen_ai.provider.name': 'vllm' })).count).toBe(1);
  });

  it('an HTTP error fails the run with the status', async () => {
    const handler = new TokenmeterCallbackHandler({ llm });
    await expect(model('m?status=429').invoke('x', { callbacks: [handler] })).rejects.toBeDefined();
    expect((await durations({ 'error.type': '429' })).count).toBe(1);
    expect(handler.openRuns).toBe(0);
  });

  it('a stream left with break gets no callback: nothing is recorded and the run stays open, bounded by maxOpenRuns', async () => {
    const handler = new TokenmeterCallbackHandler({ llm, maxOpenRuns: 2 });
    for (let i = 0; i < 3; i++) {
      for await (const chunk of await model('m?ttft=5&gap=5&chunks=6').stream('x', {
        callbacks: [handler],
      })) {
        if (chunk.content) break;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(handler.openRuns).toBe(2);
    expect(await t.histogram(DURATION)).toEqual([]);
    // Each got its first chunk before the break.
    expect((await t.histogramTotal(TTFC)).count).toBe(3);
  });
});

describe('tools, agents and workflows', () => {
  it('a tool-calling agent loop: invoke_agent around two chat calls and one execute_tool', async () => {
    const handler = new TokenmeterCallbackHandler({ llm });
    const agent = createAgent({ model: model('agent?ttft=20'), tools: [lookup] });
    const res = await agent.invoke(
      { messages: [{ role: 'user', content: 'find x' }] },
      { callbacks: [handler] },
    );
    expect(res.messages.map((m) => m.getType())).toEqual(['human', 'ai', 'tool', 'ai']);
    const points = await t.histogram(DURATION);
    const by = (op: string) => points.filter((p) => p.attributes['gen_ai.operation.name'] === op);
    expect(by('chat').reduce((n, p) => n + p.count, 0)).toBe(2);
    expect(by('execute_tool').map((p) => [p.count, p.attributes['gen_ai.provider.name']])).toEqual([
      [1, 'langchain'],
    ]);
    expect(by('invoke_agent').map((p) => [p.count, p.attributes['gen_ai.provider.name']])).toEqual([
      [1, 'langchain'],
    ]);
    expect(by('invoke_workflow')).toEqual([]);
    // The agent ran both model calls and the tool inside its own duration.
    const chatTotal = by('chat').reduce((s, p) => s + p.sum, 0);
    expect(by('invoke_agent')[0]!.sum).toBeGreaterThan(chatTotal + by('execute_tool')[0]!.sum);
    expect(
      await t.sum(REQUESTS, { 'gen_ai.operation.name': 'chat', 'tokenmeter.finish_reason': 'tool_calls' }),
    ).toBe(1);
    expect(handler.openRuns).toBe(0);
  });

  it('latest_experimental: the tool, agent and workflow names go on their own duration metrics', async () => {
    const next = createLlmMetrics({ meterProvider: t.meterProvider, semconv: 'latest_experimental' });
    const handler = new TokenmeterCallbackHandler({ llm: next });
    const agent = createAgent({ model: model('agent'), tools: [lookup], name: 'researcher' });
    await agent.invoke({ messages: [{ role: 'user', content: 'find x' }] }, { callbacks: [handler] });
    const chain = RunnableLambda.from((s: string) => s).withConfig({ runName: 'echo' });
    await chain.invoke('x', { callbacks: [handler] });
    const tools = await t.histogram('gen_ai.execute_tool.duration');
    expect(
      tools.map((p) => [p.count, p.attributes['gen_ai.tool.name'], p.attributes['gen_ai.tool.type']]),
    ).toEqual([[1, 'lookup', 'function']]);
    const agents = await t.histogram('gen_ai.invoke_agent.duration');
    expect(agents.map((p) => [p.count, p.attributes['gen_ai.agent.name']])).toEqual([[1, 'researcher']]);
    // The agent's own calls: two model calls and one tool call.
    expect((await t.histogramTotal('gen_ai.invoke_agent.inference_calls')).sum).toBe(2);
    expect((await t.histogramTotal('gen_ai.invoke_agent.tool_calls')).sum).toBe(1);
    const workflows = await t.histogram('gen_ai.invoke_workflow.duration');
    expect(workflows.map((p) => [p.count, p.attributes['gen_ai.workflow.name']])).toEqual([[1, 'echo']]);
  });

  it('a tool that throws fails its execute_tool run with the error class', async () => {
    const handler = new TokenmeterCallbackHandler({ llm });
    const broken = tool(
      async () => {
        throw new RangeError('no such text');
      },
      { name: 'broken', description: 'Fails.', schema: { type: 'object', properties: {} } },
    );
    await expect(broken.invoke({}, { callbacks: [handler] })).rejects.toThrow('no such text');
    expect(
      (await durations({ 'gen_ai.operation.name': 'execute_tool', 'error.type': 'RangeError' })).count,
    ).toBe(1);
    expect(await t.sum(ERRORS, { 'error.type': 'RangeError' })).toBe(1);
  });

  it('an LCEL chain is one invoke_workflow; its steps are not measured apart, its model call is', async () => {
    const handler = new TokenmeterCallbackHandler({ llm });
    const chain = RunnableLambda.from((s: string) => s.toUpperCase())
      .pipe(model('m?chunks=2'))
      .pipe(RunnableLambda.from((m: { content: unknown }) => String(m.content)));
    expect(await chain.invoke('x', { callbacks: [handler] })).toBe('Hello from');
    const points = await t.histogram(DURATION);
    expect(points.map((p) => [p.attributes['gen_ai.operation.name'], p.count]).sort()).toEqual([
      ['chat', 1],
      ['invoke_workflow', 1],
    ]);
  });

  it('tools: false and chains: false measure model runs only', async () => {
    const handler = new TokenmeterCallbackHandler({ llm, tools: false, chains: false });
    const agent = createAgent({ model: model('agent'), tools: [lookup] });
    await agent.invoke({ messages: [{ role: 'user', content: 'find x' }] }, { callbacks: [handler] });
    const points = await t.histogram(DURATION);
    expect(new Set(points.map((p) => p.attributes['gen_ai.operation.name']))).toEqual(new Set(['chat']));
  });
});

describe('providerOf and chainOperation', () => {
  it('maps ls_provider and model classes to the conventions names, bounded otherwise', () => {
    expect(
      providerOf({ id: ['langchain', 'chat_models', 'openai', 'ChatOpenAI'] }, { ls_provider: 'openai' }),
    ).toBe('openai');
    expect(providerOf({}, { ls_provider: 'amazon_bedrock' })).toBe('aws.bedrock');
    expect(providerOf({}, { ls_provider: 'google_vertexai' })).toBe('gcp.vertex_ai');
    expect(providerOf({ id: ['x', 'ChatAnthropic'] }, {})).toBe('anthropic');
    expect(providerOf({ id: ['x', 'AzureChatOpenAI'] }, {})).toBe('azure.ai.openai');
    expect(providerOf({}, { ls_provider: 'my_gateway' })).toBe('my_gateway');
    expect(providerOf({}, { ls_provider: 'Not A Name <script>' })).toBe('_OTHER');
    expect(providerOf(undefined, undefined)).toBe('_OTHER');
  });

  it('agents by their marks, anything else a workflow', () => {
    expect(
      chainOperation(
        { id: ['langgraph', 'pregel', 'CompiledStateGraph'] },
        { ls_integration: 'langchain_create_agent' },
      ),
    ).toBe('invoke_agent');
    expect(chainOperation({ id: ['langchain', 'agents', 'executor', 'AgentExecutor'] }, {})).toBe(
      'invoke_agent',
    );
    expect(chainOperation({ id: ['langchain_core', 'runnables', 'RunnableSequence'] }, {})).toBe(
      'invoke_workflow',
    );
    // A class name or LangGraph's default names nothing.
    expect(chainName({ id: ['x', 'RunnableSequence'] }, 'RunnableSequence')).toBeUndefined();
    expect(chainName({ id: ['x', 'CompiledStateGraph'] }, 'LangGraph')).toBeUndefined();
    expect(chainName({ id: ['x', 'RunnableSequence'] }, 'summarise')).toBe('summarise');
  });
});
