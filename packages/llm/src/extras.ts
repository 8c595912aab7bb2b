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
  OTHER_VALUE,
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
  /** Why (`full`, `timeout`…), recorded as `error.type`. @default OTHER_VALUE */
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

function extraNode(ctx: LlmContext, attributes: ExtraAttributes | undefined) {
  const { guards } = ctx;
  return ctx.root
    .with(ATTR_GEN_AI_OPERATION_NAME, guards.operation.bound(attributes?.operation))
    .with(ATTR_GEN_AI_PROVIDER_NAME, guards.provider.bound(attributes?.provider))
    .with(ATTR_GEN_AI_REQUEST_MODEL, guards.model.bound(attributes?.requestModel));
}

function guarded(ctx: LlmContext, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `${what}: ${String(err)}`);
  }
}

export function cacheLookup(ctx: LlmContext, info: CacheLookupInfo): void {
  guarded(ctx, 'cacheLookup()', () => {
    const given = bag<CacheLookupInfo>(info, 'cacheLookup() info', ctx);
    if (!given || typeof given.hit !== 'boolean') {
      ctx.diagnostics.warn('invalid-option', 'cacheLookup() needs { hit: boolean }; dropped');
      return;
    }
    const node = extraNode(ctx, given)
      .with(ATTR_TM_CACHE_KIND, ctx.guards.name.bound(given.cache) ?? 'prompt')
      .with(ATTR_TM_CACHE_RESULT, given.hit ? 'hit' : 'miss');
    node.add(ctx.instruments.counter.cacheRequests, 1);
  });
}

export function rateLimitWait(ctx: LlmContext, seconds: number, info?: RateLimitWaitInfo): void {
  guarded(ctx, 'rateLimitWait()', () => {
    const wait = nonNegative(seconds, 'rate-limit wait seconds', ctx.diagnostics);
    if (wait === undefined) return;
    const given = bag<RateLimitWaitInfo>(info, 'rateLimitWait() info', ctx);
    const address = ctx.guards.address.bound(given?.serverAddress);
    const node = extraNode(ctx, { provider: given?.provider, requestModel: given?.requestModel })
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(given?.serverPort, ctx.diagnostics));
    node.record(ctx.instruments.histogram.rateLimitWait, wait);
  });
}

export function retry(ctx: LlmContext, info?: RetryInfo): void {
  guarded(ctx, 'retry()', () => {
    const given = bag<RetryInfo>(info, 'retry() info', ctx);
    const address = ctx.guards.address.bound(given?.serverAddress);
    const type =
      given?.errorType !== undefined
        ? ctx.guards.errorType.bound(given.errorType)
        : given?.error !== undefined
          ? ctx.guards.errorType.bound(errorType(given.error))
          : undefined;
    const node = extraNode(ctx, given)
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(given?.serverPort, ctx.diagnostics))
      .with(ATTR_ERROR_TYPE, type);
    node.add(ctx.instruments.counter.retries, 1);
  });
}

export function modelLoad(ctx: LlmContext, info: ModelLoadInfo): void {
  guarded(ctx, 'modelLoad()', () => {
    const given = bag<ModelLoadInfo>(info, 'modelLoad() info', ctx);
    const duration = nonNegative(given?.durationS, 'model load durationS', ctx.diagnostics);
    if (!given || duration === undefined) return;
    const failed = given.error !== undefined && given.error !== null;
    const node = extraNode(ctx, { provider: given.provider, requestModel: given.model })
      .with(ATTR_TM_WORKER_ID, ctx.guards.worker.bound(given.worker))
      .with(
        ATTR_ERROR_TYPE,
        failed ? (ctx.guards.errorType.bound(errorType(given.error)) ?? OTHER_VALUE) : undefined,
      );
    node.record(ctx.instruments.histogram.modelLoadDuration, duration);
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
      ctx.diagnostics.warn(
        'invalid-option',
        'circuit-breaker state must be closed, open or half_open; dropped',
      );
      return;
    }
    const given = bag<CircuitBreakerInfo>(info, 'circuitBreaker() info', ctx);
    const base = ctx.root
      .with(ATTR_TM_CIRCUIT_BREAKER_NAME, ctx.guards.name.bound(name) ?? 'default')
      .with(ATTR_GEN_AI_PROVIDER_NAME, ctx.guards.provider.bound(given?.provider))
      .with(ATTR_SERVER_ADDRESS, ctx.guards.address.bound(given?.serverAddress));
    for (const each of CIRCUIT_BREAKER_STATES) {
      ctx.instruments.gauge.circuitBreakerState.record(
        each === state ? 1 : 0,
        base.with(ATTR_TM_CIRCUIT_BREAKER_STATE, each).attrs,
      );
    }
  });
}

