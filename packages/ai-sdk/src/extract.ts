/**
 * Reading usage, model and finish reason from AI SDK model results and
 * stream parts, and deciding what counts as an output chunk. Reads the
 * LanguageModelV4/V3 shapes (nested usage, `finishReason.unified`) and the
 * flat V2 shapes; tolerates any input.
 */
import type { EndInfo, TokenUsage } from '@tokenmeter/llm';
import {
  isObject,
  nonEmptyString,
  readTokenUsage,
  type UnknownRecord,
  type UsageFields,
} from '@tokenmeter/llm/integration';

// LanguageModelV3/V4 nest the counts (`inputTokens: { total, cacheRead, cacheWrite }`,
// `outputTokens: { total, reasoning }`); LanguageModelV2 has flat counts.
const NESTED_INPUT: UsageFields = {
  inputTokens: ['inputTokens', 'total'],
  cachedInputTokens: ['inputTokens', 'cacheRead'],
  cacheWriteInputTokens: ['inputTokens', 'cacheWrite'],
};
const FLAT_INPUT: UsageFields = { inputTokens: 'inputTokens', cachedInputTokens: 'cachedInputTokens' };
const NESTED_OUTPUT: UsageFields = {
  outputTokens: ['outputTokens', 'total'],
  reasoningTokens: ['outputTokens', 'reasoning'],
};
const FLAT_OUTPUT: UsageFields = { outputTokens: 'outputTokens', reasoningTokens: 'reasoningTokens' };

/** `usage` of a generate result or a `finish` part. */
export function readUsage(usage: unknown, into: TokenUsage): void {
  if (!isObject(usage)) return;
  readTokenUsage(usage, isObject(usage.inputTokens) ? NESTED_INPUT : FLAT_INPUT, into);
  readTokenUsage(usage, isObject(usage.outputTokens) ? NESTED_OUTPUT : FLAT_OUTPUT, into);
}

/** The unified finish reason (`stop`, `length`, `tool-calls`, `content-filter`, `error`, `other`…). */
export function readFinishReason(fr: unknown): string | undefined {
  return isObject(fr) ? nonEmptyString(fr.unified) : nonEmptyString(fr);
}

/**
 * The service tier a provider reported in its `providerMetadata`
 * (`@ai-sdk/openai`: `providerMetadata.openai.serviceTier`, under the
 * provider's own key): `openai.response.service_tier` and the price tier.
 */
export function readServiceTier(providerMetadata: unknown, o: EndInfo): void {
  if (!isObject(providerMetadata)) return;
  for (const key of Object.keys(providerMetadata)) {
    const m = providerMetadata[key];
    const tier = isObject(m) ? nonEmptyString(m.serviceTier) : undefined;
    if (tier) {
      o.serviceTier = tier;
      return;
    }
  }
}

/** Folds a `doGenerate` result into `o`. */
export function readGenerateResult(result: unknown, o: EndInfo): void {
  if (!isObject(result)) return;
  readUsage(result.usage, o);
  readServiceTier(result.providerMetadata, o);
  o.finishReason = readFinishReason(result.finishReason);
  const response = result.response;
  if (isObject(response)) o.responseModel = nonEmptyString(response.modelId);
}

/** Per-stream state for chunk detection. */
export interface ChunkState {
  /** Tool calls whose input was streamed (a later `tool-call` part is not a new chunk). */
  readonly streamedToolCalls: Set<string>;
}

/**
 * Does this part carry output (counts as a chunk)? `text-delta`,
 * `reasoning-delta` and `tool-input-delta` with a non-empty `delta`; `file`
 * and `reasoning-file`; a `tool-call` whose input was not streamed before.
 * `stream-start`, `response-metadata`, `*-start`, `*-end`, `source`,
 * `tool-result`, `finish`, `raw`, `ping` and `error` are not chunks.
 */
export function isOutputChunk(part: UnknownRecord, state: ChunkState): boolean {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return typeof part.delta === 'string' && part.delta.length > 0;
    case 'tool-input-delta':
      if (typeof part.id === 'string') state.streamedToolCalls.add(part.id);
      return typeof part.delta === 'string' && part.delta.length > 0;
    case 'tool-call':
      return !(typeof part.toolCallId === 'string' && state.streamedToolCalls.has(part.toolCallId));
    case 'file':
    case 'reasoning-file':
      return true;
    default:
      return false;
  }
}
