import type { LlmMetrics } from '@tokenmeter/llm';
import {
  type CallStarter,
  type ClientIntegrationOptions,
  isObject,
  metricsOf,
  nonEmptyString,
  PatchRegistry,
  type ServerEndpoint,
  serverEndpointOf,
  telemetryGuard,
  type UnknownRecord,
  wrapCall,
} from '@tokenmeter/llm/integration';
import { GoogleGenAICall } from './call.js';
import { baseUrlOf, providerOf } from './endpoint.js';

type AnyFn = (...args: never[]) => unknown;

/**
 * `llm`, `meterProvider`, `serverAddress` and `serverPort` as for every
 * integration; the server is the host of the request's `httpOptions.baseUrl`,
 * else the client's.
 */
export interface InstrumentGoogleGenAIOptions extends ClientIntegrationOptions {
  /**
   * `gen_ai.provider.name`.
   * @default `gcp.vertex_ai` for a client in Vertex AI mode (`vertexai: true`), else `gcp.gemini`
   */
  providerName?: string;
}

const telemetry = telemetryGuard('@tokenmeter/google-genai');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/google-genai.instrumentation'));

interface Ctx {
  readonly client: UnknownRecord;
  readonly options: InstrumentGoogleGenAIOptions;
  readonly llm: LlmMetrics;
  readonly provider: string;
  endpointCache?: { baseUrl: unknown; endpoint: ServerEndpoint };
}

/** The endpoint of one request: its own `config.httpOptions.baseUrl`, else the client's. */
function endpointOf(ctx: Ctx, requestBaseUrl: unknown): ServerEndpoint {
  const baseUrl = requestBaseUrl ?? baseUrlOf(ctx.client);
  const cached = ctx.endpointCache;
  if (cached && cached.baseUrl === baseUrl) return cached.endpoint;
  const endpoint = serverEndpointOf(baseUrl);
  ctx.endpointCache = { baseUrl, endpoint };
  return endpoint;
}

function starter(ctx: Ctx, stream: boolean): CallStarter {
  return (_self, args, startTime) => {
    const params = args[0];
    const config = isObject(params) ? params.config : undefined;
    const httpOptions = isObject(config) ? config.httpOptions : undefined;
    const signal =
      isObject(config) && config.abortSignal instanceof AbortSignal ? config.abortSignal : undefined;
    const endpoint = endpointOf(ctx, isObject(httpOptions) ? httpOptions.baseUrl : undefined);
    const req = ctx.llm.startRequest({
      operation: 'generate_content',
      provider: ctx.options.providerName ?? ctx.provider,
      requestModel: isObject(params) ? nonEmptyString(params.model) : undefined,
      serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
      serverPort: ctx.options.serverPort ?? endpoint.serverPort,
      stream,
      startTime,
    });
    return new GoogleGenAICall(req, telemetry, stream, signal);
  };
}

/**
 * Instruments a `@google/genai` client (`new GoogleGenAI(...)`) in place and
 * returns it: every Gemini request made through `client.models` —
 * `generateContent`, `generateContentStream`, and `client.chats` sessions,
 * which use them — records the GenAI client metrics through
 * `@tokenmeter/llm`, one call per HTTP request (an automatic function-calling
 * loop or an automatic continuation makes several). Return values keep their
 * exact type. Calling it twice on the same client is a no-op.
 */
export function instrumentGoogleGenAI<C extends object>(
  client: C,
  options: InstrumentGoogleGenAIOptions = {},
): C {
  const c = client as unknown as UnknownRecord;
  if (!isObject(c) || patches.isPatched(c)) return client;
  let llm: LlmMetrics;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('instrumentGoogleGenAI', error);
    return client;
  }
  const ctx: Ctx = { client: c, options, llm, provider: providerOf(c) };
  patches.patch(
    c,
    (p) => {
      const request = (stream: boolean) => (original: AnyFn) =>
        wrapCall(original, starter(ctx, stream), telemetry);
      // The requests every public method and chat session goes through, once per HTTP request.
      p.method(c.models, 'generateContentInternal', request(false));
      p.method(c.models, 'generateContentStreamInternal', request(true));
    },
    telemetry,
  );
  return client;
}

/** Removes what `instrumentGoogleGenAI` added to `client`. Calls already in flight still finish recording. */
export function uninstrumentGoogleGenAI<C extends object>(client: C): C {
  patches.unpatch(client);
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return patches.isPatched(client);
}
