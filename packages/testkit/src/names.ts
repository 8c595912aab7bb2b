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
