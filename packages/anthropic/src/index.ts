export { type Endpoint, endpointFromBaseURL, providerForHost } from './endpoint.js';
export { ANTHROPIC_ERROR_TYPES, anthropicErrorType, SDK_ERROR_CLASSES } from './error-type.js';
export {
  type InstrumentAnthropicOptions,
  instrumentAnthropic,
  isInstrumented,
  uninstrumentAnthropic,
} from './instrument.js';
