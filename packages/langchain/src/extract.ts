/**
 * Reading LangChain's callback payloads: the request model of a model run,
 * what its result reports (usage, response model, finish reason), and which
 * streamed tokens carry output. Every function tolerates any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import {
  hasContent,
  isObject,
  nonEmptyString,
  readTokenUsage,
  type UnknownRecord,
  type UsageFields,
} from '@tokenmeter/llm/integration';

/**
 * The model a run asked for: the model's invocation params (`model`,
 * `model_name`, `modelName`, `modelId`, as integrations name it), else the
 * `ls_model_name` LangChain puts in the run's metadata.
 */
export function requestModelOf(extraParams: unknown, metadata: unknown): string | undefined {
  const p = isObject(extraParams) ? extraParams.invocation_params : undefined;
  if (isObject(p)) {
    const m =
      nonEmptyString(p.model) ??
      nonEmptyString(p.model_name) ??
      nonEmptyString(p.modelName) ??
      nonEmptyString(p.modelId);
    if (m !== undefined) return m;
  }
  return isObject(metadata) ? nonEmptyString(metadata.ls_model_name) : undefined;
}

/**
 * LangChain's `usage_metadata` on an AI message: `input_tokens` already
 * include the cached ones (LangChain adds Anthropic's cache reads and writes
 * in); the details are parts of them.
 */
const USAGE_METADATA: UsageFields = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cachedInputTokens: ['input_token_details', 'cache_read'],
  cacheWriteInputTokens: ['input_token_details', 'cache_creation'],
  reasoningTokens: ['output_token_details', 'reasoning'],
};

/** `llmOutput.tokenUsage`, what older integrations and completion models report (never `estimatedTokenUsage`). */
const TOKEN_USAGE: UsageFields = { inputTokens: 'promptTokens', outputTokens: 'completionTokens' };

function firstGeneration(output: UnknownRecord): UnknownRecord | undefined {
  const gens = output.generations;
  const first = Array.isArray(gens) ? gens[0] : undefined;
  const gen = Array.isArray(first) ? first[0] : undefined;
  return isObject(gen) ? gen : undefined;
}

/**
 * Folds an `LLMResult` into `o`: usage from the first generation's message
 * (`usage_metadata`), else `llmOutput.tokenUsage`; the response model and
 * finish reason from the generation's info or the message's
 * `response_metadata`. Only what the integration reported; nothing is estimated.
 */
export function readResult(output: unknown, o: EndInfo): void {
  if (!isObject(output)) return;
  const gen = firstGeneration(output);
  const message = gen?.message;
  const info = isObject(gen?.generationInfo) ? gen.generationInfo : undefined;
  const meta =
    isObject(message) && isObject(message.response_metadata) ? message.response_metadata : undefined;
  const llmOutput = isObject(output.llmOutput) ? output.llmOutput : undefined;
  if (isObject(message) && isObject(message.usage_metadata))
    readTokenUsage(message.usage_metadata, USAGE_METADATA, o);
  else if (llmOutput && isObject(llmOutput.tokenUsage)) readTokenUsage(llmOutput.tokenUsage, TOKEN_USAGE, o);
  o.responseModel =
    nonEmptyString(meta?.model_name) ??
    nonEmptyString(meta?.model) ??
    nonEmptyString(info?.model_name) ??
    nonEmptyString(llmOutput?.model_name);
  o.finishReason =
    nonEmptyString(info?.finish_reason) ??
    nonEmptyString(meta?.finish_reason) ??
    nonEmptyString(meta?.stop_reason) ??
    nonEmptyString(meta?.stopReason);
}

/**
 * Does a streamed token carry output: non-empty text, or a chunk of a tool
 * call (its name, or a fragment of its arguments)? Role-only, finish-only
 * and usage-only chunks come as empty tokens and do not count.
 */
export function isOutputToken(token: unknown, fields: unknown): boolean {
  if (typeof token === 'string' && token.length > 0) return true;
  const chunk = isObject(fields) ? fields.chunk : undefined;
  const message = isObject(chunk) ? chunk.message : undefined;
  const calls = isObject(message) ? message.tool_call_chunks : undefined;
  if (!Array.isArray(calls)) return false;
  for (const c of calls) if (isObject(c) && (hasContent(c.args) || hasContent(c.name))) return true;
  return false;
}
