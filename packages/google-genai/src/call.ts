/**
 * One Gemini request's measurement (`generateContent` or
 * `streamGenerateContent`): reads the response or the streamed chunks into
 * the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest } from '@tokenmeter/llm';
import {
  Call,
  isAsyncIterable,
  observeAsyncIterable,
  type TelemetryGuard,
} from '@tokenmeter/llm/integration';
import { classifyGoogleGenAIError } from './error-type.js';
import { readResponse } from './extract.js';

export class GoogleGenAICall extends Call {
  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly stream: boolean,
    /** The call's `config.abortSignal`, watched so an abort is recorded when it happens. */
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    super(request, telemetry);
    this.watch(callerSignal);
  }

  /** A streamed chunk reached the consumer. Hot path: no closure per chunk. */
  override item(chunk: unknown): void {
    if (readResponse(chunk, this.info)) this.chunk();
  }

  /**
   * The request's promise resolved: a stream (the SDK's async generator of
   * chunks) comes back observed — still an async generator for whoever reads
   * it — and anything else is the whole response.
   */
  override resolved(value: unknown): unknown {
    if (this.stream && isAsyncIterable(value)) return observeAsyncIterable(value, this);
    readResponse(value, this.info);
    this.complete();
    return value;
  }

  protected override errorType(error: unknown): string | undefined {
    return classifyGoogleGenAIError(error, this.callerSignal);
  }
}
