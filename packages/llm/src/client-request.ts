/**
 * Client-side request lifecycle: start → chunk* → end | fail | abort.
 * A handle records each metric at most once; a handle that is never ended
 * releases its in-flight count when garbage-collected.
 */
import type { Histogram } from '@opentelemetry/api';
import type { Finalizable } from './abandon-tracker.js';
import type { AttrNode } from './attributes.js';
import { type LlmContext, seconds, startTime } from './context.js';
import type { UsageCounts } from './cost.js';
import { ERROR_TYPE_ABANDONED } from './error-type.js';
import { abortErrorType, failureType, finishOnce, finishReasonOf } from './lifecycle.js';
import { type RecordSeries, recordSeries } from './record-series.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ATTR_TM_FINISH_REASON,
  GEN_AI_TOKEN_MODALITIES,
  type GenAiOperationName,
  type GenAiTokenModality,
  INFERENCE_OPERATIONS,
  OTHER_VALUE,
} from './semconv.js';
import { bag, readUsage, recordClientUsage, reported, type TokenUsage } from './usage.js';
import { count, nonNegative } from './validate.js';

export interface StartRequestOptions {
  /** `gen_ai.operation.name`: chat, embeddings, invoke_agent, execute_tool… Required; `_OTHER` if missing. */
  operation: GenAiOperationName | (string & {});
  /** `gen_ai.provider.name`: openai, anthropic, vllm, ollama… Required; `_OTHER` if missing. */
  provider: string;
  /** `gen_ai.request.model`, bounded by the model guard. Omitted when unknown. */
  requestModel?: string;
  /** `server.address` (host name of the endpoint). */
  serverAddress?: string;
  /** `server.port`; recorded only together with serverAddress. */
  serverPort?: number;
  /** Streaming call: enables the per-chunk metrics. @default false */
  stream?: boolean;
  /**
   * When the call started, in `performance.now()` milliseconds, so a wrapper
   * can start the clock at call time. @default now
   */
  startTime?: number;
  /**
   * `gen_ai.token.modality` for the latest_experimental usage counters; also
   * decides pricing (audio is priced apart by providers, so audio requests
   * are unpriced). @default 'unknown'
   */
  modality?: GenAiTokenModality;
  /** `gen_ai.agent.name` on the latest_experimental agent and tool metrics (`invoke_agent`, `execute_tool`). */
  agentName?: string;
  /** `gen_ai.tool.name` on `gen_ai.execute_tool.duration` (Required there; `_OTHER` when missing). */
  toolName?: string;
  /** `gen_ai.tool.type` on `gen_ai.execute_tool.duration`: `function`, `extension`, `datastore`… */
  toolType?: string;
  /** `gen_ai.workflow.name` on `gen_ai.invoke_workflow.duration`. */
  workflowName?: string;
}

/**
 * Durations the *server* measured and put in its response (Ollama's
 * `total_duration`, `prompt_eval_duration`, `eval_duration`), in seconds.
 * Recorded on their own `tokenmeter.gen_ai.client.reported.*` histograms,
 * never mixed with the times this process measured.
 */
export interface ReportedServerTimings {
  /** The server's whole handling of the request. */
  totalS?: number;
  /** Prompt processing (prefill). */
  prefillS?: number;
  /** Output generation (decode). */
  decodeS?: number;
}

/** What an `invoke_agent` handle reports when it ends (latest_experimental agent metrics). */
export interface AgentCalls {
  /** Inference calls the agent itself issued during this invocation, failed ones too (0 counts). */
  inferenceCalls?: number;
  /** Client-side tool calls the agent itself triggered during this invocation, failed ones too (0 counts). */
  toolCalls?: number;
}

export interface EndInfo extends TokenUsage, AgentCalls {
  /** `gen_ai.response.model` as returned by the provider. */
  responseModel?: string;
  /**
   * The service tier the provider reports it served the request at (OpenAI
   * `service_tier`, Anthropic `usage.service_tier`): `openai.response.service_tier`
   * on the spec metrics when the provider is `openai`, and the tier the
   * request is priced at.
   */
  serviceTier?: string;
  /** Finish reason (`stop`, `length`, `tool_calls`…); for an array the first element is used. */
  finishReason?: string | readonly string[];
  /** What the server reported about its own timings, if it did. */
  serverTimings?: ReportedServerTimings;
}

