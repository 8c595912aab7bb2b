/**
 * @tokenmeter/llm/integration — the measurement core every integration
 * uses: wrap a call (a promise, a stream, an SDK's promise-like kept
 * intact), observe its chunks at the floor cost, finalise it exactly once,
 * patch and unpatch client methods, read usage; and the helpers only
 * integration authors need: a telemetry guard, a client's server
 * attributes, the fallback of an error classifier. Built on llm's public
 * handle API (`startRequest()` → `ClientRequest`) only.
 */
export { type ApiPromiseLike, isApiPromiseLike, observeApiPromise } from './api-promise.js';
export { Call } from './call.js';
export { type ClientIntegrationOptions, metricsOf } from './client-options.js';
export { causeCode } from './error-cause.js';
export { errorTypeOr } from './error-type-or.js';
export { fetchErrorCode } from './fetch-error.js';
export { OPENAI_CHAT_USAGE, OPENAI_RESPONSES_USAGE } from './openai-usage.js';
export { type MethodPatcher, PatchRegistry } from './patch-registry.js';
export { observeReadableStream } from './readable-stream.js';
export { RunRegistry, type RunRegistryOptions } from './run-registry.js';
export { type ServerEndpoint, serverEndpointOf } from './server-endpoint.js';
export { classifyStainlessError } from './stainless-error.js';
export { observeAsyncIterable, observeIterator, observeStreamInPlace } from './stream-observer.js';
export { type TelemetryGuard, telemetryGuard } from './telemetry-guard.js';
export {
  finiteNumber,
  hasContent,
  isAsyncIterable,
  isObject,
  isThenable,
  nonEmptyString,
  type UnknownRecord,
} from './type-guards.js';
export { type FieldPath, readTokenUsage, type UsageFields, valueAt } from './usage.js';
export { type CallStarter, observeResult, runCall, wrapCall } from './wrap-call.js';
