/**
 * The measurement as AWS SDK v3 middleware: a plugin of two middlewares on a
 * Bedrock runtime client's (or one command's) middleware stack.
 *
 * - `initialize` step (first of all): takes `performance.now()` when
 *   `client.send()` runs the command, waits for the output and observes it
 *   (a ConverseStream's `stream` as the caller reads it). Runs once per
 *   `send()`, around the retries, so the duration is what the caller waited.
 * - `build` step: starts the measurement, with that start time, once the
 *   SDK knows where the request goes (`server.address` is the endpoint host:
 *   the region's or a configured `endpoint`). Anything that fails before
 *   (an endpoint that cannot be resolved) is still recorded, without the
 *   server attributes.
 *
 * Only `ConverseCommand` and `ConverseStreamCommand` are measured; every
 * other command passes through untouched.
 */
import type { LlmMetrics } from '@tokenmeter/llm';
import {
  type ClientIntegrationOptions,
  isObject,
  metricsOf,
  nonEmptyString,
  observeResult,
  telemetryGuard,
} from '@tokenmeter/llm/integration';
import { BedrockCall } from './call.js';
import { endpointOfRequest } from './endpoint.js';
import { asSignal, sentSignal } from './sent-signal.js';

/**
 * `providerName` defaults to `aws.bedrock`; `serverAddress` / `serverPort`
 * to the host and port the request goes to (the region's endpoint, or the
 * configured `endpoint`).
 */
export interface BedrockMetricsOptions extends ClientIntegrationOptions {
  /**
   * Records the latency Bedrock measured itself (`metrics.latencyMs`) on
   * `tokenmeter.gen_ai.client.reported.server.duration`, apart from what
   * this process measured. @default true
   */
  serverTimings?: boolean;
}

/** The tag and names of the plugin's middleware on a stack. */
export const MIDDLEWARE_TAG = 'TOKENMETER_METRICS';
export const INITIALIZE_MIDDLEWARE = 'tokenmeterMetricsMiddleware';
export const BUILD_MIDDLEWARE = 'tokenmeterMetricsEndpointMiddleware';

/** The commands measured, and whether each streams. */
const COMMANDS: Readonly<Record<string, boolean>> = { ConverseCommand: false, ConverseStreamCommand: true };

/** Where the SDK keeps what a call was sent with (`send(command, { abortSignal })`). */
const SMITHY_CONTEXT_KEY = '__smithy_context';

const telemetry = telemetryGuard('@tokenmeter/bedrock');
// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

type Next = (args: unknown) => Promise<unknown>;
type Middleware = (next: Next, context: unknown) => (args: unknown) => Promise<unknown>;

/** The parts of a smithy `MiddlewareStack` the plugin uses (any client's or command's stack is one). */
export interface MiddlewareStackLike {
  // biome-ignore lint/suspicious/noExplicitAny: smithy's add() is overloaded per step, each with its own handler types
  add(middleware: any, options: any): void;
  remove(toRemove: string): boolean;
  identify?(): string[];
}

/** A smithy `Pluggable`: `client.middlewareStack.use(plugin)` or `command.middlewareStack.use(plugin)`. */
export interface BedrockMetricsPlugin {
  applyToStack(stack: MiddlewareStackLike): void;
}

/** One `send()` of a measured command, from its start to the measurement's start. */
interface Run {
  readonly startTime: number;
  readonly stream: boolean;
  readonly input: unknown;
  readonly signal: AbortSignal | undefined;
  /** The measurement, once started. */
  call: BedrockCall | undefined;
  /** Started (or given up on): never started twice. */
  taken: boolean;
}

/** The call's AbortSignal: from the handler context (recent SDKs), else as `instrumentBedrock()`'s `send` noted it. */
function signalOf(context: unknown): AbortSignal | undefined {
  const smithy = isObject(context) ? context[SMITHY_CONTEXT_KEY] : undefined;
  if (!isObject(smithy)) return undefined;
  return asSignal(smithy.abortSignal) ?? sentSignal(smithy.commandInstance);
}

