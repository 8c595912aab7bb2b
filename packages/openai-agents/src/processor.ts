/**
 * A tracing processor for the OpenAI Agents SDK that turns its spans into
 * GenAI metrics: `agent` spans into `invoke_agent` (with the agent's own
 * model and tool calls counted), `function` spans into `execute_tool`, and
 * `response` / `generation` spans into model calls. The SDK calls a
 * processor's `onSpanStart` / `onSpanEnd` as each span starts and ends; this
 * processor reads the monotonic clock there, so the SDK's wall-clock span
 * timestamps are never used.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { LlmMetrics } from '@tokenmeter/llm';
import { metricsOf, telemetryGuard } from '@tokenmeter/llm/integration';
import { modelCallInfo, requestedModel, type SpanLike, spanErrorType, spanName, spanType } from './spans.js';

export interface TokenmeterProcessorOptions {
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /**
   * `gen_ai.provider.name` of the model calls, agents and tools (spans do
   * not say which provider served a model call). @default 'openai'
   */
  providerName?: string;
  /** `server.address` of the model calls (spans do not say). @default omitted */
  serverAddress?: string;
  /** `server.port` of the model calls, with `serverAddress`. @default omitted */
  serverPort?: number;
  /**
   * Record each model call (`response` / `generation` span) as a `chat`
   * call. Set it to false when the OpenAI client the SDK uses is itself
   * instrumented with `@tokenmeter/openai` (which also measures time to
   * first chunk), so that calls are not recorded twice: they are still
   * counted in the agent's `inference_calls`. @default true
   */
  modelCalls?: boolean;
  /**
   * Spans kept open at once; beyond it the oldest is let go unrecorded, so
   * spans the SDK never ends cannot grow memory. @default 10000
   */
  maxOpenSpans?: number;
}

/** One agent invocation in flight. */
interface AgentRun {
  readonly name: string | undefined;
  readonly start: number;
  inferenceCalls: number;
  toolCalls: number;
  /** Models its generation spans asked for: `gen_ai.request.model` when there is exactly one. */
  readonly models: Set<string>;
}

interface OpenSpan {
  /** The agent invocation this span belongs to (itself, for an `agent` span). */
  readonly agent: AgentRun | undefined;
  /** When a measured span (agent, tool, model call) started, on the monotonic clock. */
  readonly start: number;
  readonly type: string | undefined;
}

const telemetry = telemetryGuard('@tokenmeter/openai-agents');
// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

/**
 * The processor. Register it with the SDK's `addTraceProcessor()` (next to
 * the SDK's own exporter to OpenAI's traces dashboard) or
 * `setTraceProcessors([processor])` (instead of it: nothing leaves the
 * process). Its methods never throw or reject.
 */
export class TokenmeterTracingProcessor {
  private readonly llm: LlmMetrics;
  private readonly provider: string;
  private readonly modelCalls: boolean;
  private readonly maxOpen: number;
  private readonly open = new Map<string, OpenSpan>();

  constructor(private readonly options: TokenmeterProcessorOptions = {}) {
    this.llm = metricsOf(options);
    this.provider = options.providerName ?? 'openai';
    this.modelCalls = options.modelCalls !== false;
    const max = options.maxOpenSpans;
    this.maxOpen = typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 10_000;
  }

  /** Spans currently open. */
  get openSpans(): number {
    return this.open.size;
  }

  async onTraceStart(_trace: unknown): Promise<void> {}

  async onTraceEnd(_trace: unknown): Promise<void> {}

  async onSpanStart(span: SpanLike): Promise<void> {
    const start = clock.now();
    try {
      this.started(span, start);
    } catch (error) {
      telemetry.report('onSpanStart', error);
    }
  }

  async onSpanEnd(span: SpanLike): Promise<void> {
    try {
      this.ended(span);
    } catch (error) {
      telemetry.report('onSpanEnd', error);
    }
  }

  async shutdown(_timeout?: number): Promise<void> {
    this.open.clear();
  }

  async forceFlush(): Promise<void> {}

  private started(span: SpanLike, start: number): void {
    const type = spanType(span);
    const parent = span.parentId ? this.open.get(span.parentId) : undefined;
    let agent = parent?.agent;
    if (type === 'agent') {
      agent = { name: spanName(span), start, inferenceCalls: 0, toolCalls: 0, models: new Set() };
    } else if (agent && (type === 'response' || type === 'generation')) {
      // Counted when it starts: the agent's own calls, failed ones included.
      agent.inferenceCalls++;
    } else if (agent && type === 'function') {
      agent.toolCalls++;
    }
    this.open.set(span.spanId, { agent, start, type });
    if (this.open.size > this.maxOpen) {
      const oldest = this.open.keys().next();
      if (!oldest.done) this.open.delete(oldest.value);
    }
  }

  private ended(span: SpanLike): void {
    const s = this.open.get(span.spanId);
    if (!s) return;
    this.open.delete(span.spanId);
    const failed = span.error !== null && span.error !== undefined;
    if (s.type === 'agent') this.agentEnded(span, s, failed);
    else if (s.type === 'function') this.toolEnded(span, s, failed);
    else if (s.type === 'response' || s.type === 'generation') this.modelCallEnded(span, s, failed);
  }

  private agentEnded(span: SpanLike, s: OpenSpan, failed: boolean): void {
    const run = s.agent;
    if (!run) return;
    const models = [...run.models];
    const req = this.llm.startRequest({
      operation: 'invoke_agent',
      provider: this.provider,
      agentName: run.name,
      requestModel: models.length === 1 ? models[0] : undefined,
      startTime: run.start,
    });
    const calls = { inferenceCalls: run.inferenceCalls, toolCalls: run.toolCalls };
    if (failed) req.fail(span.error, { ...calls, errorType: spanErrorType(span.error) });
    else req.end(calls);
  }

  private toolEnded(span: SpanLike, s: OpenSpan, failed: boolean): void {
    const req = this.llm.startRequest({
      operation: 'execute_tool',
      provider: this.provider,
      toolName: spanName(span),
      toolType: 'function',
      agentName: s.agent?.name,
      startTime: s.start,
    });
    // A tool that threw: the SDK reports it to the model by default and goes on, but the tool call failed.
    if (failed) req.fail(span.error, { errorType: 'tool_error' });
    else req.end();
  }

  private modelCallEnded(span: SpanLike, s: OpenSpan, failed: boolean): void {
    const model = requestedModel(span);
    if (model) s.agent?.models.add(model);
    if (!this.modelCalls) return;
    const info = modelCallInfo(span);
    const req = this.llm.startRequest({
      operation: 'chat',
      provider: this.provider,
      requestModel: model,
      serverAddress: this.options.serverAddress,
      serverPort: this.options.serverPort,
      startTime: s.start,
    });
    if (failed) req.fail(span.error, { ...info, errorType: spanErrorType(span.error) });
    else req.end(info);
  }
}

/** A new `TokenmeterTracingProcessor`: `setTraceProcessors([tokenmeterProcessor()])`. */
export function tokenmeterProcessor(options: TokenmeterProcessorOptions = {}): TokenmeterTracingProcessor {
  return new TokenmeterTracingProcessor(options);
}
