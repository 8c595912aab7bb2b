export {
  type AnthropicSimulator,
  type AnthropicSimulatorOptions,
  startAnthropicSimulator,
} from './anthropic-sim.js';
export { type BedrockSimulator, type BedrockSimulatorOptions, startBedrockSimulator } from './bedrock-sim.js';
export { encodeEventStreamMessage, encodeJsonEvent, encodeJsonException } from './eventstream.js';
export { type GoogleSimulator, type GoogleSimulatorOptions, startGoogleSimulator } from './google-sim.js';
export {
  createTestMeterProvider,
  type HistogramPoint,
  matches,
  type NumberPoint,
  type TestMeterProvider,
  TestMetricReader,
  type TestMetricReaderOptions,
} from './meter.js';
export {
  CACHE_WRITE,
  CACHED,
  DURATION,
  ERRORS,
  EXECUTE_TOOL,
  INFERENCE_CALLS,
  INVOKE_AGENT,
  MCP_CLIENT_OPERATION,
  MCP_CLIENT_SESSION,
  MCP_SERVER_OPERATION,
  MCP_SERVER_SESSION,
  MISSING,
  REASONING,
  REQUESTS,
  TOKENS,
  TOOL_CALLS,
  TPOC,
  TTFC,
} from './names.js';
export { type OllamaSimulator, type OllamaSimulatorOptions, startOllamaSimulator } from './ollama-sim.js';
export { type OpenAiSimulator, type OpenAiSimulatorOptions, startOpenAiSimulator } from './openai-sim.js';
export {
  chunkText,
  embed,
  hasToolResult,
  parseModelName,
  type ResolvedScript,
  resolveScript,
  type ScriptFunction,
  type ScriptOptions,
  type SimRequest,
  type SimScript,
  semicolonModelName,
  toolArguments,
} from './script.js';
export type { RunningSimulator, ServerOptions } from './server.js';
export { SHAPE_MARKER, shapeControl, type WeakShapeDeopts, weakShapeDeopts } from './shape-deopts.js';
export { assertGap, assertWithin, outsideTolerance, TIMING } from './timing.js';
