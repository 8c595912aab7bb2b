/**
 * Server-side request lifecycle for inference servers and gateways, with
 * vLLM's phase definitions on one monotonic clock:
 * queue = scheduled − arrival, prefill = first token − scheduled,
 * decode = last token − first token, TTFT from arrival,
 * TPOT = (duration − TTFT) / (output tokens − 1) (the spec's definition).
 */
import type { Finalizable } from './abandon-tracker.js';
import type { AttrNode } from './attributes.js';
import { clampPositive, type LlmContext, seconds, startTime } from './context.js';
import { ERROR_TYPE_ABANDONED } from './error-type.js';
import { abortErrorType, failureType, finishOnce, finishReasonOf } from './lifecycle.js';
import { measureFn } from './measure.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_TM_FINISH_REASON,
  ATTR_TM_STAGE,
  type GenAiOperationName,
} from './semconv.js';
import { bag } from './usage.js';
import { count, nonNegative } from './validate.js';

export interface StartServerRequestOptions {
  /** `gen_ai.operation.name`. Required; `_OTHER` if missing. */
  operation: GenAiOperationName | (string & {});
  /** `gen_ai.provider.name` (vllm, tgi, your server's name). Required; `_OTHER` if missing. */
  provider: string;
  /** `gen_ai.request.model`, bounded by the model guard. */
  requestModel?: string;
  serverAddress?: string;
  serverPort?: number;
  /** `tokenmeter.worker.id`: the worker/replica/GPU rank serving the request. Bounded. */
  worker?: string;
  /** Arrival time in `performance.now()` ms. @default now */
  startTime?: number;
}

export interface ServerEndInfo {
  responseModel?: string;
  /** Prompt tokens. */
  inputTokens?: number;
  /** Generated tokens. @default the number of tokens marked with token() */
  outputTokens?: number;
  finishReason?: string | readonly string[];
}

export interface ServerFailInfo {
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Overrides the `error.type` derived from the error. */
  errorType?: string;
}

export interface ServerRequest {
  readonly ended: boolean;
  /** The request left the queue and was scheduled (records the queue time). */
  scheduled(): void;
  /** One decode step produced `count` tokens (default 1); the first call is the first token. */
  token(count?: number): void;
  /** Records a named stage's duration (tokenize, detokenize, serialize…), in seconds. */
  stage(name: string, seconds: number): void;
  /** Times `fn` (sync or async) as the named stage and returns its result. */
  time<T>(name: string, fn: () => T): T;
  end(info?: ServerEndInfo): void;
  fail(error?: unknown, info?: ServerFailInfo): void;
  abort(reason?: unknown, info?: ServerFailInfo): void;
}

class ServerCore implements Finalizable {
  done = false;
  registered = false;
  scheduledAt = -1;
  firstToken = -1;
  lastToken = 0;
  tokens = 0;

  constructor(
    readonly ctx: LlmContext,
    readonly base: AttrNode,
    readonly start: number,
  ) {}

  abandon(): void {
    const { i, d } = this.ctx;
    i.upDown.serverActiveRequests.add(-1, this.base.attrs);
    i.counter.serverErrors.add(1, this.base.with(ATTR_ERROR_TYPE, ERROR_TYPE_ABANDONED).attrs);
    d.warn('abandoned', 'a server request handle was garbage-collected without end(), fail() or abort()');
  }
}

class ServerRequestHandle implements ServerRequest {
  constructor(private readonly c: ServerCore) {}

  get ended(): boolean {
    return this.c.done;
  }

  scheduled(): void {
    const c = this.c;
    if (c.done || c.scheduledAt >= 0 || c.firstToken >= 0) {
      c.ctx.d.warn('mark-order', 'scheduled() after scheduling, the first token or the end; ignored');
      return;
    }
    try {
      c.scheduledAt = c.ctx.now();
      c.ctx.i.histogram.serverQueueDuration.record(seconds(c.start, c.scheduledAt), c.base.attrs);
    } catch (err) {
      c.ctx.d.warn('internal-error', `scheduled(): ${String(err)}`);
    }
  }

  token(n?: number): void {
    const c = this.c;
    if (c.done) {
      c.ctx.d.warn('after-end', 'token() after the request ended; ignored');
      return;
    }
    try {
      const k = n === undefined ? 1 : count(n, 'token count', c.ctx.d);
      if (k === undefined || k === 0) return;
      const t = c.ctx.now();
      const h = c.ctx.i.histogram;
      if (c.firstToken < 0) {
        c.firstToken = t;
        if (c.scheduledAt >= 0) h.serverPrefillDuration.record(seconds(c.scheduledAt, t), c.base.attrs);
      } else {
        h.serverInterTokenLatency.record(seconds(c.lastToken, t), c.base.attrs);
      }
      c.lastToken = t;
      c.tokens += k;
    } catch (err) {
      c.ctx.d.warn('internal-error', `token(): ${String(err)}`);
    }
  }