export interface FailInfo extends TokenUsage, AgentCalls {
  responseModel?: string;
  /** As in EndInfo. */
  serviceTier?: string;
  /** Overrides the `error.type` derived from the error by `errorType()`. */
  errorType?: string;
}

export interface ClientRequest {
  /** Whether this handle records the streaming metrics. */
  readonly stream: boolean;
  /** True once end/fail/abort was called (or the handle was abandoned). */
  readonly ended: boolean;
  /** Call once per received chunk; the first call is the first chunk. Ignored for non-streaming calls. */
  chunk(): void;
  /** The call completed. Records duration, usage and the finish reason. Later calls are ignored. */
  end(info?: EndInfo): void;
  /** The call failed. Records duration with `error.type`, and usage if reported. */
  fail(error?: unknown, info?: FailInfo): void;
  /** The consumer gave up (AbortSignal, early break). Records duration with `error.type=aborted` (or `timeout`). */
  abort(reason?: unknown, info?: FailInfo): void;
}

class ClientCore implements Finalizable {
  done = false;
  registered = false;
  firstChunk = -1;
  lastChunk = 0;
  /** The time-per-output-chunk series, bound at the first chunk: later chunks record without a lookup. */
  perChunk: RecordSeries | undefined;

  constructor(
    readonly ctx: LlmContext,
    readonly base: AttrNode,
    readonly start: number,
    readonly stream: boolean,
    readonly duration: Histogram,
    readonly timeToFirstChunk: Histogram,
    readonly timePerOutputChunk: Histogram,
    readonly modality: string,
    readonly inference: boolean,
    /** Raw provider and request model, for the price lookup. */
    readonly provider: unknown,
    readonly requestModel: unknown,
    /**
     * latest_experimental agent, tool and workflow metrics: the attributes
     * their duration carries instead of the client ones; undefined otherwise.
     */
    readonly ownDurationAttributes: AttrNode | undefined,
    /** latest_experimental `invoke_agent`: the attributes of the call-count histograms. */
    readonly callCountAttributes: AttrNode | undefined,
  ) {}

  abandon(): void {
    const { instruments, diagnostics } = this.ctx;
    this.base.add(instruments.upDown.clientActiveRequests, -1);
    this.base.with(ATTR_ERROR_TYPE, ERROR_TYPE_ABANDONED).add(instruments.counter.clientErrors, 1);
    diagnostics.warn('abandoned', 'a request handle was garbage-collected without end(), fail() or abort()');
  }
}

class ClientRequestHandle implements ClientRequest {
  constructor(private readonly core: ClientCore) {}

  get stream(): boolean {
    return this.core.stream;
  }

  get ended(): boolean {
    return this.core.done;
  }

