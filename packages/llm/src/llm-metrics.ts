/**
 * createLlmMetrics(): the one entry point. Builds the instruments for the
 * chosen semconv shape on the given (or global) MeterProvider and hands out
 * lifecycle handles that share one context.
 */
import type { MeterProvider } from '@opentelemetry/api';
import { createAbandonTracker } from './abandon-tracker.js';
import { AttrBudget, AttrNode } from './attributes.js';
import { BUNDLED_PRICES } from './bundled-prices.js';
import { type ClientRequest, type StartRequestOptions, startClientRequest } from './client-request.js';
import type { LlmContext } from './context.js';
import { CostRecorder } from './cost.js';
import { Diagnostics } from './diagnostics.js';
import { errorType } from './error-type.js';
import * as extras from './extras.js';
import { createGuards } from './guards.js';
import { createInstrumentSet } from './instrument-set.js';
import type { SemconvShape } from './instruments.js';
import {
  type McpHandle,
  type McpOperationOptions,
  type McpSessionOptions,
  startMcpOperation,
  startMcpSession,
} from './mcp.js';
import { measureFn } from './measure.js';
import { loadPriceTable, PriceBook, type PriceTable, parsePriceTable } from './price-table.js';
import { ProviderBinding } from './provider-binding.js';
import { IdentityResolver } from './request-identity.js';
import { OTHER_VALUE } from './semconv.js';
import { type ObserveServerOptions, type ServerGaugeCallback, ServerGauges } from './server-gauges.js';
import { type ServerRequest, type StartServerRequestOptions, startServerRequest } from './server-request.js';
import type { SnapshotSource } from './snapshot/collection.js';
import type { LlmSnapshot, SnapshotOptions } from './snapshot/llm-snapshot.js';
import { Snapshotter } from './snapshot/snapshotter.js';
import { startTraining, type TrainingOptions, type TrainingRun } from './training.js';
import type { ValueGuardOptions } from './value-guard.js';

// Node defines the `performance` global as a lazy accessor: reading it on
// every clock read (once per chunk) costs a getter call. Resolve it once.
const clock = globalThis.performance;

/** The env value that selects the next GenAI shape. */
export const SEMCONV_OPT_IN_LATEST = 'gen_ai_latest_experimental';

/** The environment variable naming a JSON price table file layered over the bundled one. */
export const PRICES_ENV = 'TOKENMETER_PRICES';

/** Where `tokenmeter.gen_ai.client.cost` takes its prices from. */
export interface PriceOptions {
  /** Start from the table bundled with this package (`BUNDLED_PRICES`). @default true */
  bundled?: boolean;
  /** Layer the JSON file named by `TOKENMETER_PRICES` (in `env`) over it. @default true */
  fromEnv?: boolean;
  /**
   * A table layered over both: its entries replace those of the same
   * provider and model (aliases included). Checked when createLlmMetrics()
   * runs; invalid → `PriceTableError`. @default none
   */
  table?: PriceTable;
}

export interface LlmMetricsOptions {
  /**
   * Provider to create instruments on. @default the global MeterProvider; when none is
   * registered yet, llm moves to it as soon as one is (records before that are dropped,
   * with one diagnostic)
   */
  meterProvider?: MeterProvider;
  /**
   * Default source for snapshot(): a function returning a cumulative
   * collection (`() => reader.collect()`, `() => handle.collect()` from
   * `@tokenmeter/setup`) or an object with `collect()`. @default none
   */
  collect?: SnapshotSource;
  /**
   * GenAI semantic-convention shape. @default `latest_experimental` when
   * `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`, else `v1.41`
   */
  semconv?: SemconvShape;
  /** Cardinality guard for model names (request, response, training). @default maxLength 128, maxDistinct 100 */
  models?: ValueGuardOptions;
  /**
   * Distinct values kept per other user-controlled attribute (provider,
   * server address, finish reason, error type, stage, worker, cache, queue,
   * circuit breaker, measure() and training run/phase names, agent/tool/workflow
   * names, MCP methods, service tiers) before `_OTHER`. @default 50
   */
  maxDistinctValues?: number;
  /** Length cap for those values. @default 128 */
  maxValueLength?: number;
  /** Cap on cached attribute sets (the product of the dimensions above). @default 10000 */
  maxAttributeSets?: number;
  /** Monotonic clock in milliseconds (inject for tests). @default `performance.now()` */
  now?: () => number;
  /**
   * Release the in-flight count of handles that are garbage-collected
   * without end/fail/abort (and count them as `error.type=abandoned`). @default true
   */
  trackAbandoned?: boolean;
  /** Window for the rates in snapshot(), seconds. @default 60 */
  snapshotWindowS?: number;
  /** Environment to read `OTEL_SEMCONV_STABILITY_OPT_IN` and `TOKENMETER_PRICES` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Prices for the cost metrics; `false` records no cost at all. A bad table
   * or `TOKENMETER_PRICES` file throws `PriceTableError` here, at
   * configuration time. @default bundled table, then `TOKENMETER_PRICES`
   */
  prices?: false | PriceOptions;
}

