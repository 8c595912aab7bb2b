/**
 * Playing a resolved script on an exchange, the same way for every
 * simulated API: the scripted HTTP error after its delay, the wait for a
 * whole answer, the output chunks on their absolute schedule, and the cut.
 * Each API only says how its errors, chunks and final events are spelled.
 */
import {
  chunkDue,
  lastChunkDue,
  nonStreamCutAt,
  type ResolvedScript,
  resolveScript,
  type ScriptOptions,
  streamCutAt,
} from './script.js';
import type { Exchange } from './server.js';

let ids = 0;

/** A short unique id with the API's prefix (`msg_`, `req_`, `chatcmpl-`…). */
export const nextId = (prefix: string): string => `${prefix}${(++ids).toString(36).padStart(6, '0')}`;

/**
 * Resolves the exchange's script. A scripted HTTP error (`status` ≥ 400) is
 * sent by `sendError` after `errorDelayMs`, and ends the exchange: returns
 * undefined then, else the script to play.
 */
export async function scriptOrError(
  ex: Exchange,
  options: ScriptOptions,
  sendError: (ex: Exchange, s: ResolvedScript, status: number) => void,
): Promise<ResolvedScript | undefined> {
  const s = resolveScript(ex.request, options);
  if (s.status !== undefined && s.status >= 400) {
    if (await ex.at(s.errorDelayMs)) sendError(ex, s, s.status);
    return undefined;
  }
  return s;
}

/** For non-streaming calls: wait for the generation time, or cut. False when the exchange is over. */
export async function waitWhole(ex: Exchange, s: ResolvedScript): Promise<boolean> {
  if (s.cutAfterChunks !== undefined) {
    if (await ex.at(nonStreamCutAt(s))) ex.cut();
    return false;
  }
  return ex.at(lastChunkDue(s));
}

/**
 * Streams `texts` on schedule, honouring `cutAfterChunks`. `emit(i)` writes
 * chunk i. Returns false when the exchange ended (client gone or cut).
 */
export async function streamChunks(
  ex: Exchange,
  s: ResolvedScript,
  emit: (i: number) => void,
): Promise<boolean> {
  const cut = s.cutAfterChunks;
  for (let i = 0; i < s.texts.length; i++) {
    if (cut !== undefined && i >= cut) break;
    if (!(await ex.at(chunkDue(s, i)))) return false;
    emit(i);
  }
  if (cut !== undefined) {
    if (await ex.at(streamCutAt(s))) ex.cut();
    return false;
  }
  if (s.texts.length === 0 && !(await ex.at(s.ttftMs))) return false;
  return true;
}

/** Starts a `text/event-stream` response with the script's extra headers. */
export function startSse(ex: Exchange, s: ResolvedScript, headers: Record<string, string> = {}): void {
  ex.res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
    ...s.headers,
  });
  ex.res.flushHeaders();
}

/** One SSE event of `data` only. */
export const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

/** One SSE event with an `event:` name. */
export const namedSse = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