export function queueWait(ctx: LlmContext, seconds: number, info?: QueueInfo): void {
  guarded(ctx, 'queueWait()', () => {
    const wait = nonNegative(seconds, 'queue wait seconds', ctx.diagnostics);
    if (wait === undefined) return;
    const given = bag<QueueInfo>(info, 'queueWait() info', ctx);
    const node = extraNode(ctx, given).with(
      ATTR_TM_QUEUE_NAME,
      ctx.guards.name.bound(given?.queue) ?? 'default',
    );
    node.record(ctx.instruments.histogram.queueWait, wait);
  });
}

export function queueRejected(ctx: LlmContext, info?: QueueRejectInfo): void {
  guarded(ctx, 'queueRejected()', () => {
    const given = bag<QueueRejectInfo>(info, 'queueRejected() info', ctx);
    const node = extraNode(ctx, given)
      .with(ATTR_TM_QUEUE_NAME, ctx.guards.name.bound(given?.queue) ?? 'default')
      .with(ATTR_ERROR_TYPE, ctx.guards.errorType.bound(given?.reason) ?? OTHER_VALUE);
    node.add(ctx.instruments.counter.queueRejections, 1);
  });
}

export function batch(ctx: LlmContext, info: BatchInfo): void {
  guarded(ctx, 'batch()', () => {
    const given = bag<BatchInfo>(info, 'batch() info', ctx);
    if (!given) return;
    const node = extraNode(ctx, { provider: given.provider, requestModel: given.requestModel }).with(
      ATTR_TM_WORKER_ID,
      ctx.guards.worker.bound(given.worker),
    );
    const size = count(given.size, 'batch size', ctx.diagnostics);
    const pad = ratio(given.paddingRatio, 'paddingRatio', ctx.diagnostics);
    if (size !== undefined) node.record(ctx.instruments.histogram.serverBatchSize, size);
    if (pad !== undefined) node.record(ctx.instruments.histogram.serverBatchPaddingRatio, pad);
  });
}

export function measure<T>(ctx: LlmContext, name: string, fn: () => T, options?: MeasureOptions): T {
  let node = ctx.root;
  try {
    node = node.with(ATTR_TM_OPERATION_NAME, ctx.guards.name.bound(name) ?? OTHER_VALUE);
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `measure(): ${String(err)}`);
  }
  return measureFn(
    ctx,
    fn,
    (elapsed, error, failed, heapDelta) => {
      const attrs = failed
        ? node.with(ATTR_ERROR_TYPE, ctx.guards.errorType.bound(errorType(error)) ?? OTHER_VALUE).attrs
        : node.attrs;
      ctx.instruments.histogram.operationDuration.record(elapsed, attrs);
      if (heapDelta !== undefined) node.record(ctx.instruments.gauge.operationHeapDelta, heapDelta);
    },
    heapOption(ctx, options),
  );
}

/** Reads `options.heap` without letting a hostile options object (throwing getter, revoked proxy) throw. */
function heapOption(ctx: LlmContext, options: unknown): boolean {
  try {
    return (options as MeasureOptions | undefined)?.heap === true;
  } catch (err) {
    ctx.diagnostics.warn('invalid-option', `measure() options could not be read (${String(err)}); ignored`);
    return false;
  }
}
