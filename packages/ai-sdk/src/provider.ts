/**
 * `gen_ai.provider.name` from an AI SDK model's provider id
 * (`openai.chat`, `anthropic.messages`, `google.generative-ai`, `vllm.chat`…).
 */
import { OTHER_VALUE } from '@tokenmeter/llm';

/** Known id prefixes, most specific first. Matched on whole dot-separated segments. */
const KNOWN: ReadonlyArray<readonly [prefix: string, provider: string]> = [
  ['google.vertex', 'gcp.vertex_ai'],
  ['vertex', 'gcp.vertex_ai'],
  ['google', 'gcp.gemini'],
  ['openai', 'openai'],
  ['azure', 'azure.ai.openai'],
  ['azure-openai', 'azure.ai.openai'],
  ['anthropic', 'anthropic'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['bedrock', 'aws.bedrock'],
  ['mistral', 'mistral_ai'],
  ['xai', 'x_ai'],
  ['groq', 'groq'],
  ['deepseek', 'deepseek'],
  ['cohere', 'cohere'],
  ['perplexity', 'perplexity'],
];

/** Longest provider value taken from an unknown id. */
export const MAX_PROVIDER_LENGTH = 64;

/**
 * Maps a provider id to the semconv `gen_ai.provider.name`: the well-known
 * values for the AI SDK's first-party providers, otherwise the id's first
 * segment as given (`vllm.chat` → `vllm`), cut to 64 characters. `_OTHER` for
 * an empty or non-string id. (`@tokenmeter/llm` further bounds distinct values.)
 */
export function providerFromId(id: unknown): string {
  if (typeof id !== 'string' || id.trim() === '') return OTHER_VALUE;
  const lower = id.trim().toLowerCase();
  for (const [prefix, provider] of KNOWN) {
    if (lower === prefix || lower.startsWith(`${prefix}.`)) return provider;
  }
  const head = id.trim().split('.')[0] ?? '';
  return head === '' ? OTHER_VALUE : head.slice(0, MAX_PROVIDER_LENGTH);
}

/** `text_completion` for completion-model ids (`*.completion`), else `chat`. */
export function operationFromId(id: unknown): 'chat' | 'text_completion' {
  return typeof id === 'string' && id.endsWith('.completion') ? 'text_completion' : 'chat';
}
