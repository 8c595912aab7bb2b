/**
 * The metric names the integration tests assert on, written out as the GenAI
 * conventions (v1.41) and @tokenmeter/llm's README spell them, so a renamed
 * instrument fails the tests instead of silently following the code.
 */
export const DURATION = 'gen_ai.client.operation.duration';
export const TOKENS = 'gen_ai.client.token.usage';
export const TTFC = 'gen_ai.client.operation.time_to_first_chunk';
export const TPOC = 'gen_ai.client.operation.time_per_output_chunk';
export const MISSING = 'tokenmeter.gen_ai.client.usage.missing';
export const CACHED = 'tokenmeter.gen_ai.client.usage.cache_read.input_tokens';
export const REASONING = 'tokenmeter.gen_ai.client.usage.reasoning.output_tokens';
export const CACHE_WRITE = 'tokenmeter.gen_ai.client.usage.cache_write.input_tokens';
export const REQUESTS = 'tokenmeter.gen_ai.client.requests';
export const ERRORS = 'tokenmeter.gen_ai.client.errors';
/** MCP (core v1.41.1, the same names in the GenAI repository). */
export const MCP_CLIENT_OPERATION = 'mcp.client.operation.duration';
export const MCP_SERVER_OPERATION = 'mcp.server.operation.duration';
export const MCP_CLIENT_SESSION = 'mcp.client.session.duration';
export const MCP_SERVER_SESSION = 'mcp.server.session.duration';
/** Agents and tools in the GenAI repository's latest shape (`semconv: 'latest_experimental'`). */
export const INVOKE_AGENT = 'gen_ai.invoke_agent.duration';
export const INFERENCE_CALLS = 'gen_ai.invoke_agent.inference_calls';
export const TOOL_CALLS = 'gen_ai.invoke_agent.tool_calls';
export const EXECUTE_TOOL = 'gen_ai.execute_tool.duration';
