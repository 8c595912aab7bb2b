/**
 * One model call's measurement (`doGenerate` or `doStream`): reads results
 * and stream parts into the core's `Call`, which finalises it exactly once.
 */
import type { ClientRequest } from '@tokenmeter/llm';
import { Call, isObject, observeReadableStream, type TelemetryGuard } from '@tokenmeter/llm/integration';
import { classifyAiSdkError } from './error-type.js';
import {
  type ChunkState,
  isOutputChunk,
  readFinishReason,
  readGenerateResult,
  readServiceTier,
  readUsage,
} from './extract.js';

export class AiSdkCall extends Call {
  private readonly chunks: ChunkState = { streamedToolCalls: new Set() };
  /** The first `error` part of a stream: it fails the call when the stream ends. */
  private streamError: { error: unknown } | undefined;

  constructor(
    request: ClientRequest,
    telemetry: TelemetryGuard,
    private readonly stream: boolean,
  ) {
    super(request, telemetry);
  }

  /** A stream part passed through towards the AI SDK. */
  override item(part: unknown): void {
    if (!isObject(part)) return;
    if (isOutputChunk(part, this.chunks)) this.chunk();
    switch (part.type) {
      case 'response-metadata':
        if (typeof part.modelId === 'string' && part.modelId) this.info.responseModel = part.modelId;
        break;
      case 'error':
        this.streamError ??= { error: part.error };
        break;
      case 'finish':
        readUsage(part.usage, this.info);
        readServiceTier(part.providerMetadata, this.info);
        this.info.finishReason = readFinishReason(part.finishReason);
        this.complete();
        break;
    }
  }

  /** `doGenerate`'s result, or `doStream`'s (whose `stream` is replaced by an observed one). */
  override resolved(value: unknown): unknown {
    if (this.stream) {
      const stream = (value as { stream: ReadableStream<unknown> }).stream;
      return { ...(value as object), stream: observeReadableStream(stream, this) };
    }
    readGenerateResult(value, this.info);
    this.complete();
    return value;
  }

  override complete(): void {
    if (this.streamError) this.fail(this.streamError.error);
    else this.end();
  }

  protected override errorType(error: unknown): string | undefined {
    return classifyAiSdkError(error);
  }
}
