/**
 * Where OpenAI's payloads put their token counts, as `readTokenUsage()`
 * tables: one copy for every integration that reads them (the OpenAI SDK,
 * OpenAI-compatible servers, the OpenAI Agents SDK's trace spans).
 */
import type { UsageFields } from './usage.js';

/** Chat Completions / legacy Completions / embeddings `usage`. */
export const OPENAI_CHAT_USAGE: UsageFields = {
  inputTokens: 'prompt_tokens',
  outputTokens: 'completion_tokens',
  cachedInputTokens: ['prompt_tokens_details', 'cached_tokens'],
  reasoningTokens: ['completion_tokens_details', 'reasoning_tokens'],
};

/** Responses API `usage`. */
export const OPENAI_RESPONSES_USAGE: UsageFields = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cachedInputTokens: ['input_tokens_details', 'cached_tokens'],
  reasoningTokens: ['output_tokens_details', 'reasoning_tokens'],
};
