/**
 * Token usage as reported by a provider. Only reported counts are recorded;
 * nothing is estimated.
 */
import type { AttrNode } from './attributes.js';
import type { LlmContext } from './context.js';
import {
  ATTR_GEN_AI_TOKEN_MODALITY,
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
} from './semconv.js';
import { count } from './validate.js';

/** Token counts as the provider reported them. Omit what was not reported. */
export interface TokenUsage {
  /** Input (prompt) tokens, including cached ones. */
  inputTokens?: number;
  /** Output (completion) tokens, including reasoning ones. */
  outputTokens?: number;
  /** Input tokens read from the provider's prompt cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheWriteInputTokens?: number;
  /** Reasoning output tokens (OpenAI `reasoning_tokens`, Gemini `thoughtsTokenCount`). */
  reasoningTokens?: number;
}

/**
 * Records client-side usage on the instruments of the active shape.
 * `failed` is the node carrying `error.type` for a failed call (the next
 * shape's per-call histograms record 0 for failed calls without counts).
 * Returns whether the provider reported input or output tokens at all.
 */
export function recordClientUsage(
  ctx: LlmContext,
  node: AttrNode,
  usage: TokenUsage | undefined,
  modality: string,
  inference: boolean,
  failed: AttrNode | undefined,
): boolean {
  const d = ctx.d;
  const input = count(usage?.inputTokens, 'inputTokens', d);
  const output = count(usage?.outputTokens, 'outputTokens', d);
  const cacheRead = count(usage?.cachedInputTokens, 'cachedInputTokens', d);
  const cacheWrite = count(usage?.cacheWriteInputTokens, 'cacheWriteInputTokens', d);
  const reasoning = count(usage?.reasoningTokens, 'reasoningTokens', d);
  const { counter, histogram } = ctx.i;
  if (ctx.shape === 'v1.41') {
    const h = histogram.clientTokenUsage;
    if (input !== undefined)
      h.record(input, node.with(ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_INPUT).attrs);
    if (output !== undefined)
      h.record(output, node.with(ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_OUTPUT).attrs);
    if (cacheRead !== undefined) counter.tmCacheReadInputTokens.add(cacheRead, node.attrs);
    if (cacheWrite !== undefined) counter.tmCacheWriteInputTokens.add(cacheWrite, node.attrs);
    if (reasoning !== undefined) counter.tmReasoningOutputTokens.add(reasoning, node.attrs);
    return input !== undefined || output !== undefined;
  }
  const m = node.with(ATTR_GEN_AI_TOKEN_MODALITY, modality).attrs;
  if (input !== undefined) counter.usageInputTokens.add(input, m);
  if (output !== undefined) counter.usageOutputTokens.add(output, m);
  if (cacheRead !== undefined) counter.usageCacheReadInputTokens.add(cacheRead, m);
  if (cacheWrite !== undefined) counter.usageCacheWriteInputTokens.add(cacheWrite, m);
  if (reasoning !== undefined) counter.usageReasoningOutputTokens.add(reasoning, m);
  if (inference) {
    const per = (failed ?? node).attrs;
    if (input !== undefined || failed) histogram.operationInputTokens.record(input ?? 0, per);
    if (output !== undefined || failed) histogram.operationOutputTokens.record(output ?? 0, per);
  }
  return input !== undefined || output !== undefined;
}

/** Accepts only plain objects as option bags; anything else is treated as absent. */
export function bag<T extends object>(v: unknown, what: string, ctx: LlmContext): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return v as T;
  ctx.d.warn('invalid-option', `${what} must be an object; ignored`);
  return undefined;
}
