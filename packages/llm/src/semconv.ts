/**
 * Names copied from the OpenTelemetry semantic conventions (GenAI v1.41.1 and
 * the unreleased next GenAI shape), plus the names of our own `tokenmeter.*`
 * namespace. Copied rather than imported because
 * `@opentelemetry/semantic-conventions/incubating` may break in minor versions
 * (its README recommends copying) and this package may depend on
 * `@opentelemetry/api` only.
 */

// --- spec attributes ---------------------------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
/** Next shape only. */
export const ATTR_GEN_AI_TOKEN_MODALITY = 'gen_ai.token.modality';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';

/** `error.type` fallback value defined by the spec. */
export const ERROR_TYPE_OTHER = '_OTHER';

/** Well-known `gen_ai.operation.name` values (v1.41). */
export const GEN_AI_OPERATION_NAMES = [
  'chat',
  'create_agent',
  'embeddings',
  'execute_tool',
  'generate_content',
  'invoke_agent',
  'invoke_workflow',
  'retrieval',
  'text_completion',
] as const;
export type GenAiOperationName = (typeof GEN_AI_OPERATION_NAMES)[number];

/** Well-known `gen_ai.provider.name` values (v1.41). Custom values (vllm, ollama…) are allowed. */
export const GEN_AI_PROVIDER_NAMES = [
  'anthropic',
  'aws.bedrock',
  'azure.ai.inference',
  'azure.ai.openai',
  'cohere',
  'deepseek',
  'gcp.gemini',
  'gcp.gen_ai',
  'gcp.vertex_ai',
  'groq',
  'ibm.watsonx.ai',
  'mistral_ai',
  'openai',
  'perplexity',
  'x_ai',
] as const;

/** `gen_ai.token.modality` values of the next shape. */
export const GEN_AI_TOKEN_MODALITIES = ['audio', 'image', 'text', 'unknown'] as const;
export type GenAiTokenModality = (typeof GEN_AI_TOKEN_MODALITIES)[number];

/**
 * Operations that count as "inference" in the next shape, i.e. whose duration
 * and chunk metrics move to `gen_ai.client.inference.*`.
 */
export const INFERENCE_OPERATIONS: ReadonlySet<string> = new Set([
  'chat',
  'text_completion',
  'generate_content',
]);

// --- our attributes (tokenmeter.*) ------------------------------------------
export const ATTR_TM_FINISH_REASON = 'tokenmeter.finish_reason';
export const ATTR_TM_WORKER_ID = 'tokenmeter.worker.id';
export const ATTR_TM_STAGE = 'tokenmeter.stage';
export const ATTR_TM_CACHE_KIND = 'tokenmeter.cache.kind';
export const ATTR_TM_CACHE_RESULT = 'tokenmeter.cache.result';
export const ATTR_TM_QUEUE_NAME = 'tokenmeter.queue.name';
export const ATTR_TM_CIRCUIT_BREAKER_NAME = 'tokenmeter.circuit_breaker.name';
export const ATTR_TM_CIRCUIT_BREAKER_STATE = 'tokenmeter.circuit_breaker.state';
export const ATTR_TM_OPERATION_NAME = 'tokenmeter.operation.name';
export const ATTR_TM_TRAINING_RUN = 'tokenmeter.training.run';
export const ATTR_TM_TRAINING_MODEL = 'tokenmeter.training.model';
export const ATTR_TM_TRAINING_PHASE = 'tokenmeter.training.phase';
export const ATTR_TM_TRAINING_SPLIT = 'tokenmeter.training.split';
export const ATTR_TM_TRAINING_METRIC = 'tokenmeter.training.metric.name';

export const CIRCUIT_BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitBreakerState = (typeof CIRCUIT_BREAKER_STATES)[number];

/** The instrumentation scope name every instrument of this package is created under. */
export const METER_NAME = '@tokenmeter/llm';
