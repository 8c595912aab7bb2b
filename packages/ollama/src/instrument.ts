import { type MeterProvider, metrics } from '@opentelemetry/api';
import {
  type ClientRequest,
  createLlmMetrics,
  type FailInfo,
  type LlmMetrics,
  telemetryGuard,
} from '@tokenmeter/llm';
import { type Endpoint, endpointFromHost } from './endpoint.js';
import { ERROR_TYPE_INCOMPLETE_STREAM, ERROR_TYPE_STREAM_ERROR, ollamaErrorType } from './error-type.js';
import { isDone, isOutputChunk, isStreamError, type Observed, type Operation, readFinal } from './extract.js';

export interface InstrumentOllamaOptions {
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /** `gen_ai.provider.name`. @default 'ollama' */
  providerName?: string;
  /** Overrides `server.address`. @default the host of the client's `config.host` */
  serverAddress?: string;
  /** Overrides `server.port`. @default the port of the client's `config.host` */
  serverPort?: number;
  /**
   * Record Ollama's own durations through `@tokenmeter/llm`: `total_duration`,
   * `prompt_eval_duration` and `eval_duration` on the
   * `tokenmeter.gen_ai.client.reported.{server,prefill,decode}.duration`
   * histograms, and `load_duration` on `tokenmeter.gen_ai.model.load.duration`. @default true
   */
  serverTimings?: boolean;
  /** `tokenmeter.worker.id` on the model-load histogram (e.g. the Ollama host's name). @default none */
  worker?: string;
}

const STATE = Symbol.for('@tokenmeter/ollama.instrumentation');

type AnyFn = (...args: unknown[]) => unknown;
type Obj = Record<string | symbol, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;

const { report, guard } = telemetryGuard('@tokenmeter/ollama');

interface Ctx {
  readonly client: Obj;
  readonly options: InstrumentOllamaOptions;
  readonly llm: LlmMetrics;
  endpointCache?: { host: unknown; endpoint: Endpoint };
}

function endpointOf(ctx: Ctx): Endpoint {
  const host = (ctx.client.config as { host?: unknown } | undefined)?.host;
  const cached = ctx.endpointCache;
  if (cached && cached.host === host) return cached.endpoint;
  const endpoint = endpointFromHost(host);
  ctx.endpointCache = { host, endpoint };
  return endpoint;
}

/**
 * One call's measurement. The first of success / failure / abort wins; later
 * ones are ignored, so an error after an abort, or a `break` after the final
 * object, records nothing twice.
 */
class Measurement {
  private done = false;
  private readonly observed: Observed = {};
  /** The raw stream carried an `{"error": …}` object. */
  streamError = false;
  /** The raw stream ended (with or without the final object). */
  sourceEnded = false;
  /** Detaches the abort listener. */
  detach: (() => void) | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly req: ClientRequest,
    private readonly op: Operation,
    private readonly attrs: {
      provider: string;
      requestModel: string | undefined;
      serverAddress: string | undefined;
      serverPort: number | undefined;
    },
  ) {}

  /** A streamed object was delivered to the consumer. */
  message(msg: unknown): void {
    if (this.done) return;
    guard('stream message', () => {
      if (isOutputChunk(this.op, msg)) this.req.chunk();
      if (isDone(msg)) {
        readFinal(this.op, msg, this.observed);
        this.success();
      }
    });
  }

  /** The call completed; `result` is the non-streaming response body. */
  success(result?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    guard('end', () => {
      if (result !== undefined) readFinal(this.op, result, this.observed);
      const o = this.observed;
      const t = o.timings;
      this.req.end({
        ...usage(o),
        finishReason: o.finishReason,
        // Ollama's own clock, kept apart from ours: llm records these as reported.* durations.
        ...(t && this.ctx.options.serverTimings !== false
          ? {
              serverTimings: {
                totalS: t.totalS,
                prefillS: t.promptEvalS,
                decodeS: this.op === 'embeddings' ? undefined : t.evalS,
              },
            }
          : {}),
      });
      this.recordModelLoad();
    });
  }

  failure(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    guard('fail', () => {
      const type = this.streamError
        ? ERROR_TYPE_STREAM_ERROR
        : this.sourceEnded && isPlainError(error)
          ? ERROR_TYPE_INCOMPLETE_STREAM
          : ollamaErrorType(error, (e) => this.ctx.llm.errorType(e));
      if (type === 'aborted') this.req.abort(error, usage(this.observed));
      else this.req.fail(error, { ...usage(this.observed), errorType: type });
    });
  }

  /** The consumer stopped: `break`, `return()`, `.abort()` on the iterator or `client.abort()`. */
  aborted(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    guard('abort', () => this.req.abort(reason, usage(this.observed)));
  }

  private recordModelLoad(): void {
    const ctx = this.ctx;
    const t = this.observed.timings;
    if (ctx.options.serverTimings === false || !t) return;
    if (t.loadS !== undefined && t.loadS > 0) {
      ctx.llm.modelLoad({
        provider: this.attrs.provider,
        model: this.observed.responseModel ?? this.attrs.requestModel,
        worker: ctx.options.worker,
        durationS: t.loadS,
      });
    }
  }
}

