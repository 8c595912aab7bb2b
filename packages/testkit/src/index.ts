export {
  createTestMeterProvider,
  type HistogramPoint,
  matches,
  type NumberPoint,
  type TestMeterProvider,
  TestMetricReader,
} from './meter.js';
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
} from './script.js';
export type { RunningSimulator, ServerOptions } from './server.js';
export { outsideTolerance, TIMING } from './timing.js';
