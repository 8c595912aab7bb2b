/**
 * Reading usage, model and finish reason from OpenAI payloads, and deciding
 * what counts as an output chunk. Every function tolerates any input shape.
 */

export type Operation = 'chat' | 'responses' | 'embeddings' | 'text_completion';

export interface Observed {
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
  finishReason?: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);
const nonEmpty = (x: unknown) =>
  typeof x === 'string' ? x.length > 0 : Array.isArray(x) ? x.length > 0 : isObj(x);

/** Chat Completions / legacy Completions / embeddings `usage`. */
function readChatUsage(usage: unknown, into: Observed): void {
  if (!isObj(usage)) return;
  into.inputTokens = num(usage.prompt_tokens);
  into.outputTokens = num(usage.completion_tokens);
  const pd = usage.prompt_tokens_details;
  const cd = usage.completion_tokens_details;
  into.cachedInputTokens = isObj(pd) ? num(pd.cached_tokens) : undefined;
  into.reasoningTokens = isObj(cd) ? num(cd.reasoning_tokens) : undefined;
}

/** Responses API `usage`. */
function readResponsesUsage(usage: unknown, into: Observed): void {
  if (!isObj(usage)) return;
  into.inputTokens = num(usage.input_tokens);
  into.outputTokens = num(usage.output_tokens);
  const id = usage.input_tokens_details;
  const od = usage.output_tokens_details;
  into.cachedInputTokens = isObj(id) ? num(id.cached_tokens) : undefined;
  into.reasoningTokens = isObj(od) ? num(od.reasoning_tokens) : undefined;
}

function firstFinishReason(choices: unknown): string | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const c of choices) {
    const r = isObj(c) ? str(c.finish_reason) : undefined;
    if (r) return r;
  }
  return undefined;
}

/** Reads a non-streaming result. */
export function observeResult(op: Operation, result: unknown): Observed {
  const o: Observed = {};
  if (!isObj(result)) return o;
  o.responseModel = str(result.model);
  if (op === 'responses') {
    readResponsesUsage(result.usage, o);
    o.finishReason = responsesFinishReason(result);
  } else {
    readChatUsage(result.usage, o);
    if (op !== 'embeddings') o.finishReason = firstFinishReason(result.choices);
  }
  return o;
}

function responsesFinishReason(response: Obj): string | undefined {
  const status = str(response.status);
  if (status === 'incomplete') {
    const d = response.incomplete_details;
    return (isObj(d) ? str(d.reason) : undefined) ?? 'incomplete';
  }
  return status === 'completed' ? 'stop' : status;
}

/** Does this chat delta carry output? */
function deltaHasOutput(delta: unknown): boolean {
  if (!isObj(delta)) return false;
  return (
    nonEmpty(delta.content) ||
    nonEmpty(delta.refusal) ||
    nonEmpty(delta.tool_calls) ||
    nonEmpty(delta.function_call) ||
    nonEmpty(delta.audio) ||
    // vLLM / DeepSeek / Ollama /v1 / llama.cpp reasoning fields
    nonEmpty(delta.reasoning_content) ||
    nonEmpty(delta.reasoning)
  );
}

/** Terminal Responses API events carry the final response object. */
const RESPONSES_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Folds one stream event into `o`; returns true when the event carries output
 * (counts as a chunk):
 * - chat: a `chat.completion.chunk` with a choice whose `delta` has non-empty
 *   `content`, `refusal`, `tool_calls`, `function_call`, `audio`,
 *   `reasoning_content` or `reasoning` (role-only, finish-only and usage-only
 *   chunks do not count);
 * - legacy completions: a chunk with a choice whose `text` is non-empty;
 * - responses: any event whose `type` ends in `.delta`
 *   (`response.output_text.delta`, `response.refusal.delta`,
 *   `response.function_call_arguments.delta`, `response.reasoning_summary_text.delta`, …).
 */
export function observeEvent(op: Operation, event: unknown, o: Observed): boolean {
  if (!isObj(event)) return false;
  return op === 'responses'
    ? observeResponsesEvent(event, o)
    : observeChunk(event, o, op === 'text_completion');
}

/** One Chat Completions (or legacy Completions: `legacy`) chunk. Runs once per chunk: no allocation. */
function observeChunk(chunk: Obj, o: Observed, legacy: boolean): boolean {
  if (o.responseModel === undefined) o.responseModel = str(chunk.model);
  if (isObj(chunk.usage)) readChatUsage(chunk.usage, o);
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  let output = false;
  for (let i = 0; i < choices.length; i++) {
    const c: unknown = choices[i];
    if (!isObj(c)) continue;
    const r = str(c.finish_reason);
    if (r) o.finishReason = r;
    if (!output) output = legacy ? nonEmpty(c.text) : deltaHasOutput(c.delta);
  }
  return output;
}

function observeResponsesEvent(event: Obj, o: Observed): boolean {
  const type = str(event.type);
  if (!type) return false;
  if (type.endsWith('.delta')) return true;
  if (RESPONSES_TERMINAL.has(type) || type === 'response.created') {
    const response = event.response;
    if (isObj(response)) {
      o.responseModel = str(response.model) ?? o.responseModel;
      if (type !== 'response.created') {
        readResponsesUsage(response.usage, o);
        o.finishReason = responsesFinishReason(response);
      }
    }
  }
  return false;
}

/** The error carried by a terminal `response.failed` event, if any. */
export function responsesFailure(event: unknown): { code: string; message: string } | undefined {
  if (!isObj(event) || event.type !== 'response.failed') return undefined;
  return failureOf(event.response);
}

/**
 * The error of a non-streaming Responses API result whose `status` is
 * `failed` (answered with HTTP 200), if any.
 */
export function failedResponse(response: unknown): { code: string; message: string } | undefined {
  if (!isObj(response) || response.status !== 'failed') return undefined;
  return failureOf(response);
}

function failureOf(response: unknown): { code: string; message: string } {
  const error = isObj(response) ? response.error : undefined;
  return {
    code: (isObj(error) ? str(error.code) : undefined) ?? 'response.failed',
    message: (isObj(error) ? str(error.message) : undefined) ?? 'response failed',
  };
}
