import type { MeterProvider } from '@opentelemetry/api';
import type { LlmMetrics } from '@tokenmeter/llm';
import {
  type CallStarter,
  isObject,
  metricsOf,
  PatchRegistry,
  telemetryGuard,
  type UnknownRecord,
  wrapCall,
} from '@tokenmeter/llm/integration';
import { OpenAiCall } from './call.js';
import { type Endpoint, endpointFromBaseURL } from './endpoint.js';
import type { Operation } from './extract.js';

type AnyFn = (...args: never[]) => unknown;

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

const telemetry = telemetryGuard('@tokenmeter/openai');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/openai.instrumentation'));

interface Ctx {
  readonly client: UnknownRecord;
  readonly options: InstrumentOpenAIOptions;
  readonly llm: LlmMetrics;
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

function withIncludeUsage(body: UnknownRecord): UnknownRecord {
  const so = body.stream_options;
  if (isObject(so) && 'include_usage' in so) return body;
  return { ...body, stream_options: { ...(isObject(so) ? so : {}), include_usage: true } };
}

function starter(ctx: Ctx, op: Operation): CallStarter {
  return (_self, args, startTime) => {
    const body = args[0];
    const stream = isObject(body) && body.stream === true;
    if (stream && ctx.options.includeUsage && (op === 'chat' || op === 'text_completion')) {
      args[0] = withIncludeUsage(body);
    }
    const endpoint = endpointOf(ctx);
    const req = ctx.llm.startRequest({
      operation: op === 'responses' ? 'chat' : op,
      provider: ctx.options.providerName ?? endpoint.providerName,
      requestModel: isObject(body) && typeof body.model === 'string' ? body.model : undefined,
      serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
      serverPort: ctx.options.serverPort ?? endpoint.serverPort,
      stream,
      startTime,
    });
    return new OpenAiCall(req, telemetry, op, stream);
  };
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
  const c = client as unknown as UnknownRecord;
  if (!isObject(c) || patches.isPatched(c)) return client;
  let llm: LlmMetrics;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('instrumentOpenAI', error);
    return client;
  }
  const ctx: Ctx = { client: c, options, llm };
  patches.patch(
    c,
    (p) => {
      const create = (op: Operation) => (original: AnyFn) => wrapCall(original, starter(ctx, op), telemetry);
      p.method((c.chat as UnknownRecord | undefined)?.completions, 'create', create('chat'));
      p.method(c.responses, 'create', create('responses'));
      p.method(c.embeddings, 'create', create('embeddings'));
      p.method(c.completions, 'create', create('text_completion'));
    },
    telemetry,
  );
  return client;
}

/** Removes what `instrumentOpenAI` added to `client`. Calls already in flight still finish recording. */
export function uninstrumentOpenAI<C extends object>(client: C): C {
  patches.unpatch(client);
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return patches.isPatched(client);
}
