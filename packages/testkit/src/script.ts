/**
 * Per-request scripts for the simulators: what a simulated model answers and
 * how fast. A script is resolved for each request from (lowest to highest
 * precedence) the simulator's `defaults`, `models[baseModel]`, parameters
 * encoded in the requested model name (`gpt-4o?ttft=120&gap=15`) and the
 * `script(request)` option.
 */

/** What one simulated request does. Every field is optional. */
export interface SimScript {
  /** Delay from the request (body received) to the first output chunk, ms. @default 0 */
  ttftMs?: number;
  /** Delay between consecutive output chunks, ms. @default 0 */
  gapMs?: number;
  /** Number of output chunks, or their exact texts. @default 4 */
  chunks?: number | readonly string[];
  /**
   * Whether usage is reported. `'auto'` behaves like OpenAI: always for
   * non-streaming responses and the Responses API, and for streamed chat and
   * legacy completions only when `stream_options.include_usage` is set.
   * `true` always reports (like servers that ignore `include_usage`), `false`
   * never does. @default 'auto'
   */
  usage?: boolean | 'auto';
  /** Reported input tokens. @default ceil(characters of the input / 4), at least 1 */
  promptTokens?: number;
  /** Reported output tokens. @default the number of chunks */
  completionTokens?: number;
  /**
   * Reported input tokens read from the prompt cache, part of `promptTokens`
   * (OpenAI's `cached_tokens`, Anthropic's `cache_read_input_tokens`,
   * Gemini's `cachedContentTokenCount`); the `*_details` object is omitted
   * when undefined.
   */
  cachedTokens?: number;
  /**
   * Reported input tokens written to the prompt cache, part of `promptTokens`
   * (Anthropic's `cache_creation_input_tokens`, Bedrock's
   * `cacheWriteInputTokens`; only the Anthropic and Bedrock routes report it,
   * as only those providers do).
   */
  cacheWriteTokens?: number;
  /**
   * Reported reasoning tokens, part of `completionTokens`; the `*_details`
   * object is omitted when undefined.
   */
  reasoningTokens?: number;
  /**
   * OpenAI's `service_tier` in the response (`default`, `flex`, `priority`…;
   * omitted when undefined); Anthropic's `usage.service_tier` (`standard` when undefined).
   */
  serviceTier?: string;
  /**
   * Anthropic and Google routes: the first N output chunks are thinking
   * (an Anthropic `thinking` block of `thinking_delta`s closed by a
   * `signature_delta`; Gemini parts with `thought: true`), the rest the reply. @default 0
   */
  thinkingChunks?: number;
  /** Google routes: reported `toolUsePromptTokenCount` (input of server-side tools, beside `promptTokens`). */
  toolUsePromptTokens?: number;
  /** @default 'stop' ('tool_calls' for a tool call answered by the OpenAI routes) */
  finishReason?: string;
  /**
   * Answer with a call of this tool instead of text: its JSON arguments
   * `{"text":"…"}` are split into one fragment per chunk (streamed by the
   * OpenAI routes as `tool_calls` deltas; sent whole at the first chunk's
   * time by the Ollama routes, as Ollama does).
   */
  toolCall?: string;
  /** Answer with this HTTP error status and an OpenAI-shaped (or Ollama-shaped) error body. */
  status?: number;
  /** Error message in the error body. */
  errorMessage?: string;
  /** Delay before an error response is sent, ms. @default 0 */
  errorDelayMs?: number;
  /**
   * Destroy the socket after this many output chunks (streaming), or instead
   * of answering (non-streaming).
   */
  cutAfterChunks?: number;
  /**
   * Streaming cuts only: delay from the last chunk sent to the cut, ms.
   * A consumer that is further behind than this when the socket dies loses
   * the chunks it had not read yet (a WHATWG stream's `error()` discards its
   * queue), so tests that count the chunks seen before a cut give it room.
   * @default gapMs (the cut comes when the next chunk was due)
   */
  cutDelayMs?: number;
  /** Model name reported in responses. @default the requested model without its `?…` parameters */
  responseModel?: string;
  /**
   * Responses API only: the response fails with this error code after its
   * chunks. Streaming ends with a `response.failed` event instead of
   * `response.completed`; non-streaming answers 200 with `status: 'failed'`.
   */
  failCode?: string;
  /** Embedding dimensions. @default 8 */
  dimensions?: number;
  /** Ollama only: reported `load_duration`, ms. @default 0 */
  loadMs?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A request as the simulator received it (also the entries of `requests`). */
export interface SimRequest {
  readonly method: string;
  /**
   * Path without the query string, e.g. `/v1/chat/completions` (Google
   * routes: `/v1beta/models/{model}:generateContent`, percent-decoded).
   */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON body (undefined when empty or not JSON). */
  readonly body: Record<string, unknown> | undefined;
  /** The model asked for, as sent: the body's `model` field, or (Google routes) the one in the URL path. */
  readonly model: string | undefined;
  /** `performance.now()` when the body was fully received. */
  readonly receivedAt: number;
}

export type ScriptFunction = (request: SimRequest) => SimScript | undefined;

export interface ScriptOptions {
  /** Script applied to every request (lowest precedence). */
  defaults?: SimScript;
  /** Scripts by base model name (the part of `model` before `?`). */
  models?: Record<string, SimScript>;
  /** Computes a script per request (highest precedence). */
  script?: ScriptFunction;
}

/** A script with every default applied. */
export interface ResolvedScript {
  ttftMs: number;
  gapMs: number;
  texts: string[];
  usage: boolean | 'auto';
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number | undefined;
  cacheWriteTokens: number | undefined;
  reasoningTokens: number | undefined;
  serviceTier: string | undefined;
  thinkingChunks: number;
  toolUsePromptTokens: number | undefined;
  finishReason: string;
  toolCall: string | undefined;
  /** The finish reason of a tool call on the OpenAI routes: `finishReason` if scripted, else `tool_calls`. */
  toolFinishReason: string;
  status: number | undefined;
  errorMessage: string | undefined;
  errorDelayMs: number;
  cutAfterChunks: number | undefined;
  cutDelayMs: number | undefined;
  responseModel: string;
  failCode: string | undefined;
  dimensions: number;
  loadMs: number;
  headers: Record<string, string>;
}

const WORDS = [
  'Hello',
  ' from',
  ' the',
  ' tokenmeter',
  ' simulator',
  '.',
  ' This',
  ' reply',
  ' is',
  ' deterministic',
  ',',
  ' scripted',
  ' and',
  ' local',
  '.',
];

/** The deterministic text of chunk `index`. */
export function chunkText(index: number): string {
  return WORDS[index % WORDS.length]!;
}

const NUMBER_KEYS: Record<string, keyof SimScript> = {
  ttft: 'ttftMs',
  ttftms: 'ttftMs',
  gap: 'gapMs',
  gapms: 'gapMs',
  chunks: 'chunks',
  prompt: 'promptTokens',
  prompttokens: 'promptTokens',
  completion: 'completionTokens',
  completiontokens: 'completionTokens',
  cached: 'cachedTokens',
  cachedtokens: 'cachedTokens',
  cachewrite: 'cacheWriteTokens',
  cachewritetokens: 'cacheWriteTokens',
  thinking: 'thinkingChunks',
  thinkingchunks: 'thinkingChunks',
  tooluse: 'toolUsePromptTokens',
  tooluseprompttokens: 'toolUsePromptTokens',
  reasoning: 'reasoningTokens',
  reasoningtokens: 'reasoningTokens',
  status: 'status',
  cut: 'cutAfterChunks',
  cutafterchunks: 'cutAfterChunks',
  cutdelay: 'cutDelayMs',
  cutdelayms: 'cutDelayMs',
  errordelay: 'errorDelayMs',
  errordelayms: 'errorDelayMs',
  dimensions: 'dimensions',
  load: 'loadMs',
  loadms: 'loadMs',
};

/**
 * Splits `gpt-4o?ttft=120&gap=15&chunks=6&usage=0&status=429&cut=3&finish=length`
 * into the base model name and the script its parameters describe. The same
 * parameters can be written `gpt-4o;ttft=120;gap=15` for SDKs that refuse `?`
 * and `&` in a model name (@google/genai puts it in the URL path).
 */
export function parseModelName(model: string): { base: string; script: SimScript } {
  const q = model.search(/[?;]/);
  if (q < 0) return { base: model, script: {} };
  const base = model.slice(0, q);
  const script: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(model.slice(q + 1).replaceAll(';', '&'))) {
    const key = rawKey.toLowerCase();
    const numeric = NUMBER_KEYS[key];
    if (numeric !== undefined) {
      const n = Number(value);
      if (Number.isFinite(n)) script[numeric] = n;
    } else if (key === 'usage') {
      script.usage = value === 'auto' ? 'auto' : value === '1' || value === 'true';
    } else if (key === 'tier' || key === 'servicetier') {
      script.serviceTier = value;
    } else if (key === 'finish' || key === 'finishreason') {
      script.finishReason = value;
    } else if (key === 'responsemodel' || key === 'response') {
      script.responseModel = value;
    } else if (key === 'error' || key === 'errormessage') {
      script.errorMessage = value;
    } else if (key === 'fail' || key === 'failcode') {
      script.failCode = value;
    } else if (key === 'tool' || key === 'toolcall') {
      script.toolCall = value;
    }
  }
  return { base, script: script as SimScript };
}