function usage(o: Observed): FailInfo {
  return { responseModel: o.responseModel, inputTokens: o.inputTokens, outputTokens: o.outputTokens };
}

function isPlainError(e: unknown): boolean {
  return e instanceof Error && Object.getPrototypeOf(e) === Error.prototype;
}

/** Passes the raw NDJSON objects through, noting `{"error": …}` objects and the end of the source. */
async function* peek(source: AsyncIterable<unknown>, m: Measurement): AsyncGenerator<unknown, void, unknown> {
  for await (const msg of source) {
    if (isStreamError(msg)) m.streamError = true;
    yield msg;
  }
  m.sourceEnded = true;
}

const WRAPPED = Symbol('@tokenmeter/ollama.stream');

interface AbortableLike {
  abortController?: AbortController;
  itr?: unknown;
  [Symbol.asyncIterator]: () => AsyncIterator<unknown>;
}

function isAbortableLike(x: unknown): x is AbortableLike {
  return isObj(x) && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Observes an `AbortableAsyncIterator` in place: same object, same class, same
 * `abort()`. Its own `[Symbol.asyncIterator]` is wrapped (what the consumer
 * sees), its source `itr` is peeked (to tell an in-stream error object from
 * other errors) and its `AbortController` is watched (so `.abort()` and
 * `client.abort()` finalise at the moment they are called, even if the
 * consumer never reads again).
 */
function wrapStream(it: AbortableLike, m: Measurement): void {
  const tagged = it as unknown as { [WRAPPED]?: true };
  if (tagged[WRAPPED]) return;
  Object.defineProperty(it, WRAPPED, { value: true });
  const signal = it.abortController?.signal;
  if (signal) {
    if (signal.aborted) m.aborted(signal.reason);
    const onAbort = () => m.aborted(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    m.detach = () => signal.removeEventListener('abort', onAbort);
  }
  const src = it.itr;
  if (
    isObj(src) &&
    typeof (src as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  ) {
    it.itr = peek(src as unknown as AsyncIterable<unknown>, m);
  }
  const original = it[Symbol.asyncIterator];
  let claimed = false;
  Object.defineProperty(it, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: unknown) {
      const inner = original.call(this);
      if (claimed) return inner;
      claimed = true;
      return observeIterator(inner, signal, m);
    },
  });
}

function observeIterator(
  inner: AsyncIterator<unknown>,
  signal: AbortSignal | undefined,
  m: Measurement,
): AsyncGenerator<unknown> {
  const stop = () => m.aborted(signal?.aborted ? signal.reason : 'break');
  const wrapped = {
    async next(...args: [] | [unknown]) {
      let r: IteratorResult<unknown>;
      try {
        r = await inner.next(...args);
      } catch (error) {
        m.failure(error);
        throw error;
      }
      if (r.done) m.success();
      else m.message(r.value);
      return r;
    },
    async return(value?: unknown) {
      try {
        return inner.return ? await inner.return(value) : { done: true as const, value };
      } finally {
        stop();
      }
    },
    async throw(error?: unknown) {
      try {
        if (inner.throw) return await inner.throw(error);
        throw error;
      } finally {
        stop();
      }
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped as unknown as AsyncGenerator<unknown>;
}

function makeWrapper(ctx: Ctx, op: Operation, original: AnyFn): AnyFn {
  return function instrumented(this: unknown, ...args: unknown[]) {
    const startTime = performance.now();
    let m: Measurement | undefined;
    let stream = false;
    guard('start', () => {
      const body = args[0];
      stream = op !== 'embeddings' && isObj(body) && body.stream === true;
      const endpoint = endpointOf(ctx);
      const attrs = {
        provider: ctx.options.providerName ?? 'ollama',
        requestModel: isObj(body) && typeof body.model === 'string' ? body.model : undefined,
        serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
        serverPort: ctx.options.serverPort ?? endpoint.serverPort,
      };
      const req = ctx.llm.startRequest({ operation: op, ...attrs, stream, startTime });
      m = new Measurement(ctx, req, op, attrs);
    });
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      m?.failure(error);
      throw error;
    }
    const mm = m;
    if (!mm || !isObj(result) || typeof result.then !== 'function') {
      mm?.success(result);
      return result;
    }
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        guard('observe', () => {
          if (stream && isAbortableLike(value)) wrapStream(value, mm);
          else mm.success(value);
        });
        return value;
      },
      (error: unknown) => {
        mm.failure(error);
        throw error;
      },
    );
  };
}

