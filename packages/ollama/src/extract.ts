/**
 * Reading usage, model, finish reason and Ollama's own timings from `ollama`
 * responses, and deciding what counts as an output chunk. Every function
 * tolerates any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import {
  hasContent,
  isObject,
  nonEmptyString,
  readTokenUsage,
  type UsageFields,
} from '@tokenmeter/llm/integration';

export type Operation = 'chat' | 'text_completion' | 'embeddings';

/** Durations the Ollama server measured and reported, in seconds. */
export interface ServerTimings {
  /** `total_duration`: the server's whole handling of the request. */
  totalS?: number;
  /** `load_duration`: loading the model (near 0 when it was already loaded). */
  loadS?: number;
  /** `prompt_eval_duration`: evaluating the prompt (prefill). */
  promptEvalS?: number;
  /** `eval_duration`: generating the output tokens (decode). */
  evalS?: number;
}

const GENERATE_USAGE: UsageFields = { inputTokens: 'prompt_eval_count', outputTokens: 'eval_count' };
const EMBED_USAGE: UsageFields = { inputTokens: 'prompt_eval_count' };

const ns = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x / 1e9 : undefined;

/**
 * Folds a final object (non-streaming response, or the `done: true` stream
 * object) into `o`; returns the server's timings it carried.
 */
export function readFinal(op: Operation, body: unknown, o: EndInfo): ServerTimings | undefined {
  if (!isObject(body)) return undefined;
  o.responseModel = nonEmptyString(body.model) ?? o.responseModel;
  readTokenUsage(body, op === 'embeddings' ? EMBED_USAGE : GENERATE_USAGE, o);
  if (op !== 'embeddings') o.finishReason = nonEmptyString(body.done_reason);
  return {
    totalS: ns(body.total_duration),
    loadS: ns(body.load_duration),
    promptEvalS: ns(body.prompt_eval_duration),
    evalS: ns(body.eval_duration),
  };
}

/**
 * Does this streamed object carry output (counts as a chunk)?
 * - chat: `message.content`, `message.thinking` or `message.tool_calls` non-empty;
 * - generate: `response` or `thinking` non-empty.
 * The final `done: true` object normally has empty content and is not a chunk.
 */
export function isOutputChunk(op: Operation, msg: unknown): boolean {
  if (!isObject(msg)) return false;
  if (op === 'chat') {
    const m = msg.message;
    return isObject(m) && (hasContent(m.content) || hasContent(m.thinking) || hasContent(m.tool_calls));
  }
  return hasContent(msg.response) || hasContent(msg.thinking);
}

/** True for the final object of a stream. */
export function isDone(msg: unknown): boolean {
  return isObject(msg) && msg.done === true;
}

/** True for an `{"error": …}` object inside a stream. */
export function isStreamError(msg: unknown): boolean {
  return isObject(msg) && 'error' in msg;
}