function inputChars(body: Record<string, unknown> | undefined): number {
  if (!body) return 0;
  const input = body.messages ?? body.input ?? body.prompt ?? body.contents;
  if (input === undefined) return 0;
  return typeof input === 'string' ? input.length : JSON.stringify(input).length;
}

export function resolveScript(request: SimRequest, options: ScriptOptions): ResolvedScript {
  const { base, script: fromName } = parseModelName(request.model ?? 'sim');
  const s: SimScript = {
    ...options.defaults,
    ...options.models?.[base],
    ...fromName,
    ...options.script?.(request),
  };
  const texts =
    typeof s.chunks === 'object'
      ? [...s.chunks]
      : Array.from({ length: Math.max(0, Math.floor(s.chunks ?? 4)) }, (_, i) => chunkText(i));
  return {
    ttftMs: Math.max(0, s.ttftMs ?? 0),
    gapMs: Math.max(0, s.gapMs ?? 0),
    texts,
    usage: s.usage ?? 'auto',
    promptTokens: s.promptTokens ?? Math.max(1, Math.ceil(inputChars(request.body) / 4)),
    completionTokens: s.completionTokens ?? texts.length,
    cachedTokens: s.cachedTokens,
    cacheWriteTokens: s.cacheWriteTokens,
    reasoningTokens: s.reasoningTokens,
    serviceTier: s.serviceTier,
    thinkingChunks: Math.max(0, Math.floor(s.thinkingChunks ?? 0)),
    toolUsePromptTokens: s.toolUsePromptTokens,
    finishReason: s.finishReason ?? 'stop',
    toolCall: s.toolCall,
    toolFinishReason: s.finishReason ?? 'tool_calls',
    status: s.status,
    errorMessage: s.errorMessage,
    errorDelayMs: Math.max(0, s.errorDelayMs ?? 0),
    cutAfterChunks: s.cutAfterChunks,
    cutDelayMs: s.cutDelayMs === undefined ? undefined : Math.max(0, s.cutDelayMs),
    responseModel: s.responseModel ?? base,
    failCode: s.failCode,
    dimensions: Math.max(1, Math.floor(s.dimensions ?? 8)),
    loadMs: Math.max(0, s.loadMs ?? 0),
    headers: { ...s.headers },
  };
}

