import type { LlmMetrics } from '@tokenmeter/llm';
import {
  type CallStarter,
  type ClientIntegrationOptions,
  isObject,
  metricsOf,
  nonEmptyString,
  PatchRegistry,
  telemetryGuard,
  type UnknownRecord,
  wrapCall,
} from '@tokenmeter/llm/integration';
import { AnthropicCall } from './call.js';
import { type Endpoint, endpointFromBaseURL } from './endpoint.js';

type AnyFn = (...args: never[]) => unknown;

/** `llm`, `meterProvider`, `serverAddress` and `serverPort` as for every integration. */
export interface InstrumentAnthropicOptions extends ClientIntegrationOptions {
  /**
   * `gen_ai.provider.name`.
   * @default from the base URL: `gcp.vertex_ai` for `*aiplatform.googleapis.com`
   * (`AnthropicVertex`), `aws.bedrock` for `bedrock-runtime.*.amazonaws.com`
   * (`AnthropicBedrock`), `anthropic` for any other host
   */
  providerName?: string;
}

const telemetry = telemetryGuard('@tokenmeter/anthropic');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/anthropic.instrumentation'));

interface Ctx {
  readonly client: UnknownRecord;
  readonly options: InstrumentAnthropicOptions;
  readonly llm: LlmMetrics;
  endpointCache?: { baseURL: unknown; endpoint: Endpoint };
}

function endpointOf(ctx: Ctx): Endpoint {
  const baseURL = ctx.client.baseURL;
  const cached = ctx.endpointCache;
  if (cached && cached.baseURL === baseURL) return cached.endpoint;
  const endpoint = endpointFromBaseURL(baseURL);
  ctx.endpointCache = { baseURL, endpoint };
  return endpoint;
}

function starter(ctx: Ctx): CallStarter {
  return (_self, args, startTime) => {
    const body = args[0];
    const stream = isObject(body) && body.stream === true;
    const endpoint = endpointOf(ctx);
    const req = ctx.llm.startRequest({
      operation: 'chat',
      provider: ctx.options.providerName ?? endpoint.providerName,
      requestModel: isObject(body) ? nonEmptyString(body.model) : undefined,
      serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
      serverPort: ctx.options.serverPort ?? endpoint.serverPort,
      stream,
      startTime,
    });
    return new AnthropicCall(req, telemetry, stream);
  };
}

/**
 * Instruments an `@anthropic-ai/sdk` client instance (`new Anthropic(...)`)
 * in place and returns it: `messages.create` and `beta.messages.create`
 * record the GenAI client metrics through `@tokenmeter/llm` — and with them
 * `messages.stream()`, `messages.parse()` and the beta helpers, which call
 * `create`. Return values keep their exact type. Calling it twice on the same
 * client is a no-op. `client.withOptions()` returns a new, uninstrumented client.
 */
export function instrumentAnthropic<C extends object>(
  client: C,
  options: InstrumentAnthropicOptions = {},
): C {
  const c = client as unknown as UnknownRecord;
  if (!isObject(c) || patches.isPatched(c)) return client;
  let llm: LlmMetrics;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('instrumentAnthropic', error);
    return client;
  }
  const ctx: Ctx = { client: c, options, llm };
  patches.patch(
    c,
    (p) => {
      const create = (original: AnyFn) => wrapCall(original, starter(ctx), telemetry);
      p.method(c.messages, 'create', create);
      p.method((c.beta as UnknownRecord | undefined)?.messages, 'create', create);
    },
    telemetry,
  );
  return client;
}

/** Removes what `instrumentAnthropic` added to `client`. Calls already in flight still finish recording. */
export function uninstrumentAnthropic<C extends object>(client: C): C {
  patches.unpatch(client);
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return patches.isPatched(client);
}
