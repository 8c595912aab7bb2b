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
import { OllamaCall, type OllamaCallOptions } from './call.js';
import { type Endpoint, endpointFromHost } from './endpoint.js';
import type { Operation } from './extract.js';

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

const telemetry = telemetryGuard('@tokenmeter/ollama');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/ollama.instrumentation'));

interface Ctx extends OllamaCallOptions {
  readonly client: UnknownRecord;
  readonly options: InstrumentOllamaOptions;
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

function starter(ctx: Ctx, op: Operation): CallStarter {
  return (_self, args, startTime) => {
    const body = args[0];
    const stream = op !== 'embeddings' && isObject(body) && body.stream === true;
    const endpoint = endpointOf(ctx);
    const provider = ctx.options.providerName ?? 'ollama';
    const requestModel = isObject(body) && typeof body.model === 'string' ? body.model : undefined;
    const req = ctx.llm.startRequest({
      operation: op,
      provider,
      requestModel,
      serverAddress: ctx.options.serverAddress ?? endpoint.serverAddress,
      serverPort: ctx.options.serverPort ?? endpoint.serverPort,
      stream,
      startTime,
    });
    return new OllamaCall(req, telemetry, ctx, op, stream, provider, requestModel);
  };
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
  const c = client as unknown as UnknownRecord;
  if (!isObject(c) || patches.isPatched(c)) return client;
  let ctx: Ctx;
  try {
    const llm = metricsOf(options);
    ctx = { client: c, options, llm, serverTimings: options.serverTimings !== false, worker: options.worker };
  } catch (error) {
    telemetry.report('instrumentOllama', error);
    return client;
  }
  patches.patch(
    c,
    (p) => {
      for (const [name, op] of METHODS) {
        p.method(c, name, (original) => wrapCall(original, starter(ctx, op), telemetry));
      }
    },
    telemetry,
  );
  return client;
}

/** Removes what `instrumentOllama` added. Calls in flight still finish recording. */
export function uninstrumentOllama<C extends object>(client: C): C {
  patches.unpatch(client);
  return client;
}

/** True when `client` is currently instrumented. */
export function isInstrumented(client: object): boolean {
  return patches.isPatched(client);
}
