/**
 * The one place that talks to `@tokenmeter/llm`. Everything the OpenAI
 * instrumentation records goes through here; it never creates GenAI
 * instruments of its own.
 */
import type { MeterProvider } from '@opentelemetry/api';
import {
  type ClientRequest,
  createLlmMetrics,
  ERROR_TYPE_ABORTED,
  type FailInfo,
  type LlmMetrics,
  errorType as llmErrorType,
} from '@tokenmeter/llm';
import type { Observed } from './extract.js';

/**
 * Counter of successful calls without provider-reported usage; @tokenmeter/llm
 * records it when `end()` carries no token counts.
 */
export const USAGE_MISSING = 'tokenmeter.gen_ai.client.usage.missing';

export interface StartInfo {
  readonly operation: string;
  readonly providerName: string;
  readonly requestModel: string | undefined;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  readonly stream: boolean;
  /** `performance.now()` when `create()` was called. */
  readonly startTime: number;
}

export interface LlmBridge {
  start(info: StartInfo): ClientRequest;
  end(req: ClientRequest, o: Observed): void;
  fail(req: ClientRequest, error: unknown, errorType: string, o: Observed): void;
  abort(req: ClientRequest, reason: unknown, o: Observed): void;
  errorType(error: unknown): string;
}

function usageInfo(o: Observed): FailInfo {
  return {
    responseModel: o.responseModel,
    inputTokens: o.inputTokens,
    outputTokens: o.outputTokens,
    cachedInputTokens: o.cachedInputTokens,
    reasoningTokens: o.reasoningTokens,
  };
}

export function createBridge(
  llm: LlmMetrics | undefined,
  meterProvider: MeterProvider | undefined,
  errorType: (err: unknown, fallback?: (err: unknown) => string) => string,
): LlmBridge {
  const metrics = llm ?? createLlmMetrics(meterProvider ? { meterProvider } : {});
  // llm's own mapping bounds the values per LlmMetrics instance.
  const fallback =
    typeof metrics.errorType === 'function' ? (err: unknown) => metrics.errorType(err) : llmErrorType;
  return {
    start(info) {
      return metrics.startRequest({
        operation: info.operation,
        provider: info.providerName,
        requestModel: info.requestModel,
        serverAddress: info.serverAddress,
        serverPort: info.serverPort,
        stream: info.stream,
        startTime: info.startTime,
      });
    },
    end(req, o) {
      req.end({ ...usageInfo(o), finishReason: o.finishReason });
    },
    fail(req, error, type, o) {
      // A user abort before the response is the same event as one mid-stream: llm's abort path.
      if (type === ERROR_TYPE_ABORTED) req.abort(error, usageInfo(o));
      else req.fail(error, { ...usageInfo(o), errorType: type });
    },
    abort(req, reason, o) {
      req.abort(reason, usageInfo(o));
    },
    errorType: (err) => errorType(err, fallback),
  };
}