  stage(name: string, s: number): void {
    const c = this.c;
    try {
      const v = nonNegative(s, 'stage seconds', c.ctx.d);
      const stage = c.ctx.g.stage.bound(name);
      if (v === undefined || stage === undefined) return;
      c.ctx.i.histogram.serverStageDuration.record(v, c.base.with(ATTR_TM_STAGE, stage).attrs);
    } catch (err) {
      c.ctx.d.warn('internal-error', `stage(): ${String(err)}`);
    }
  }

  time<T>(name: string, fn: () => T): T {
    return measureFn(this.c.ctx, fn, (s) => this.stage(name, s), undefined);
  }

  end(info?: ServerEndInfo): void {
    const c = this.c;
    if (!this.finish('end()')) return;
    try {
      const t = c.ctx.now();
      const { d, g, i } = c.ctx;
      const o = bag<ServerEndInfo>(info, 'end() info', c.ctx);
      const node = c.base.with(ATTR_GEN_AI_RESPONSE_MODEL, g.model.bound(o?.responseModel));
      const duration = seconds(c.start, t);
      i.histogram.serverRequestDuration.record(duration, node.attrs);
      const reported = count(o?.outputTokens, 'outputTokens', d);
      const output = reported ?? (c.tokens > 0 ? c.tokens : undefined);
      if (c.firstToken >= 0) {
        const ttft = seconds(c.start, c.firstToken);
        i.histogram.serverTimeToFirstToken.record(ttft, node.attrs);
        i.histogram.serverDecodeDuration.record(seconds(c.firstToken, c.lastToken), node.attrs);
        if (output !== undefined && output > 1) {
          const tpot = (duration - ttft) / (output - 1);
          i.histogram.serverTimePerOutputToken.record(clampPositive(tpot), node.attrs);
        }
      }
      const input = count(o?.inputTokens, 'inputTokens', d);
      if (input !== undefined) i.counter.serverInputTokens.add(input, node.attrs);
      if (output !== undefined) i.counter.serverOutputTokens.add(output, node.attrs);
      const reason = finishReasonOf(c.ctx, o?.finishReason);
      i.counter.serverRequests.add(1, node.with(ATTR_TM_FINISH_REASON, reason).attrs);
    } catch (err) {
      c.ctx.d.warn('internal-error', `end(): ${String(err)}`);
    }
  }

  fail(error?: unknown, info?: ServerFailInfo): void {
    if (!this.finish('fail()')) return;
    this.recordFailure(error, info, undefined);
  }

  abort(reason?: unknown, info?: ServerFailInfo): void {
    if (!this.finish('abort()')) return;
    this.recordFailure(reason, info, abortErrorType(reason));
  }

  private finish(what: string): boolean {
    return finishOnce(this.c, this, this.c.ctx.i.upDown.serverActiveRequests, what);
  }

  private recordFailure(error: unknown, info: ServerFailInfo | undefined, forced: string | undefined): void {
    const c = this.c;
    try {
      const t = c.ctx.now();
      const { d, g, i } = c.ctx;
      const o = bag<ServerFailInfo>(info, 'fail() info', c.ctx);
      const type = failureType(c.ctx, error, o?.errorType, forced);
      const node = c.base.with(ATTR_GEN_AI_RESPONSE_MODEL, g.model.bound(o?.responseModel));
      const failed = node.with(ATTR_ERROR_TYPE, type);
      i.histogram.serverRequestDuration.record(seconds(c.start, t), failed.attrs);
      const input = count(o?.inputTokens, 'inputTokens', d);
      const output = count(o?.outputTokens, 'outputTokens', d) ?? (c.tokens > 0 ? c.tokens : undefined);
      if (input !== undefined) i.counter.serverInputTokens.add(input, node.attrs);
      if (output !== undefined) i.counter.serverOutputTokens.add(output, node.attrs);
      i.counter.serverErrors.add(1, failed.attrs);
    } catch (err) {
      c.ctx.d.warn('internal-error', `fail(): ${String(err)}`);
    }
  }
}

const DEAD: ServerRequest = Object.freeze({
  ended: true,
  scheduled() {},
  token() {},
  stage() {},
  time<T>(_name: string, fn: () => T): T {
    return fn();
  },
  end() {},
  fail() {},
  abort() {},
});

export function startServerRequest(ctx: LlmContext, options: StartServerRequestOptions): ServerRequest {
  try {
    const o =
      bag<StartServerRequestOptions>(options, 'startServerRequest() options', ctx) ??
      ({} as StartServerRequestOptions);
    const { base } = ctx.serverIdentity.resolve(o);
    const core = new ServerCore(ctx, base, startTime(ctx, o.startTime));
    const handle = new ServerRequestHandle(core);
    ctx.i.upDown.serverActiveRequests.add(1, base.attrs);
    ctx.abandoned?.track(handle, core);
    return handle;
  } catch (err) {
    ctx.d.warn('internal-error', `startServerRequest(): ${String(err)}`);
    return DEAD;
  }
}