/**
 * A tool call's JSON arguments, `{"text":"<the chunks' texts>"}`, in one
 * fragment per chunk (the first opens the object, the last closes it).
 */
export function toolArguments(texts: readonly string[]): string[] {
  const n = texts.length;
  return texts.map(
    (t, i) => `${i === 0 ? '{"text":"' : ''}${JSON.stringify(t).slice(1, -1)}${i === n - 1 ? '"}' : ''}`,
  );
}

/**
 * Spells a scripted model name `m?ttft=60&gap=10` as `m;ttft=60;gap=10`, the
 * form for SDKs that refuse `?` and `&` in a model name (@google/genai).
 */
export function semicolonModelName(model: string): string {
  const q = model.indexOf('?');
  return q < 0 ? model : `${model.slice(0, q)};${model.slice(q + 1).replaceAll('&', ';')}`;
}

/** Deterministic pseudo-embedding of `text` (unit-length vector). */
export function embed(text: string, dimensions: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const v: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ i;
    v.push(((h >>> 0) / 0xffffffff) * 2 - 1);
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => Math.fround(x / norm));
}

/** Absolute time (ms after the request) at which output chunk `i` is due. */
export function chunkDue(s: ResolvedScript, i: number): number {
  return s.ttftMs + i * s.gapMs;
}

/** When a non-streaming answer is due: the time its last chunk would have been sent. */
export function lastChunkDue(s: ResolvedScript): number {
  return chunkDue(s, Math.max(0, s.texts.length - 1));
}

/** When a non-streaming exchange with `cutAfterChunks` is cut instead of answered. */
export function nonStreamCutAt(s: ResolvedScript): number {
  return chunkDue(s, Math.min(s.cutAfterChunks ?? 0, Math.max(0, s.texts.length - 1)));
}

/**
 * When a streaming exchange with `cutAfterChunks` is cut, ms after the
 * request: `cutDelayMs` after the last chunk sent (by default one gap, when
 * the next chunk was due; right after the last one when all were sent).
 */
export function streamCutAt(s: ResolvedScript): number {
  const sent = Math.min(s.cutAfterChunks ?? 0, s.texts.length);
  if (sent === 0) return s.ttftMs + (s.cutDelayMs ?? 0);
  return chunkDue(s, sent - 1) + (s.cutDelayMs ?? (sent < s.texts.length ? s.gapMs : 0));
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

/**
 * Whether a request already carries the result of a tool call — what an
 * agent loop sends after running the tool the model asked for: a `tool`
 * message (OpenAI chat, Ollama), a `function_call_output` input item
 * (Responses API), a `tool_result` block (Anthropic) or a `functionResponse`
 * part (Gemini). A `script` that answers `toolCall` only when this is false
 * makes a simulated model call a tool once, then reply:
 * `script: (r) => (hasToolResult(r) ? {} : { toolCall: 'lookup' })`.
 */
export function hasToolResult(request: SimRequest): boolean {
  const body = request.body;
  if (!body) return false;
  const messages = list(body.messages);
  if (messages.some((m) => isRecord(m) && m.role === 'tool')) return true;
  if (
    messages.some((m) => isRecord(m) && list(m.content).some((c) => isRecord(c) && c.type === 'tool_result'))
  )
    return true;
  if (list(body.input).some((i) => isRecord(i) && i.type === 'function_call_output')) return true;
  return list(body.contents).some(
    (c) => isRecord(c) && list(c.parts).some((p) => isRecord(p) && isRecord(p.functionResponse)),
  );
}
