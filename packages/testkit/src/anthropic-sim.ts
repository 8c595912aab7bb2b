/**
 * An Anthropic Messages API simulator: `POST /v1/messages`, answered whole or
 * as the server-sent events Anthropic sends (`message_start`,
 * `content_block_start`, `ping`, `content_block_delta`, `content_block_stop`,
 * `message_delta`, `message_stop`, and `error`), on a script's schedule.
 */
import { namedSse, nextId, scriptOrError, startSse, streamChunks, waitWhole } from './playback.js';
import { type ResolvedScript, type ScriptOptions, toolArguments } from './script.js';
import {
  type Exchange,
  type Handler,
  type RunningSimulator,
  type ServerOptions,
  sendJson,
  startServer,
} from './server.js';

export interface AnthropicSimulatorOptions extends ServerOptions, ScriptOptions {}

export interface AnthropicSimulator extends RunningSimulator {
  /** `url`: pass as `baseURL` to the `@anthropic-ai/sdk` client (it adds `/v1/messages`). */
  readonly baseURL: string;
}

/** Anthropic's error `type` for each HTTP status it documents. */
const ERROR_TYPES: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request (simulated).'],
  401: ['authentication_error', 'invalid x-api-key (simulated).'],
  402: ['billing_error', 'Billing problem (simulated).'],
  403: ['permission_error', 'Permission denied (simulated).'],
  404: ['not_found_error', 'Not found (simulated).'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes (simulated).'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your rate limit (simulated).'],
  500: ['api_error', 'Internal server error (simulated).'],
  504: ['timeout_error', 'Request timed out (simulated).'],
  529: ['overloaded_error', 'Overloaded (simulated).'],
};

/** The stop reasons Anthropic uses for the script's provider-neutral ones; others pass as written. */
const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

const errorBody = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
  request_id: nextId('req_'),
});

function sendError(ex: Exchange, s: ResolvedScript, status: number): void {
  const [type, message] = ERROR_TYPES[status] ?? ['api_error', `Simulated error ${status}.`];
  sendJson(ex, status, errorBody(type, s.errorMessage ?? message), {
    'request-id': nextId('req_'),
    ...s.headers,
  });
}

/**
 * `usage` as Anthropic reports it: `input_tokens` are the input tokens
 * neither read from nor written to the cache, so the three input counts add
 * up to the script's `promptTokens`; `output_tokens` include the thinking
 * tokens, which newer API versions also report apart.
 */
function usageOf(s: ResolvedScript, final: boolean) {
  const read = s.cachedTokens ?? 0;
  const write = s.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, s.promptTokens - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    // The message_start of a stream counts the first output token only.
    output_tokens: final ? s.completionTokens : 1,
    ...(final && s.reasoningTokens !== undefined
      ? { output_tokens_details: { thinking_tokens: s.reasoningTokens } }
      : {}),
  };
}

/** Which chunks are thinking, which the reply (text, or a tool call's argument fragments). */
function plan(s: ResolvedScript) {
  const thinking = Math.min(s.thinkingChunks, s.texts.length);
  const reply = s.texts.slice(thinking);
  const tool = s.toolCall;
  return {
    thinking,
    thinkingText: s.texts.slice(0, thinking).join(''),
    signature: `sig_${thinking}`,
    reply,
    tool,
    args: tool === undefined ? [] : toolArguments(reply),
    toolId: nextId('toolu_'),
    stopReason: STOP_REASONS[tool === undefined ? s.finishReason : s.toolFinishReason] ?? s.finishReason,
  };
}

function messages(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await scriptOrError(ex, options, sendError);
    if (!s) return;
    const p = plan(s);
    const id = nextId('msg_');
    const withUsage = s.usage !== false;
    const message = (content: unknown[], stopReason: string | null, final: boolean) => ({
      id,
      type: 'message',
      role: 'assistant',
      model: s.responseModel,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      ...(withUsage ? { usage: { ...usageOf(s, final), service_tier: s.serviceTier ?? 'standard' } } : {}),
    });

    if (ex.request.body?.stream !== true) {
      if (!(await waitWhole(ex, s))) return;
      const content: unknown[] = [];
      if (p.thinking > 0)
        content.push({ type: 'thinking', thinking: p.thinkingText, signature: p.signature });
      if (p.tool === undefined) content.push({ type: 'text', text: p.reply.join(''), citations: null });
      else content.push({ type: 'tool_use', id: p.toolId, name: p.tool, input: { text: p.reply.join('') } });
      sendJson(ex, 200, message(content, p.stopReason, true), {
        'request-id': nextId('req_'),
        ...s.headers,
      });
      return;
    }

    const event = (type: string, data: Record<string, unknown>) =>
      ex.write(namedSse(type, { type, ...data }));
    startSse(ex, s, { 'request-id': nextId('req_') });
    // Anthropic opens the message (with the input usage) as soon as it accepts the request.
    event('message_start', { message: message([], null, false) });
    let index = -1;
    const open = (block: Record<string, unknown>) => {
      index++;
      event('content_block_start', { index, content_block: block });
      if (index === 0) event('ping', {});
    };
    const close = () => event('content_block_stop', { index });
    const delta = (d: Record<string, unknown>) => event('content_block_delta', { index, delta: d });
    if (p.thinking > 0) open({ type: 'thinking', thinking: '', signature: '' });
    else if (p.tool === undefined) open({ type: 'text', text: '' });

    const ok = await streamChunks(ex, s, (i) => {
      if (i < p.thinking) {
        delta({ type: 'thinking_delta', thinking: s.texts[i] });
        if (i < p.thinking - 1) return;
        // The thinking block ends with its signature; the reply opens at once.
        delta({ type: 'signature_delta', signature: p.signature });
        close();
        if (p.tool === undefined) open({ type: 'text', text: '' });
        return;
      }
      const j = i - p.thinking;
      if (p.tool === undefined) {
        delta({ type: 'text_delta', text: p.reply[j] });
        return;
      }
      // Like Anthropic's: the block opens with the call's id and name, then the argument fragments.
      if (j === 0) open({ type: 'tool_use', id: p.toolId, name: p.tool, input: {} });
      delta({ type: 'input_json_delta', partial_json: p.args[j] });
    });
    if (!ok) return;
    if (index >= 0) close();
    if (s.failCode !== undefined) {
      event('error', { error: { type: s.failCode, message: s.errorMessage ?? 'scripted failure' } });
      ex.res.end();
      return;
    }
    event('message_delta', {
      delta: { stop_reason: p.stopReason, stop_sequence: null },
      // Cumulative: the final output count, and the input counts again.
      ...(withUsage ? { usage: usageOf(s, true) } : {}),
    });
    event('message_stop', {});
    ex.res.end();
  };
}

/**
 * Starts an Anthropic Messages API simulator on 127.0.0.1 (a free port by
 * default): `POST /v1/messages` (also `?beta=true`), streamed or not.
 */
export async function startAnthropicSimulator(
  options: AnthropicSimulatorOptions = {},
): Promise<AnthropicSimulator> {
  const handler = messages(options);
  const server = await startServer(options, (path, method) =>
    method === 'POST' && path.replace(/\/+$/, '') === '/v1/messages' ? handler : undefined,
  );
  return Object.assign(server, { baseURL: server.url });
}
