/**
 * Counter of successful calls without provider-reported usage; @tokenmeter/llm
 * records it when `end()` carries no token counts.
 */
export const USAGE_MISSING = 'tokenmeter.gen_ai.client.usage.missing';
