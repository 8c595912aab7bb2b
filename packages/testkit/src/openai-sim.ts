import { namedSse, nextId, scriptOrError, sse, startSse, streamChunks, waitWhole } from './playback.js';
import { embed, type ResolvedScript, type ScriptOptions, toolArguments } from './script.js';
import {
  type Exchange,
  type Handler,
  type RunningSimulator,
  type ServerOptions,
  sendJson,
  startServer,
} from './server.js';

export interface OpenAiSimulatorOptions extends ServerOptions, ScriptOptions {}

export interface OpenAiSimulator extends RunningSimulator {
  /** `url + '/v1'`: pass as `baseURL` to the `openai` client. */
  readonly baseURL: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const ERROR_TYPES: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request (simulated).'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided (simulated).'],
  403: ['invalid_request_error', 'unsupported_country_region_territory', 'Forbidden (simulated).'],
  404: ['invalid_request_error', 'model_not_found', 'The model does not exist (simulated).'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached (simulated).'],
  500: ['server_error', null, 'The server had an error while processing your request (simulated).'],
  503: ['server_error', null, 'The engine is currently overloaded (simulated).'],
};

/** Sends the scripted HTTP error with an OpenAI-shaped body. */
function sendError(ex: Exchange, s: ResolvedScript, status: number): void {
  const [type, code, message] = ERROR_TYPES[status] ?? ['server_error', null, `Simulated error ${status}.`];
  sendJson(
    ex,
    status,
    { error: { message: s.errorMessage ?? message, type, param: null, code } },
    { 'x-request-id': nextId('req_'), ...s.headers },
  );
}

const openSse = (ex: Exchange, s: ResolvedScript) => startSse(ex, s, { 'x-request-id': nextId('req_') });

/** Shared prelude: an error status ends the exchange. Returns the script when the caller should go on. */
const prelude = (ex: Exchange, options: ScriptOptions) => scriptOrError(ex, options, sendError);

function wantsStreamUsage(ex: Exchange, s: ResolvedScript): boolean {
  if (s.usage === 'auto') {
    const so = ex.request.body?.stream_options as { include_usage?: unknown } | undefined;
    return so?.include_usage === true;
  }
  return s.usage;
}

/** `service_tier`, where the script gives one (OpenAI sends it on every response and chunk). */
function tierOf(s: ResolvedScript): { service_tier?: string } {
  return s.serviceTier !== undefined ? { service_tier: s.serviceTier } : {};
}

function chatUsage(s: ResolvedScript) {
  return {
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    total_tokens: s.promptTokens + s.completionTokens,
    ...(s.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: s.cachedTokens } } : {}),
    ...(s.reasoningTokens !== undefined
      ? { completion_tokens_details: { reasoning_tokens: s.reasoningTokens } }
      : {}),
  };
}

function responsesUsage(s: ResolvedScript) {
  return {
    input_tokens: s.promptTokens,
    input_tokens_details: { cached_tokens: s.cachedTokens ?? 0 },
    output_tokens: s.completionTokens,
    output_tokens_details: { reasoning_tokens: s.reasoningTokens ?? 0 },
    total_tokens: s.promptTokens + s.completionTokens,
  };
}