interface Patch {
  readonly name: string;
  readonly hadOwn: boolean;
  readonly original: unknown;
}

const METHODS: ReadonlyArray<readonly [name: string, op: Operation]> = [
  ['chat', 'chat'],
  ['generate', 'text_completion'],
  ['embed', 'embeddings'],
];

/**
 * Instruments an `ollama` client (`new Ollama(...)` or the default export) in
 * place and returns it: `chat`, `generate` and `embed` record the GenAI client
 * metrics through `@tokenmeter/llm`, Ollama's own server-side durations as
 * llm's `tokenmeter.gen_ai.client.reported.*`. Streams stay the client's
 * `AbortableAsyncIterator` (with `abort()`). Calling it twice is a no-op.
 */
export function instrumentOllama<C extends object>(client: C, options: InstrumentOllamaOptions = {}): C {
  const c = client as unknown as Obj;
  if (!isObj(c) || c[STATE]) return client;
  let ctx: Ctx;
  try {
    const mp = options.meterProvider ?? metrics.getMeterProvider();
    const llm = options.llm ?? createLlmMetrics({ meterProvider: mp });
    ctx = { client: c, options, llm };
  } catch (error) {
    report('instrumentOllama', error);
    return client;
  }
  const patches: Patch[] = [];
  guard('instrumentOllama', () => {
    for (const [name, op] of METHODS) {
      const original = c[name];
      if (typeof original !== 'function') continue;
      patches.push({ name, hadOwn: Object.hasOwn(c, name), original });
      Object.defineProperty(c, name, {
        configurable: true,
        writable: true,
        enumerable: false,
        value: makeWrapper(ctx, op, original as AnyFn),
      });
    }
  });
  Object.defineProperty(c, STATE, { value: { patches }, configurable: true, enumerable: false });
  return client;
}

/** Removes what `instrumentOllama` added. Calls in flight still finish recording. */
export function uninstrumentOllama<C extends object>(client: C): C {
  const c = client as unknown as Obj;
  const state = c[STATE] as { patches: Patch[] } | undefined;
  if (!state) return client;
  for (const p of state.patches.reverse()) {
    if (p.hadOwn) Object.defineProperty(c, p.name, { configurable: true, writable: true, value: p.original });
    else delete c[p.name];
  }
  delete c[STATE];
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return Boolean((client as Obj)[STATE]);
}
