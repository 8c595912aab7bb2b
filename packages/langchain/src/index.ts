/**
 * @tokenmeter/langchain — OpenTelemetry GenAI metrics for LangChain.js runs,
 * as a callback handler.
 */

export { classifyRunError } from './error-type.js';
export { TokenmeterCallbackHandler, type TokenmeterCallbackHandlerOptions } from './handler.js';
export { providerOf } from './provider.js';
export { chainName, chainOperation } from './run-kind.js';
