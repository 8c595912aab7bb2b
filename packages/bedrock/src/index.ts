/**
 * @tokenmeter/bedrock — OpenTelemetry GenAI client metrics for Amazon
 * Bedrock's Converse API (`@aws-sdk/client-bedrock-runtime`), as AWS SDK
 * middleware.
 */
export { endpointOfRequest } from './endpoint.js';
export { bedrockErrorType, ERROR_TYPE_INCOMPLETE_STREAM } from './error-type.js';
export { instrumentBedrock, isInstrumented, uninstrumentBedrock } from './instrument.js';
export {
  type BedrockMetricsOptions,
  type BedrockMetricsPlugin,
  BUILD_MIDDLEWARE,
  bedrockMetricsPlugin,
  INITIALIZE_MIDDLEWARE,
  MIDDLEWARE_TAG,
  type MiddlewareStackLike,
} from './plugin.js';
