import type { MeterProvider } from '@opentelemetry/api';
import { type ClientRequest, type LlmMetrics, telemetryGuard } from '@tokenmeter/llm';
import { type Endpoint, endpointFromBaseURL } from './endpoint.js';
import { openAiErrorType } from './error-type.js';
import {
  failedResponse,
  type Observed,
  type Operation,
  observeEvent,
  observeResult,
  responsesFailure,
} from './extract.js';
import { createBridge, type LlmBridge } from './llm-bridge.js';

export interface InstrumentOpenAIOptions {
  /**
   * The `@tokenmeter/llm` metrics to record through (`createLlmMetrics(...)`).
   * @default createLlmMetrics({ meterProvider })
   */
  llm?: LlmMetrics;
  /** Used when `llm` is not given, and for the usage-missing counter. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /**
   * `gen_ai.provider.name`. Set it for self-hosted OpenAI-compatible servers
   * (`'vllm'`, `'ollama'`, `'llama.cpp'`, `'lm_studio'`, …).
   * @default from the base URL: `openai` for api.openai.com and unknown hosts,
   * `azure.ai.openai` for Azure OpenAI (or an `AzureOpenAI` client), a few
   * other known hosts (see README)
   */
  providerName?: string;
  /** Overrides `server.address` (default: the base URL's host). */
  serverAddress?: string;
  /** Overrides `server.port` (default: the base URL's port, or 443 / 80). */
  serverPort?: number;
  /**
   * Adds `stream_options: { include_usage: true }` to streaming
   * `chat.completions.create` and `completions.create` requests that do not set
   * `include_usage` themselves. The stream then ends with an extra chunk that
   * has `usage` and an EMPTY `choices` array: code that reads
   * `chunk.choices[0]` unconditionally must handle it. @default false
   */
  includeUsage?: boolean;
}

const STATE = Symbol.for('@tokenmeter/openai.instrumentation');

interface Patch {
  readonly target: Record<string, unknown>;
  readonly hadOwn: boolean;
  readonly original: unknown;
}