/** Options for an agent/tool/workflow execution timed by trackOperation(). */
export type TrackOperationOptions = Omit<StartRequestOptions, 'stream'>;

export interface LlmMetrics {
  /** The shape being emitted. */
  readonly semconv: SemconvShape;
  /** Starts a client-side GenAI call. */
  startRequest(options: StartRequestOptions): ClientRequest;
  /** Starts a request on an inference server or gateway (call at arrival). */
  startServerRequest(options: StartServerRequestOptions): ServerRequest;
  /** A training run's step/eval metrics. */
  training(options?: TrainingOptions): TrainingRun;
  /** Totals, recent rates and percentiles read from the SDK's aggregation. Never rejects. */
  snapshot(options?: SnapshotOptions): Promise<LlmSnapshot>;
  /** Maps an error to a bounded, low-cardinality `error.type` value (see README for the list). */
  errorType(err: unknown): string;
  /**
   * Times an agent/tool/workflow execution (or any GenAI operation) on the
   * spec's duration histogram: ends when `fn` returns/resolves, fails with
   * `error.type` when it throws/rejects. Returns `fn`'s result unchanged.
   */
  trackOperation<T>(options: TrackOperationOptions, fn: () => T): T;
  /** Times any operation (`tokenmeter.operation.duration`), optionally with its heap delta. */
  measure<T>(name: string, fn: () => T, options?: extras.MeasureOptions): T;
  cacheLookup(info: extras.CacheLookupInfo): void;
  rateLimitWait(seconds: number, info?: extras.RateLimitWaitInfo): void;
  retry(info?: extras.RetryInfo): void;
  modelLoad(info: extras.ModelLoadInfo): void;
  circuitBreaker(
    name: string,
    state: 'closed' | 'open' | 'half_open',
    info?: extras.CircuitBreakerInfo,
  ): void;
  queueWait(seconds: number, info?: extras.QueueInfo): void;
  queueRejected(info?: extras.QueueRejectInfo): void;
  /** Records one executed batch (size, padding ratio). */
  batch(info: extras.BatchInfo): void;
  /** Registers a callback feeding the queue/running/KV-cache gauges; returns an unregister function. */
  observeServer(callback: ServerGaugeCallback, options?: ObserveServerOptions): () => void;
  /** Times one MCP request or notification (`mcp.client.operation.duration` / `mcp.server.operation.duration`). */
  startMcpOperation(options: McpOperationOptions): McpHandle;
  /** Times one MCP session (`mcp.client.session.duration` / `mcp.server.session.duration`). */
  startMcpSession(options: McpSessionOptions): McpHandle;
  /** The dates of the price tables in use, bundled first; empty when `prices: false`. */
  readonly priceDates: readonly string[];
}

export function resolveShape(
  option: unknown,
  env: Readonly<Record<string, string | undefined>> | undefined,
  diagnostics: Diagnostics,
): SemconvShape {
  if (option === 'v1.41' || option === 'latest_experimental') return option;
  if (option !== undefined)
    diagnostics.warn('invalid-option', 'semconv must be "v1.41" or "latest_experimental"');
  const optIn = env?.OTEL_SEMCONV_STABILITY_OPT_IN ?? '';
  return optIn
    .split(',')
    .map((entry) => entry.trim())
    .includes(SEMCONV_OPT_IN_LATEST)
    ? 'latest_experimental'
    : 'v1.41';
}

/**
 * The price tables, in layering order, or undefined when cost is off. Throws
 * `PriceTableError` for a bad table: a mistake here must stop the
 * configuration, not silently misprice every request.
 */
export function resolvePrices(
  option: unknown,
  env: Readonly<Record<string, string | undefined>> | undefined,
): PriceTable[] | undefined {
  if (option === false) return undefined;
  const prices = (option !== null && typeof option === 'object' ? option : {}) as PriceOptions;
  const tables: PriceTable[] = [];
  if (prices.bundled !== false) tables.push(BUNDLED_PRICES);
  const path = prices.fromEnv === false ? undefined : env?.[PRICES_ENV]?.trim();
  if (path) tables.push(loadPriceTable(path));
  if (prices.table !== undefined)
    tables.push(parsePriceTable(prices.table, 'createLlmMetrics({ prices: { table } })'));
  return tables;
}

