/**
 * @tokenmeter/openai-agents — OpenTelemetry GenAI metrics for the OpenAI
 * Agents SDK (`@openai/agents`), as a tracing processor: agent invocations,
 * tool executions and model calls, with each agent's own model and tool
 * call counts.
 */
export {
  type TokenmeterProcessorOptions,
  TokenmeterTracingProcessor,
  tokenmeterProcessor,
} from './processor.js';
export { modelCallInfo, type SpanLike, spanErrorType } from './spans.js';
