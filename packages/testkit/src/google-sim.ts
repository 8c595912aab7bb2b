/**
 * A Google Gen AI simulator: the Gemini API's (and Vertex AI's)
 * `POST …/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`,
 * answered with `GenerateContentResponse` objects as the `@google/genai` SDK
 * parses them, on a script's schedule. The model is read from the URL path,
 * where the SDK puts it.
 */
import { nextId, scriptOrError, startSse, streamChunks, waitWhole } from './playback.js';
import { type ResolvedScript, type ScriptOptions, toolArguments } from './script.js';
import {
  type Exchange,
  type Handler,
  type RequestTarget,
  type RunningSimulator,
  type ServerOptions,
  sendJson,
  startServer,
} from './server.js';

export interface GoogleSimulatorOptions extends ServerOptions, ScriptOptions {}

export interface GoogleSimulator extends RunningSimulator {
  /** `url`: pass as `httpOptions.baseUrl` to `new GoogleGenAI(…)` (it adds the API version and path). */
  readonly baseURL: string;
}

/** The `status` Google's APIs send with each HTTP status. */
const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Gemini's finish reasons for the script's provider-neutral ones; others pass as written. */
const FINISH_REASONS: Record<string, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini ends a turn that calls a function with STOP.
  tool_calls: 'STOP',
};

const errorBody = (code: number, message: string) => ({
  error: { code, message, status: STATUSES[code] ?? 'UNKNOWN' },
});

function sendError(ex: Exchange, s: ResolvedScript, status: number): void {
  sendJson(ex, status, errorBody(status, s.errorMessage ?? `Simulated error ${status}.`), s.headers);
}

/**
 * `usageMetadata` as Gemini reports it: `promptTokenCount` includes the
 * cached tokens; `candidatesTokenCount` excludes the thinking tokens
 * (`thoughtsTokenCount`), so the two add up to the script's `completionTokens`.
 * Zero counts are left out, as proto3 JSON leaves them out.
 */
function usageOf(s: ResolvedScript) {
  const thoughts = s.reasoningTokens ?? 0;
  const candidates = Math.max(0, s.completionTokens - thoughts);
  const toolUse = s.toolUsePromptTokens ?? 0;
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined);
  return {
    promptTokenCount: s.promptTokens,
    candidatesTokenCount: positive(candidates),
    totalTokenCount: s.promptTokens + toolUse + candidates + thoughts,
    cachedContentTokenCount: positive(s.cachedTokens),
    thoughtsTokenCount: positive(s.reasoningTokens),
    toolUsePromptTokenCount: positive(s.toolUsePromptTokens),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: s.promptTokens }],
  };
}

/** Which chunks are thoughts, which the reply; a function call is sent whole, in one part, as Gemini does. */
function plan(s: ResolvedScript) {
  const thinking = Math.min(s.thinkingChunks, s.texts.length);
  const reply = s.texts.slice(thinking);
  const tool = s.toolCall;
  const call =
    tool === undefined ? undefined : { name: tool, args: JSON.parse(toolArguments(reply).join('') || '{}') };
  return {
    thinking,
    reply,
    call,
    /** Chunks sent: a function call takes one. */
    sent: tool === undefined ? s.texts.length : thinking + Math.min(1, reply.length),
    finishReason: FINISH_REASONS[tool === undefined ? s.finishReason : s.toolFinishReason] ?? s.finishReason,
  };
}

function generateContent(options: ScriptOptions, streamed: boolean): Handler {
  return async (ex) => {
    const s = await scriptOrError(ex, options, sendError);
    if (!s) return;
    const p = plan(s);
    const responseId = nextId('resp-');
    const response = (parts: unknown[], final: boolean) => ({
      candidates: [
        {
          content: { parts, role: 'model' },
          ...(final ? { finishReason: p.finishReason } : {}),
          index: 0,
        },
      ],
      ...(final && s.usage !== false ? { usageMetadata: usageOf(s) } : {}),
      modelVersion: s.responseModel,
      responseId,
    });

    if (!streamed) {
      if (!(await waitWhole(ex, s))) return;
      const parts: unknown[] = [];
      if (p.thinking > 0) parts.push({ text: s.texts.slice(0, p.thinking).join(''), thought: true });
      if (p.call) parts.push({ functionCall: p.call });
      else parts.push({ text: p.reply.join('') });
      sendJson(ex, 200, response(parts, true), s.headers);
      return;
    }

    const send = (data: unknown) => ex.write(`data: ${JSON.stringify(data)}\r\n\r\n`);
    const played: ResolvedScript = { ...s, texts: s.texts.slice(0, p.sent) };
    const fails = s.failCode !== undefined;
    startSse(ex, s);
    const ok = await streamChunks(ex, played, (i) => {
      const part =
        i < p.thinking
          ? { text: s.texts[i], thought: true }
          : p.call
            ? { functionCall: p.call }
            : { text: s.texts[i] };
      // The last chunk carries the finish reason and the usage.
      send(response([part], !fails && i === p.sent - 1));
    });
    if (!ok) return;
    if (fails) {
      const code = Number(s.failCode);
      const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : 500;
      send(errorBody(status, s.errorMessage ?? 'scripted failure'));
    } else if (p.sent === 0) {
      send(response([], true));
    }
    ex.res.end();
  };
}

const METHOD = /\/models\/(.+):(generateContent|streamGenerateContent)$/;

/** The path before `?`, and the model between `models/` and the method. */
const urlModelTarget: RequestTarget = (url) => {
  const path = decodeURIComponent(url.split('?')[0] ?? '/');
  return { path, model: METHOD.exec(path)?.[1] };
};

/**
 * Starts a Gemini API / Vertex AI simulator on 127.0.0.1 (a free port by
 * default): `POST /{version}/models/{model}:generateContent` and
 * `:streamGenerateContent` (Vertex: `…/publishers/{publisher}/models/{model}:…`).
 */
export async function startGoogleSimulator(options: GoogleSimulatorOptions = {}): Promise<GoogleSimulator> {
  const whole = generateContent(options, false);
  const streamed = generateContent(options, true);
  const server = await startServer(
    options,
    (path, method) => {
      const m = method === 'POST' ? METHOD.exec(path) : null;
      return m ? (m[2] === 'streamGenerateContent' ? streamed : whole) : undefined;
    },
    urlModelTarget,
  );
  return Object.assign(server, { baseURL: server.url });
}
