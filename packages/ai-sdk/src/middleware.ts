import type { MeterProvider } from '@opentelemetry/api';
import type { LlmMetrics } from '@tokenmeter/llm';
import { isObject, metricsOf, runCall, telemetryGuard } from '@tokenmeter/llm/integration';
import type { LanguageModelMiddleware } from 'ai';
import { currentRun } from './agent-run.js';
import { AiSdkCall } from './call.js';
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

const telemetry = telemetryGuard('@tokenmeter/ai-sdk');
// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

/**
 * A Vercel AI SDK language-model middleware that records the GenAI client
 * metrics for every `doGenerate` / `doStream` call through `@tokenmeter/llm`:
 *
 * ```ts
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tokenmeterMiddleware() });
 * ```
 */
export function tokenmeterMiddleware(options: TokenmeterMiddlewareOptions = {}): TokenmeterMiddleware {
  const llm = metricsOf(options);

  function start(model: Model, params: Params, stream: boolean, startTime: number): AiSdkCall | undefined {
    try {
      const id = typeof model?.provider === 'string' ? model.provider : '';
      const p = options.providerName;
      const provider = typeof p === 'function' ? p(id) : (p ?? providerFromId(id));
      const requestModel = typeof model?.modelId === 'string' ? model.modelId : undefined;
      // One of the calls of the agent run (trackAgent()) this call is part of, if any.
      currentRun()?.modelCall(provider, requestModel);
      const req = llm.startRequest({
        operation: operationFromId(id),
        provider,
        requestModel,
        serverAddress: options.serverAddress,
        serverPort: options.serverPort,
        stream,
        startTime,
      });
      const call = new AiSdkCall(req, telemetry, stream);
      // The caller's AbortSignal ends the call when it fires, even mid-stream.
      call.watch(
        isObject(params) && params.abortSignal instanceof AbortSignal ? params.abortSignal : undefined,
      );
      return call;
    } catch (error) {
      telemetry.report('start', error);
      return undefined;
    }
  }

  return {
    specificationVersion: 'v4',
    async wrapGenerate({ doGenerate, params, model }): Promise<GenerateResult> {
      return runCall(start(model, params, false, clock.now()), doGenerate);
    },
    async wrapStream({ doStream, params, model }): Promise<StreamResult> {
      return runCall(start(model, params, true, clock.now()), doStream);
    },
  };
}
