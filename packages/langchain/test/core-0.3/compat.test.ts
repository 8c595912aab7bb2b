/**
 * The oldest major the peer range admits: @langchain/core 0.3 with
 * @langchain/openai 0.6 (this folder is a workspace package of its own, as
 * @langchain/openai takes its core as a peer). The handler here extends the
 * current core's BaseCallbackHandler, so 0.3's callback manager drives it as
 * it drives any handler object (by duck type, as with a second copy of core
 * in an application): the whole contract, and tools and chains of 0.3.
 */
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { TokenmeterCallbackHandler } from '@tokenmeter/langchain';
import { createLlmMetrics } from '@tokenmeter/llm';
import { DURATION } from '@tokenmeter/testkit';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { useOpenAiSimulator } from '@tokenmeter/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { langChainAdapter } from '../adapter.js';

runIntegrationContract(langChainAdapter('@langchain/core 0.3 (@langchain/openai 0.6)', ChatOpenAI));

const env = useOpenAiSimulator();

describe('@langchain/core 0.3: tools and chains', () => {
  it('a tool run is execute_tool; a root chain is one invoke_workflow around its model call', async () => {
    const handler = new TokenmeterCallbackHandler({
      llm: createLlmMetrics({ meterProvider: env.t.meterProvider }),
    });
    const echo = tool(async (input: unknown) => String((input as { text: string }).text), {
      name: 'echo',
      description: 'Echoes.',
      schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    });
    expect(await echo.invoke({ text: 'x' }, { callbacks: [handler] })).toBe('x');
    const model = new ChatOpenAI({
      model: 'm?chunks=2',
      apiKey: 'k',
      configuration: { baseURL: env.sim.baseURL },
    });
    const chain = RunnableLambda.from((s: string) => s).pipe(model);
    await chain.invoke('x', { callbacks: [handler] });
    const points = await env.t.histogram(DURATION);
    expect(points.map((p) => [p.attributes['gen_ai.operation.name'], p.count]).sort()).toEqual([
      ['chat', 1],
      ['execute_tool', 1],
      ['invoke_workflow', 1],
    ]);
    expect(handler.openRuns).toBe(0);
  });
});
