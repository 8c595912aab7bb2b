/**
 * Tool executions of the AI SDK's tool loop (`generateText` / `streamText`
 * with `tools`): each tool's `execute` is wrapped, so every execution the
 * SDK runs records `execute_tool` — the same way in every `ai` major.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { LlmMetrics } from '@tokenmeter/llm';
import {
  Call,
  isAsyncIterable,
  isObject,
  metricsOf,
  observeAsyncIterable,
  telemetryGuard,
  wrapCall,
} from '@tokenmeter/llm/integration';
import { currentRun } from './agent-run.js';

export interface InstrumentToolsOptions {
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /**
   * `gen_ai.provider.name` (the default v1.41 shape's duration requires one).
   * @default inside `trackAgent()`, the run's provider; else `_OTHER`
   */
  providerName?: string;
  /** `gen_ai.agent.name`. @default inside `trackAgent()`, the run's agent name */
  agentName?: string;
}

const telemetry = telemetryGuard('@tokenmeter/ai-sdk');

/** One execution. A tool whose `execute` is an async generator (preliminary results) ends with its last one. */
class ToolCall extends Call {
  override resolved(value: unknown): unknown {
    if (isAsyncIterable(value)) return observeAsyncIterable(value, this);
    this.complete();
    return value;
  }
}

type AnyFn = (...args: never[]) => unknown;

/**
 * Returns a copy of `tools` (the AI SDK's `ToolSet`, a record of `tool()`s)
 * whose `execute` functions are measured: each execution records
 * `execute_tool` with `gen_ai.tool.name` = its key and `gen_ai.tool.type` =
 * `function`, failed when it throws (`error.type`: llm's mapping, the class
 * name) or when the SDK aborts it (`aborted`). Tools without `execute`
 * (run by the client, or by the provider) are kept as they are. Inside
 * `trackAgent()` each execution also counts as a tool call of that agent.
 */
export function instrumentTools<T extends Record<string, unknown>>(
  tools: T,
  options: InstrumentToolsOptions = {},
): T {
  if (!isObject(tools)) return tools;
  let llm: LlmMetrics;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('instrumentTools', error);
    return tools;
  }
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    out[name] =
      isObject(tool) && typeof tool.execute === 'function' ? measured(name, tool, llm, options) : tool;
  }
  return out as T;
}

function measured(
  name: string,
  tool: Record<PropertyKey, unknown>,
  llm: LlmMetrics,
  o: InstrumentToolsOptions,
): object {
  // The same kind of object, every property kept (and non-enumerable ones), `execute` replaced.
  const copy = Object.create(Object.getPrototypeOf(tool), Object.getOwnPropertyDescriptors(tool));
  const execute = wrapCall(
    tool.execute as AnyFn,
    (_self, args, startTime) => {
      const run = currentRun();
      run?.toolCall();
      const req = llm.startRequest({
        operation: 'execute_tool',
        provider: o.providerName ?? run?.provider ?? '_OTHER',
        toolName: name,
        toolType: 'function',
        agentName: o.agentName ?? run?.agentName,
        startTime,
      });
      const call = new ToolCall(req, telemetry);
      // The SDK's abort signal (the call's `abortSignal`) aborts the execution when it fires.
      const options = args[1];
      call.watch(
        isObject(options) && options.abortSignal instanceof AbortSignal ? options.abortSignal : undefined,
      );
      return call;
    },
    telemetry,
  );
  Object.defineProperty(copy, 'execute', {
    value: execute,
    writable: true,
    enumerable: true,
    configurable: true,
  });
  return copy;
}
