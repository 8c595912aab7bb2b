/**
 * @tokenmeter/ollama — OpenTelemetry GenAI client metrics for the `ollama`
 * npm client, with Ollama's own server-measured durations kept separate.
 */
export { type Endpoint, endpointFromHost } from './endpoint.js';
export { ERROR_TYPE_INCOMPLETE_STREAM, ERROR_TYPE_STREAM_ERROR, ollamaErrorType } from './error-type.js';
export type { ServerTimings } from './extract.js';
export {
  type InstrumentOllamaOptions,
  instrumentOllama,
  isInstrumented,
  uninstrumentOllama,
} from './instrument.js';
