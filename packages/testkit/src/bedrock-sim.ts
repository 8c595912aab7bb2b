/**
 * An Amazon Bedrock runtime simulator for the Converse API:
 * `POST /model/{modelId}/converse` (JSON) and
 * `POST /model/{modelId}/converse-stream` (`application/vnd.amazon.eventstream`
 * binary frames: `messageStart`, `contentBlockStart`, `contentBlockDelta`,
 * `contentBlockStop`, `messageStop`, `metadata`, and modelled exception
 * events), on a script's schedule. Request signatures are not checked: point
 * an `@aws-sdk/client-bedrock-runtime` client at `baseURL` with any static
 * credentials.
 */
import { performance } from 'node:perf_hooks';
import { encodeJsonEvent, encodeJsonException } from './eventstream.js';
import { nextId, scriptOrError, streamChunks, waitWhole } from './playback.js';
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

export interface BedrockSimulatorOptions extends ServerOptions, ScriptOptions {}

export interface BedrockSimulator extends RunningSimulator {
  /** `url`: pass as `endpoint` to a `BedrockRuntimeClient` (it adds `/model/{modelId}/converse`). */
  readonly baseURL: string;
}

/** The exception Bedrock answers each HTTP status with (its `x-amzn-ErrorType`). */
const EXCEPTIONS: Record<number, [name: string, message: string]> = {
  400: ['ValidationException', 'Invalid request (simulated).'],
  403: ['AccessDeniedException', 'You do not have access to the model (simulated).'],
  404: ['ResourceNotFoundException', 'The model was not found (simulated).'],
  408: ['ModelTimeoutException', 'The model timed out (simulated).'],
  424: ['ModelErrorException', 'The model returned an error (simulated).'],
  429: ['ThrottlingException', 'Too many requests, please wait before trying again (simulated).'],
  500: ['InternalServerException', 'Internal server error (simulated).'],
  503: ['ServiceUnavailableException', 'Service unavailable (simulated).'],
};

/** Bedrock's stop reasons for the script's provider-neutral ones; others pass as written. */
const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};
const stopReason = (reason: string) => STOP_REASONS[reason] ?? reason;

/** A request id shaped like AWS's (a UUID). */
const requestId = () => `00000000-0000-4000-8000-${nextId('').padStart(12, '0')}`;

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

/** The model id is the path's `{modelId}`, percent-decoded (the SDK encodes it). */
const modelInPath: RequestTarget = (url) => {
  const path = url.split('?')[0] ?? '/';
  const encoded = ROUTE.exec(path)?.[1];
  let model: string | undefined;
  try {
    model = encoded === undefined ? undefined : decodeURIComponent(encoded);
  } catch {
    model = undefined;
  }
  return { path, model };
};

/** A Bedrock (restJson1) error: the exception's name in `x-amzn-ErrorType`, `{ message }` in the body. */
function sendError(ex: Exchange, s: ResolvedScript, status: number): void {
  const [name, message] = EXCEPTIONS[status] ?? ['InternalServerException', `Simulated error ${status}.`];
  sendJson(
    ex,
    status,
    { message: s.errorMessage ?? message },
    {
      'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': requestId(),
      ...s.headers,
    },
  );
}

/**
 * `usage` as Converse reports it: `inputTokens` are the input tokens neither
 * read from nor written to the prompt cache, so the three input counts add
 * up to the script's `promptTokens`; `totalTokens` counts them all.
 */
function usageOf(s: ResolvedScript) {
  const read = s.cachedTokens;
  const write = s.cacheWriteTokens;
  return {
    inputTokens: Math.max(0, s.promptTokens - (read ?? 0) - (write ?? 0)),
    outputTokens: s.completionTokens,
    totalTokens: s.promptTokens + s.completionTokens,
    ...(read !== undefined ? { cacheReadInputTokens: read } : {}),
    ...(write !== undefined ? { cacheWriteInputTokens: write } : {}),
  };
}

/** Bedrock always reports usage; `usage: false` (`usage=0`) simulates a reply without it. */
const reportsUsage = (s: ResolvedScript) => s.usage !== false;

/** The server's own latency, as Bedrock reports it in `metrics.latencyMs`: from the request to now. */
const latencyMs = (ex: Exchange) => Math.max(0, Math.round(performance.now() - ex.request.receivedAt));

