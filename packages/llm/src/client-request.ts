/**
 * Client-side request lifecycle: start → chunk* → end | fail | abort.
 * A handle records each metric at most once; a handle that is never ended
 * releases its in-flight count when garbage-collected.
 */
import type { Histogram } from '@opentelemetry/api';
import type { AttrNode } from './attributes.js';
import { type Finalizable, type LlmContext, seconds, startTime } from './context.js';
import { ERROR_TYPE_ABANDONED } from './error-type.js';
import { abortErrorType, failureType, finishOnce, finishReasonOf } from './lifecycle.js';
import { type RecordSeries, recordSeries } from './record-series.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_TM_FINISH_REASON,
  GEN_AI_TOKEN_MODALITIES,
  type GenAiOperationName,
  type GenAiTokenModality,
  INFERENCE_OPERATIONS,
} from './semconv.js';
import { bag, recordClientUsage, type TokenUsage } from './usage.js';
import { nonNegative } from './validate.js';

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
  /** `gen_ai.token.modality` for the latest_experimental usage counters. @default 'unknown' */
  modality?: GenAiTokenModality;
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

export interface EndInfo extends TokenUsage {
  /** `gen_ai.response.model` as returned by the provider. */
  responseModel?: string;
  /** Finish reason (`stop`, `length`, `tool_calls`…); for an array the first element is used. */
  finishReason?: string | readonly string[];
  /** What the server reported about its own timings, if it did. */
  serverTimings?: ReportedServerTimings;
}

export interface FailInfo extends TokenUsage {
  responseModel?: string;
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
    readonly ttfc: Histogram,
    readonly tpoc: Histogram,
    readonly modality: string,
    readonly inference: boolean,
  ) {}

  abandon(): void {
    const { i, d } = this.ctx;
    i.upDown.clientActiveRequests.add(-1, this.base.attrs);
    i.counter.clientErrors.add(1, this.base.with(ATTR_ERROR_TYPE, ERROR_TYPE_ABANDONED).attrs);
    d.warn('abandoned', 'a request handle was garbage-collected without end(), fail() or abort()');
  }
}

class ClientRequestHandle implements ClientRequest {
  constructor(private readonly c: ClientCore) {}

  get stream(): boolean {
    return this.c.stream;
  }

  get ended(): boolean {
    return this.c.done;
  }

  chunk(): void {
    const c = this.c;
    if (c.done) {
      c.ctx.d.warn('after-end', 'chunk() after the request ended; ignored');
      return;
    }
    if (!c.stream) return;
    try {
      const t = c.ctx.now();
      if (c.firstChunk < 0) {
        c.firstChunk = t;
        c.ttfc.record(seconds(c.start, t), c.base.attrs);
        c.perChunk = recordSeries(c.tpoc, c.base.attrs);
      } else if (c.perChunk !== undefined) {
        c.perChunk.record(seconds(c.lastChunk, t));
      } else {
        c.tpoc.record(seconds(c.lastChunk, t), c.base.attrs);
      }
      c.lastChunk = t;
    } catch (err) {
      c.ctx.d.warn('internal-error', `chunk(): ${String(err)}`);
    }
  }

