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
  MISSING,
  REASONING,
  REQUESTS,
  TOKENS,
  TPOC,
  TTFC,
} from './names.js';
export { type OllamaSimulator, type OllamaSimulatorOptions, startOllamaSimulator } from './ollama-sim.js';
export { type OpenAiSimulator, type OpenAiSimulatorOptions, startOpenAiSimulator } from './openai-sim.js';
export {
  chunkText,
  embed,
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
export { assertGap, assertWithin, outsideTolerance, TIMING } from './timing.js';
