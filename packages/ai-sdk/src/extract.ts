/**
 * Reading usage, model and finish reason from AI SDK model results and
 * stream parts, and deciding what counts as an output chunk. Reads the
 * LanguageModelV4/V3 shapes (nested usage, `finishReason.unified`) and the
 * flat V2 shapes; tolerates any input.
 */
import type { TokenUsage } from '@tokenmeter/llm';

export interface Observed extends TokenUsage {
  responseModel?: string;
  finishReason?: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);

/** `usage` of a generate result or a `finish` part. */
export function readUsage(usage: unknown, into: Observed): void {
  if (!isObj(usage)) return;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  if (isObj(input)) {
    into.inputTokens = num(input.total);
    into.cachedInputTokens = num(input.cacheRead);
    into.cacheWriteInputTokens = num(input.cacheWrite);
  } else {
    into.inputTokens = num(input);
    into.cachedInputTokens = num(usage.cachedInputTokens);
  }
  if (isObj(output)) {
    into.outputTokens = num(output.total);
    into.reasoningTokens = num(output.reasoning);
  } else {
    into.outputTokens = num(output);
    into.reasoningTokens = num(usage.reasoningTokens);
  }
}

/** The unified finish reason (`stop`, `length`, `tool-calls`, `content-filter`, `error`, `other`…). */
export function readFinishReason(fr: unknown): string | undefined {
  return isObj(fr) ? str(fr.unified) : str(fr);
}

/** Folds a `doGenerate` result. */
export function readGenerateResult(result: unknown): Observed {
  const o: Observed = {};
  if (!isObj(result)) return o;
  readUsage(result.usage, o);
  o.finishReason = readFinishReason(result.finishReason);
  const response = result.response;
  if (isObj(response)) o.responseModel = str(response.modelId);
  return o;
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
export function isOutputChunk(part: Obj, state: ChunkState): boolean {
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
