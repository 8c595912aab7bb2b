/**
 * What LLM teams ask for that the GenAI spec lacks, under our own
 * `tokenmeter.*` namespace (never new `gen_ai.*` names).
 */
import type { LlmContext } from './context.js';
import { errorType } from './error-type.js';
import { measureFn } from './measure.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TM_CACHE_KIND,
  ATTR_TM_CACHE_RESULT,
  ATTR_TM_CIRCUIT_BREAKER_NAME,
  ATTR_TM_CIRCUIT_BREAKER_STATE,
  ATTR_TM_OPERATION_NAME,
  ATTR_TM_QUEUE_NAME,
  ATTR_TM_WORKER_ID,
  CIRCUIT_BREAKER_STATES,
  type CircuitBreakerState,
  ERROR_TYPE_OTHER,
} from './semconv.js';
import { bag } from './usage.js';
import { count, nonNegative, port, ratio } from './validate.js';

/** Attributes shared by the extras; all optional, all bounded. */
export interface ExtraAttributes {
  operation?: string;
  provider?: string;
  requestModel?: string;
}

export interface CacheLookupInfo extends ExtraAttributes {
  /** `tokenmeter.cache.kind`: prompt, semantic, embedding… @default 'prompt' */
  cache?: string;
  hit: boolean;
}

export interface RateLimitWaitInfo {
  provider?: string;
  requestModel?: string;
  serverAddress?: string;
  serverPort?: number;
}

export interface RetryInfo extends ExtraAttributes {
  serverAddress?: string;
  serverPort?: number;
  /** The error that caused the retry (mapped with errorType()). */
  error?: unknown;
  /** Explicit `error.type`; wins over `error`. */
  errorType?: string;
}

export interface ModelLoadInfo {
  provider?: string;
  /** The model loaded (`gen_ai.request.model`). */
  model?: string;
  worker?: string;
  durationS: number;
  /** Set when the load failed. */
  error?: unknown;
}

export interface CircuitBreakerInfo {
  provider?: string;
  serverAddress?: string;
}

export interface QueueInfo extends ExtraAttributes {
  /** `tokenmeter.queue.name`. @default 'default' */
  queue?: string;
}

export interface QueueRejectInfo extends QueueInfo {
  /** Why (`full`, `timeout`…), recorded as `error.type`. @default '_OTHER' */
  reason?: string;
}

export interface BatchInfo {
  provider?: string;
  requestModel?: string;
  worker?: string;
  /** Requests (sequences) in the batch. */
  size?: number;
  /** Padded positions / all positions, 0–1. */
  paddingRatio?: number;
}

export interface MeasureOptions {
  /** Also record the V8 heap delta (`tokenmeter.operation.heap.delta`). @default false */
  heap?: boolean;
}

function extraNode(ctx: LlmContext, o: ExtraAttributes | undefined) {
  const g = ctx.g;
  return ctx.root
    .with(ATTR_GEN_AI_OPERATION_NAME, g.operation.bound(o?.operation))
    .with(ATTR_GEN_AI_PROVIDER_NAME, g.provider.bound(o?.provider))
    .with(ATTR_GEN_AI_REQUEST_MODEL, g.model.bound(o?.requestModel));
}

function guarded(ctx: LlmContext, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    ctx.d.warn('internal-error', `${what}: ${String(err)}`);
  }
}

export function cacheLookup(ctx: LlmContext, info: CacheLookupInfo): void {
  guarded(ctx, 'cacheLookup()', () => {
    const o = bag<CacheLookupInfo>(info, 'cacheLookup() info', ctx);
    if (!o || typeof o.hit !== 'boolean') {
      ctx.d.warn('invalid-option', 'cacheLookup() needs { hit: boolean }; dropped');
      return;
    }
    const node = extraNode(ctx, o)
      .with(ATTR_TM_CACHE_KIND, ctx.g.name.bound(o.cache) ?? 'prompt')
      .with(ATTR_TM_CACHE_RESULT, o.hit ? 'hit' : 'miss');
    ctx.i.counter.cacheRequests.add(1, node.attrs);
  });
}

export function rateLimitWait(ctx: LlmContext, s: number, info?: RateLimitWaitInfo): void {
  guarded(ctx, 'rateLimitWait()', () => {
    const v = nonNegative(s, 'rate-limit wait seconds', ctx.d);
    if (v === undefined) return;
    const o = bag<RateLimitWaitInfo>(info, 'rateLimitWait() info', ctx);
    const address = ctx.g.address.bound(o?.serverAddress);
    const node = extraNode(ctx, { provider: o?.provider, requestModel: o?.requestModel })
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(o?.serverPort, ctx.d));
    ctx.i.histogram.rateLimitWait.record(v, node.attrs);
  });
}

export function retry(ctx: LlmContext, info?: RetryInfo): void {
  guarded(ctx, 'retry()', () => {
    const o = bag<RetryInfo>(info, 'retry() info', ctx);
    const address = ctx.g.address.bound(o?.serverAddress);
    const type =
      o?.errorType !== undefined
        ? ctx.g.errorType.bound(o.errorType)
        : o?.error !== undefined
          ? ctx.g.errorType.bound(errorType(o.error))
          : undefined;
    const node = extraNode(ctx, o)
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(o?.serverPort, ctx.d))
      .with(ATTR_ERROR_TYPE, type);
    ctx.i.counter.retries.add(1, node.attrs);
  });
}