type AnyFn = (...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;

const { report, guard } = telemetryGuard('@tokenmeter/openai');

/**
 * One call's measurement. Every transition is idempotent: the first of
 * success / failure / abort / raw wins, later ones are ignored, so an
 * early `break` after an error, or an abort after the end, records nothing twice.
 */
class Measurement {
  /** Set when any APIPromise of this call started parsing the body. */
  parseStarted = false;
  private done = false;
  private readonly observed: Observed = {};
  private streamFailure: { code: string; message: string } | undefined;

  constructor(
    private readonly bridge: LlmBridge,
    private readonly req: ClientRequest,
    private readonly op: Operation,
    readonly stream: boolean,
  ) {}

  /** A stream event was delivered to the consumer. Hot path: no closure per event. */
  event(value: unknown): void {
    if (this.done) return;
    try {
      if (observeEvent(this.op, value, this.observed)) this.req.chunk();
      if (this.op === 'responses') this.streamFailure ??= responsesFailure(value);
    } catch (error) {
      report('stream event', error);
    }
  }

  /** The call (or the stream) completed. `result`: the parsed non-streaming body. */
  success(result?: unknown): void {
    if (this.done) return;
    this.done = true;
    guard('end', () => {
      const o = result === undefined ? this.observed : observeResult(this.op, result);
      // A Responses API call can fail with HTTP 200: a `response.failed` event, or a failed result.
      const failure =
        this.streamFailure ??
        (this.op === 'responses' && result !== undefined ? failedResponse(result) : undefined);
      if (failure) {
        const err = Object.assign(new Error(failure.message), { code: failure.code });
        this.bridge.fail(this.req, err, failure.code, o);
        return;
      }
      this.bridge.end(this.req, o);
    });
  }

  failure(error: unknown): void {
    if (this.done) return;
    this.done = true;
    guard('fail', () => this.bridge.fail(this.req, error, this.bridge.errorType(error), this.observed));
  }

  /** The consumer stopped the stream: `break`, `controller.abort()`, an AbortSignal, `return()`. */
  aborted(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    guard('abort', () => this.bridge.abort(this.req, reason, this.observed));
  }

  /** `asResponse()` without parsing: the raw Response is the result; no usage or chunks are visible. */
  raw(): void {
    if (this.done) return;
    this.done = true;
    guard('end (raw response)', () => this.bridge.end(this.req, this.observed));
  }
}

interface StreamLike {
  iterator: AnyFn;
  controller?: { signal?: AbortSignal };
}

function isStreamLike(x: unknown): x is StreamLike {
  return isObj(x) && typeof x.iterator === 'function';
}

const WRAPPED = Symbol('@tokenmeter/openai.stream');

/**
 * Observes a stream's source iterator. `Stream.prototype[Symbol.asyncIterator]`,
 * `tee()` and `toReadableStream()` all pull from `stream.iterator()`, so every
 * way of consuming the stream goes through here, once.
 */
function wrapStream(stream: StreamLike, m: Measurement): void {
  const tagged = stream as unknown as { [WRAPPED]?: true };
  if (tagged[WRAPPED]) return; // already observed through another APIPromise of the same call
  Object.defineProperty(stream, WRAPPED, { value: true });
  const original = stream.iterator;
  let claimed = false;
  stream.iterator = function (this: unknown, ...args: unknown[]) {
    const it = original.apply(this, args) as AsyncIterator<unknown>;
    if (claimed) return it; // a second consumption: the SDK throws "consumed stream" itself
    claimed = true;
    return observeIterator(it, stream.controller?.signal, m);
  };
}

function observeIterator(it: AsyncIterator<unknown>, signal: AbortSignal | undefined, m: Measurement) {
  // Read the signal before closing the source: the SDK aborts its controller itself on `return()`.
  const stop = (aborted = signal?.aborted === true) => m.aborted(aborted ? signal?.reason : 'break');
  // Per-chunk hot path: the consumer gets the source's own promise; we observe
  // it with one reaction registered first (so it runs before the consumer's
  // continuation) and handlers built once per stream. An `async next()` would
  // add a promise and a microtask hop per chunk.
  const onResult = (r: IteratorResult<unknown>): void => {
    try {
      if (r.done) {
        // The SDK ends an aborted stream quietly (no error): tell the two apart by the signal.
        if (signal?.aborted) stop();
        else m.success();
      } else {
        m.event(r.value);
      }
    } catch (error) {
      // Nothing may reject the side promise: it has no handler.
      report('stream', error);
    }
  };
  const onError = (error: unknown): void => m.failure(error);
  const wrapped: AsyncIterableIterator<unknown> = {
    next(value?: unknown) {
      let p: Promise<IteratorResult<unknown>>;
      try {
        // Forward exactly what the consumer passed, without a rest array and a spread call per chunk.
        // biome-ignore lint/complexity/noArguments: arity only; rest parameters allocate on this hot path
        const r = arguments.length === 0 ? it.next() : it.next(value);
        // A native promise (the SDK's async generator) is used as is; anything else is adopted.
        p = r instanceof Promise ? r : Promise.resolve(r);
      } catch (error) {
        // As an async function would: a synchronous throw becomes a rejection.
        onError(error);
        return Promise.reject(error);
      }
      // The rejection itself reaches the consumer through `p`; this reaction only records it.
      p.then(onResult, onError);
      return p;
    },
    async return(value?: unknown) {
      const aborted = signal?.aborted === true;
      try {
        return it.return ? await it.return(value) : { done: true, value };
      } finally {
        stop(aborted);
      }
    },
    async throw(error?: unknown) {
      const aborted = signal?.aborted === true;
      try {
        if (it.throw) return await it.throw(error);
        throw error;
      } finally {
        stop(aborted);
      }
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}

interface ApiPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: AnyFn;
  asResponse: AnyFn;
  _thenUnwrap?: AnyFn;
}

function isApiPromiseLike(x: unknown): x is ApiPromiseLike {
  return (
    isObj(x) &&
    typeof x.parseResponse === 'function' &&
    typeof x.asResponse === 'function' &&
    typeof (x.responsePromise as Promise<unknown> | undefined)?.then === 'function'
  );
}

const OBSERVED = Symbol('@tokenmeter/openai.observed');

/**
 * Observes an `APIPromise` in place, so the caller gets the very object the
 * SDK returned (`withResponse()`, `asResponse()`, `_thenUnwrap`, request id):
 * - `responsePromise` (the HTTP exchange, retries included) becomes a lazy
 *   accessor: the first time the SDK reads it — because the caller awaits the
 *   promise, or calls `withResponse()` / `asResponse()` — it hands out a chained
 *   promise that records failures (connection errors, HTTP errors, aborts
 *   before the response). Nothing is attached before that, so an unconsumed
 *   promise rejects exactly as it would without the instrumentation;
 * - `parseResponse` (run when the body is parsed) is wrapped to read the parsed
 *   body or to wrap the stream;
 * - `_thenUnwrap()` (used by the SDK's own helpers: `chat.completions.parse()`,
 *   `responses.stream()`, …) observes the derived promise with the same measurement;
 * - a bare `asResponse()` ends the measurement when the response arrives.
 */
function observeApiPromise(ap: ApiPromiseLike, m: Measurement): void {
  const tagged = ap as unknown as { [OBSERVED]?: true };
  if (tagged[OBSERVED]) return;
  Object.defineProperty(ap, OBSERVED, { value: true });

  let source = ap.responsePromise;
  let derived: Promise<unknown> | undefined;
  Object.defineProperty(ap, 'responsePromise', {
    configurable: true,
    enumerable: true,
    get() {
      derived ??= source.then(
        (value) => value,
        (error: unknown) => {
          m.failure(error);
          throw error;
        },
      );
      return derived;
    },
    set(value: Promise<unknown>) {
      source = value;
      derived = undefined;
    },
  });

  const parse = ap.parseResponse;
  ap.parseResponse = async function (this: unknown, ...args: unknown[]) {
    m.parseStarted = true;
    let result: unknown;
    try {
      result = await parse.apply(this, args);
    } catch (error) {
      m.failure(error);
      throw error;
    }
    guard('parse', () => {
      if (m.stream && isStreamLike(result)) wrapStream(result, m);
      else m.success(result);
    });
    return result;
  };

  const thenUnwrap = ap._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    Object.defineProperty(ap, '_thenUnwrap', {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        const next = thenUnwrap.apply(this, args);
        guard('_thenUnwrap', () => {
          if (isApiPromiseLike(next)) observeApiPromise(next, m);
        });
        return next;
      },
    });
  }

  const asResponse = ap.asResponse;
  Object.defineProperty(ap, 'asResponse', {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      const p = asResponse.apply(this, args) as Promise<unknown>;
      // withResponse() parses too; only a bare asResponse() leaves the body unread.
      p.then(
        () => setTimeout(() => m.parseStarted || m.raw(), 0),
        () => undefined,
      );
      return p;
    },
  });
}

