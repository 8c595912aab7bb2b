/**
 * One Converse or ConverseStream call's measurement: reads the result or the
 * stream's events into the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest } from '@tokenmeter/llm';
import {
  Call,
  isAsyncIterable,
  isObject,
  observeAsyncIterable,
  type TelemetryGuard,
} from '@tokenmeter/llm/integration';
import { classifyBedrockError, ERROR_TYPE_INCOMPLETE_STREAM } from './error-type.js';
import { type EventState, observeEvent, readResult } from './extract.js';

export class BedrockCall extends Call {
  private readonly events: EventState = { stopped: false, exception: undefined };

  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly stream: boolean,
    private readonly serverTimings: boolean,
    /** The call's AbortSignal (`send(command, { abortSignal })`), when the SDK shows it to middleware. */
    private readonly abortSignal: AbortSignal | undefined,
  ) {
    super(request, telemetry);
    this.watch(abortSignal);
  }

  /** A stream event reached the consumer. */
  override item(event: unknown): void {
    if (observeEvent(event, this.info, this.events, this.serverTimings)) this.chunk();
  }

  /**
   * The command's output: a ConverseStream output comes back with its
   * `stream` observed as the caller reads it (the same events, untouched);
   * a Converse output is read at once.
   */
  override resolved(output: unknown): unknown {
    if (this.stream) {
      if (isObject(output) && isAsyncIterable(output.stream)) {
        return { ...output, stream: observeAsyncIterable(output.stream, this, this.abortSignal) };
      }
      this.report('resolved', new Error('a ConverseStream output without a stream'));
      this.end();
      return output;
    }
    readResult(output, this.info, this.serverTimings);
    this.complete();
    return output;
  }

  /**
   * The stream ended. Without `messageStop` it did not complete: the SDK
   * ends a stream quietly when its HTTP/2 connection drops.
   */
  override complete(): void {
    const exception = this.events.exception;
    if (exception !== undefined) {
      this.fail(Object.assign(new Error(`${exception} in the stream`), { name: exception }), exception);
    } else if (this.stream && !this.events.stopped) {
      this.fail(new Error('the stream ended before messageStop'), ERROR_TYPE_INCOMPLETE_STREAM);
    } else {
      this.end();
    }
  }

  protected override errorType(error: unknown): string | undefined {
    return classifyBedrockError(error);
  }
}
