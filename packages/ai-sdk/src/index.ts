/**
 * @tokenmeter/ai-sdk — OpenTelemetry GenAI client metrics for the Vercel AI
 * SDK, as a language-model middleware for `wrapLanguageModel()`.
 */
export { type TrackAgentOptions, trackAgent } from './agent-run.js';
export { aiSdkErrorType } from './error-type.js';
export {
  type TokenmeterMiddleware,
  type TokenmeterMiddlewareOptions,
  tokenmeterMiddleware,
} from './middleware.js';
export { MAX_PROVIDER_LENGTH, operationFromId, providerFromId } from './provider.js';
export { type InstrumentToolsOptions, instrumentTools } from './tools.js';
