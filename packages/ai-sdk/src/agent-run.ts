/**
 * An AI SDK agent loop measured as one agent invocation (`invoke_agent`):
 * `generateText` / `streamText` with tools and `stopWhen`, or an `Agent`'s
 * `generate()` / `stream()`, run inside `trackAgent()`. The model calls of
 * the tokenmeter middleware and the tools of `instrumentTools()` that run
 * inside it — found through an `AsyncLocalStorage`, which the AI SDK's
 * step loop (promises and streams started within the run) carries along —
 * are counted as its `inference_calls` and `tool_calls`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MeterProvider } from '@opentelemetry/api';
import type { LlmMetrics } from '@tokenmeter/llm';
import { isObject, isThenable, metricsOf, telemetryGuard } from '@tokenmeter/llm/integration';
import { classifyAiSdkError } from './error-type.js';

export interface TrackAgentOptions {
  /** `gen_ai.agent.name` (latest_experimental agent and tool metrics). */
  agentName?: string;
  /**
   * `gen_ai.provider.name`. @default the provider of the run's model calls
   * (through the tokenmeter middleware) when they share one, else `_OTHER`
   */
  providerName?: string;
  /** `gen_ai.request.model`. @default the model of the run's model calls when they share one */
  requestModel?: string;
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
}

/** What the model calls and tool executions inside one `trackAgent()` run report to it. */
export class AgentRun {
  inferenceCalls = 0;
  toolCalls = 0;
  private readonly providers = new Set<string>();
  private readonly models = new Set<string>();

  constructor(readonly options: TrackAgentOptions) {}

  get agentName(): string | undefined {
    return this.options.agentName;
  }

  /** A model call started (each attempt of the AI SDK's retries is one). */
  modelCall(provider: string, model: string | undefined): void {
    this.inferenceCalls++;
    this.providers.add(provider);
    if (model) this.models.add(model);
  }

  /** A tool started executing. */
  toolCall(): void {
    this.toolCalls++;
  }

  /** The provider this run's records carry: the option, else the one its model calls had. */
  get provider(): string | undefined {
    return this.options.providerName ?? only(this.providers);
  }

  get requestModel(): string | undefined {
    return this.options.requestModel ?? only(this.models);
  }
}

const only = (s: Set<string>) => (s.size === 1 ? s.values().next().value : undefined);

const runs = new AsyncLocalStorage<AgentRun>();
const telemetry = telemetryGuard('@tokenmeter/ai-sdk');
// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;
let warnedUncounted = false;

/** The `trackAgent()` run the caller is inside, if any. */
export function currentRun(): AgentRun | undefined {
  return runs.getStore();
}

/**
 * Runs `run` — a `generateText` / `streamText` call with tools, or an
 * `Agent`'s `generate()` / `stream()` — as one agent invocation and returns
 * its result unchanged. It ends when the result settles: a promise when it
 * resolves or rejects; a streaming result (one with a `steps` promise, like
 * `streamText`'s) when its steps do, that is once its stream has been read
 * to the end. Records `invoke_agent` (`gen_ai.invoke_agent.duration` in the
 * latest_experimental shape, with `inference_calls` and `tool_calls`).
 */
export function trackAgent<T>(options: TrackAgentOptions, run: () => T): T {
  let state: AgentRun;
  let llm: LlmMetrics;
  const start = clock.now();
  try {
    llm = metricsOf(options ?? {});
    state = new AgentRun(options ?? {});
  } catch (error) {
    telemetry.report('trackAgent', error);
    return run();
  }
  const finish = (error?: { error: unknown }) =>
    telemetry.guard('trackAgent', () => record(llm, state, start, error));
  let result: T;
  try {
    result = runs.run(state, run);
  } catch (error) {
    finish({ error });
    throw error;
  }
  telemetry.guard('trackAgent', () => {
    const settle = (value: unknown) => {
      const steps = isObject(value) ? stepsOf(value) : undefined;
      if (steps)
        steps.then(
          () => finish(),
          (error: unknown) => finish({ error }),
        );
      else finish();
    };
    if (isThenable(result)) result.then(settle, (error: unknown) => finish({ error }));
    else settle(result);
  });
  return result;
}

/** A streaming result's `steps` promise (`streamText`'s), or undefined for a finished result (`generateText`'s array). */
function stepsOf(value: Record<PropertyKey, unknown>): PromiseLike<unknown> | undefined {
  const steps = value.steps;
  return isThenable(steps) ? steps : undefined;
}

function record(
  llm: LlmMetrics,
  run: AgentRun,
  start: number,
  failure: { error: unknown } | undefined,
): void {
  const counted = run.inferenceCalls > 0;
  if (!counted && !warnedUncounted) {
    warnedUncounted = true;
    telemetry.report(
      'trackAgent',
      new Error(
        'no model call of this run went through tokenmeterMiddleware(): its call counts are not recorded',
      ),
    );
  }
  const calls = counted ? { inferenceCalls: run.inferenceCalls, toolCalls: run.toolCalls } : {};
  const req = llm.startRequest({
    operation: 'invoke_agent',
    provider: run.provider ?? '_OTHER',
    requestModel: run.requestModel,
    agentName: run.agentName,
    startTime: start,
  });
  if (!failure) req.end(calls);
  else {
    const type = classifyAiSdkError(failure.error);
    if (type === 'aborted') req.abort(failure.error, calls);
    else req.fail(failure.error, { ...calls, errorType: type });
  }
}