export function createLlmMetrics(options?: LlmMetricsOptions): LlmMetrics {
  const diagnostics = new Diagnostics();
  const config: LlmMetricsOptions = options !== null && typeof options === 'object' ? options : {};
  const env = config.env ?? (typeof process !== 'undefined' ? process.env : undefined);
  const shape = resolveShape(config.semconv, env, diagnostics);
  const tables = resolvePrices(config.prices, env);
  let provider: MeterProvider | undefined;
  if (config.meterProvider && typeof config.meterProvider.getMeter === 'function')
    provider = config.meterProvider;
  else if (config.meterProvider !== undefined)
    diagnostics.warn('invalid-option', 'meterProvider has no getMeter(); using the global one');
  // Rebinding swaps the instrument set: handles started before keep theirs.
  const binding = new ProviderBinding(provider, diagnostics, (meter) => {
    ctx.instruments = createInstrumentSet(meter, shape);
    gauges.rebind(meter);
  });
  const meter = binding.meter;
  const now = typeof config.now === 'function' ? config.now : () => clock.now();
  const root = AttrNode.root(new AttrBudget(positive(config.maxAttributeSets, 10_000), diagnostics));
  const guards = createGuards(config, diagnostics);
  const ctx: LlmContext = {
    shape,
    instruments: createInstrumentSet(meter, shape),
    diagnostics,
    now,
    root,
    guards,
    abandoned: config.trackAbandoned === false ? undefined : createAbandonTracker(),
    clientIdentity: new IdentityResolver(guards, root, diagnostics, false),
    serverIdentity: new IdentityResolver(guards, root, diagnostics, true),
    cost: tables ? new CostRecorder(new PriceBook(tables), guards.serviceTier) : undefined,
    lastFinished: { client: undefined, server: undefined },
  };
  const snapshotter = new Snapshotter(shape, diagnostics, now, positive(config.snapshotWindowS, 60), now());
  const gauges = new ServerGauges(ctx, meter);
  const defaultSource = config.collect;

  const check = () => binding.check();
  /** `fn` behind the provider check (the extras: not on a per-chunk path). */
  const checked =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      check();
      return fn(...args);
    };

  return {
    semconv: shape,
    startRequest: (opts) => {
      check();
      return startClientRequest(ctx, opts);
    },
    startServerRequest: (opts) => {
      check();
      return startServerRequest(ctx, opts);
    },
    training: (opts) => {
      check();
      return startTraining(ctx, opts);
    },
    snapshot: (opts) => snapshotter.snapshot(opts?.from ?? defaultSource),
    errorType: (err) => ctx.guards.errorType.bound(errorType(err)) ?? OTHER_VALUE,
    trackOperation<T>(opts: TrackOperationOptions, fn: () => T): T {
      let options: StartRequestOptions;
      try {
        options = { ...(opts ?? {}), stream: false } as StartRequestOptions;
      } catch (err) {
        // A hostile options object (throwing getter, revoked proxy) must not break the caller's function.
        diagnostics.warn(
          'invalid-option',
          `trackOperation() options could not be read (${String(err)}); recorded as _OTHER`,
        );
        options = { stream: false } as StartRequestOptions;
      }
      check();
      const req = startClientRequest(ctx, options);
      return measureFn(
        ctx,
        fn,
        (_elapsed, error, failed) => (failed ? req.fail(error) : req.end()),
        undefined,
      );
    },
    measure: (name, fn, opts) => {
      check();
      return extras.measure(ctx, name, fn, opts);
    },
    cacheLookup: checked((info) => extras.cacheLookup(ctx, info)),
    rateLimitWait: checked((seconds, info) => extras.rateLimitWait(ctx, seconds, info)),
    retry: checked((info) => extras.retry(ctx, info)),
    modelLoad: checked((info) => extras.modelLoad(ctx, info)),
    circuitBreaker: checked((name, state, info) => extras.circuitBreaker(ctx, name, state, info)),
    queueWait: checked((seconds, info) => extras.queueWait(ctx, seconds, info)),
    queueRejected: checked((info) => extras.queueRejected(ctx, info)),
    batch: checked((info) => extras.batch(ctx, info)),
    observeServer: (callback, opts) => {
      check();
      return gauges.observe(callback, opts);
    },
    startMcpOperation: checked((opts) => startMcpOperation(ctx, opts)),
    startMcpSession: checked((opts) => startMcpSession(ctx, opts)),
    priceDates: ctx.cost ? ctx.cost.book.dates : [],
  };
}

function positive(given: unknown, dflt: number): number {
  return typeof given === 'number' && Number.isFinite(given) && given > 0 ? given : dflt;
}