  chunk(): void {
    const core = this.core;
    if (core.done) {
      core.ctx.diagnostics.warn('after-end', 'chunk() after the request ended; ignored');
      return;
    }
    if (!core.stream) return;
    try {
      const now = core.ctx.now();
      if (core.firstChunk < 0) {
        core.firstChunk = now;
        core.base.record(core.timeToFirstChunk, seconds(core.start, now));
        core.perChunk = recordSeries(core.timePerOutputChunk, core.base.attrs);
      } else if (core.perChunk !== undefined) {
        core.perChunk.record(seconds(core.lastChunk, now));
      } else {
        core.base.record(core.timePerOutputChunk, seconds(core.lastChunk, now));
      }
      core.lastChunk = now;
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `chunk(): ${String(err)}`);
    }
  }

  end(info?: EndInfo): void {
    const core = this.core;
    if (!this.finish('end()')) return;
    try {
      const now = core.ctx.now();
      const endInfo = bag<EndInfo>(info, 'end() info', core.ctx);
      const node = core.base.with(
        ATTR_GEN_AI_RESPONSE_MODEL,
        core.ctx.guards.model.bound(endInfo?.responseModel),
      );
      const tier = tierOf(core.ctx, endInfo?.serviceTier);
      const spec = withOpenAiTier(core, node, tier);
      (core.ownDurationAttributes ?? spec).record(core.duration, seconds(core.start, now));
      const usage = readUsage(core.ctx, endInfo);
      recordClientUsage(core.ctx, spec, usage, core.modality, core.inference, undefined);
      if (!reported(usage)) {
        // Counted rather than guessed: users see how much traffic the token metrics miss.
        node.add(core.ctx.instruments.counter.clientUsageMissing, 1);
      }
      recordCost(core, node, endInfo?.responseModel, tier, usage, undefined);
      recordCalls(core, endInfo);
      const reason = finishReasonOf(core.ctx, endInfo?.finishReason);
      node.with(ATTR_TM_FINISH_REASON, reason).add(core.ctx.instruments.counter.clientRequests, 1);
      const timings = bag<ReportedServerTimings>(endInfo?.serverTimings, 'end() serverTimings', core.ctx);
      if (timings) recordReportedTimings(core.ctx, node, timings);
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `end(): ${String(err)}`);
    }
  }

  fail(error?: unknown, info?: FailInfo): void {
    if (!this.finish('fail()')) return;
    this.recordFailure(error, info, undefined);
  }

  abort(reason?: unknown, info?: FailInfo): void {
    if (!this.finish('abort()')) return;
    this.recordFailure(reason, info, abortErrorType(reason));
  }

  private finish(what: string): boolean {
    return finishOnce(this.core, this, 'client', this.core.ctx.instruments.upDown.clientActiveRequests, what);
  }

  private recordFailure(error: unknown, info: FailInfo | undefined, forced: string | undefined): void {
    const core = this.core;
    try {
      const now = core.ctx.now();
      const failInfo = bag<FailInfo>(info, 'fail() info', core.ctx);
      const type = failureType(core.ctx, error, failInfo?.errorType, forced);
      const node = core.base.with(
        ATTR_GEN_AI_RESPONSE_MODEL,
        core.ctx.guards.model.bound(failInfo?.responseModel),
      );
      const tier = tierOf(core.ctx, failInfo?.serviceTier);
      const spec = withOpenAiTier(core, node, tier);
      const failed = spec.with(ATTR_ERROR_TYPE, type);
      (core.ownDurationAttributes?.with(ATTR_ERROR_TYPE, type) ?? failed).record(
        core.duration,
        seconds(core.start, now),
      );
      const usage = readUsage(core.ctx, failInfo);
      recordClientUsage(core.ctx, spec, usage, core.modality, core.inference, failed);
      recordCost(core, node, failInfo?.responseModel, tier, usage, type);
      recordCalls(core, failInfo);
      node.with(ATTR_ERROR_TYPE, type).add(core.ctx.instruments.counter.clientErrors, 1);
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `fail(): ${String(err)}`);
    }
  }
}

/** A reported service tier: a non-empty string, else undefined. */
function tierOf(ctx: LlmContext, reported: unknown): string | undefined {
  if (reported === undefined || reported === null) return undefined;
  if (typeof reported === 'string' && reported !== '') return reported;
  ctx.diagnostics.warn('invalid-attribute', 'serviceTier must be a non-empty string; ignored');
  return undefined;
}

/** The spec metrics' node: `openai.response.service_tier` is an OpenAI refinement, for provider `openai` only. */
function withOpenAiTier(core: ClientCore, node: AttrNode, tier: string | undefined): AttrNode {
  if (tier === undefined || core.base.attrs[ATTR_GEN_AI_PROVIDER_NAME] !== 'openai') return node;
  return node.with(ATTR_OPENAI_RESPONSE_SERVICE_TIER, core.ctx.guards.serviceTier.bound(tier));
}

function recordCost(
  core: ClientCore,
  node: AttrNode,
  responseModel: unknown,
  tier: string | undefined,
  usage: UsageCounts,
  errorType: string | undefined,
): void {
  const cost = core.ctx.cost;
  if (!cost) return;
  const model = typeof responseModel === 'string' && responseModel !== '' ? responseModel : core.requestModel;
  cost.record(
    core.ctx.instruments,
    node,
    { provider: core.provider, model, tier, modality: core.modality },
    usage,
    errorType,
  );
}

function recordCalls(core: ClientCore, calls: AgentCalls | undefined): void {
  const attributes = core.callCountAttributes;
  if (!attributes || !calls) return;
  const { histogram } = core.ctx.instruments;
  const inference = count(calls.inferenceCalls, 'inferenceCalls', core.ctx.diagnostics);
  const tools = count(calls.toolCalls, 'toolCalls', core.ctx.diagnostics);
  if (inference !== undefined) attributes.record(histogram.invokeAgentInferenceCalls, inference);
  if (tools !== undefined) attributes.record(histogram.invokeAgentToolCalls, tools);
}

