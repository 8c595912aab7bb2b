/**
 * `error.type` for failures of OpenAI SDK calls. Low cardinality by
 * construction: an HTTP status code, one of a fixed list of SDK error class
 * names, or a fixed fallback.
 */
import { classifyStainlessError, errorTypeOr } from '@tokenmeter/llm/integration';

/** SDK error classes (no HTTP status) reported by name. */
export const SDK_ERROR_CLASSES: ReadonlySet<string> = new Set([
  'APIConnectionError',
  'APIError',
  'OpenAIError',
  'LengthFinishReasonError',
  'ContentFilterFinishReasonError',
]);

/**
 * What the OpenAI SDK's errors say for sure (steps 1–4 of `openAiErrorType`),
 * or undefined for anything else, which `@tokenmeter/llm` then maps itself.
 */
export function classifyOpenAiError(err: unknown): string | undefined {
  return classifyStainlessError(err, SDK_ERROR_CLASSES);
}

/**
 * Maps an error thrown by an `openai` SDK call to `error.type`:
 *
 * 1. an `APIError` with an HTTP status → the status code as a string (`'429'`, `'500'`, …);
 * 2. `APIUserAbortError` or a DOM `AbortError` → `aborted`; `APIConnectionTimeoutError`
 *    or a DOM `TimeoutError` → `timeout` (the values `@tokenmeter/llm` uses for every integration);
 * 3. a known SDK class without status → its class name (`APIConnectionError`,
 *    `APIError` (an error event inside a stream), `OpenAIError`,
 *    `LengthFinishReasonError`, `ContentFilterFinishReasonError`);
 * 4. the connection dropped mid-stream (`TypeError: terminated`, socket error causes) → `APIConnectionError`;
 * 5. anything else → `fallback(err)` (tokenmeter's generic mapping), else `_OTHER`.
 */
export function openAiErrorType(err: unknown, fallback?: (err: unknown) => string): string {
  return classifyOpenAiError(err) ?? errorTypeOr(err, fallback);
}
