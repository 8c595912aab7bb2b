/**
 * One OpenAI SDK call's measurement: reads chunks, events and results into
 * the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest } from '@tokenmeter/llm';
import { Call, isObject, observeStreamInPlace, type TelemetryGuard } from '@tokenmeter/llm/integration';
import { classifyOpenAiError } from './error-type.js';
import { failedResponse, type Operation, observeEvent, readResult, responsesFailure } from './extract.js';

interface StreamLike {
  iterator: (...args: unknown[]) => unknown;
  controller?: { signal?: AbortSignal };
}

function isStreamLike(x: unknown): x is StreamLike {
  return isObject(x) && typeof x.iterator === 'function';
}

export class OpenAiCall extends Call {
  /** A Responses API call can fail with HTTP 200: a `response.failed` event, or a failed result. */
  private failure: { code: string; message: string } | undefined;

  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly op: Operation,
    private readonly stream: boolean,
  ) {
    super(request, telemetry);
  }

  /** A stream event reached the consumer. Hot path: no closure per event. */
  override item(value: unknown): void {
    if (observeEvent(this.op, value, this.info)) this.chunk();
    if (this.op === 'responses') this.failure ??= responsesFailure(value);
  }

  /**
   * The parsed body: a `Stream` is observed in place through its source
   * iterator — `Stream.prototype[Symbol.asyncIterator]`, `tee()` and
   * `toReadableStream()` all pull from `stream.iterator()`, so every way of
   * consuming it goes through there, once; anything else is the result.
   */
  override resolved(value: unknown): unknown {
    if (this.stream && isStreamLike(value)) {
      observeStreamInPlace(value, 'iterator', this, value.controller?.signal);
      return value;
    }
    readResult(this.op, value, this.info);
    if (this.op === 'responses') this.failure ??= failedResponse(value);
    this.complete();
    return value;
  }

  override complete(): void {
    const f = this.failure;
    if (f) this.fail(Object.assign(new Error(f.message), { code: f.code }), f.code);
    else this.end();
  }

  protected override errorType(error: unknown): string | undefined {
    return classifyOpenAiError(error);
  }
}
