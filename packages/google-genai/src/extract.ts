/**
 * Reading usage, model and finish reason from Gemini `GenerateContentResponse`s
 * (whole, or one streamed chunk), and deciding which chunks carry output.
 * Every function tolerates any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import { finiteNumber, hasContent, isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/** A count, or the sum of the counts reported; undefined when neither was. */
function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : a + b;
}

/**
 * Replaces the counts in `o` with a `usageMetadata` (each one is a whole
 * snapshot; a stream's last one is the call's). Gemini's counts are split
 * differently from the conventions':
 * - input = `promptTokenCount` (which includes `cachedContentTokenCount`) +
 *   `toolUsePromptTokenCount` (the input of server-side tools, counted beside it);
 * - output = `candidatesTokenCount` + `thoughtsTokenCount` (the thinking
 *   tokens, which `candidatesTokenCount` leaves out);
 * - cache reads = `cachedContentTokenCount`; reasoning = `thoughtsTokenCount`.
 * Counts Gemini left out stay unreported: zero counts are omitted from its
 * JSON, but so are counts it has not reached yet.
 */
export function readUsage(usage: unknown, o: EndInfo): void {
  if (!isObject(usage)) return;
  const thoughts = finiteNumber(usage.thoughtsTokenCount);
  o.inputTokens = sum(finiteNumber(usage.promptTokenCount), finiteNumber(usage.toolUsePromptTokenCount));
  o.outputTokens = sum(finiteNumber(usage.candidatesTokenCount), thoughts);
  o.cachedInputTokens = finiteNumber(usage.cachedContentTokenCount);
  o.reasoningTokens = thoughts;
}

/**
 * Does a content part carry output? Text (a thought or the reply), a
 * function call, code the model wrote or ran, generated media.
 */
function partHasOutput(part: unknown): boolean {
  return (
    isObject(part) &&
    (hasContent(part.text) ||
      isObject(part.functionCall) ||
      isObject(part.executableCode) ||
      isObject(part.codeExecutionResult) ||
      isObject(part.inlineData) ||
      isObject(part.fileData))
  );
}

function contentHasOutput(content: unknown): boolean {
  const parts = isObject(content) ? content.parts : undefined;
  if (!Array.isArray(parts)) return false;
  for (let i = 0; i < parts.length; i++) if (partHasOutput(parts[i])) return true;
  return false;
}

/**
 * Folds a response (or one streamed chunk) into `o`: `modelVersion`, the
 * first `finishReason` of its candidates, `usageMetadata`. Returns true when
 * a candidate's content carries output (the chunk is an output chunk). Runs
 * once per chunk: reads fields, allocates nothing.
 */
export function readResponse(response: unknown, o: EndInfo): boolean {
  if (!isObject(response)) return false;
  o.responseModel = nonEmptyString(response.modelVersion) ?? o.responseModel;
  if (isObject(response.usageMetadata)) readUsage(response.usageMetadata, o);
  const candidates = response.candidates;
  if (!Array.isArray(candidates)) return false;
  let output = false;
  for (let i = 0; i < candidates.length; i++) {
    const c: unknown = candidates[i];
    if (!isObject(c)) continue;
    const reason = nonEmptyString(c.finishReason);
    if (reason && o.finishReason === undefined) o.finishReason = reason;
    if (!output) output = contentHasOutput(c.content);
  }
  return output;
}