function chatCompletions(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await prelude(ex, options);
    if (!s) return;
    const id = nextId('chatcmpl-');
    const created = nowSeconds();
    const model = s.responseModel;
    const tool = s.toolCall;
    const args = tool === undefined ? [] : toolArguments(s.texts);
    const callId = nextId('call_');
    const message =
      tool === undefined
        ? { role: 'assistant', content: s.texts.join(''), refusal: null }
        : {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              { id: callId, type: 'function', function: { name: tool, arguments: args.join('') } },
            ],
          };
    const finishReason = tool === undefined ? s.finishReason : s.toolFinishReason;
    if (ex.request.body?.stream !== true) {
      if (!(await waitWhole(ex, s))) return;
      sendJson(
        ex,
        200,
        {
          id,
          object: 'chat.completion',
          created,
          model,
          ...tierOf(s),
          system_fingerprint: null,
          choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
          ...(s.usage !== false ? { usage: chatUsage(s) } : {}),
        },
        { 'x-request-id': nextId('req_'), ...s.headers },
      );
      return;
    }
    const withUsage = wantsStreamUsage(ex, s);
    const base = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      ...tierOf(s),
      system_fingerprint: null,
    };
    const extra = withUsage ? { usage: null } : {};
    const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    });
    openSse(ex, s);
    const ok = await streamChunks(ex, s, (i) => {
      if (tool === undefined) {
        // The first event only carries the role (no output), like OpenAI's.
        if (i === 0) ex.write(sse(choice({ role: 'assistant', content: '', refusal: null })));
        ex.write(sse(choice({ content: s.texts[i] })));
        return;
      }
      // Like OpenAI's: the call's id and name with empty arguments, then the argument fragments.
      if (i === 0) {
        const call = { index: 0, id: callId, type: 'function', function: { name: tool, arguments: '' } };
        ex.write(sse(choice({ role: 'assistant', content: null, tool_calls: [call] })));
      }
      ex.write(sse(choice({ tool_calls: [{ index: 0, function: { arguments: args[i] } }] })));
    });
    if (!ok) return;
    if (s.texts.length === 0) ex.write(sse(choice({ role: 'assistant', content: '', refusal: null })));
    ex.write(sse(choice({}, finishReason)));
    if (withUsage) ex.write(sse({ ...base, choices: [], usage: chatUsage(s) }));
    ex.write('data: [DONE]\n\n');
    ex.res.end();
  };
}

function legacyCompletions(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await prelude(ex, options);
    if (!s) return;
    const id = nextId('cmpl-');
    const created = nowSeconds();
    const base = { id, object: 'text_completion', created, model: s.responseModel };
    if (ex.request.body?.stream !== true) {
      if (!(await waitWhole(ex, s))) return;
      sendJson(
        ex,
        200,
        {
          ...base,
          system_fingerprint: null,
          choices: [{ text: s.texts.join(''), index: 0, logprobs: null, finish_reason: s.finishReason }],
          ...(s.usage !== false ? { usage: chatUsage(s) } : {}),
        },
        { 'x-request-id': nextId('req_'), ...s.headers },
      );
      return;
    }
    const withUsage = wantsStreamUsage(ex, s);
    const extra = withUsage ? { usage: null } : {};
    const chunk = (text: string, finish: string | null = null) => ({
      ...base,
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
      ...extra,
    });
    openSse(ex, s);
    if (!(await streamChunks(ex, s, (i) => ex.write(sse(chunk(s.texts[i]!)))))) return;
    ex.write(sse(chunk('', s.finishReason)));
    if (withUsage) ex.write(sse({ ...base, choices: [], usage: chatUsage(s) }));
    ex.write('data: [DONE]\n\n');
    ex.res.end();
  };
}

