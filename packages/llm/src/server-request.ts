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
    const { instruments, diagnostics } = this.ctx;
    this.base.add(instruments.upDown.serverActiveRequests, -1);
    this.base.with(ATTR_ERROR_TYPE, ERROR_TYPE_ABANDONED).add(instruments.counter.serverErrors, 1);
    diagnostics.warn(
      'abandoned',
      'a server request handle was garbage-collected without end(), fail() or abort()',
    );
  }
}

class ServerRequestHandle implements ServerRequest {
  constructor(private readonly core: ServerCore) {}

  get ended(): boolean {
    return this.core.done;
  }

  scheduled(): void {
    const core = this.core;
    if (core.done || core.scheduledAt >= 0 || core.firstToken >= 0) {
      core.ctx.diagnostics.warn(
        'mark-order',
        'scheduled() after scheduling, the first token or the end; ignored',
      );
      return;
    }
    try {
      core.scheduledAt = core.ctx.now();
      core.ctx.instruments.histogram.serverQueueDuration.record(
        seconds(core.start, core.scheduledAt),
        core.base.attrs,
      );
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `scheduled(): ${String(err)}`);
    }
  }

  token(tokenCount?: number): void {
    const core = this.core;
    if (core.done) {
      core.ctx.diagnostics.warn('after-end', 'token() after the request ended; ignored');
      return;
    }
    try {
      const tokens = tokenCount === undefined ? 1 : count(tokenCount, 'token count', core.ctx.diagnostics);
      if (tokens === undefined || tokens === 0) return;
      const now = core.ctx.now();
      const { histogram } = core.ctx.instruments;
      if (core.firstToken < 0) {
        core.firstToken = now;
        if (core.scheduledAt >= 0)
          core.base.record(histogram.serverPrefillDuration, seconds(core.scheduledAt, now));
      } else {
        core.base.record(histogram.serverInterTokenLatency, seconds(core.lastToken, now));
      }
      core.lastToken = now;
      core.tokens += tokens;
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `token(): ${String(err)}`);
    }
  }

  stage(name: string, durationS: number): void {
    const core = this.core;
    try {
      const value = nonNegative(durationS, 'stage seconds', core.ctx.diagnostics);
      const stage = core.ctx.guards.stage.bound(name);
      if (value === undefined || stage === undefined) return;
      core.ctx.instruments.histogram.serverStageDuration.record(
        value,
        core.base.with(ATTR_TM_STAGE, stage).attrs,
      );
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `stage(): ${String(err)}`);
    }
  }

  time<T>(name: string, fn: () => T): T {
    return measureFn(this.core.ctx, fn, (elapsed) => this.stage(name, elapsed), undefined);
  }

  end(info?: ServerEndInfo): void {
    const core = this.core;
    if (!this.finish('end()')) return;
    try {
      const now = core.ctx.now();
      const { diagnostics, guards, instruments } = core.ctx;
      const endInfo = bag<ServerEndInfo>(info, 'end() info', core.ctx);
      const node = core.base.with(ATTR_GEN_AI_RESPONSE_MODEL, guards.model.bound(endInfo?.responseModel));
      const duration = seconds(core.start, now);
      node.record(instruments.histogram.serverRequestDuration, duration);
      const reported = count(endInfo?.outputTokens, 'outputTokens', diagnostics);
      const output = reported ?? (core.tokens > 0 ? core.tokens : undefined);
      if (core.firstToken >= 0) {
        const ttft = seconds(core.start, core.firstToken);
        node.record(instruments.histogram.serverTimeToFirstToken, ttft);
        instruments.histogram.serverDecodeDuration.record(
          seconds(core.firstToken, core.lastToken),
          node.attrs,
        );
        if (output !== undefined && output > 1) {
          const tpot = (duration - ttft) / (output - 1);
          node.record(instruments.histogram.serverTimePerOutputToken, clampPositive(tpot));
        }
      }
      const input = count(endInfo?.inputTokens, 'inputTokens', diagnostics);
      if (input !== undefined) node.add(instruments.counter.serverInputTokens, input);
      if (output !== undefined) node.add(instruments.counter.serverOutputTokens, output);
      const reason = finishReasonOf(core.ctx, endInfo?.finishReason);
      node.with(ATTR_TM_FINISH_REASON, reason).add(instruments.counter.serverRequests, 1);
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `end(): ${String(err)}`);
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
    return finishOnce(this.core, this, 'server', this.core.ctx.instruments.upDown.serverActiveRequests, what);
  }

  private recordFailure(error: unknown, info: ServerFailInfo | undefined, forced: string | undefined): void {
    const core = this.core;
    try {
      const now = core.ctx.now();
      const { diagnostics, guards, instruments } = core.ctx;
      const failInfo = bag<ServerFailInfo>(info, 'fail() info', core.ctx);
      const type = failureType(core.ctx, error, failInfo?.errorType, forced);
      const node = core.base.with(ATTR_GEN_AI_RESPONSE_MODEL, guards.model.bound(failInfo?.responseModel));
      const failed = node.with(ATTR_ERROR_TYPE, type);
      failed.record(instruments.histogram.serverRequestDuration, seconds(core.start, now));
      const input = count(failInfo?.inputTokens, 'inputTokens', diagnostics);
      const output =
        count(failInfo?.outputTokens, 'outputTokens', diagnostics) ??
        (core.tokens > 0 ? core.tokens : undefined);
      if (input !== undefined) node.add(instruments.counter.serverInputTokens, input);
      if (output !== undefined) node.add(instruments.counter.serverOutputTokens, output);
      failed.add(instruments.counter.serverErrors, 1);
    } catch (err) {
      core.ctx.diagnostics.warn('internal-error', `fail(): ${String(err)}`);
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
    const start =
      bag<StartServerRequestOptions>(options, 'startServerRequest() options', ctx) ??
      ({} as StartServerRequestOptions);
    const { base } = ctx.serverIdentity.resolve(start);
    const core = new ServerCore(ctx, base, startTime(ctx, start.startTime));
    const handle = new ServerRequestHandle(core);
    base.add(ctx.instruments.upDown.serverActiveRequests, 1);
    ctx.abandoned?.track(handle, core);
    return handle;
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `startServerRequest(): ${String(err)}`);
    return DEAD;
  }
}
