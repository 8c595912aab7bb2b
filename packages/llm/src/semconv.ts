/**
 * Names copied from the OpenTelemetry semantic conventions (GenAI and MCP as of
 * core v1.41.1, and the GenAI repository's main at the commit pinned below),
 * plus the names of our own `tokenmeter.*` namespace. Copied rather than
 * imported because `@opentelemetry/semantic-conventions/incubating` may break
 * in minor versions (its README recommends copying), 1.45.0 marks every
 * `METRIC_GEN_AI_*` constant deprecated (GenAI moved out of core in v1.42.0),
 * and this package may depend on `@opentelemetry/api` only.
 */

/**
 * The two sources of the GenAI names. The default shape is GenAI as of core
 * v1.41.1, the last core release that defined `gen_ai.*` (v1.42.0 moved them
 * to open-telemetry/semantic-conventions-genai and deprecated them in core).
 * `latest_experimental` follows the GenAI repository, which has no release:
 * its main as read at the pinned commit.
 */
export const SEMCONV_SOURCES = Object.freeze({
  default: 'GenAI semconv as of core v1.41.1',
  coreRelease: 'v1.41.1',
  genaiRepository: 'open-telemetry/semantic-conventions-genai',
  genaiCommit: '066d4a7f356f8600de6f10c42874626ab88692fb',
  genaiCommitNote:
    'the commit of GenAI PR #536 (token usage recorded on every inference call, failed ones too); its date could not be read here, but it answers issue #530 of 2026-09-22, so it is later',
  genaiReadOn: '2026-12-04',
});

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
/** Agent and tool metrics (latest_experimental). */
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_WORKFLOW_NAME = 'gen_ai.workflow.name';
/** OpenAI refinement of the client metrics (v1.41.1 openai.md and the GenAI repository). */
export const ATTR_OPENAI_RESPONSE_SERVICE_TIER = 'openai.response.service_tier';
/** MCP metric attributes (core v1.41.1 model/mcp, unchanged in name in the GenAI repository). */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
export const ATTR_NETWORK_TRANSPORT = 'network.transport';
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';

export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';

/**
 * The one value that stands for "anything else": the spec's `error.type`
 * fallback, what a required attribute nobody gave is recorded as (operation,
 * provider, tool name, MCP method), and what a value beyond a guard's bound
 * (distinct cap, allow-list, a throwing normaliser) is folded into.
 */
export const OTHER_VALUE = '_OTHER';
/**
 * @deprecated The same constant as `OTHER_VALUE` (kept for 0.1 importers); use `OTHER_VALUE`.
 */
export const ERROR_TYPE_OTHER: typeof OTHER_VALUE = OTHER_VALUE;

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
/** Which disjoint part of a request's token usage a cost is for (see COST_TOKEN_TYPES). */
export const ATTR_TM_COST_TOKEN_TYPE = 'tokenmeter.cost.token_type';
/** The service tier a cost was priced at: the one the provider reported, else the table's default tier. */
export const ATTR_TM_SERVICE_TIER = 'tokenmeter.service_tier';
/** Why a request's usage could not be priced (see UNPRICED_REASONS). */
export const ATTR_TM_COST_UNPRICED_REASON = 'tokenmeter.cost.unpriced_reason';

/**
 * Cost token types: a partition of the reported usage, so their costs add up
 * to the request's cost. `input` is input minus cache reads and cache writes;
 * `output` is output minus reasoning.
 */
export const COST_TOKEN_TYPES = ['input', 'cache_read', 'cache_write', 'output', 'reasoning'] as const;
export type CostTokenType = (typeof COST_TOKEN_TYPES)[number];

/**
 * `model`: no price for this provider and model; `tier`: no price for the
 * reported service tier; `token_type`: tokens of a type the price has no rate
 * for; `modality`: audio, which providers price apart and the table does not;
 * `usage`: the reported counts contradict each other (a subset larger than its total).
 */
export const UNPRICED_REASONS = ['model', 'tier', 'token_type', 'modality', 'usage'] as const;
export type UnpricedReason = (typeof UNPRICED_REASONS)[number];

export const CIRCUIT_BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitBreakerState = (typeof CIRCUIT_BREAKER_STATES)[number];

/** The instrumentation scope name every instrument of this package is created under. */
export const METER_NAME = '@tokenmeter/llm';
