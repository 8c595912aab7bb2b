/**
 * One `@anthropic-ai/sdk` Messages call's measurement: reads the message or
 * the stream's events into the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest } from '@tokenmeter/llm';
import { Call, isObject, observeStreamInPlace, type TelemetryGuard } from '@tokenmeter/llm/integration';
import { classifyAnthropicError } from './error-type.js';
import { observeEvent, readMessage } from './extract.js';

interface StreamLike {
  iterator: (...args: unknown[]) => unknown;
  controller?: { signal?: AbortSignal };
}

function isStreamLike(x: unknown): x is StreamLike {
  return isObject(x) && typeof x.iterator === 'function';
}

export class AnthropicCall extends Call {
  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly stream: boolean,
  ) {
    super(request, telemetry);
  }

  /** A stream event reached the consumer. Hot path: no closure per event. */
  override item(event: unknown): void {
    if (observeEvent(event, this.info)) this.chunk();
  }

  /**
   * The parsed body: a `Stream` is observed in place through its source
   * iterator, which `for await`, `tee()`, `toReadableStream()` and the SDK's
   * own `MessageStream` (`messages.stream()`) all read, once; with its
   * controller's signal, since the SDK ends an aborted stream quietly.
   * Anything else is the `Message`.
   */
  override resolved(value: unknown): unknown {
    if (this.stream && isStreamLike(value)) {
      observeStreamInPlace(value, 'iterator', this, value.controller?.signal);
      return value;
    }
    readMessage(value, this.info);
    this.complete();
    return value;
  }

  protected override errorType(error: unknown): string | undefined {
    return classifyAnthropicError(error);
  }
}
