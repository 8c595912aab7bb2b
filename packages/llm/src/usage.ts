/**
 * Token usage as reported by a provider. Only reported counts are recorded;
 * nothing is estimated.
 */
import type { AttrNode } from './attributes.js';
import type { LlmContext } from './context.js';
import type { UsageCounts } from './cost.js';
import {
  ATTR_GEN_AI_TOKEN_MODALITY,
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
} from './semconv.js';
import { count } from './validate.js';

/** Token counts as the provider reported them. Omit what was not reported. */
export interface TokenUsage {
  /** Input (prompt) tokens, including cached ones (cache reads and cache writes). */
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

/** The counts of `usage` that are valid token counts (one diagnostic per kind of garbage). */
export function readUsage(ctx: LlmContext, usage: TokenUsage | undefined): UsageCounts {
  const { diagnostics } = ctx;
  return {
    input: count(usage?.inputTokens, 'inputTokens', diagnostics),
    output: count(usage?.outputTokens, 'outputTokens', diagnostics),
    cacheRead: count(usage?.cachedInputTokens, 'cachedInputTokens', diagnostics),
    cacheWrite: count(usage?.cacheWriteInputTokens, 'cacheWriteInputTokens', diagnostics),
    reasoning: count(usage?.reasoningTokens, 'reasoningTokens', diagnostics),
  };
}

/** Whether the provider reported input or output tokens at all. */
export function reported(usage: UsageCounts): boolean {
  return usage.input !== undefined || usage.output !== undefined;
}

/**
 * Records client-side usage on the instruments of the active shape. `node`
 * carries the request's attributes (with its response model and, for OpenAI,
 * its service tier); `failed` is the node with `error.type` for a failed call.
 *
 * v1.41: only the counts the provider reported ("Otherwise it MUST NOT report
 * usage metric"). latest_experimental, inference operations: every call,
 * failed ones too, records every usage counter and both per-call histograms,
 * with the reported count or 0; a call that reported nothing records its 0s
 * under `gen_ai.token.modality=unknown`, as the GenAI repository requires.
 */
export function recordClientUsage(
  ctx: LlmContext,
  node: AttrNode,
  usage: UsageCounts,
  modality: string,
  inference: boolean,
  failed: AttrNode | undefined,
): void {
  const { counter, histogram } = ctx.instruments;
  const { input, output, cacheRead, cacheWrite, reasoning } = usage;
  if (ctx.shape === 'v1.41') {
    const tokenUsage = histogram.clientTokenUsage;
    if (input !== undefined)
      node.with(ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_INPUT).record(tokenUsage, input);
    if (output !== undefined)
      node.with(ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_OUTPUT).record(tokenUsage, output);
    if (cacheRead !== undefined) node.add(counter.tmCacheReadInputTokens, cacheRead);
    if (cacheWrite !== undefined) node.add(counter.tmCacheWriteInputTokens, cacheWrite);
    if (reasoning !== undefined) node.add(counter.tmReasoningOutputTokens, reasoning);
    return;
  }
  const any =
    reported(usage) || cacheRead !== undefined || cacheWrite !== undefined || reasoning !== undefined;
  if (!inference) {
    // Not an inference call: only what was reported (the zero-fill rule is for inference operations).
    const withModality = node.with(ATTR_GEN_AI_TOKEN_MODALITY, modality).attrs;
    if (input !== undefined) counter.usageInputTokens.add(input, withModality);
    if (output !== undefined) counter.usageOutputTokens.add(output, withModality);
    if (cacheRead !== undefined) counter.usageCacheReadInputTokens.add(cacheRead, withModality);
    if (cacheWrite !== undefined) counter.usageCacheWriteInputTokens.add(cacheWrite, withModality);
    if (reasoning !== undefined) counter.usageReasoningOutputTokens.add(reasoning, withModality);
    return;
  }
  const withModality = node.with(ATTR_GEN_AI_TOKEN_MODALITY, any ? modality : 'unknown').attrs;
  counter.usageInputTokens.add(input ?? 0, withModality);
  counter.usageOutputTokens.add(output ?? 0, withModality);
  counter.usageCacheReadInputTokens.add(cacheRead ?? 0, withModality);
  counter.usageCacheWriteInputTokens.add(cacheWrite ?? 0, withModality);
  counter.usageReasoningOutputTokens.add(reasoning ?? 0, withModality);
  const perCall = (failed ?? node).attrs;
  histogram.operationInputTokens.record(input ?? 0, perCall);
  histogram.operationOutputTokens.record(output ?? 0, perCall);
}

/** Accepts only plain objects as option bags; anything else is treated as absent. */
export function bag<T extends object>(value: unknown, what: string, ctx: LlmContext): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return value as T;
  ctx.diagnostics.warn('invalid-option', `${what} must be an object; ignored`);
  return undefined;
}
