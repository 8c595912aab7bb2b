import * as current from '@openai/agents';
import {
  assertWithin,
  DURATION,
  EXECUTE_TOOL,
  INFERENCE_CALLS,
  INVOKE_AGENT,
  type OpenAiSimulator,
  startOpenAiSimulator,
  TOKENS,
  TOOL_CALLS,
} from '@tokenmeter/testkit';
import * as v03 from 'agents-v0-3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentsSdk, agentScript, rig, TOOL_MS } from './agents.js';

const INFERENCE = 'gen_ai.client.inference.duration';
const INPUT = 'gen_ai.client.inference.usage.input_tokens';
const OUTPUT = 'gen_ai.client.inference.usage.output_tokens';

// The newest SDK and the oldest the peer range admits (0.3: no task/turn spans, openai 6).
const versions: [string, AgentsSdk][] = [
  ['@openai/agents 0.20', current as unknown as AgentsSdk],
  ['@openai/agents 0.3', v03 as unknown as AgentsSdk],
];

describe.each(versions)('%s', (_name, sdk) => {
  let sim: OpenAiSimulator;
  let failing: OpenAiSimulator;
  beforeAll(async () => {
    sim = await startOpenAiSimulator({ script: agentScript() });
    failing = await startOpenAiSimulator({ script: agentScript({ fail: 500 }) });
  });
  afterAll(async () => {
    await sim.close();
    await failing.close();
  });

  it('model call → tool → model call: invoke_agent with 2 inference calls and 1 tool call', async () => {
    const r = rig(sdk, sim.baseURL);
    const before = performance.now();
    const result = await r.run();
    const elapsed = (performance.now() - before) / 1000;
    expect(result.finalOutput).toBe('Hello from the');

    const [agent] = await r.t.histogram(INVOKE_AGENT);
    expect(agent?.attributes).toEqual({ 'gen_ai.agent.name': 'researcher' });
    expect(agent?.count).toBe(1);
    // It covers both model calls (30 and 20 ms to their answers) and the tool (TOOL_MS), within the run.
    expect(agent?.sum).toBeGreaterThanOrEqual((30 + 20 + TOOL_MS) / 1000);
    expect(agent?.sum).toBeLessThanOrEqual(elapsed);
    expect((await r.t.histogramTotal(INFERENCE_CALLS, { 'gen_ai.agent.name': 'researcher' })).sum).toBe(2);
    expect((await r.t.histogramTotal(TOOL_CALLS, { 'gen_ai.agent.name': 'researcher' })).sum).toBe(1);

    const [tool] = await r.t.histogram(EXECUTE_TOOL);
    expect(tool?.attributes).toEqual({
      'gen_ai.tool.name': 'lookup',
      'gen_ai.tool.type': 'function',
      'gen_ai.agent.name': 'researcher',
    });
    assertWithin(tool?.sum, TOOL_MS);

    // The model calls, with what the Responses API reported.
    const calls = await r.t.histogram(INFERENCE, { 'gen_ai.operation.name': 'chat' });
    expect(calls.map((p) => p.attributes)).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.response.model': 'gpt-4o',
        'openai.response.service_tier': 'default',
      },
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.response.model': 'gpt-4o',
      },
    ]);
    expect(await r.t.sum(INPUT)).toBe(130);
    expect(await r.t.sum(OUTPUT)).toBe(10);
    expect(sim.requests.filter((q) => q.path === '/v1/responses')).toHaveLength(2);
  });

  it('a streamed run is measured the same way', async () => {
    const r = rig(sdk, sim.baseURL);
    await r.run('Stream it', { stream: true });
    expect((await r.t.histogramTotal(INFERENCE_CALLS)).sum).toBe(2);
    expect((await r.t.histogramTotal(TOOL_CALLS)).sum).toBe(1);
    expect((await r.t.histogramTotal(EXECUTE_TOOL)).count).toBe(1);
    expect((await r.t.histogramTotal(INFERENCE)).count).toBe(2);
    expect(await r.t.sum(OUTPUT)).toBe(10);
  });

  it('the default v1.41 shape: invoke_agent, execute_tool and chat on gen_ai.client.operation.duration', async () => {
    const r = rig(sdk, sim.baseURL, { semconv: 'v1.41' });
    await r.run();
    const ops = await r.t.histogram(DURATION);
    const byOp = new Map(ops.map((p) => [p.attributes['gen_ai.operation.name'], p]));
    expect(byOp.get('invoke_agent')?.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
    });
    expect(byOp.get('execute_tool')?.count).toBe(1);
    expect((await r.t.histogramTotal(DURATION, { 'gen_ai.operation.name': 'chat' })).count).toBe(2);
    expect((await r.t.histogramTotal(TOKENS, { 'gen_ai.token.type': 'input' })).sum).toBe(130);
    expect(await r.t.names()).not.toContain(INVOKE_AGENT);
  });

  it('a tool that throws: execute_tool fails with tool_error, the run goes on', async () => {
    const r = rig(sdk, sim.baseURL, { throwingTool: true });
    const result = await r.run();
    expect(result.finalOutput).toBe('Hello from the');
    const [tool] = await r.t.histogram(EXECUTE_TOOL);
    expect(tool?.attributes['error.type']).toBe('tool_error');
    const [agent] = await r.t.histogram(INVOKE_AGENT);
    expect(agent?.attributes['error.type']).toBeUndefined();
    expect((await r.t.histogramTotal(TOOL_CALLS)).sum).toBe(1);
  });

  it('a model call that fails: the HTTP status on the call and on the agent, counted in inference_calls', async () => {
    const r = rig(sdk, failing.baseURL);
    await expect(r.run()).rejects.toThrow(/500/);
    const [call] = await r.t.histogram(INFERENCE);
    expect(call?.attributes['error.type']).toBe('500');
    const [agent] = await r.t.histogram(INVOKE_AGENT);
    expect(agent?.attributes['error.type']).toBe('500');
    expect((await r.t.histogramTotal(INFERENCE_CALLS)).sum).toBe(1);
    expect((await r.t.histogramTotal(TOOL_CALLS)).sum).toBe(0);
  });

  it('a run past maxTurns: the SDK error class is the agent error.type', async () => {
    const looping = await startOpenAiSimulator({ script: agentScript({ loop: true }) });
    try {
      const r = rig(sdk, looping.baseURL);
      await expect(r.run('Loop', { maxTurns: 2 })).rejects.toThrow(/max turns/i);
      const [agent] = await r.t.histogram(INVOKE_AGENT);
      expect(agent?.attributes['error.type']).toBe('MaxTurnsExceededError');
      expect((await r.t.histogramTotal(INFERENCE_CALLS)).sum).toBe(2);
      expect((await r.t.histogramTotal(TOOL_CALLS)).sum).toBe(2);
    } finally {
      await looping.close();
    }
  });

  it('modelCalls: false leaves the calls to an instrumented client, and still counts them', async () => {
    const r = rig(sdk, sim.baseURL, { processor: { modelCalls: false } });
    await r.run();
    expect(await r.t.names()).not.toContain(INFERENCE);
    expect((await r.t.histogramTotal(INFERENCE_CALLS)).sum).toBe(2);
  });

  it('chat completions: the requested model, on the calls and the agent', async () => {
    const r = rig(sdk, sim.baseURL, { chatCompletions: true });
    await r.run();
    expect(sim.requests.at(-1)?.path).toBe('/v1/chat/completions');
    const calls = await r.t.histogram(INFERENCE);
    expect(calls.map((p) => p.attributes['gen_ai.request.model'])).toEqual(['gpt-4o', 'gpt-4o']);
    expect((await r.t.histogramTotal(INFERENCE)).count).toBe(2);
    expect(await r.t.sum(INPUT)).toBe(130);
    const [agent] = await r.t.histogram(INVOKE_AGENT);
    expect(agent?.attributes).toEqual({
      'gen_ai.agent.name': 'researcher',
      'gen_ai.request.model': 'gpt-4o',
    });
  });

  it('a handoff: one invoke_agent per agent, each with its own calls', async () => {
    const handoffSim = await startOpenAiSimulator({ script: agentScript({ handoffTo: 'specialist' }) });
    try {
      const r = rig(sdk, handoffSim.baseURL);
      const specialist = new sdk.Agent({ name: 'specialist', instructions: 'Answer.', model: 'gpt-4o' });
      const triage = new sdk.Agent({
        name: 'triage',
        instructions: 'Route.',
        model: 'gpt-4o',
        handoffs: [specialist],
      });
      const result = await r.run('Help', {}, triage);
      expect(result.finalOutput).toBe('Hello from the');
      const agents = await r.t.histogram(INVOKE_AGENT);
      expect(agents.map((p) => p.attributes['gen_ai.agent.name']).sort()).toEqual(['specialist', 'triage']);
      const calls = await r.t.histogram(INFERENCE_CALLS);
      expect(Object.fromEntries(calls.map((p) => [p.attributes['gen_ai.agent.name'], p.sum]))).toEqual({
        triage: 1,
        specialist: 1,
      });
      // A handoff is not a tool execution.
      expect((await r.t.histogramTotal(TOOL_CALLS)).sum).toBe(0);
    } finally {
      await handoffSim.close();
    }
  });

  it('telemetry that throws never reaches the run', async () => {
    const bug = () => {
      throw new Error('telemetry bug');
    };
    const r = rig(sdk, sim.baseURL, { llm: { startRequest: bug } as never });
    expect((await r.run()).finalOutput).toBe('Hello from the');
  });
});
