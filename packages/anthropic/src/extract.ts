/**
 * Reading usage, model and stop reason from Anthropic Messages API payloads,
 * and deciding which stream events carry output. Every function tolerates
 * any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import { finiteNumber, hasContent, isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/**
 * Folds an Anthropic `usage` object into `o`. Anthropic counts the input
 * read from and written to the prompt cache apart from `input_tokens`; the
 * conventions count all of it as input (semconv anthropic.md:
 * input = `input_tokens` + `cache_read_input_tokens` + `cache_creation_input_tokens`).
 * `output_tokens` include the thinking tokens, which newer API versions also
 * report apart (`output_tokens_details.thinking_tokens`). `service_tier` is
 * the tier the request is priced at.
 *
 * `final`: the usage of a whole message or of a `message_delta` (cumulative,
 * the call's output). A `message_start` counts only the first output token,
 * so its output count is not read. A count missing (or null) here keeps what
 * an earlier event of the stream reported.
 */
export function readUsage(usage: unknown, o: EndInfo, final: boolean): void {
  if (!isObject(usage)) return;
  // The tier the request was served at (`standard`, `priority`, `batch`): the price tier.
  o.serviceTier = nonEmptyString(usage.service_tier) ?? o.serviceTier;
  const read = finiteNumber(usage.cache_read_input_tokens);
  const write = finiteNumber(usage.cache_creation_input_tokens);
  if (read !== undefined) o.cachedInputTokens = read;
  if (write !== undefined) o.cacheWriteInputTokens = write;
  const input = finiteNumber(usage.input_tokens);
  if (input !== undefined)
    o.inputTokens = input + (o.cachedInputTokens ?? 0) + (o.cacheWriteInputTokens ?? 0);
  if (!final) return;
  const output = finiteNumber(usage.output_tokens);
  if (output !== undefined) o.outputTokens = output;
  const details = usage.output_tokens_details;
  if (isObject(details)) {
    const thinking = finiteNumber(details.thinking_tokens);
    if (thinking !== undefined) o.reasoningTokens = thinking;
  }
}

/** Folds a non-streamed `Message` into `o`. */
export function readMessage(message: unknown, o: EndInfo): void {
  if (!isObject(message)) return;
  o.responseModel = nonEmptyString(message.model);
  o.finishReason = nonEmptyString(message.stop_reason);
  readUsage(message.usage, o, true);
}

/**
 * Does a `content_block_delta` carry output? Text, a tool call's argument
 * JSON, thinking and citations do; the `signature_delta` that closes a
 * thinking block does not.
 */
function deltaHasOutput(delta: unknown): boolean {
  return (
    isObject(delta) &&
    (hasContent(delta.text) ||
      hasContent(delta.partial_json) ||
      hasContent(delta.thinking) ||
      isObject(delta.citation))
  );
}

/**
 * Does a `content_block_start` carry output? A tool call's block opens with
 * the call's id and name (`tool_use`, `server_tool_use`, `mcp_tool_use`), a
 * redacted thinking block arrives whole; text and thinking blocks open empty,
 * and server tool results are the server's, not the model's.
 */
function blockHasOutput(block: unknown): boolean {
  if (!isObject(block)) return false;
  const type = block.type;
  return (
    (typeof type === 'string' && (type.endsWith('tool_use') || type === 'redacted_thinking')) ||
    hasContent(block.text) ||
    hasContent(block.thinking)
  );
}

/**
 * Folds one stream event into `o`; returns true when it carries output (an
 * output chunk). Runs once per event: reads fields, allocates nothing.
 * - `content_block_delta`: output unless it is a `signature_delta`;
 * - `content_block_start`: output for tool calls and redacted thinking;
 * - `message_start`: the response model and the input usage (cache reads and writes included);
 * - `message_delta`: the stop reason and the final usage.
 */
export function observeEvent(event: unknown, o: EndInfo): boolean {
  if (!isObject(event)) return false;
  switch (event.type) {
    case 'content_block_delta':
      return deltaHasOutput(event.delta);
    case 'content_block_start':
      return blockHasOutput(event.content_block);
    case 'message_start': {
      const message = event.message;
      if (isObject(message)) {
        o.responseModel = nonEmptyString(message.model) ?? o.responseModel;
        readUsage(message.usage, o, false);
      }
      return false;
    }
    case 'message_delta': {
      const delta = event.delta;
      const reason = isObject(delta) ? nonEmptyString(delta.stop_reason) : undefined;
      if (reason) o.finishReason = reason;
      readUsage(event.usage, o, true);
      return false;
    }
    default:
      return false;
  }
}
