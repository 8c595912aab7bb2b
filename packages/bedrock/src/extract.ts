/**
 * Reading usage, stop reason, the invoked model and the server's latency
 * from Converse results and ConverseStream events, and deciding which events
 * carry output. Every function tolerates any input shape.
 */
import type { EndInfo } from '@tokenmeter/llm';
import { finiteNumber, hasContent, isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/**
 * Converse `usage`. Bedrock's `inputTokens` leave out the tokens read from
 * and written to the prompt cache (`totalTokens` counts them all), while
 * `gen_ai.usage.input_tokens` includes them: the three are added up.
 */
export function readUsage(usage: unknown, o: EndInfo): void {
  if (!isObject(usage)) return;
  const input = finiteNumber(usage.inputTokens);
  const read = finiteNumber(usage.cacheReadInputTokens);
  const write = finiteNumber(usage.cacheWriteInputTokens);
  o.inputTokens = input === undefined ? undefined : input + (read ?? 0) + (write ?? 0);
  o.outputTokens = finiteNumber(usage.outputTokens);
  o.cachedInputTokens = read;
  o.cacheWriteInputTokens = write;
}

/**
 * What a Converse result and a stream's `metadata` event share: usage, the
 * server's own latency (`metrics.latencyMs`, kept apart as a reported
 * timing when `serverTimings`), and the model a prompt router or inference
 * profile invoked (`trace.promptRouter.invokedModelId`: the response model).
 */
export function readMetadata(m: unknown, o: EndInfo, serverTimings: boolean): void {
  if (!isObject(m)) return;
  readUsage(m.usage, o);
  const metrics = m.metrics;
  const latencyMs = isObject(metrics) ? finiteNumber(metrics.latencyMs) : undefined;
  if (serverTimings && latencyMs !== undefined && latencyMs >= 0)
    o.serverTimings = { totalS: latencyMs / 1000 };
  const trace = m.trace;
  const router = isObject(trace) ? trace.promptRouter : undefined;
  const invoked = isObject(router) ? nonEmptyString(router.invokedModelId) : undefined;
  if (invoked !== undefined) o.responseModel = invoked;
}

/** Folds a Converse result into `o`. */
export function readResult(result: unknown, o: EndInfo, serverTimings: boolean): void {
  if (!isObject(result)) return;
  readMetadata(result, o, serverTimings);
  o.finishReason = nonEmptyString(result.stopReason);
}

/** Does this `contentBlockDelta.delta` carry output: text, a tool's input, reasoning text? */
function deltaHasOutput(delta: unknown): boolean {
  if (!isObject(delta)) return false;
  if (hasContent(delta.text)) return true;
  const tool = delta.toolUse;
  if (isObject(tool) && hasContent(tool.input)) return true;
  const reasoning = delta.reasoningContent;
  return isObject(reasoning) && (hasContent(reasoning.text) || hasContent(reasoning.redactedContent));
}

/** What one ConverseStream event told: its output, its end, or the exception it carries. */
export interface EventState {
  /** `messageStop` arrived: the message is complete (the usage comes in `metadata` after it). */
  stopped: boolean;
  /** The name of an exception event the consumer was handed rather than thrown (`ThrottlingException`). */
  exception: string | undefined;
}

/**
 * Folds one ConverseStream event into `o` and `state`; returns true when it
 * carries output (counts as a chunk): a `contentBlockDelta` with non-empty
 * text, tool input or reasoning, and a `contentBlockStart` that opens a tool
 * call (the tool's id and name, before its input). `messageStart`,
 * `contentBlockStop`, `messageStop` and `metadata` carry none.
 */
export function observeEvent(event: unknown, o: EndInfo, state: EventState, serverTimings: boolean): boolean {
  if (!isObject(event)) return false;
  const delta = event.contentBlockDelta;
  if (delta !== undefined) return isObject(delta) && deltaHasOutput(delta.delta);
  const start = event.contentBlockStart;
  if (start !== undefined) {
    const s = isObject(start) ? start.start : undefined;
    return isObject(s) && isObject(s.toolUse);
  }
  const stop = event.messageStop;
  if (stop !== undefined) {
    state.stopped = true;
    if (isObject(stop)) o.finishReason = nonEmptyString(stop.stopReason);
    return false;
  }
  if (event.metadata !== undefined) {
    readMetadata(event.metadata, o, serverTimings);
    return false;
  }
  if (event.messageStart === undefined && event.contentBlockStop === undefined) {
    // An exception member (`throttlingException`, `modelStreamErrorException`, …) handed out as an event.
    for (const key in event) {
      if (key.endsWith('Exception') && event[key] !== undefined) {
        state.exception ??= key[0]!.toUpperCase() + key.slice(1);
        break;
      }
    }
  }
  return false;
}
