/**
 * Reading usage, model and finish reason from OpenAI payloads, and deciding
 * what counts as an output chunk. Every function tolerates any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import {
  OPENAI_CHAT_USAGE as CHAT_USAGE,
  hasContent,
  isObject,
  nonEmptyString,
  OPENAI_RESPONSES_USAGE as RESPONSES_USAGE,
  readTokenUsage,
  type UnknownRecord,
} from '@tokenmeter/llm/integration';

export type Operation = 'chat' | 'responses' | 'embeddings' | 'text_completion';

function firstFinishReason(choices: unknown): string | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const c of choices) {
    const r = isObject(c) ? nonEmptyString(c.finish_reason) : undefined;
    if (r) return r;
  }
  return undefined;
}

/** Folds a non-streaming result into `o`. */
export function readResult(op: Operation, result: unknown, o: EndInfo): void {
  if (!isObject(result)) return;
  o.responseModel = nonEmptyString(result.model);
  // The tier the response was served at: openai.response.service_tier and the price tier.
  o.serviceTier = nonEmptyString(result.service_tier);
  if (op === 'responses') {
    readTokenUsage(result.usage, RESPONSES_USAGE, o);
    o.finishReason = responsesFinishReason(result);
  } else {
    readTokenUsage(result.usage, CHAT_USAGE, o);
    if (op !== 'embeddings') o.finishReason = firstFinishReason(result.choices);
  }
}

function responsesFinishReason(response: UnknownRecord): string | undefined {
  const status = nonEmptyString(response.status);
  if (status === 'incomplete') {
    const d = response.incomplete_details;
    return (isObject(d) ? nonEmptyString(d.reason) : undefined) ?? 'incomplete';
  }
  return status === 'completed' ? 'stop' : status;
}

/** Does this chat delta carry output? */
function deltaHasOutput(delta: unknown): boolean {
  if (!isObject(delta)) return false;
  return (
    hasContent(delta.content) ||
    hasContent(delta.refusal) ||
    hasContent(delta.tool_calls) ||
    hasContent(delta.function_call) ||
    hasContent(delta.audio) ||
    // vLLM / DeepSeek / Ollama /v1 / llama.cpp reasoning fields
    hasContent(delta.reasoning_content) ||
    hasContent(delta.reasoning)
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
export function observeEvent(op: Operation, event: unknown, o: EndInfo): boolean {
  if (!isObject(event)) return false;
  return op === 'responses'
    ? observeResponsesEvent(event, o)
    : observeChunk(event, o, op === 'text_completion');
}

/** One Chat Completions (or legacy Completions: `legacy`) chunk. Runs once per chunk: no allocation. */
function observeChunk(chunk: UnknownRecord, o: EndInfo, legacy: boolean): boolean {
  if (o.responseModel === undefined) o.responseModel = nonEmptyString(chunk.model);
  if (o.serviceTier === undefined) o.serviceTier = nonEmptyString(chunk.service_tier);
  if (isObject(chunk.usage)) readTokenUsage(chunk.usage, CHAT_USAGE, o);
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  let output = false;
  for (let i = 0; i < choices.length; i++) {
    const c: unknown = choices[i];
    if (!isObject(c)) continue;
    const r = nonEmptyString(c.finish_reason);
    if (r) o.finishReason = r;
    if (!output) output = legacy ? hasContent(c.text) : deltaHasOutput(c.delta);
  }
  return output;
}

function observeResponsesEvent(event: UnknownRecord, o: EndInfo): boolean {
  const type = nonEmptyString(event.type);
  if (!type) return false;
  if (type.endsWith('.delta')) return true;
  if (RESPONSES_TERMINAL.has(type) || type === 'response.created') {
    const response = event.response;
    if (isObject(response)) {
      o.responseModel = nonEmptyString(response.model) ?? o.responseModel;
      o.serviceTier = nonEmptyString(response.service_tier) ?? o.serviceTier;
      if (type !== 'response.created') {
        readTokenUsage(response.usage, RESPONSES_USAGE, o);
        o.finishReason = responsesFinishReason(response);
      }
    }
  }
  return false;
}

/** The error carried by a terminal `response.failed` event, if any. */
export function responsesFailure(event: unknown): { code: string; message: string } | undefined {
  if (!isObject(event) || event.type !== 'response.failed') return undefined;
  return failureOf(event.response);
}

/**
 * The error of a non-streaming Responses API result whose `status` is
 * `failed` (answered with HTTP 200), if any.
 */
export function failedResponse(response: unknown): { code: string; message: string } | undefined {
  if (!isObject(response) || response.status !== 'failed') return undefined;
  return failureOf(response);
}

function failureOf(response: unknown): { code: string; message: string } {
  const error = isObject(response) ? response.error : undefined;
  return {
    code: (isObject(error) ? nonEmptyString(error.code) : undefined) ?? 'response.failed',
    message: (isObject(error) ? nonEmptyString(error.message) : undefined) ?? 'response failed',
  };
}
