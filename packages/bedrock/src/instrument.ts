/**
 * Instrumenting a Bedrock runtime client in place: the plugin's middleware
 * added to its middleware stack, and taken off again.
 */
import { isObject, PatchRegistry, telemetryGuard } from '@tokenmeter/llm/integration';
import {
  type BedrockMetricsOptions,
  BUILD_MIDDLEWARE,
  bedrockMetricsPlugin,
  INITIALIZE_MIDDLEWARE,
  type MiddlewareStackLike,
} from './plugin.js';
import { noteSentSignal } from './sent-signal.js';

const telemetry = telemetryGuard('@tokenmeter/bedrock');
const patches = new PatchRegistry(Symbol.for('@tokenmeter/bedrock.instrumentation'));

type Send = (...args: never[]) => unknown;

/** `send`, noting the AbortSignal each command goes with (older SDKs show it to no middleware). */
function noteSignals(original: Send): Send {
  return function send(this: unknown, ...args: unknown[]) {
    try {
      noteSentSignal(args[0], args[1]);
    } catch (error) {
      telemetry.report('send', error);
    }
    return (original as unknown as (...a: unknown[]) => unknown).apply(this, args);
  } as unknown as Send;
}

function stackOf(client: unknown): MiddlewareStackLike | undefined {
  const stack = isObject(client) ? client.middlewareStack : undefined;
  return isObject(stack) && typeof stack.add === 'function' && typeof stack.remove === 'function'
    ? (stack as unknown as MiddlewareStackLike)
    : undefined;
}

/** True when `client`'s middleware stack has the plugin's middleware. */
export function isInstrumented(client: object): boolean {
  if (patches.isPatched(client)) return true;
  const stack = stackOf(client);
  if (!stack || typeof stack.identify !== 'function') return false;
  try {
    return stack.identify().some((entry) => entry.startsWith(`${INITIALIZE_MIDDLEWARE} `));
  } catch (error) {
    telemetry.report('isInstrumented', error);
    return false;
  }
}

/**
 * Instruments a `BedrockRuntimeClient` in place and returns it: every
 * `client.send(new ConverseCommand(…))` and `ConverseStreamCommand` records
 * the GenAI client metrics through `@tokenmeter/llm`. Outputs keep their
 * shape (a ConverseStream output's `stream` is observed, same events).
 * Adds `bedrockMetricsPlugin(options)` to the client's middleware stack and
 * wraps its `send` (an own property of this instance) to see each call's
 * AbortSignal. Calling it twice on the same client is a no-op.
 */
export function instrumentBedrock<C extends object>(client: C, options: BedrockMetricsOptions = {}): C {
  const stack = stackOf(client);
  if (!stack || isInstrumented(client)) return client;
  telemetry.guard('instrumentBedrock', () => bedrockMetricsPlugin(options).applyToStack(stack));
  patches.patch(client, (p) => p.method(client, 'send', noteSignals), telemetry);
  return client;
}

/** Takes the plugin's middleware off `client`'s stack. Calls already in flight still finish recording. */
export function uninstrumentBedrock<C extends object>(client: C): C {
  const stack = stackOf(client);
  if (!stack) return client;
  telemetry.guard('uninstrumentBedrock', () => {
    stack.remove(INITIALIZE_MIDDLEWARE);
    stack.remove(BUILD_MIDDLEWARE);
  });
  patches.unpatch(client);
  return client;
}