/**
 * A routed request (a prompt router or an inference profile) names the model
 * that answered in `trace.promptRouter.invokedModelId`; a script whose
 * `responseModel` differs from the requested model simulates one.
 */
function traceOf(ex: Exchange, s: ResolvedScript) {
  const base = (ex.request.model ?? '').split(/[?;]/)[0];
  return s.responseModel !== base ? { trace: { promptRouter: { invokedModelId: s.responseModel } } } : {};
}

function converse(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await scriptOrError(ex, options, sendError);
    if (!s || !(await waitWhole(ex, s))) return;
    const tool = s.toolCall;
    const content =
      tool === undefined
        ? [{ text: s.texts.join('') }]
        : [{ toolUse: { toolUseId: nextId('tooluse_'), name: tool, input: { text: s.texts.join('') } } }];
    sendJson(
      ex,
      200,
      {
        output: { message: { role: 'assistant', content } },
        stopReason: stopReason(tool === undefined ? s.finishReason : s.toolFinishReason),
        ...(reportsUsage(s) ? { usage: usageOf(s) } : {}),
        metrics: { latencyMs: latencyMs(ex) },
        ...traceOf(ex, s),
      },
      { 'x-amzn-requestid': requestId(), ...s.headers },
    );
  };
}

function converseStream(options: ScriptOptions): Handler {
  return async (ex) => {
    const s = await scriptOrError(ex, options, sendError);
    if (!s) return;
    const send = (frame: Buffer): boolean => {
      if (ex.signal.aborted || ex.res.destroyed) return false;
      ex.res.write(frame);
      return true;
    };
    ex.res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': requestId(),
      ...s.headers,
    });
    ex.res.flushHeaders();
    send(encodeJsonEvent('messageStart', { role: 'assistant' }));
    const tool = s.toolCall;
    const args = tool === undefined ? [] : toolArguments(s.texts);
    const ok = await streamChunks(ex, s, (i) => {
      if (tool === undefined) {
        send(encodeJsonEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: s.texts[i] } }));
        return;
      }
      // Like Bedrock's: the tool's id and name open the block, then the input arrives in fragments.
      if (i === 0) {
        const start = { toolUse: { toolUseId: nextId('tooluse_'), name: tool } };
        send(encodeJsonEvent('contentBlockStart', { contentBlockIndex: 0, start }));
      }
      send(
        encodeJsonEvent('contentBlockDelta', {
          contentBlockIndex: 0,
          delta: { toolUse: { input: args[i] } },
        }),
      );
    });
    if (!ok) return;
    // `fail=<exception event>`: the stream ends with that modelled exception instead of its end.
    const failure = s.failCode;
    if (failure !== undefined) {
      send(encodeJsonException(failure, { message: s.errorMessage ?? `${failure} (simulated).` }));
      ex.res.end();
      return;
    }
    send(encodeJsonEvent('contentBlockStop', { contentBlockIndex: 0 }));
    send(
      encodeJsonEvent('messageStop', {
        stopReason: stopReason(tool === undefined ? s.finishReason : s.toolFinishReason),
      }),
    );
    send(
      encodeJsonEvent('metadata', {
        ...(reportsUsage(s) ? { usage: usageOf(s) } : {}),
        metrics: { latencyMs: latencyMs(ex) },
        ...traceOf(ex, s),
      }),
    );
    ex.res.end();
  };
}

/**
 * Starts the simulator. Scripts work as for the other simulators (the model
 * id in the path is the scripted name: `m?ttft=60&gap=10`, which the SDK
 * percent-encodes), with Bedrock's spelling: stop reasons `end_turn`,
 * `max_tokens`, `tool_use`; cached and cache-write tokens as
 * `cacheReadInputTokens` / `cacheWriteInputTokens` beside `inputTokens`;
 * HTTP errors as Bedrock's exceptions; `fail=<exception event>` ends a
 * stream with that exception event (`throttlingException`,
 * `modelStreamErrorException`, …) after the chunks.
 */
export async function startBedrockSimulator(
  options: BedrockSimulatorOptions = {},
): Promise<BedrockSimulator> {
  const handlers = { converse: converse(options), 'converse-stream': converseStream(options) };
  const server = await startServer(
    options,
    (path, method) => {
      const op = method === 'POST' ? ROUTE.exec(path)?.[2] : undefined;
      return op === 'converse' || op === 'converse-stream' ? handlers[op] : undefined;
    },
    modelInPath,
  );
  return { ...server, baseURL: server.url, close: server.close };
}