/** Fallback for an SDK whose promise is not an APIPromise: observe without changing it. */
function observeThenable(p: PromiseLike<unknown>, m: Measurement): void {
  p.then(
    (result) => {
      if (m.stream && isStreamLike(result)) wrapStream(result, m);
      else m.success(result);
    },
    (error: unknown) => m.failure(error),
  );
}

interface Ctx {
  readonly client: Obj;
  readonly options: InstrumentOpenAIOptions;
  readonly bridge: LlmBridge;
  endpointCache?: { baseURL: unknown; endpoint: Endpoint };
}

function endpointOf(ctx: Ctx): Endpoint {
  const baseURL = ctx.client.baseURL;
  const cached = ctx.endpointCache;
  if (cached && cached.baseURL === baseURL) return cached.endpoint;
  const ctorName = (ctx.client.constructor as { name?: string } | undefined)?.name;
  const endpoint = endpointFromBaseURL(baseURL, ctorName === 'AzureOpenAI');
  ctx.endpointCache = { baseURL, endpoint };
  return endpoint;
}

function withIncludeUsage(body: Obj): Obj {
  const so = body.stream_options;
  if (isObj(so) && 'include_usage' in so) return body;
  return { ...body, stream_options: { ...(isObj(so) ? so : {}), include_usage: true } };
}

