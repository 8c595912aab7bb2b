/**
 * One `ollama` client call's measurement: reads the NDJSON objects and the
 * final object into the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest, LlmMetrics } from '@tokenmeter/llm';
import {
  Call,
  isAsyncIterable,
  isObject,
  observeStreamInPlace,
  type TelemetryGuard,
} from '@tokenmeter/llm/integration';
import { classifyOllamaError, ERROR_TYPE_INCOMPLETE_STREAM, ERROR_TYPE_STREAM_ERROR } from './error-type.js';
import { isDone, isOutputChunk, isStreamError, type Operation, readFinal } from './extract.js';

/** What the call needs of `instrumentOllama`'s options. */
export interface OllamaCallOptions {
  readonly llm: LlmMetrics;
  /** Record Ollama's own durations. */
  readonly serverTimings: boolean;
  readonly worker: string | undefined;
}

interface AbortableLike {
  abortController?: AbortController;
  itr?: unknown;
  [Symbol.asyncIterator]: () => AsyncIterator<unknown>;
}

function isAbortableLike(x: unknown): x is AbortableLike {
  return isObject(x) && typeof x[Symbol.asyncIterator] === 'function';
}

function isPlainError(e: unknown): boolean {
  return e instanceof Error && Object.getPrototypeOf(e) === Error.prototype;
}

export class OllamaCall extends Call {
  /** The raw stream carried an `{"error": …}` object. */
  streamError = false;
  /** The raw stream ended (with or without the final object). */
  sourceEnded = false;
  /** `load_duration` of the final object, recorded on llm's model-load histogram. */
  private loadS: number | undefined;

  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly options: OllamaCallOptions,
    private readonly op: Operation,
    private readonly stream: boolean,
    private readonly provider: string,
    private readonly requestModel: string | undefined,
  ) {
    super(request, telemetry);
  }

  /** A streamed object reached the consumer; the final `done: true` one ends the call. */
  override item(msg: unknown): void {
    if (isOutputChunk(this.op, msg)) this.chunk();
    if (isDone(msg)) {
      this.readFinal(msg);
      this.complete();
    }
  }

  override resolved(value: unknown): unknown {
    if (this.stream && isAbortableLike(value)) {
      this.observeStream(value);
      return value;
    }
    this.readFinal(value);
    this.complete();
    return value;
  }

  override complete(): void {
    if (this.end()) this.recordModelLoad();
  }

  protected override errorType(error: unknown): string | undefined {
    if (this.streamError) return ERROR_TYPE_STREAM_ERROR;
    if (this.sourceEnded && isPlainError(error)) return ERROR_TYPE_INCOMPLETE_STREAM;
    return classifyOllamaError(error);
  }

  /**
   * Observes an `AbortableAsyncIterator` in place: same object, same class,
   * same `abort()`. Its own `[Symbol.asyncIterator]` is observed (what the
   * consumer sees), its source `itr` is peeked (to tell an in-stream error
   * object from other errors) and its `AbortController` is watched (so
   * `.abort()` and `client.abort()` finalise at the moment they are called,
   * even if the consumer never reads again).
   */
  private observeStream(it: AbortableLike): void {
    const signal = it.abortController?.signal;
    this.watch(signal);
    if (isAsyncIterable(it.itr)) it.itr = peek(it.itr, this);
    observeStreamInPlace(it, Symbol.asyncIterator, this, signal);
  }

  private readFinal(body: unknown): void {
    const t = readFinal(this.op, body, this.info);
    if (!t || !this.options.serverTimings) return;
    // Ollama's own clock, kept apart from ours: llm records these as reported.* durations.
    this.info.serverTimings = {
      totalS: t.totalS,
      prefillS: t.promptEvalS,
      decodeS: this.op === 'embeddings' ? undefined : t.evalS,
    };
    this.loadS = t.loadS;
  }

  private recordModelLoad(): void {
    const loadS = this.loadS;
    if (loadS === undefined || loadS <= 0) return;
    try {
      this.options.llm.modelLoad({
        provider: this.provider,
        model: this.info.responseModel ?? this.requestModel,
        worker: this.options.worker,
        durationS: loadS,
      });
    } catch (error) {
      this.report('modelLoad', error);
    }
  }
}

/** Passes the raw NDJSON objects through, noting `{"error": …}` objects and the end of the source. */
async function* peek(
  source: AsyncIterable<unknown>,
  call: OllamaCall,
): AsyncGenerator<unknown, void, unknown> {
  for await (const msg of source) {
    if (isStreamError(msg)) call.streamError = true;
    yield msg;
  }
  call.sourceEnded = true;
}