function recordReportedTimings(ctx: LlmContext, node: AttrNode, timings: ReportedServerTimings): void {
  const { histogram } = ctx.instruments;
  const total = nonNegative(timings.totalS, 'serverTimings.totalS', ctx.diagnostics);
  const prefill = nonNegative(timings.prefillS, 'serverTimings.prefillS', ctx.diagnostics);
  const decode = nonNegative(timings.decodeS, 'serverTimings.decodeS', ctx.diagnostics);
  if (total !== undefined) node.record(histogram.clientReportedServerDuration, total);
  if (prefill !== undefined) node.record(histogram.clientReportedPrefillDuration, prefill);
  if (decode !== undefined) node.record(histogram.clientReportedDecodeDuration, decode);
}

/** A handle that records nothing, returned when the options were unusable. */
const DEAD: ClientRequest = Object.freeze({
  stream: false,
  ended: true,
  chunk() {},
  end() {},
  fail() {},
  abort() {},
});

export function startClientRequest(ctx: LlmContext, options: StartRequestOptions): ClientRequest {
  try {
    const start =
      bag<StartRequestOptions>(options, 'startRequest() options', ctx) ?? ({} as StartRequestOptions);
    const { op, base } = ctx.clientIdentity.resolve(start);
    const stream = start.stream === true;
    const { histogram } = ctx.instruments;
    const latest = ctx.shape === 'latest_experimental';
    const inference = INFERENCE_OPERATIONS.has(op);
    const own = latest ? ownAttributes(ctx, op, start) : undefined;
    const core = new ClientCore(
      ctx,
      base,
      startTime(ctx, start.startTime),
      stream,
      latest ? latestDuration(ctx, op, inference) : histogram.clientOperationDuration,
      latest ? histogram.clientInferenceTimeToFirstChunk : histogram.clientTimeToFirstChunk,
      latest ? histogram.clientInferenceTimePerOutputChunk : histogram.clientTimePerOutputChunk,
      modality(ctx, start.modality),
      inference,
      start.provider,
      start.requestModel,
      own,
      latest && op === 'invoke_agent'
        ? ctx.root.with(ATTR_GEN_AI_AGENT_NAME, ctx.guards.name.bound(start.agentName))
        : undefined,
    );
    const handle = new ClientRequestHandle(core);
    base.add(ctx.instruments.upDown.clientActiveRequests, 1);
    ctx.abandoned?.track(handle, core);
    return handle;
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `startRequest(): ${String(err)}`);
    return DEAD;
  }
}

function latestDuration(ctx: LlmContext, op: string, inference: boolean): Histogram {
  const { histogram } = ctx.instruments;
  if (inference) return histogram.clientInferenceDuration;
  if (op === 'invoke_agent') return histogram.invokeAgentDuration;
  if (op === 'execute_tool') return histogram.executeToolDuration;
  if (op === 'invoke_workflow') return histogram.invokeWorkflowDuration;
  return histogram.clientOperationDuration;
}

/**
 * The attributes the GenAI repository gives the agent, tool and workflow
 * durations: their own names, none of the provider or server ones.
 */
function ownAttributes(ctx: LlmContext, op: string, start: StartRequestOptions): AttrNode | undefined {
  const name = ctx.guards.name;
  if (op === 'invoke_agent')
    return ctx.root
      .with(ATTR_GEN_AI_AGENT_NAME, name.bound(start.agentName))
      .with(ATTR_GEN_AI_REQUEST_MODEL, ctx.guards.model.bound(start.requestModel));
  if (op === 'execute_tool') {
    if (start.toolName === undefined)
      ctx.diagnostics.warn('invalid-attribute', 'toolName is required for execute_tool; recorded as _OTHER');
    return ctx.root
      .with(ATTR_GEN_AI_TOOL_NAME, name.bound(start.toolName) ?? OTHER_VALUE)
      .with(ATTR_GEN_AI_AGENT_NAME, name.bound(start.agentName))
      .with(ATTR_GEN_AI_TOOL_TYPE, name.bound(start.toolType));
  }
  if (op === 'invoke_workflow')
    return ctx.root.with(ATTR_GEN_AI_WORKFLOW_NAME, name.bound(start.workflowName));
  return undefined;
}

function modality(ctx: LlmContext, given: unknown): string {
  if (given === undefined) return 'unknown';
  if ((GEN_AI_TOKEN_MODALITIES as readonly unknown[]).includes(given)) return given as string;
  ctx.diagnostics.warn(
    'invalid-attribute',
    'modality must be one of audio, image, text, unknown; using unknown',
  );
  return 'unknown';
}
