export { type Endpoint, endpointFromBaseURL, providerForHost } from './endpoint.js';
export { openAiErrorType, SDK_ERROR_CLASSES } from './error-type.js';
export {
  type InstrumentOpenAIOptions,
  instrumentOpenAI,
  isInstrumented,
  uninstrumentOpenAI,
} from './instrument.js';
export { USAGE_MISSING } from './usage-missing.js';