export function modelLoad(ctx: LlmContext, info: ModelLoadInfo): void {
  guarded(ctx, 'modelLoad()', () => {
    const o = bag<ModelLoadInfo>(info, 'modelLoad() info', ctx);
    const v = nonNegative(o?.durationS, 'model load durationS', ctx.d);
    if (!o || v === undefined) return;
    const failed = o.error !== undefined && o.error !== null;
    const node = extraNode(ctx, { provider: o.provider, requestModel: o.model })
      .with(ATTR_TM_WORKER_ID, ctx.g.worker.bound(o.worker))
      .with(
        ATTR_ERROR_TYPE,
        failed ? (ctx.g.errorType.bound(errorType(o.error)) ?? ERROR_TYPE_OTHER) : undefined,
      );
    ctx.i.histogram.modelLoadDuration.record(v, node.attrs);
  });
}

export function circuitBreaker(
  ctx: LlmContext,
  name: string,
  state: CircuitBreakerState,
  info?: CircuitBreakerInfo,
): void {
  guarded(ctx, 'circuitBreaker()', () => {
    if (!(CIRCUIT_BREAKER_STATES as readonly unknown[]).includes(state)) {
      ctx.d.warn('invalid-option', 'circuit-breaker state must be closed, open or half_open; dropped');
      return;
    }
    const o = bag<CircuitBreakerInfo>(info, 'circuitBreaker() info', ctx);
    const base = ctx.root
      .with(ATTR_TM_CIRCUIT_BREAKER_NAME, ctx.g.name.bound(name) ?? 'default')
      .with(ATTR_GEN_AI_PROVIDER_NAME, ctx.g.provider.bound(o?.provider))
      .with(ATTR_SERVER_ADDRESS, ctx.g.address.bound(o?.serverAddress));
    for (const s of CIRCUIT_BREAKER_STATES) {
      ctx.i.gauge.circuitBreakerState.record(
        s === state ? 1 : 0,
        base.with(ATTR_TM_CIRCUIT_BREAKER_STATE, s).attrs,
      );
    }
  });
}

export function queueWait(ctx: LlmContext, s: number, info?: QueueInfo): void {
  guarded(ctx, 'queueWait()', () => {
    const v = nonNegative(s, 'queue wait seconds', ctx.d);
    if (v === undefined) return;
    const o = bag<QueueInfo>(info, 'queueWait() info', ctx);
    const node = extraNode(ctx, o).with(ATTR_TM_QUEUE_NAME, ctx.g.name.bound(o?.queue) ?? 'default');
    ctx.i.histogram.queueWait.record(v, node.attrs);
  });
}

export function queueRejected(ctx: LlmContext, info?: QueueRejectInfo): void {
  guarded(ctx, 'queueRejected()', () => {
    const o = bag<QueueRejectInfo>(info, 'queueRejected() info', ctx);
    const node = extraNode(ctx, o)
      .with(ATTR_TM_QUEUE_NAME, ctx.g.name.bound(o?.queue) ?? 'default')
      .with(ATTR_ERROR_TYPE, ctx.g.errorType.bound(o?.reason) ?? ERROR_TYPE_OTHER);
    ctx.i.counter.queueRejections.add(1, node.attrs);
  });
}

export function batch(ctx: LlmContext, info: BatchInfo): void {
  guarded(ctx, 'batch()', () => {
    const o = bag<BatchInfo>(info, 'batch() info', ctx);
    if (!o) return;
    const node = extraNode(ctx, { provider: o.provider, requestModel: o.requestModel }).with(
      ATTR_TM_WORKER_ID,
      ctx.g.worker.bound(o.worker),
    );
    const size = count(o.size, 'batch size', ctx.d);
    const pad = ratio(o.paddingRatio, 'paddingRatio', ctx.d);
    if (size !== undefined) ctx.i.histogram.serverBatchSize.record(size, node.attrs);
    if (pad !== undefined) ctx.i.histogram.serverBatchPaddingRatio.record(pad, node.attrs);
  });
}

export function measure<T>(ctx: LlmContext, name: string, fn: () => T, options?: MeasureOptions): T {
  let node = ctx.root;
  try {
    node = node.with(ATTR_TM_OPERATION_NAME, ctx.g.name.bound(name) ?? ERROR_TYPE_OTHER);
  } catch (err) {
    ctx.d.warn('internal-error', `measure(): ${String(err)}`);
  }
  return measureFn(
    ctx,
    fn,
    (s, error, failed, heapDelta) => {
      const attrs = failed
        ? node.with(ATTR_ERROR_TYPE, ctx.g.errorType.bound(errorType(error)) ?? ERROR_TYPE_OTHER).attrs
        : node.attrs;
      ctx.i.histogram.operationDuration.record(s, attrs);
      if (heapDelta !== undefined) ctx.i.gauge.operationHeapDelta.record(heapDelta, node.attrs);
    },
    heapOption(ctx, options),
  );
}

/** Reads `options.heap` without letting a hostile options object (throwing getter, revoked proxy) throw. */
function heapOption(ctx: LlmContext, options: unknown): boolean {
  try {
    return (options as MeasureOptions | undefined)?.heap === true;
  } catch (err) {
    ctx.d.warn('invalid-option', `measure() options could not be read (${String(err)}); ignored`);
    return false;
  }
}