  end(info?: EndInfo): void {
    const c = this.c;
    if (!this.finish('end()')) return;
    try {
      const t = c.ctx.now();
      const o = bag<EndInfo>(info, 'end() info', c.ctx);
      const g = c.ctx.g;
      const node = c.base.with(ATTR_GEN_AI_RESPONSE_MODEL, g.model.bound(o?.responseModel));
      c.duration.record(seconds(c.start, t), node.attrs);
      if (!recordClientUsage(c.ctx, node, o, c.modality, c.inference, undefined)) {
        // Counted rather than guessed: users see how much traffic the token metrics miss.
        c.ctx.i.counter.clientUsageMissing.add(1, node.attrs);
      }
      const reason = finishReasonOf(c.ctx, o?.finishReason);
      c.ctx.i.counter.clientRequests.add(1, node.with(ATTR_TM_FINISH_REASON, reason).attrs);
      const timings = bag<ReportedServerTimings>(o?.serverTimings, 'end() serverTimings', c.ctx);
      if (timings) recordReportedTimings(c.ctx, node, timings);
    } catch (err) {
      c.ctx.d.warn('internal-error', `end(): ${String(err)}`);
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
    return finishOnce(this.c, this, this.c.ctx.i.upDown.clientActiveRequests, what);
  }

  private recordFailure(error: unknown, info: FailInfo | undefined, forced: string | undefined): void {
    const c = this.c;
    try {
      const t = c.ctx.now();
      const o = bag<FailInfo>(info, 'fail() info', c.ctx);
      const g = c.ctx.g;
      const type = failureType(c.ctx, error, o?.errorType, forced);
      const node = c.base.with(ATTR_GEN_AI_RESPONSE_MODEL, g.model.bound(o?.responseModel));
      const failed = node.with(ATTR_ERROR_TYPE, type);
      c.duration.record(seconds(c.start, t), failed.attrs);
      recordClientUsage(c.ctx, node, o, c.modality, c.inference, failed);
      c.ctx.i.counter.clientErrors.add(1, failed.attrs);
    } catch (err) {
      c.ctx.d.warn('internal-error', `fail(): ${String(err)}`);
    }
  }
}

function recordReportedTimings(ctx: LlmContext, node: AttrNode, t: ReportedServerTimings): void {
  const { histogram } = ctx.i;
  const total = nonNegative(t.totalS, 'serverTimings.totalS', ctx.d);
  const prefill = nonNegative(t.prefillS, 'serverTimings.prefillS', ctx.d);
  const decode = nonNegative(t.decodeS, 'serverTimings.decodeS', ctx.d);
  if (total !== undefined) histogram.clientReportedServerDuration.record(total, node.attrs);
  if (prefill !== undefined) histogram.clientReportedPrefillDuration.record(prefill, node.attrs);
  if (decode !== undefined) histogram.clientReportedDecodeDuration.record(decode, node.attrs);
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
    const o = bag<StartRequestOptions>(options, 'startRequest() options', ctx) ?? ({} as StartRequestOptions);
    const { op, base } = ctx.clientIdentity.resolve(ctx, o);
    const stream = o.stream === true;
    const h = ctx.i.histogram;
    const latest = ctx.shape === 'latest_experimental';
    const inference = INFERENCE_OPERATIONS.has(op);
    const core = new ClientCore(
      ctx,
      base,
      startTime(ctx, o.startTime),
      stream,
      latest ? latestDuration(ctx, op, inference) : h.clientOperationDuration,
      latest ? h.clientInferenceTimeToFirstChunk : h.clientTimeToFirstChunk,
      latest ? h.clientInferenceTimePerOutputChunk : h.clientTimePerOutputChunk,
      modality(ctx, o.modality),
      inference,
    );
    const handle = new ClientRequestHandle(core);
    ctx.i.upDown.clientActiveRequests.add(1, base.attrs);
    ctx.abandoned?.track(handle, core);
    return handle;
  } catch (err) {
    ctx.d.warn('internal-error', `startRequest(): ${String(err)}`);
    return DEAD;
  }
}

function latestDuration(ctx: LlmContext, op: string, inference: boolean): Histogram {
  const h = ctx.i.histogram;
  if (inference) return h.clientInferenceDuration;
  if (op === 'invoke_agent') return h.invokeAgentDuration;
  if (op === 'execute_tool') return h.executeToolDuration;
  if (op === 'invoke_workflow') return h.invokeWorkflowDuration;
  return h.clientOperationDuration;
}

function modality(ctx: LlmContext, v: unknown): string {
  if (v === undefined) return 'unknown';
  if ((GEN_AI_TOKEN_MODALITIES as readonly unknown[]).includes(v)) return v as string;
  ctx.d.warn('invalid-attribute', 'modality must be one of audio, image, text, unknown; using unknown');
  return 'unknown';
}
