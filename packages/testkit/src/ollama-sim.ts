import { performance } from 'node:perf_hooks';
import { openAiRoutes } from './openai-sim.js';
import {
  chunkDue,
  embed,
  lastChunkDue,
  nonStreamCutAt,
  type ResolvedScript,
  resolveScript,
  type ScriptOptions,
  streamCutAt,
  toolArguments,
} from './script.js';
import {
  type Exchange,
  type Handler,
  type RunningSimulator,
  type ServerOptions,
  sendJson,
  startServer,
} from './server.js';

export interface OllamaSimulatorOptions extends ServerOptions, ScriptOptions {}

export interface OllamaSimulator extends RunningSimulator {
  /** `url + '/v1'`: Ollama's OpenAI-compatible API, served by the same simulator. */
  readonly baseURL: string;
}

const ms2ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

async function ollamaPrelude(ex: Exchange, options: ScriptOptions): Promise<ResolvedScript | undefined> {
  const s = resolveScript(ex.request, options);
  if (s.status !== undefined && s.status >= 400) {
    if (await ex.at(s.errorDelayMs)) {
      sendJson(ex, s.status, { error: s.errorMessage ?? `simulated error ${s.status}` }, s.headers);
    }
    return undefined;
  }
  return s;
}

/** Final-object timing fields, in nanoseconds, from the real schedule. */
function timings(ex: Exchange, s: ResolvedScript, firstAt: number, lastAt: number) {
  const now = performance.now();
  const load = s.loadMs;
  return {
    total_duration: ms2ns(now - ex.request.receivedAt),
    load_duration: ms2ns(load),
    ...(s.usage !== false ? { prompt_eval_count: s.promptTokens } : {}),
    prompt_eval_duration: ms2ns(Math.max(0, firstAt - ex.request.receivedAt - load)),
    ...(s.usage !== false ? { eval_count: s.completionTokens } : {}),
    eval_duration: ms2ns(Math.max(0, lastAt - firstAt)),
  };
}

function generateLike(options: ScriptOptions, kind: 'chat' | 'generate'): Handler {
  return async (ex) => {
    const s = await ollamaPrelude(ex, options);
    if (!s) return;
    const model = s.responseModel;
    const tool = kind === 'chat' ? s.toolCall : undefined;
    const piece = (text: string) =>
      kind === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text };
    // Ollama sends a tool call whole, in one object, with empty content.
    const toolPiece = () => ({
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: tool, arguments: JSON.parse(toolArguments(s.texts).join('')) } }],
      },
    });
    const stream = ex.request.body?.stream !== false; // Ollama streams by default
    const n = tool === undefined ? s.texts.length : Math.min(1, s.texts.length);
    if (!stream) {
      if (s.cutAfterChunks !== undefined) {
        if (await ex.at(nonStreamCutAt(s))) ex.cut();
        return;
      }
      if (!(await ex.at(lastChunkDue(s)))) return;
      const firstAt = ex.request.receivedAt + s.ttftMs;
      sendJson(ex, 200, {
        model,
        created_at: new Date().toISOString(),
        ...(tool === undefined ? piece(s.texts.join('')) : toolPiece()),
        done: true,
        done_reason: s.finishReason,
        ...(kind === 'generate' ? { context: [1, 2, 3] } : {}),
        ...timings(ex, s, firstAt, performance.now()),
      });
      return;
    }
    ex.res.writeHead(200, { 'content-type': 'application/x-ndjson', ...s.headers });
    ex.res.flushHeaders();
    const line = (obj: unknown) => ex.write(`${JSON.stringify(obj)}\n`);
    let firstAt = ex.request.receivedAt + s.ttftMs;
    let lastAt = firstAt;
    for (let i = 0; i < n; i++) {
      if (s.cutAfterChunks !== undefined && i >= s.cutAfterChunks) break;
      if (!(await ex.at(chunkDue(s, i)))) return;
      lastAt = performance.now();
      if (i === 0) firstAt = lastAt;
      const part = tool === undefined ? piece(s.texts[i]!) : toolPiece();
      line({ model, created_at: new Date().toISOString(), ...part, done: false });
    }
    if (s.cutAfterChunks !== undefined) {
      if (await ex.at(streamCutAt(s))) ex.cut();
      return;
    }
    if (n === 0 && !(await ex.at(s.ttftMs))) return;
    line({
      model,
      created_at: new Date().toISOString(),
      ...piece(''),
      done: true,
      done_reason: s.finishReason,
      ...(kind === 'generate' ? { context: [1, 2, 3] } : {}),
      ...timings(ex, s, firstAt, lastAt),
    });
    ex.res.end();
  };
}

function embedHandler(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await ollamaPrelude(ex, options);
    if (!s) return;
    if (!(await ex.at(s.ttftMs))) return;
    const input = ex.request.body?.input;
    const texts = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
    sendJson(ex, 200, {
      model: s.responseModel,
      embeddings: texts.map((t) => embed(t, s.dimensions)),
      total_duration: ms2ns(performance.now() - ex.request.receivedAt),
      load_duration: ms2ns(s.loadMs),
      ...(s.usage !== false ? { prompt_eval_count: s.promptTokens } : {}),
    });
  };
}

/**
 * Starts an Ollama-compatible server: `/api/chat`, `/api/generate` (NDJSON
 * streaming by default, final object with `done: true` and the
 * nanosecond timing fields), `/api/embed`, `/api/tags`, `/api/version`, and
 * Ollama's OpenAI-compatible `/v1/*`. Same scripting as the OpenAI simulator.
 */
export async function startOllamaSimulator(options: OllamaSimulatorOptions = {}): Promise<OllamaSimulator> {
  const v1 = openAiRoutes(options);
  const table: Record<string, Handler> = {
    'POST /api/chat': generateLike(options, 'chat'),
    'POST /api/generate': generateLike(options, 'generate'),
    'POST /api/embed': embedHandler(options),
    'GET /api/tags': async (ex) =>
      sendJson(ex, 200, {
        models: Object.keys(options.models ?? { sim: {} }).map((name) => ({ name, model: name, size: 0 })),
      }),
    'GET /api/version': async (ex) => sendJson(ex, 200, { version: '0.0.0-tokenmeter-sim' }),
  };
  const server = await startServer(options, (path, method) => table[`${method} ${path}`] ?? v1(path, method));
  return Object.assign(server, { baseURL: `${server.url}/v1` });
}
