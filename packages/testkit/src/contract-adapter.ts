/**
 * What an integration tells the contract suite: how to make its client
 * against a simulator, how to make the calls every LLM SDK has, and what its
 * provider reports. Everything else — the scenarios and the assertions — is
 * the same for every integration.
 */
import type { MeterProvider } from '@opentelemetry/api';

/** Where the client under test talks to: one of the testkit simulators. */
export interface ContractTarget {
  /** `http://127.0.0.1:<port>` (an Ollama client's host). */
  readonly url: string;
  /**
   * The simulator's base URL for an SDK: `url + '/v1'` for the OpenAI and
   * Ollama simulators (an OpenAI-style client's), `url` for the Anthropic,
   * Google and Bedrock ones (their SDKs add the path themselves).
   */
  readonly baseURL: string;
  readonly port: number;
}

/** What the client records through. */
export interface ContractTelemetry {
  /** The test's MeterProvider: create the `LlmMetrics` on it. */
  readonly meterProvider: MeterProvider;
  /**
   * When set, record through this stand-in for `LlmMetrics` instead (the
   * robustness scenarios hand in objects whose methods throw).
   */
  readonly llm?: unknown;
}

export interface GenerateOptions {
  /** Abort the call with this signal (only asked when `expects.abortBeforeResponse`). */
  readonly signal?: AbortSignal;
  /** Give up after this many ms the SDK's way (only asked when `expects.timeout`). */
  readonly timeoutMs?: number;
}

/**
 * The tool a `withTool` stream declares, as a JSON-schema function: the
 * simulator answers `tool=lookup` with a call of it, arguments `{"text":"…"}`.
 */
export const CONTRACT_TOOL = {
  name: 'lookup',
  description: 'Looks a text up.',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
} as const;

export interface StreamOptions {
  /** Stop after this many output chunks. @default read to the end */
  readonly stopAfter?: number;
  /**
   * How to stop: `break` out of the loop, or `abort` the SDK's way (the
   * stream's `controller.abort()`, its `abort()`, the call's AbortSignal) and
   * read on until the SDK ends or throws. @default 'break'
   */
  readonly stopWith?: 'break' | 'abort';
  /** Declare a tool the model may call (the simulator answers with a tool call when scripted `tool=…`). */
  readonly withTool?: boolean;
}

export interface StreamOutcome {
  /** The text of each output chunk the consumer received, in order (a tool call's argument fragments for a tool call). */
  readonly texts: string[];
  /** What the consumer saw thrown, or what the SDK reported through its error callback. */
  readonly error?: unknown;
}

/** What the integration records against the simulator. */
export interface ContractExpectations {
  /** `gen_ai.provider.name`. */
  readonly provider: string;
  /** `gen_ai.operation.name` of a chat call. @default 'chat' */
  readonly operation?: string;
  /**
   * The finish reasons recorded for a reply scripted to stop (`finish=stop`,
   * the default) and one cut by the token limit (`finish=length`): what the
   * provider calls them. @default { stop: 'stop', length: 'length' }
   */
  readonly finishReasons?: { readonly stop: string; readonly length: string };
  /**
   * `error.type` of an HTTP error answered with `status` (429, 500): what the
   * integration names it (Bedrock: the AWS exception, `ThrottlingException`).
   * @default the status as a string
   */
  readonly httpErrorType?: (status: number) => string;
  /**
   * Whether a non-streamed call's result names the model that answered
   * (`responseModel=m-1`); false where the SDK drops the field that does
   * (Bedrock's `trace.promptRouter`, unknown to its oldest SDK). @default true
   */
  readonly responseModelInResult?: boolean;
  /** Usage details the provider reports and the integration records (never estimated otherwise). */
  readonly usage: {
    /** Cached input tokens (`cached=N` in the simulator). */
    readonly cacheRead: boolean;
    /** Input tokens written to the cache (`cachewrite=N`, simulators of providers that report it). */
    readonly cacheWrite: boolean;
    /** Reasoning output tokens (`reasoning=N`). */
    readonly reasoning: boolean;
    /**
     * Whether the provider reports the input tokens when a stream starts
     * (Anthropic's `message_start`), so that a stream stopped early still
     * records them; output tokens come only at the end either way. @default false
     */
    readonly inputAtStart?: boolean;
  };
  /** `error.type` of a connection cut mid-stream. */
  readonly cutErrorType: string;
  /**
   * Whether the consumer sees a connection cut mid-stream as an error; false
   * where the SDK ends the stream quietly instead (the AWS SDK over HTTP/2),
   * which the integration must still record as a failure. @default true
   */
  readonly cutThrown?: boolean;
  /** `error.type` of a refused connection. */
  readonly refusedErrorType: string;
  /**
   * Whether a `break` out of the stream stops the call (recorded as aborted),
   * or the framework reads the model's stream to its end anyway (recorded as
   * completed, e.g. the AI SDK's `streamText`), or — `'unreported'` — the
   * framework tells the integration nothing after a break (LangChain's
   * callbacks), so the chunks before it are all that is recorded.
   */
  readonly breakStops: boolean | 'unreported';
  /** Whether a non-streamed call takes an AbortSignal (`generate(…, { signal })`). */
  readonly abortBeforeResponse: boolean;
  /** Whether a call can time out the SDK's way (`generate(…, { timeoutMs })`), recorded as `timeout`. */
  readonly timeout: boolean;
  /**
   * A streamed tool call (`stream(…, { withTool: true })` against a model
   * scripted `tool=lookup&chunks=N`): how many output chunks it makes of the
   * simulator's N argument fragments, and the finish reason recorded.
   */
  readonly toolCall?: {
    readonly chunks: (fragments: number) => number;
    readonly finishReason: string;
  };
}

/** For integrations that patch a client instance in place. */
export interface PatchingAdapter<Client> {
  /** A new, uninstrumented client against `target`. */
  plain(target: ContractTarget): Client;
  /** Instruments `client` in place and returns it. */
  instrument(client: Client, telemetry: ContractTelemetry): Client;
  uninstrument(client: Client): Client;
  isInstrumented(client: Client): boolean;
}

export interface IntegrationAdapter<Client> {
  /** The suite's title, e.g. `openai 7`. */
  readonly name: string;
  /** Which testkit simulator the client talks to. */
  readonly simulator: 'openai' | 'ollama' | 'anthropic' | 'google' | 'bedrock';
  /**
   * How this SDK is handed a scripted model name (`m?ttft=60&gap=10`), which is
   * also the `gen_ai.request.model` it records: `semicolonModelName` for SDKs
   * that refuse `?` and `&` in a model name (@google/genai). @default as written
   */
  modelName?(scripted: string): string;
  /** An instrumented client against `target`, recording through `telemetry`. */
  client(target: ContractTarget, telemetry: ContractTelemetry): Client;
  /** One non-streamed chat call; resolves with the reply text, rejects as the SDK does. */
  generate(client: Client, model: string, options?: GenerateOptions): Promise<string>;
  /**
   * One streamed chat call read to its end, or stopped as `options` say.
   * Never rejects: an error the consumer saw is returned in `error`. Asks
   * the server for usage where the API needs asking (OpenAI's `include_usage`).
   */
  stream(client: Client, model: string, options?: StreamOptions): Promise<StreamOutcome>;
  readonly expects: ContractExpectations;
  /** Present for integrations that patch a client in place. */
  readonly patching?: PatchingAdapter<Client>;
}
