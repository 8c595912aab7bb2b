/**
 * @tokenmeter/langchain — OpenTelemetry GenAI metrics for LangChain.js runs,
 * as a callback handler.
 */

export { TokenmeterCallbackHandler, type TokenmeterCallbackHandlerOptions } from './handler.js';
export { providerOf } from './provider.js';
export { chainOperation } from './run-kind.js';
