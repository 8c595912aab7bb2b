/**
 * A LangChain.js callback handler that turns runs into `@tokenmeter/llm`
 * measurements: model runs into client requests (`chat`, or
 * `text_completion` for completion models), tool runs into `execute_tool`,
 * and the chain run an application invoked into `invoke_agent` or
 * `invoke_workflow`. Each open run is a core `Call` in a `RunRegistry`, keyed
 * by LangChain's run id and finalised once by its end or error callback.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { LlmMetrics, StartRequestOptions } from '@tokenmeter/llm';
import {
  Call,
  type ClientIntegrationOptions,
  isObject,
  metricsOf,
  nonEmptyString,
  RunRegistry,
  telemetryGuard,
} from '@tokenmeter/llm/integration';
import { classifyRunError } from './error-type.js';
import { isOutputToken, readResult, requestModelOf } from './extract.js';
import { providerOf } from './provider.js';
import { chainName, chainOperation } from './run-kind.js';

/**
 * `serverAddress` / `serverPort` apply to model runs and default to none:
 * callbacks do not say where a model sends its requests, so set them to tell
 * endpoints apart.
 */
export interface TokenmeterCallbackHandlerOptions extends Omit<ClientIntegrationOptions, 'providerName'> {
  /**
   * `gen_ai.provider.name` of model runs: a string, or a function of the one
   * detected. @default from the run's `ls_provider` or the model's class (see README)
   */
  providerName?: string | ((detected: string) => string);
  /**
   * `gen_ai.provider.name` of tool, agent and workflow runs, which no model
   * provider runs: the framework does. @default 'langchain'
   */
  frameworkProvider?: string;
  /** Measure tool runs (`execute_tool`). @default true */
  tools?: boolean;
  /** Measure the root chain run (`invoke_agent` / `invoke_workflow`). @default true */
  chains?: boolean;
  /**
   * Most runs kept open at once; beyond it the oldest is let go (counted
   * `abandoned` when collected). A stream the application stops reading
   * (`break`) gets no callback at all, so its run stays open until then.
   * @default 10000
   */
  maxOpenRuns?: number;
}

const telemetry = telemetryGuard('@tokenmeter/langchain');

/** One open run: a core `Call` whose errors are classified as LangChain runs' errors. */
class RunCall extends Call {
  protected override errorType(error: unknown): string | undefined {
    return classifyRunError(error);
  }
}

/** The AbortSignal a model was called with (`{ signal }`, or `{ timeout }`, which LangChain turns into one). */
function signalOf(extraParams: unknown): AbortSignal | undefined {
  const options = isObject(extraParams) ? extraParams.options : undefined;
  const signal = isObject(options) ? options.signal : undefined;
  return isObject(signal) && typeof signal.addEventListener === 'function'
    ? (signal as unknown as AbortSignal)
    : undefined;
}
// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

/**
 * Records LangChain runs through `@tokenmeter/llm`. Pass it where LangChain
 * takes callbacks: `model.invoke(input, { callbacks: [handler] })`, a
 * runnable's or agent's config, or a model's constructor.
 */
export class TokenmeterCallbackHandler extends BaseCallbackHandler {
  name = 'tokenmeter';
  private readonly runs: RunRegistry<RunCall>;
  /**
   * The agent each run under a measured `invoke_agent` belongs to, by run
   * id, so the agent's own model and tool calls are counted (bounded like
   * the open runs: a run that never ends is let go).
   */
  private readonly lineage = new Map<string, RunCall>();
  private readonly maxLineage: number;
  private readonly llm: LlmMetrics | undefined;
  private readonly options: TokenmeterCallbackHandlerOptions;

  constructor(options: TokenmeterCallbackHandlerOptions = {}) {
    super();
    // Called inline, not queued behind other handlers: a token's time is when it arrived.
    this.awaitHandlers = true;
    this.options = options;
    this.runs = new RunRegistry<RunCall>({ maxOpen: options.maxOpenRuns });
    const max = options.maxOpenRuns;
    this.maxLineage = typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 10_000;
    try {
      this.llm = metricsOf(options);
    } catch (error) {
      telemetry.report('TokenmeterCallbackHandler', error);
    }
  }

  /** LangChain may copy handlers; the runs a copy sees must be the same runs. */
  override copy(): this {
    return this;
  }

  /** Number of runs started and not yet ended. */
  get openRuns(): number {
    return this.runs.size;
  }

  override handleLLMStart(
    llm: unknown,
    _prompts: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.countCall(parentRunId, 'inferenceCalls');
    this.startModel('text_completion', llm, runId, extraParams, metadata);
  }

