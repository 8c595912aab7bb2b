export { baseUrlOf, PROVIDER_GEMINI, PROVIDER_VERTEX_AI, providerOf } from './endpoint.js';
export { googleGenAIErrorType } from './error-type.js';
export {
  type InstrumentGoogleGenAIOptions,
  instrumentGoogleGenAI,
  isInstrumented,
  uninstrumentGoogleGenAI,
} from './instrument.js';
