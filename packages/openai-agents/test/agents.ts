/**
 * Running real agents of the OpenAI Agents SDK against testkit's OpenAI
 * simulator: the same scenarios for every SDK version the peer range admits.
 */
import { createLlmMetrics, type LlmMetrics, type SemconvShape } from '@tokenmeter/llm';
import {
  createTestMeterProvider,
  hasToolResult,
  type SimRequest,
  type TestMeterProvider,
} from '@tokenmeter/testkit';
import OpenAI from 'openai';
import { z } from 'zod';
import { type TokenmeterProcessorOptions, tokenmeterProcessor } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each SDK version has its own types
type Any = any;

/** The parts of an `@openai/agents` version the tests use. */
export interface AgentsSdk {
  Agent: Any;
  run: Any;
  tool: Any;
  Runner: Any;
  OpenAIProvider: Any;
  setTraceProcessors: (processors: unknown[]) => void;
  setTracingDisabled: (disabled: boolean) => void;
}

export const TOOL_MS = 50;

/**
 * The model: asked without a tool result, it calls `lookup` (50 input, 7
 * output tokens); given the tool's result, it replies (80 in, 3 out).
 * `fail` scripts an HTTP error; `handoff` makes the first agent hand off.
 */
export function agentScript(o: { fail?: number; handoffTo?: string; loop?: boolean } = {}) {
  return (r: SimRequest) => {
    if (o.fail) return { status: o.fail };
    if (hasToolResult(r) && !o.loop) return { promptTokens: 80, completionTokens: 3, chunks: 3, ttftMs: 20 };
    const tool = o.handoffTo ? `transfer_to_${o.handoffTo}` : 'lookup';
    return {
      toolCall: tool,
      promptTokens: 50,
      completionTokens: 7,
      chunks: 2,
      ttftMs: 30,
      serviceTier: 'default',
    };
  };
}

export interface Rig {
  t: TestMeterProvider;
  llm: LlmMetrics;
  agent: Any;
  /** Runs `agent` (the rig's, by default) on a runner of its own, whose model provider talks to the simulator. */
  run: (input?: string, options?: Record<string, unknown>, agent?: Any) => Promise<Any>;
}

/** A processor on a fresh provider, registered as the only one (nothing exported), and an agent with one tool. */
export function rig(
  sdk: AgentsSdk,
  baseURL: string,
  o: {
    semconv?: SemconvShape;
    processor?: Partial<TokenmeterProcessorOptions>;
    throwingTool?: boolean;
    llm?: LlmMetrics;
    /** Chat completions instead of the Responses API. */
    chatCompletions?: boolean;
  } = {},
): Rig {
  const t = createTestMeterProvider();
  const llm =
    o.llm ??
    createLlmMetrics({ meterProvider: t.meterProvider, semconv: o.semconv ?? 'latest_experimental' });
  // vitest runs with NODE_ENV=test, under which the SDK turns tracing off by default.
  sdk.setTracingDisabled(false);
  sdk.setTraceProcessors([tokenmeterProcessor({ llm, ...o.processor })]);
  // A runner per rig, not the SDK's default one: its provider would keep the first client it made.
  const runner = new sdk.Runner({
    modelProvider: new sdk.OpenAIProvider({
      openAIClient: new OpenAI({ apiKey: 'test', baseURL, maxRetries: 0 }),
      useResponses: !o.chatCompletions,
    }),
  });
  const lookup = sdk.tool({
    name: 'lookup',
    description: 'Looks a word up',
    parameters: z.object({ text: z.string() }),
    execute: async ({ text }: { text: string }) => {
      await new Promise((r) => setTimeout(r, TOOL_MS));
      if (o.throwingTool) throw new Error('database down');
      return `found ${text}`;
    },
  });
  const agent = new sdk.Agent({
    name: 'researcher',
    instructions: 'Be brief.',
    model: 'gpt-4o',
    tools: [lookup],
  });
  return {
    t,
    llm,
    agent,
    run: async (input = 'What is OTel?', options = {}, which = agent) => {
      const result = await runner.run(which, input, options);
      if (options.stream) {
        for await (const _ of result.toTextStream()) {
          // read to the end
        }
        await result.completed;
      }
      return result;
    },
  };
}