  override handleChatModelStart(
    llm: unknown,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.countCall(parentRunId, 'inferenceCalls');
    this.startModel('chat', llm, runId, extraParams, metadata);
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: unknown,
  ): void {
    const call = this.runs.get(runId);
    if (call === undefined) return;
    try {
      if (isOutputToken(token, fields)) call.chunk();
    } catch (error) {
      telemetry.report('handleLLMNewToken', error);
    }
  }

  override handleLLMEnd(output: unknown, runId: string): void {
    const call = this.runs.take(runId);
    if (call === undefined) return;
    telemetry.guard('handleLLMEnd', () => readResult(output, call.info));
    call.end();
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.runs.take(runId)?.fail(error);
  }

  override handleToolStart(
    tool: unknown,
    _input: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.countCall(parentRunId, 'toolCalls');
    this.inherit(runId, parentRunId);
    if (this.options.tools === false) return;
    this.start(runId, {
      operation: 'execute_tool',
      provider: this.frameworkProvider(),
      toolName: nonEmptyString(runName) ?? (isObject(tool) ? nonEmptyString(tool.name) : undefined),
      // A LangChain tool is a function the application runs.
      toolType: 'function',
    });
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.lineage.delete(runId);
    this.runs.take(runId)?.end();
  }

  override handleToolError(error: unknown, runId: string): void {
    this.lineage.delete(runId);
    this.runs.take(runId)?.fail(error);
  }

  /**
   * LangChain calls it as (chain, inputs, runId, parentRunId, tags, metadata,
   * runType, runName), in every major; the declared order differs between
   * majors, so the arguments are read by position.
   */
  override handleChainStart(...args: unknown[]): void {
    const [chain, , runId, parentRunId, , metadata, , runName] = args;
    if (this.options.chains === false || typeof runId !== 'string') return;
    if (typeof parentRunId === 'string') {
      this.inherit(runId, parentRunId);
      return;
    }
    try {
      const operation = chainOperation(chain, metadata);
      const name = chainName(chain, runName);
      const call = this.start(runId, {
        operation,
        provider: this.frameworkProvider(),
        ...(operation === 'invoke_agent' ? { agentName: name } : { workflowName: name }),
      });
      if (call && operation === 'invoke_agent') {
        call.info.inferenceCalls = 0;
        call.info.toolCalls = 0;
        this.remember(runId, call);
      }
    } catch (error) {
      telemetry.report('handleChainStart', error);
    }
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.lineage.delete(runId);
    this.runs.take(runId)?.end();
  }

  override handleChainError(error: unknown, runId: string): void {
    this.lineage.delete(runId);
    this.runs.take(runId)?.fail(error);
  }

  /** A run under a measured agent belongs to that agent too. */
  private inherit(runId: string, parentRunId: string | undefined): void {
    const agent = parentRunId === undefined ? undefined : this.lineage.get(parentRunId);
    if (agent !== undefined && !agent.done) this.remember(runId, agent);
  }

  private remember(runId: string, agent: RunCall): void {
    this.lineage.set(runId, agent);
    if (this.lineage.size > this.maxLineage) {
      const oldest = this.lineage.keys().next();
      if (!oldest.done) this.lineage.delete(oldest.value);
    }
  }

  /** Counts a model or tool call its agent issued (`gen_ai.invoke_agent.inference_calls` / `.tool_calls`). */
  private countCall(parentRunId: string | undefined, kind: 'inferenceCalls' | 'toolCalls'): void {
    const agent = parentRunId === undefined ? undefined : this.lineage.get(parentRunId);
    if (agent !== undefined && !agent.done) agent.info[kind] = (agent.info[kind] ?? 0) + 1;
  }

  private frameworkProvider(): string {
    return this.options.frameworkProvider ?? 'langchain';
  }

  private startModel(
    operation: 'chat' | 'text_completion',
    serialized: unknown,
    runId: string,
    extraParams: unknown,
    metadata: unknown,
  ): void {
    try {
      const detected = providerOf(serialized, metadata);
      const p = this.options.providerName;
      const call = this.start(runId, {
        operation,
        provider: typeof p === 'function' ? p(detected) : (p ?? detected),
        requestModel: requestModelOf(extraParams, metadata),
        serverAddress: this.options.serverAddress,
        serverPort: this.options.serverPort,
        // Whether the model streams shows in its tokens only: chunk metrics record when tokens come.
        stream: true,
      });
      // The abort is recorded when it happens (LangChain reports the model's error later, if at all).
      call?.watch(signalOf(extraParams));
    } catch (error) {
      telemetry.report('startModel', error);
    }
  }

  private start(runId: string, options: Omit<StartRequestOptions, 'startTime'>): RunCall | undefined {
    const startTime = clock.now();
    if (this.llm === undefined) return undefined;
    try {
      const call = new RunCall(this.llm.startRequest({ ...options, startTime }), telemetry);
      this.runs.start(runId, call);
      return call;
    } catch (error) {
      telemetry.report('start', error);
      return undefined;
    }
  }
}