/** The plugin that measures every Converse and ConverseStream call sent through the stack it is applied to. */
export function bedrockMetricsPlugin(options: BedrockMetricsOptions = {}): BedrockMetricsPlugin {
  let llm: LlmMetrics | undefined;
  try {
    llm = metricsOf(options);
  } catch (error) {
    telemetry.report('bedrockMetricsPlugin', error);
  }
  const provider = options.providerName ?? 'aws.bedrock';
  const serverTimings = options.serverTimings !== false;
  /**
   * Runs waiting for their `build` step, by command input (the same object
   * in both steps). A list: one command sent twice at once has one input.
   */
  const pending = new WeakMap<object, Run[]>();

  function start(run: Run, request: unknown): BedrockCall | undefined {
    run.taken = true;
    if (!llm) return undefined;
    try {
      const endpoint = endpointOfRequest(request);
      const req = llm.startRequest({
        operation: 'chat',
        provider,
        requestModel: isObject(run.input) ? nonEmptyString(run.input.modelId) : undefined,
        serverAddress: options.serverAddress ?? endpoint.serverAddress,
        serverPort: options.serverPort ?? endpoint.serverPort,
        stream: run.stream,
        startTime: run.startTime,
      });
      run.call = new BedrockCall(req, telemetry, run.stream, serverTimings, run.signal);
    } catch (error) {
      telemetry.report('start', error);
    }
    return run.call;
  }

  function enqueue(run: Run): void {
    if (!isObject(run.input)) return;
    const list = pending.get(run.input);
    if (list) list.push(run);
    else pending.set(run.input, [run]);
  }

  function dequeue(run: Run): void {
    if (!isObject(run.input)) return;
    const list = pending.get(run.input);
    if (!list) return;
    const i = list.indexOf(run);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) pending.delete(run.input);
  }

  const initialize: Middleware = (next, context) => async (args) => {
    let run: Run | undefined;
    try {
      const command = isObject(context) ? context.commandName : undefined;
      const stream = typeof command === 'string' ? COMMANDS[command] : undefined;
      if (stream !== undefined) {
        const input = isObject(args) ? args.input : undefined;
        run = {
          startTime: clock.now(),
          stream,
          input,
          signal: signalOf(context),
          call: undefined,
          taken: false,
        };
        if (isObject(input)) enqueue(run);
        else start(run, undefined);
      }
    } catch (error) {
      telemetry.report('initialize', error);
    }
    if (!run) return next(args);
    let result: unknown;
    try {
      result = await next(args);
    } catch (error) {
      telemetry.guard('fail', () => {
        dequeue(run);
        (run.call ?? (run.taken ? undefined : start(run, undefined)))?.fail(error);
      });
      throw error;
    }
    let call: BedrockCall | undefined;
    try {
      dequeue(run);
      call = run.call ?? (run.taken ? undefined : start(run, undefined));
    } catch (error) {
      telemetry.report('output', error);
    }
    if (!call || !isObject(result)) return result;
    const output = observeResult(call, result.output);
    return output === result.output ? result : { ...result, output };
  };

  const build: Middleware = (next) => (args) => {
    try {
      const input = isObject(args) ? args.input : undefined;
      const run = isObject(input) ? pending.get(input)?.find((r) => !r.taken) : undefined;
      if (run) start(run, isObject(args) ? args.request : undefined);
    } catch (error) {
      telemetry.report('build', error);
    }
    return next(args);
  };

  return {
    applyToStack(stack) {
      stack.add(initialize, {
        step: 'initialize',
        priority: 'high',
        name: INITIALIZE_MIDDLEWARE,
        tags: [MIDDLEWARE_TAG],
        override: true,
      });
      stack.add(build, {
        step: 'build',
        priority: 'high',
        name: BUILD_MIDDLEWARE,
        tags: [MIDDLEWARE_TAG],
        override: true,
      });
    },
  };
}
