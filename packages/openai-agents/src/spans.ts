/**
 * What the OpenAI Agents SDK's trace spans say, read without trusting their
 * shape (the span data types change between SDK versions): the kind of
 * span, its agent or tool name, a model call's model and usage, and what
 * its error says.
 */
import type { EndInfo } from '@tokenmeter/llm';
import {
  isObject,
  nonEmptyString,
  OPENAI_CHAT_USAGE,
  OPENAI_RESPONSES_USAGE,
  readTokenUsage,
  type UnknownRecord,
  type UsageFields,
} from '@tokenmeter/llm/integration';

/** The parts of an Agents SDK `Span` this package reads (structural: no dependency on the SDK's types). */
export interface SpanLike {
  readonly spanId: string;
  readonly parentId: string | null;
  readonly spanData: unknown;
  readonly error: unknown;
}

export function spanType(span: SpanLike): string | undefined {
  return isObject(span.spanData) ? nonEmptyString(span.spanData.type) : undefined;
}

/** The `name` of an `agent` or `function` span. */
export function spanName(span: SpanLike): string | undefined {
  return isObject(span.spanData) ? nonEmptyString(span.spanData.name) : undefined;
}

/** The model a `generation` span asked for (`response` spans do not say). */
export function requestedModel(span: SpanLike): string | undefined {
  const d = span.spanData;
  return isObject(d) && d.type === 'generation' ? nonEmptyString(d.model) : undefined;
}

/**
 * What a finished model-call span reports. A `response` span (the Responses
 * API) holds the whole response in `_response`: model, usage, service tier.
 * A `generation` span (chat completions) holds `usage` (on failures and
 * streams) or the chat completion in `output[0]`. Both are there only when
 * the run traces sensitive data, the SDK's default.
 */
export function modelCallInfo(span: SpanLike): EndInfo {
  const info: EndInfo = {};
  const d = span.spanData;
  if (!isObject(d)) return info;
  if (d.type === 'response' && isObject(d._response)) {
    read(d._response, OPENAI_RESPONSES_USAGE, info);
  } else if (d.type === 'generation') {
    const completion = Array.isArray(d.output) ? d.output[0] : undefined;
    if (isObject(d.usage)) readTokenUsage(d.usage, OPENAI_RESPONSES_USAGE, info);
    else if (isObject(completion)) read(completion, OPENAI_CHAT_USAGE, info);
    if (isObject(completion)) info.responseModel ??= nonEmptyString(completion.model);
  }
  return info;
}

function read(r: UnknownRecord, usage: UsageFields, info: EndInfo): void {
  info.responseModel = nonEmptyString(r.model);
  info.serviceTier = nonEmptyString(r.service_tier);
  readTokenUsage(r.usage, usage, info);
}

const NAMED = /^([A-Z][A-Za-z0-9]*(?:Error|Exception|Triggered)): /;
const STATUS = /^(?:[A-Za-z]*Error: )?([1-5]\d\d)\b/;

/**
 * `error.type` from a span's error. Spans carry only the error's message
 * (and for runs, `data.error`, the error as a string), so this reads what
 * the OpenAI SDK and the Agents SDK put there for sure:
 *
 * 1. an error class named in the text (`MaxTurnsExceededError: …`,
 *    `InputGuardrailTripwireTriggered: …`), except plain `Error`;
 * 2. an HTTP status the OpenAI SDK's `APIError` message starts with (`500 …`);
 * 3. the OpenAI SDK's fixed texts: `Request timed out.` → `timeout`,
 *    `Request was aborted.` → `aborted`, `Connection error.` → `APIConnectionError`;
 * 4. `_OTHER` for anything else.
 */
export function spanErrorType(error: unknown): string {
  if (!isObject(error)) return '_OTHER';
  const data = error.data;
  const text =
    (isObject(data) ? nonEmptyString(data.error) : undefined) ?? nonEmptyString(error.message) ?? '';
  const named = NAMED.exec(text)?.[1];
  if (named) return named;
  const status = STATUS.exec(text)?.[1];
  if (status) return status;
  const plain = text.replace(/^Error: /, '');
  if (plain.startsWith('Request timed out')) return 'timeout';
  if (plain.startsWith('Request was aborted')) return 'aborted';
  if (plain.startsWith('Connection error')) return 'APIConnectionError';
  return '_OTHER';
}
