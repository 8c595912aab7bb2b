/**
 * Reading usage, model, finish reason and Ollama's own timings from `ollama`
 * responses, and deciding what counts as an output chunk. Every function
 * tolerates any input shape.
 */

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

export interface Observed {
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  finishReason?: string;
  timings?: ServerTimings;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;
const str = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);
const count = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : undefined;
const ns = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x / 1e9 : undefined;
const nonEmpty = (x: unknown) =>
  typeof x === 'string' ? x.length > 0 : Array.isArray(x) ? x.length > 0 : false;

/** Folds a final object (non-streaming response, or the `done: true` stream object) into `o`. */
export function readFinal(op: Operation, body: unknown, o: Observed): void {
  if (!isObj(body)) return;
  o.responseModel = str(body.model) ?? o.responseModel;
  o.inputTokens = count(body.prompt_eval_count);
  if (op !== 'embeddings') {
    o.outputTokens = count(body.eval_count);
    o.finishReason = str(body.done_reason);
  }
  o.timings = {
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
  if (!isObj(msg)) return false;
  if (op === 'chat') {
    const m = msg.message;
    return isObj(m) && (nonEmpty(m.content) || nonEmpty(m.thinking) || nonEmpty(m.tool_calls));
  }
  return nonEmpty(msg.response) || nonEmpty(msg.thinking);
}

/** True for the final object of a stream. */
export function isDone(msg: unknown): boolean {
  return isObj(msg) && msg.done === true;
}

/** True for an `{"error": …}` object inside a stream. */
export function isStreamError(msg: unknown): boolean {
  return isObj(msg) && 'error' in msg;
}