function responses(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await prelude(ex, options);
    if (!s) return;
    const id = nextId('resp_');
    const createdAt = nowSeconds();
    const tool = s.toolCall;
    // A tool call is a `function_call` output item; its JSON arguments stream as deltas, one fragment per chunk.
    const itemId = nextId(tool === undefined ? 'msg_' : 'fc_');
    const callId = nextId('call_');
    const args = tool === undefined ? [] : toolArguments(s.texts);
    const text = s.texts.join('');
    const item = (status: 'in_progress' | 'completed') =>
      tool === undefined
        ? {
            type: 'message',
            id: itemId,
            status,
            role: 'assistant',
            content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
          }
        : {
            type: 'function_call',
            id: itemId,
            call_id: callId,
            name: tool,
            arguments: status === 'completed' ? args.join('') : '',
            status,
          };
    const response = (status: string, done: boolean) => ({
      id,
      object: 'response',
      created_at: createdAt,
      status,
      error: status === 'failed' ? { code: s.failCode, message: s.errorMessage ?? 'scripted failure' } : null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      model: s.responseModel,
      ...tierOf(s),
      output: done ? [item('completed')] : [],
      parallel_tool_calls: true,
      previous_response_id: null,
      temperature: 1,
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      usage: done && s.usage !== false ? responsesUsage(s) : null,
    });
    if (ex.request.body?.stream !== true) {
      if (!(await waitWhole(ex, s))) return;
      const final = s.failCode === undefined ? response('completed', true) : response('failed', false);
      sendJson(ex, 200, final, { 'x-request-id': nextId('req_'), ...s.headers });
      return;
    }
    let seq = 0;
    const event = (type: string, data: Record<string, unknown>) =>
      ex.write(namedSse(type, { type, sequence_number: seq++, ...data }));
    openSse(ex, s);
    event('response.created', { response: response('in_progress', false) });
    event('response.in_progress', { response: response('in_progress', false) });
    const part = { item_id: itemId, output_index: 0, content_index: 0 };
    const ok = await streamChunks(ex, s, (i) => {
      if (i === 0) {
        event('response.output_item.added', { output_index: 0, item: item('in_progress') });
        if (tool === undefined)
          event('response.content_part.added', {
            ...part,
            part: { type: 'output_text', text: '', annotations: [] },
          });
      }
      if (tool === undefined)
        event('response.output_text.delta', { ...part, delta: s.texts[i], logprobs: [] });
      else
        event('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta: args[i] });
    });
    if (!ok) return;
    if (s.failCode !== undefined) {
      event('response.failed', { response: response('failed', false) });
      ex.res.end();
      return;
    }
    if (tool === undefined) {
      event('response.output_text.done', { ...part, text, logprobs: [] });
      event('response.content_part.done', { ...part, part: { type: 'output_text', text, annotations: [] } });
    } else {
      event('response.function_call_arguments.done', {
        item_id: itemId,
        output_index: 0,
        name: tool,
        arguments: args.join(''),
      });
    }
    event('response.output_item.done', { output_index: 0, item: item('completed') });
    event('response.completed', { response: response('completed', true) });
    ex.res.end();
  };
}

function inputsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) {
    if (input.length > 0 && typeof input[0] === 'number') return [JSON.stringify(input)];
    return input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  }
  return [''];
}

function embeddings(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await prelude(ex, options);
    if (!s) return;
    if (!(await waitWhole(ex, s))) return;
    const base64 = ex.request.body?.encoding_format === 'base64';
    const dims = typeof ex.request.body?.dimensions === 'number' ? ex.request.body.dimensions : s.dimensions;
    const data = inputsOf(ex.request.body?.input).map((text, index) => {
      const v = embed(text, dims);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      };
    });
    sendJson(
      ex,
      200,
      {
        object: 'list',
        data,
        model: s.responseModel,
        ...(s.usage !== false
          ? { usage: { prompt_tokens: s.promptTokens, total_tokens: s.promptTokens } }
          : {}),
      },
      { 'x-request-id': nextId('req_'), ...s.headers },
    );
  };
}

function models(options: ScriptOptions): Handler {
  return async (ex) => {
    const names = Object.keys(options.models ?? {});
    sendJson(ex, 200, {
      object: 'list',
      data: (names.length ? names : ['sim']).map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'tokenmeter-testkit',
      })),
    });
  };
}

/** OpenAI-compatible routes under `/v1` (also served by the Ollama simulator). */
export function openAiRoutes(options: ScriptOptions): (path: string, method: string) => Handler | undefined {
  const table: Record<string, Handler> = {
    'POST /v1/chat/completions': chatCompletions(options),
    'POST /v1/completions': legacyCompletions(options),
    'POST /v1/responses': responses(options),
    'POST /v1/embeddings': embeddings(options),
    'GET /v1/models': models(options),
  };
  return (path, method) => table[`${method} ${path.replace(/\/+$/, '')}`];
}

/**
 * Starts an OpenAI-compatible HTTP server on 127.0.0.1 (a free port by
 * default) with scripted timings: `/v1/chat/completions`, `/v1/responses`,
 * `/v1/embeddings`, `/v1/completions`, `/v1/models`.
 */
export async function startOpenAiSimulator(options: OpenAiSimulatorOptions = {}): Promise<OpenAiSimulator> {
  const server = await startServer(options, openAiRoutes(options));
  return Object.assign(server, { baseURL: `${server.url}/v1` });
}
