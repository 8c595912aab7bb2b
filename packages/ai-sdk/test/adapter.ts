/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives the
 * AI SDK through the middleware: the same adapter for every major the peer
 * range admits (`ai` 5, 6, 7 with the matching `@ai-sdk/openai-compatible`).
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { tokenmeterMiddleware } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each major has its own model, option and part types
type Any = any;
type AnyFn = (...args: Any[]) => Any;

/** The parts of an `ai` major the adapter uses. */
export interface AiSdk {
  generateText: AnyFn;
  streamText: AnyFn;
  wrapLanguageModel: AnyFn;
  jsonSchema: AnyFn;
}

/** The matching `@ai-sdk/openai-compatible` major. */
export interface OpenAiCompatible {
  createOpenAICompatible: AnyFn;
}

/** A factory of wrapped models against the simulator: the AI SDK picks the model id per model. */
export interface ModelFactory {
  model(id: string): unknown;
}

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

export function aiSdkAdapter(
  name: string,
  sdk: AiSdk,
  compat: OpenAiCompatible,
): IntegrationAdapter<ModelFactory> {
  const lookup = () => ({
    description: CONTRACT_TOOL.description,
    inputSchema: sdk.jsonSchema(CONTRACT_TOOL.parameters),
  });
  return {
    name,
    simulator: 'openai',
    client(target, t) {
      const provider = compat.createOpenAICompatible({
        baseURL: target.baseURL,
        name: 'vllm',
        includeUsage: true,
      });
      const middleware = tokenmeterMiddleware({
        llm: llmOf(t),
        serverAddress: '127.0.0.1',
        serverPort: target.port,
      });
      return { model: (id) => sdk.wrapLanguageModel({ model: provider.chatModel(id), middleware }) };
    },
    async generate(client, id, o = {}) {
      const abortSignal = o.timeoutMs !== undefined ? AbortSignal.timeout(o.timeoutMs) : o.signal;
      const res = await sdk.generateText({
        model: client.model(id),
        prompt: 'x',
        maxRetries: 0,
        abortSignal,
      });
      return res.text;
    },
    async stream(client, id, o = {}): Promise<StreamOutcome> {
      const ac = new AbortController();
      const errors: unknown[] = [];
      const texts: string[] = [];
      const result = sdk.streamText({
        model: client.model(id),
        prompt: 'x',
        maxRetries: 0,
        abortSignal: ac.signal,
        onError: ({ error }: { error: unknown }) => {
          errors.push(error);
        },
        ...(o.withTool ? { tools: { lookup: lookup() } } : {}),
      });
      try {
        for await (const part of result.fullStream) {
          if (part.type === 'error') errors.push(part.error);
          // What the middleware counts as an output chunk: a text delta, or a tool call's input delta.
          const piece =
            part.type === 'text-delta'
              ? (part.text ?? part.delta)
              : part.type === 'tool-input-delta'
                ? (part.delta ?? part.inputTextDelta)
                : undefined;
          if (!piece) continue;
          texts.push(piece);
          if (texts.length === o.stopAfter) {
            if (o.stopWith !== 'abort') break;
            ac.abort();
          }
        }
      } catch (error) {
        errors.push(error);
      }
      return errors.length > 0 ? { texts, error: errors[0] } : { texts };
    },
    expects: {
      provider: 'vllm', // createOpenAICompatible({ name: 'vllm' }): ids `vllm.chat`
      usage: { cacheRead: true, cacheWrite: false, reasoning: true },
      cutErrorType: 'UND_ERR_SOCKET',
      refusedErrorType: 'ECONNREFUSED',
      // streamText reads the model's stream to its end after a break; stop it with abortSignal.
      breakStops: false,
      abortBeforeResponse: true,
      timeout: true,
      toolCall: { chunks: (fragments) => fragments, finishReason: 'tool-calls' },
    },
  };
}