function makeWrapper(ctx: Ctx, op: Operation, original: AnyFn): AnyFn {
  return function instrumentedCreate(this: unknown, ...args: unknown[]) {
    const startTime = performance.now();
    let m: Measurement | undefined;
    guard('start', () => {
      const body = args[0];
      const stream = isObj(body) && body.stream === true;
      if (stream && ctx.options.includeUsage && (op === 'chat' || op === 'text_completion') && isObj(body)) {
        args[0] = withIncludeUsage(body);
      }
      const endpoint = endpointOf(ctx);
      const req = ctx.bridge.start({
        operation: op === 'responses' ? 'chat' : op,
        providerName: ctx.options.providerName ?? endpoint.providerName,
        requestModel: isObj(body) && typeof body.model === 'string' ? body.model : undefined,
        serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
        serverPort: ctx.options.serverPort ?? endpoint.serverPort,
        stream,
        startTime,
      });
      m = new Measurement(ctx.bridge, req, op, stream);
    });
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      m?.failure(error);
      throw error;
    }
    if (m) {
      const mm = m;
      guard('observe', () => {
        if (isApiPromiseLike(result)) observeApiPromise(result, mm);
        else if (isObj(result) && typeof result.then === 'function')
          observeThenable(result as unknown as PromiseLike<unknown>, mm);
        else mm.success(result);
      });
    }
    return result;
  };
}

interface InstrumentationState {
  readonly patches: Patch[];
}

function patch(ctx: Ctx, patches: Patch[], resource: unknown, op: Operation): void {
  if (!isObj(resource) || typeof resource.create !== 'function') return;
  const original = resource.create as AnyFn;
  patches.push({ target: resource, hadOwn: Object.hasOwn(resource, 'create'), original });
  // An own property on this client's resource instance: other clients and the prototype are untouched.
  Object.defineProperty(resource, 'create', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: makeWrapper(ctx, op, original),
  });
}

/**
 * Instruments an `openai` client instance (`new OpenAI(...)`, `new AzureOpenAI(...)`)
 * in place and returns it: `chat.completions.create`, `responses.create`,
 * `embeddings.create` and `completions.create` record the GenAI client metrics
 * through `@tokenmeter/llm`. Return values keep their exact type. Calling it
 * twice on the same client is a no-op. `client.withOptions()` returns a new,
 * uninstrumented client.
 */
export function instrumentOpenAI<C extends object>(client: C, options: InstrumentOpenAIOptions = {}): C {
  const c = client as unknown as Obj;
  if (!isObj(c) || (c as { [STATE]?: unknown })[STATE]) return client;
  let bridge: LlmBridge;
  try {
    bridge = createBridge(options.llm, options.meterProvider, openAiErrorType);
  } catch (error) {
    report('instrumentOpenAI', error);
    return client;
  }
  const ctx: Ctx = { client: c, options, bridge };
  const patches: Patch[] = [];
  guard('instrumentOpenAI', () => {
    patch(ctx, patches, (c.chat as Obj | undefined)?.completions, 'chat');
    patch(ctx, patches, c.responses, 'responses');
    patch(ctx, patches, c.embeddings, 'embeddings');
    patch(ctx, patches, c.completions, 'text_completion');
  });
  const state: InstrumentationState = { patches };
  Object.defineProperty(c, STATE, { value: state, configurable: true, enumerable: false });
  return client;
}

/** Removes what `instrumentOpenAI` added to `client`. Calls already in flight still finish recording. */
export function uninstrumentOpenAI<C extends object>(client: C): C {
  const c = client as unknown as Obj & { [STATE]?: InstrumentationState };
  const state = c[STATE];
  if (!state) return client;
  for (const p of state.patches.reverse()) {
    if (p.hadOwn)
      Object.defineProperty(p.target, 'create', { configurable: true, writable: true, value: p.original });
    else delete p.target.create;
  }
  delete c[STATE];
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return Boolean((client as { [STATE]?: unknown })[STATE]);
}
