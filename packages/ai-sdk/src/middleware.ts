import type { MeterProvider } from '@opentelemetry/api';
import {
  type ClientRequest,
  createLlmMetrics,
  type FailInfo,
  type LlmMetrics,
  telemetryGuard,
} from '@tokenmeter/llm';
import type { LanguageModelMiddleware } from 'ai';
import { aiSdkErrorType } from './error-type.js';
import {
  type ChunkState,
  isOutputChunk,
  type Observed,
  readFinishReason,
  readGenerateResult,
  readUsage,
} from './extract.js';
import { operationFromId, providerFromId } from './provider.js';

export interface TokenmeterMiddlewareOptions {
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /**
   * `gen_ai.provider.name`: a string, or a function of the model's provider id.
   * @default `providerFromId(model.provider)` (`openai.chat` → `openai`, see README)
   */
  providerName?: string | ((providerId: string) => string);
  /**
   * `server.address`. The middleware API does not expose the model's endpoint,
   * so set it to tell endpoints apart (e.g. several vLLM servers). @default omitted
   */
  serverAddress?: string;
  /** `server.port`, recorded only with `serverAddress`. @default omitted */
  serverPort?: number;
}

type WrapGenerateOptions = Parameters<NonNullable<LanguageModelMiddleware['wrapGenerate']>>[0];
type WrapStreamOptions = Parameters<NonNullable<LanguageModelMiddleware['wrapStream']>>[0];
type GenerateResult = Awaited<ReturnType<WrapGenerateOptions['doGenerate']>>;
type StreamResult = Awaited<ReturnType<WrapStreamOptions['doStream']>>;
type Model = WrapStreamOptions['model'];
type Params = WrapStreamOptions['params'];

/** The middleware, with the v4 specification version the installed `ai` (7.x) expects. */
export type TokenmeterMiddleware = LanguageModelMiddleware & { readonly specificationVersion: 'v4' };

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;

const { report, guard } = telemetryGuard('@tokenmeter/ai-sdk');

function usageInfo(o: Observed): FailInfo {
  return {
    responseModel: o.responseModel,
    inputTokens: o.inputTokens,
    outputTokens: o.outputTokens,
    cachedInputTokens: o.cachedInputTokens,
    cacheWriteInputTokens: o.cacheWriteInputTokens,
    reasoningTokens: o.reasoningTokens,
  };
}

/**
 * One model call. The first of success / failure / abort wins; later ones
 * are ignored, so an abort after the finish part, or an error after an abort,
 * records nothing twice.
 */
class Measurement {
  private done = false;
  readonly observed: Observed = {};
  private readonly chunks: ChunkState = { streamedToolCalls: new Set() };
  /** The first `error` part of a stream. */
  private streamError: { error: unknown } | undefined;
  private detach: (() => void) | undefined;

  constructor(
    private readonly llm: LlmMetrics,
    private readonly req: ClientRequest,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) {
      const onAbort = () => this.aborted(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.detach = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** A stream part passed through. */
  part(part: unknown): void {
    if (this.done || !isObj(part)) return;
    guard('stream part', () => {
      if (isOutputChunk(part, this.chunks)) this.req.chunk();
      switch (part.type) {
        case 'response-metadata':
          if (typeof part.modelId === 'string' && part.modelId) this.observed.responseModel = part.modelId;
          break;
        case 'error':
          this.streamError ??= { error: part.error };
          break;
        case 'finish':
          readUsage(part.usage, this.observed);
          this.observed.finishReason = readFinishReason(part.finishReason);
          this.complete();
          break;
      }
    });
  }

  /** The stream closed, or the generate call returned (`result`). */
  complete(result?: unknown): void {
    if (this.done) return;
    if (this.streamError) {
      this.failure(this.streamError.error);
      return;
    }
    this.done = true;
    this.detach?.();
    guard('end', () => {
      const o = result === undefined ? this.observed : readGenerateResult(result);
      this.req.end({ ...usageInfo(o), finishReason: o.finishReason });
    });
  }

  failure(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    guard('fail', () => {
      const type = this.signal?.aborted ? 'aborted' : aiSdkErrorType(error, (e) => this.llm.errorType(e));
      if (type === 'aborted')
        this.req.abort(this.signal?.aborted ? this.signal.reason : error, usageInfo(this.observed));
      else this.req.fail(error, { ...usageInfo(this.observed), errorType: type });
    });
  }

  /** The caller's AbortSignal fired, or the consumer cancelled the stream. */
  aborted(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    guard('abort', () => this.req.abort(reason, usageInfo(this.observed)));
  }
}

/**
 * A ReadableStream that pulls from `source` and reports each part, the end,
 * an error and a cancellation to `m`. Parts are passed through untouched.
 */
function observeStream<T>(source: ReadableStream<T>, m: Measurement): ReadableStream<T> {
  const reader = source.getReader();
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch (error) {
          m.failure(error);
          controller.error(error);
          return;
        }
        if (r.done) {
          m.complete();
          controller.close();
          return;
        }
        m.part(r.value);
        controller.enqueue(r.value);
      },
      async cancel(reason) {
        m.aborted(reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A Vercel AI SDK language-model middleware that records the GenAI client
 * metrics for every `doGenerate` / `doStream` call through `@tokenmeter/llm`:
 *
 * ```ts
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tokenmeterMiddleware() });
 * ```
 */
export function tokenmeterMiddleware(options: TokenmeterMiddlewareOptions = {}): TokenmeterMiddleware {
  const llm =
    options.llm ?? createLlmMetrics(options.meterProvider ? { meterProvider: options.meterProvider } : {});

  function start(model: Model, params: Params, stream: boolean, startTime: number): Measurement | undefined {
    let m: Measurement | undefined;
    guard('start', () => {
      const id = typeof model?.provider === 'string' ? model.provider : '';
      const p = options.providerName;
      const provider = typeof p === 'function' ? p(id) : (p ?? providerFromId(id));
      const req = llm.startRequest({
        operation: operationFromId(id),
        provider,
        requestModel: typeof model?.modelId === 'string' ? model.modelId : undefined,
        serverAddress: options.serverAddress,
        serverPort: options.serverPort,
        stream,
        startTime,
      });
      const signal =
        isObj(params) && params.abortSignal instanceof AbortSignal ? params.abortSignal : undefined;
      m = new Measurement(llm, req, signal);
    });
    return m;
  }

  return {
    specificationVersion: 'v4',
    async wrapGenerate({ doGenerate, params, model }): Promise<GenerateResult> {
      const m = start(model, params, false, performance.now());
      let result: GenerateResult;
      try {
        result = await doGenerate();
      } catch (error) {
        m?.failure(error);
        throw error;
      }
      m?.complete(result);
      return result;
    },
    async wrapStream({ doStream, params, model }): Promise<StreamResult> {
      const m = start(model, params, true, performance.now());
      let result: StreamResult;
      try {
        result = await doStream();
      } catch (error) {
        m?.failure(error);
        throw error;
      }
      if (!m) return result;
      try {
        return { ...result, stream: observeStream(result.stream, m) };
      } catch (error) {
        report('wrapStream', error);
        return result;
      }
    },
  };
}
